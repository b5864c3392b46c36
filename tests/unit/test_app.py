"""The composition root: what each function builds (its BUILDS row, which every handler keeps to), built
once and shared, built again when the settings are, the ledger kept for the container."""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import app
from shared.support.config import get_settings

ROOT = Path(__file__).resolve().parents[2]
# what any handler may use beside its pieces: the clock the pieces read
ALWAYS = {"now"}


def imported_from_app(handler: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(handler.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "shared.app":
            names |= {alias.name for alias in node.names}
    return names


@pytest.mark.parametrize("function", sorted(app.BUILDS))
def test_each_handler_builds_only_what_its_row_says(function: str) -> None:
    used = imported_from_app(ROOT / "functions" / function / "handler.py")
    assert used, function
    assert used <= app.BUILDS[function] | ALWAYS, used - app.BUILDS[function]


def test_every_function_has_a_row() -> None:
    assert set(app.BUILDS) == {p.name for p in (ROOT / "functions").iterdir() if (p / "handler.py").exists()}


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment without our variables but a generation's credentials; nothing built yet."""
    from shared.support import config

    for var in config.ENV_FIELDS:
        monkeypatch.delenv(var, raising=False)
    clean_env = monkeypatch
    clean_env.setenv("TENCENTCLOUD_SECRET_ID", "AKIDapp0000")
    clean_env.setenv("TENCENTCLOUD_SECRET_KEY", "k")
    get_settings.cache_clear()
    app.reset()
    yield clean_env
    get_settings.cache_clear()
    app.reset()


def test_pieces_are_built_once_and_share_one_ledger_and_adapter(fresh: pytest.MonkeyPatch) -> None:
    creator, lookup, stopper = app.creator(), app.lookup(), app.stopper()
    assert app.creator() is creator and app.lookup() is lookup
    assert creator.ledger is lookup.ledger is stopper.ledger is app.ledger()
    assert creator.adapter is lookup.adapter is stopper.adapter


def test_new_settings_build_new_pieces_on_the_same_ledger(fresh: pytest.MonkeyPatch) -> None:
    before = app.creator()
    fresh.setenv("LIVE_TIMEOUT", "12")
    get_settings.cache_clear()  # as a secret read again after its TTL
    after = app.creator()
    assert after is not before and after.policy.timeout == 12
    assert after.ledger is before.ledger  # the container's in-process ledger survives a settings change


def test_concurrent_first_calls_share_one_ledger(fresh: pytest.MonkeyPatch) -> None:
    from shared.storage.memory import MemoryLedger

    slow = MemoryLedger.__init__

    def building(self: MemoryLedger) -> None:  # a first build that takes a while, as a cold one does
        time.sleep(0.05)
        slow(self)

    fresh.setattr(MemoryLedger, "__init__", building)
    built: list[object] = []
    start = threading.Barrier(8)

    def first() -> None:
        start.wait()
        built.append(app.creator().ledger)

    threads = [threading.Thread(target=first) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 8 and len({id(x) for x in built}) == 1


def test_reset_forgets_everything(fresh: pytest.MonkeyPatch) -> None:
    ledger = app.ledger()
    app.reset()
    assert app.ledger() is not ledger
