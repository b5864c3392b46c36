"""A real Tencent Live emulator on 127.0.0.1 (ephemeral port), started once per session, reset per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devtools.emulator import Credentials, Emulator, EmulatorConfig
from shared.adapters import LiveAdapter, RetryPolicy, get_adapter
from shared.config import LiveApi, Settings
from tests.conftest import FCGI_APPID, FCGI_KEY, SECRET_ID, SECRET_KEY


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(
        EmulatorConfig(
            credentials=Credentials(
                secret_id=SECRET_ID, secret_key=SECRET_KEY, fcgi_appid=FCGI_APPID, fcgi_key=FCGI_KEY
            ),
        )
    )
    with emu.running(host="127.0.0.1", port=0):
        yield emu


@pytest.fixture(autouse=True)
def _fresh_emulator(emulator: Emulator) -> Iterator[None]:
    emulator.reset()
    yield
    emulator.faults.clear()
    assert emulator.wait_idle(), "a request was still being handled after the test"
    emulator.reset()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """A fake sleep that records backoff delays instead of waiting."""
    return Sleeps()


@pytest.fixture
def adapter_for(
    emulator: Emulator, make_settings: Callable[..., Settings], sleeps: Sleeps
) -> Callable[..., LiveAdapter]:
    def build(api: LiveApi | str, settings: Settings | None = None, **extra: object) -> LiveAdapter:
        settings = settings or make_settings(api, endpoint=emulator.base_url, **extra)
        return get_adapter(settings, clock=emulator.clock.now, sleep=sleeps, retry=RetryPolicy())

    return build
