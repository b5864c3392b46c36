"""A real Tencent Live emulator on 127.0.0.1 (ephemeral port), started once per session, reset per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtools.emulator import Emulator
from shared.support.config import LiveApi, Settings
from shared.tencent.adapter import LiveAdapter, RetryPolicy, get_adapter


@pytest.fixture(autouse=True)
def _fresh_emulator(fresh_emulator: Emulator) -> None:
    """Every e2e test starts from an empty emulator."""


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
