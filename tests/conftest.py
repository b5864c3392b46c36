"""Fixtures shared by every test layer. No environment is read at import; settings are built explicitly.

Every test runs with the packages the deployed artifact leaves out (serverless.yml ``slimPatterns``) made
unimportable: a path that reaches for one fails here, not in Lambda.
"""

from __future__ import annotations

import copy
import importlib.abc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from devtools.check_package import trimmed_modules
from devtools.emulator import Credentials, Emulator, EmulatorConfig
from devtools.kit import LambdaContext
from shared.support.config import LiveApi, Settings

ROOT = Path(__file__).resolve().parent.parent


class NotDeployed(importlib.abc.MetaPathFinder):
    """Refuses the modules the artifact does not ship."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if any(fullname == n or fullname.startswith(n + ".") for n in self.names):
            raise ModuleNotFoundError(
                f"{fullname} is not deployed (serverless.yml slimPatterns)", name=fullname
            )


NOT_DEPLOYED = trimmed_modules((ROOT / "serverless.yml").read_text(encoding="utf-8"))
sys.meta_path.insert(0, NotDeployed(NOT_DEPLOYED))

# A run at a chosen instant (`make test-dates`, `python -m devtools.fakenow INSTANT -- ...`): the instant asked
# for, which the wall clock of this process and of every process it starts reads (libfaketime). A run that
# asked for one and reads another clock stops here rather than passing at today's date.
FAKE_NOW = os.environ.get("LIVEREC_NOW")
RUN_LIMIT = 3600  # seconds a run may last after its instant and still read a clock that advanced from it


def pytest_configure(config: pytest.Config) -> None:
    if not FAKE_NOW:
        return
    asked = datetime.fromisoformat(FAKE_NOW.replace("Z", "+00:00")).timestamp()
    if not asked - 5 <= time.time() <= asked + RUN_LIMIT:
        pytest.exit(
            f"LIVEREC_NOW={FAKE_NOW} but the clock reads {datetime.now(UTC).isoformat()}: run the tests "
            "through `python -m devtools.fakenow` (make test-dates), which preloads libfaketime",
            returncode=3,
        )


def pytest_report_header(config: pytest.Config) -> str:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return f"now: {now}" + (
        f" (a chosen instant: LIVEREC_NOW={FAKE_NOW})" if FAKE_NOW else " (the real clock)"
    )


SECRET_ID = "AKIDtestsecretid0000"
SECRET_KEY = "test-secret-key-不要泄露"
FCGI_APPID = 1234
FCGI_KEY = "test-fcgi-key"


@pytest.fixture
def now() -> datetime:
    """A fixed instant inside the 00:00-08:00 CST window, where the UTC and CST dates differ."""
    return datetime(2026, 5, 20, 18, 30, 0, tzinfo=UTC)  # 2026-05-21 02:30:00 CST


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    def build(
        api: LiveApi | str = LiveApi.RECORD_TASK, endpoint: str | None = None, **extra: Any
    ) -> Settings:
        env = {
            "LIVE_API": LiveApi(api).value,
            "TENCENTCLOUD_SECRET_ID": SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "LIVE_FCGI_APPID": str(FCGI_APPID),
            "LIVE_FCGI_KEY": FCGI_KEY,
            "LIVE_DOMAIN": "5000.live.push.com",
            "LIVE_APP": "live",
        }
        if endpoint:
            env["LIVE_ENDPOINT"] = endpoint
        env.update({k: str(v) for k, v in extra.items()})
        return Settings.from_env(env)

    return build


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A real Tencent Live emulator on 127.0.0.1 (ephemeral port), started once, stopped at the end."""
    emu = Emulator(
        EmulatorConfig(
            credentials=Credentials(
                secret_id=SECRET_ID, secret_key=SECRET_KEY, fcgi_appid=FCGI_APPID, fcgi_key=FCGI_KEY
            ),
        )
    )
    with emu.running(host="127.0.0.1", port=0):
        yield emu


@pytest.fixture
def fresh_emulator(emulator: Emulator) -> Iterator[Emulator]:
    """The session's emulator, emptied, with the limits a test changes put back afterwards (reset() keeps
    the configuration: a page size left at 2 made a later test's listing look one page short)."""
    emulator.reset()
    limits = copy.deepcopy(vars(emulator.config))
    yield emulator
    emulator.faults.clear()
    assert emulator.wait_idle(), "a request was still being handled after the test"
    vars(emulator.config).update(limits)
    emulator.reset()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def at(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Travel to an instant: freeze the emulator's clock there, and the SDK's signing clock with it
    (TC3 rejects a timestamp more than 5 minutes from the server's)."""

    def travel(when: datetime) -> None:
        emulator.clock.freeze(when.timestamp())
        import tencentcloud.common.abstract_client as sdk

        monkeypatch.setattr(sdk, "time", SimpleNamespace(time=emulator.clock.now))

    return travel
