"""Programs at a broadcaster's scale: small items, bounded pages and windows, ticks that read only what is due
and book soonest first across all programs when more is due than a tick takes.

The clock is the emulator's, frozen at the run's instant (``make test-dates`` chooses it): every expectation
is derived from it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.events import load_event
from devtools.gateway import Routes
from devtools.kit import LambdaContext, parse
from functions.rollout import handler as rollout
from shared import app
from shared.edge.program_responses import ProgramList, ProgramView
from shared.recordings import agenda, catalog
from shared.recordings.programs import Program
from shared.storage.program_store import NEVER, MemoryProgramStore
from shared.storage.program_store_dynamodb import DynamoDBProgramStore
from shared.support.timeutil import Deadline
from tests.functional.conftest import TABLE, http_event

pytestmark = pytest.mark.dates

ROUTES = Routes.from_serverless()
Configure = Callable[..., None]
HOURLY = {"cron": "0 * * * *", "timezone": "UTC", "duration": 600}


def api(event: dict[str, Any]) -> tuple[int, Any]:
    return parse(ROUTES.dispatch(event, LambdaContext()))


def put(name: str, body: dict[str, Any]) -> tuple[int, Any]:
    return api(http_event("PUT", f"/programs/{name}", body))


def bare_tick() -> dict[str, Any]:
    result: dict[str, Any] = rollout.lambda_handler(
        load_event("rollout_timer_bare"), LambdaContext(remaining_ms=300_000)
    )
    return result


def names_listed(limit: int, between: Callable[[int], None] = lambda page: None) -> list[str]:
    """Every name GET /programs lists, page after page (``between`` runs before each next page)."""
    listed: list[str] = []
    after: str | None = None
    for page in range(1000):
        query = {"limit": str(limit)} | ({"next": after} if after else {})
        status, body = api(http_event("GET", "/programs", query=query))
        assert status == 200, body
        shown = ProgramList.model_validate(body)
        assert len(shown.programs) <= limit and len(json.dumps(body)) < 64 * 1024
        listed += [p.name for p in shown.programs]
        if shown.next is None:
            return listed
        after = shown.next
        between(page)
    raise AssertionError("the pages never ended")


def test_pages_list_each_program_once_while_programs_come_and_go(frozen: float) -> None:
    store = app.program_store()
    body = json.dumps(Program(stream="s", **HOURLY).model_dump(exclude_none=True))
    for i in range(60):  # stored directly: the listing is what is under test
        store.put(f"p{i:03d}", body, frozen, due=NEVER)
    deleted: set[str] = set()
    added: set[str] = set()

    def churn(page: int) -> None:  # between pages: add before and after the cursor, delete on both sides
        for name in (f"a{page:03d}", f"z{page:03d}", f"p{page:03d}x"):
            store.put(name, body, frozen, due=NEVER)
            added.add(name)
        for name in (f"p{3 * page:03d}", f"p{59 - page:03d}"):
            if store.delete(name) is not None:
                deleted.add(name)

    listed = names_listed(7, churn)
    throughout = {f"p{i:03d}" for i in range(60)} - deleted
    counts = Counter(listed)
    assert all(n == 1 for n in counts.values()), [k for k, n in counts.items() if n > 1]
    assert throughout <= set(listed)  # every program stored throughout, exactly once
    assert set(listed) <= throughout | deleted | added  # and nothing that never was
    assert listed == sorted(listed)
    assert names_listed(100) == sorted(throughout | added)  # at rest: all of them, by name


def test_a_page_stays_under_64_kb(frozen: float) -> None:
    big = {"stream": "s" * 256, "domain": "d" * 200, "app": "a" * 200, **HOURLY}  # about 1 KB listed
    for i in range(100):
        program = catalog.named(f"{'n' * 125}{i:03d}", Program.model_validate(big))
        app.program_store().put(program.name or "", catalog.to_json(program), frozen, due=NEVER)
    status, body = api(http_event("GET", "/programs", query={"limit": "100"}))
    assert status == 200 and len(json.dumps(body)) < 64 * 1024
    first = ProgramList.model_validate(body)
    assert 0 < len(first.programs) < 100 and first.next == first.programs[-1].name
    assert len(names_listed(100)) == 100


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "many"}, "limit")],
)
def test_a_bad_page_is_422_naming_the_parameter(frozen: float, query: dict[str, str], field: str) -> None:
    status, body = api(http_event("GET", "/programs", query=query))
    assert status == 422 and body["error"]["field"] == field, body


def test_a_program_shows_at_most_50_occurrences_in_a_bounded_window(frozen: float) -> None:
    assert put("minutely", {"stream": "m", "cron": "* * * * *", "timezone": "UTC", "duration": 30})[0] == 201
    status, body = api(http_event("GET", "/programs/minutely"))
    assert status == 200, body
    view = ProgramView.model_validate(body)
    now = datetime.fromtimestamp(frozen, UTC)
    assert len(view.occurrences) == 50 and view.more  # 1,440 in the day: 50 shown
    starts = [datetime.fromisoformat(o.start) for o in view.occurrences]
    assert datetime.fromisoformat(view.occurrences[0].end) > now and starts == sorted(starts)
    later = now + timedelta(days=20)
    query = {"from": later.isoformat(), "to": (later + timedelta(minutes=10)).isoformat()}
    status, body = api(http_event("GET", "/programs/minutely", query=query))
    shown = ProgramView.model_validate(body)
    assert status == 200 and not shown.more and 10 <= len(shown.occurrences) <= 11
    assert all(
        later - timedelta(seconds=30) < datetime.fromisoformat(o.start) < later + timedelta(minutes=10)
        for o in shown.occurrences
    )
    status, body = api(http_event("GET", "/programs/minutely", query={"from": later.isoformat()}))
    # the horizon long, its last second included (what starts on it, the next tick books)
    assert status == 200 and datetime.fromisoformat(body["to"]) == later + timedelta(days=1, seconds=1)
    for bad, field in (
        ({"from": later.isoformat(), "to": (later + timedelta(days=32)).isoformat()}, "to"),
        ({"from": later.isoformat(), "to": later.isoformat()}, "to"),
        ({"from": str(int(frozen) * 1000)}, "from"),  # milliseconds where seconds are meant
        ({"to": "tomorrow"}, "to"),
    ):
        status, body = api(http_event("GET", "/programs/minutely", query=bad))
        assert status == 422 and body["error"]["field"] == field, (bad, body)


def requests_of(store: Any) -> Counter[str]:
    """Store requests so far, on DynamoDB (the ledger's and the program store's clients)."""
    if isinstance(store, MemoryProgramStore):
        return Counter()
    return Counter(store.table.requests) + Counter(app.ledger().table.requests)  # type: ignore[attr-defined]


def test_a_steady_tick_reads_the_same_whatever_the_number_of_programs(
    frozen: float, fresh_emulator: Emulator
) -> None:
    # half past the run's hour: the ticks' pacing moves the frozen clock a little, and from hh:59:59 it carried
    # the next hour's occurrences into the second tick's horizon (booked, rightly, but not what this measures)
    fresh_emulator.clock.advance((1800 - frozen % 3600) % 3600)
    for i in range(5):
        assert put(f"hourly{i}", {"stream": f"h{i}", **HOURLY})[0] == 201
    first = bare_tick()
    assert len(first["created"]) >= 5 * 24 and first["failed"] == [], first
    store = app.program_store()
    before = requests_of(store)
    steady = bare_tick()
    assert steady["created"] == [] and steady["occurrences"] == 0  # nothing due: nothing planned
    few = requests_of(store) - before
    far = datetime.fromtimestamp(frozen, UTC) + timedelta(days=180)  # once a year, never within a day
    yearly = Program(stream="y", cron=f"0 0 {far.day} {far.month} *", timezone="UTC", duration=600)
    body = catalog.to_json(yearly)
    for i in range(300):
        store.put(
            f"yearly{i:03d}", body, frozen, due=agenda.first_due(app.booking().policy, app.now, yearly, [])
        )
    before = requests_of(store)
    assert bare_tick()["occurrences"] == 0
    assert requests_of(store) - before == few  # 5 programs or 305: the same requests
    assert isinstance(store, MemoryProgramStore) or sum(few.values()) <= 2, few


@pytest.mark.parametrize(("bound", "value", "reads"), [("MAX_DUE", 5, 5), ("MAX_CHUNKS", 9, 4)])
def test_more_due_than_a_tick_reads_books_soonest_first_across_ticks(
    frozen: float,
    fresh_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    bound: str,
    value: int,
    reads: int,
) -> None:
    """A tick reads at most MAX_DUE programs, or as many as plan at most MAX_CHUNKS recordings (two each
    here); the rest wait for the next ticks, and booking is soonest first across all of them."""
    # twelve programs, twice a day each, their first starts spread over the next twelve hours
    now = datetime.fromtimestamp(frozen, UTC)
    for i in range(12):
        first = now + timedelta(hours=i, minutes=30)
        cron = f"{first.minute} {first.hour},{(first.hour + 12) % 24} * * *"
        program = {"stream": f"s{i}", "cron": cron, "timezone": "UTC", "duration": 600}
        assert put(f"show{i:02d}", program)[0] == 201
    monkeypatch.setattr(agenda, bound, value)
    ticks = []
    for _ in range(12):
        report = bare_tick()
        assert report["failed"] == [] and report["pending"] == [], report
        ticks.append(report)
        if not report["created"] and not report["deferred"] and report["unread_from"] is None:
            break
    first = ticks[0]
    assert len(first["created"]) == reads and first["unread_from"] is not None  # the rest: the next ticks
    assert all(c["start"] <= first["unread_from"] for c in first["created"])
    assert first["deferred"] and all(d["start"] > first["unread_from"] for d in first["deferred"])
    starts = [c["start"] for t in ticks for c in t["created"]]
    assert starts == sorted(starts)  # soonest first across all programs, tick after tick
    booked = Counter((t.stream, t.start) for t in fresh_emulator.tasks())
    assert all(n == 1 for n in booked.values())
    expected = {
        (c.program.stream, int(c.start.timestamp()))
        for i in range(12)
        for c in catalog.chunks_of(
            app.booking().policy, catalog.get_program(app.program_store(), f"show{i:02d}")[1], now
        )
    }
    assert set(booked) == expected and len(expected) == 24


def test_a_tick_out_of_time_moves_no_due_and_the_next_books_nothing_twice(
    frozen: float, fresh_emulator: Emulator
) -> None:
    for i in range(3):
        assert put(f"hourly{i}", {"stream": f"h{i}", **HOURLY})[0] == 201
    parts, store = app.booking(), app.program_store()
    plan = agenda.read(parts.policy, parts.clock, store, [])
    report = rollout.tick(parts, plan.programs, until=plan.until)
    spent = Deadline(at=1.0, total=300.0, monotonic=lambda: 0.0)  # a second left: no time to move dues
    assert agenda.reschedule(parts.policy, store, plan, report, spent) == 0
    assert agenda.read(parts.policy, parts.clock, store, []).due  # still due: read again by the next tick
    booked = len(fresh_emulator.tasks())
    now = datetime.fromtimestamp(frozen, UTC)
    assert booked == sum(len(catalog.chunks_of(parts.policy, p, now)) for p in plan.programs) >= 3 * 24
    again = bare_tick()
    assert again["created"] == [] and again["existing"] == booked
    assert agenda.read(parts.policy, parts.clock, store, []).due == []  # now moved past the horizon


def test_the_single_item_of_earlier_versions_is_moved_into_small_items(
    dynamodb: Any, configure: Configure, fresh_emulator: Emulator
) -> None:
    configure("live-record", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    legacy = {
        name: {
            "M": {
                "body": {"S": catalog.to_json(Program(name=name, stream=name, **HOURLY))},
                "updated_at": {"N": "1000.0"},
            }
        }
        for name in ("evening", "morning")
    }
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "programs"}, "programs": {"M": legacy}})
    status, body = api(http_event("GET", "/programs"))
    assert status == 200 and [p["name"] for p in body["programs"]] == ["evening", "morning"]
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "programs"}})
    store = DynamoDBProgramStore(TABLE)  # another container: nothing left to move, nothing lost
    assert store.total() == 2 and sorted(store.get_many(["evening", "morning", "noon"])) == [
        "evening",
        "morning",
    ]
    report = bare_tick()  # due at once: the next tick books them
    assert {c["stream"] for c in report["created"]} == {"evening", "morning"}, report


def test_a_long_tick_counts_what_is_due_again_from_when_it_read_the_programs(
    frozen: float, fresh_emulator: Emulator
) -> None:
    assert put("hourly", {"stream": "h", **HOURLY})[0] == 201
    parts, store = app.booking(), app.program_store()
    plan = agenda.read(parts.policy, parts.clock, store, [])
    report = rollout.tick(parts, plan.programs, until=plan.until)
    assert report.failed == [] and report.waiting == {}  # all booked
    fresh_emulator.clock.advance(4 * 3600)  # the tick took four hours (a slow Tencent)
    assert agenda.reschedule(parts.policy, store, plan, report, Deadline()) == 1
    reach = frozen + 86400  # what the tick planned up to
    stored = store.get("hourly")
    assert stored is not None and reach < stored.due <= reach + 3600  # the next hour past it, not four later
