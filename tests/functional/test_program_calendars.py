"""A program's calendar exceptions (``except``, ``moved``, ``added``) and its import from an iCalendar file,
through ``PUT/GET /programs/{name}`` on the scheduled function and the timer's bare tick, against the
emulator, in every generation. The clock is frozen at a chosen instant (the day before Europe/Berlin leaves
summer time): every expectation derives from it, and from the tests' own reading of a cron
(tests/utils.cron_starts), never from the expansion under test."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools import liverec_cli
from devtools.emulator import Emulator
from shared.app import program_store, use_clock
from shared.edge.program_responses import ProgramView
from shared.recordings import catalog
from shared.recordings.policy import policy_of
from shared.recordings.programs import Program
from shared.support.config import get_settings
from tests.functional.conftest import TOKEN, http_event, local_gateway
from tests.functional.test_cli import cli
from tests.functional.test_programs import api, bare_tick, put
from tests.utils import cron_starts

GENERATIONS = ["record-task", "live-record", "v2", "fcgi"]
NOW = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)  # Saturday; Berlin falls back at 03:00 on Sunday the 25th
BERLIN = ZoneInfo("Europe/Berlin")
HORIZON = 3 * 86400  # where the generation sets none (record-task: its own six days)
EVENING = {"stream": "evening", "cron": "0 20 * * *", "timezone": "Europe/Berlin", "duration": 3600}
EXCEPTIONS = {
    "except": ["2026-10-25"],  # Sunday: the day the clocks change
    "moved": [{"from": "2026-10-26T20:00", "to": "2026-10-26T22:00", "duration": 5400}],
    # the first of the two 02:30s that night (summer time): given with its offset
    "added": [{"start": "2026-10-25T02:30+02:00", "duration": 1800}],
}


@pytest.fixture
def at_now(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[Callable[[str], timedelta]]:
    """Configure a generation with the clock frozen at NOW (functions and emulator alike); returns its
    horizon."""

    def apply(api_name: str) -> timedelta:
        configure(api_name, LIVEREC_ROLLOUT_HORIZON=str(HORIZON))
        return policy_of(get_settings()).horizon

    fresh_emulator.clock.freeze(NOW.timestamp())
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    limits = dict(fresh_emulator.config.rate_limits)
    fresh_emulator.config.rate_limits.clear()
    yield apply
    fresh_emulator.config.rate_limits.update(limits)
    use_clock()


def expected(horizon: timedelta) -> dict[tuple[datetime, datetime], str | None]:
    """The windows the program with EXCEPTIONS asks for within the horizon from NOW, each with its mark:
    the cron's 20:00s (read by the tests' own reader), but the 25th's, the 26th's at 22:00 for 90 min, and
    02:30 CEST on the 25th for 30 min."""
    reach = NOW + horizon + timedelta(seconds=1)
    hour = timedelta(hours=1)
    out: dict[tuple[datetime, datetime], str | None] = {
        (s, s + hour): None
        for s in cron_starts("0 20 * * *", "Europe/Berlin", NOW - hour, reach)
        if s.astimezone(BERLIN).date().isoformat() not in ("2026-10-25", "2026-10-26")
    }
    moved = datetime(2026, 10, 26, 22, 0, tzinfo=BERLIN).astimezone(UTC)
    added = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30+02:00
    out[(moved, moved + timedelta(minutes=90))] = "moved"
    out[(added, added + timedelta(minutes=30))] = "added"
    return {w: m for w, m in out.items() if w[0] < reach and w[1] > NOW}


def windows(view: ProgramView) -> dict[tuple[datetime, datetime], str | None]:
    return {
        (datetime.fromisoformat(o.start), datetime.fromisoformat(o.end)): o.exception
        for o in view.occurrences
    }


def booked(emu: Emulator) -> set[tuple[datetime, datetime]]:
    return {
        (datetime.fromtimestamp(t.start, UTC), datetime.fromtimestamp(t.end, UTC))
        for t in emu.tasks()
        if not t.deleted and t.stopped_at is None
    }


@pytest.mark.parametrize("api_name", GENERATIONS)
def test_the_tick_books_the_occurrences_with_the_exceptions_applied(
    api_name: str, at_now: Callable[[str], timedelta], fresh_emulator: Emulator
) -> None:
    horizon = at_now(api_name)
    status, body = put("evening", EVENING | EXCEPTIONS)
    assert status == 201, body
    view = ProgramView.model_validate(body)
    want = expected(horizon)
    # the PUT shows the exceptions as stored and the occurrences with them applied, moved and added marked
    assert view.program["except"] == EXCEPTIONS["except"] and view.program["moved"] == EXCEPTIONS["moved"]
    assert windows(view) == want and view.next_tick_books == len(want)
    report = bare_tick()
    assert report["failed"] == [] and len(report["created"]) == len(want)
    assert booked(fresh_emulator) == set(want)
    shown = ProgramView.model_validate(api(http_event("GET", "/programs/evening"))[1])
    assert windows(shown) == want and all(o.booked for o in shown.occurrences)
    # the program is due again past the horizon, at its next occurrence: the 20:00 after the reach
    assert shown.due is not None and datetime.fromisoformat(shown.due) > NOW + horizon
    assert bare_tick()["created"] == []  # nothing booked twice


@pytest.mark.parametrize("api_name", GENERATIONS)
def test_moving_a_booked_occurrence_cancels_its_old_booking(
    api_name: str, at_now: Callable[[str], timedelta], fresh_emulator: Emulator
) -> None:
    at_now(api_name)
    assert put("evening", EVENING)[0] == 201
    bare_tick()
    old = datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN).astimezone(UTC)
    new = old + timedelta(hours=2)
    assert (old, old + timedelta(hours=1)) in booked(fresh_emulator)
    moved = {"moved": [{"from": "2026-10-24T20:00", "to": "2026-10-24T22:00"}]}
    status, body = put("evening", EVENING | moved)
    assert status == 200, body
    withdrawn = ProgramView.model_validate(body).withdrawn
    assert [(w.start, w.action) for w in withdrawn] == [
        (old.isoformat().replace("+00:00", "Z"), "stopped" if api_name == "fcgi" else "deleted")
    ]
    report = bare_tick()
    assert [c["start"] for c in report["created"]] == [new.isoformat().replace("+00:00", "Z")]
    assert (old, old + timedelta(hours=1)) not in booked(fresh_emulator)
    assert (new, new + timedelta(hours=1)) in booked(fresh_emulator)


@pytest.mark.parametrize("api_name", ["record-task", "fcgi"])
def test_a_booking_the_put_could_not_see_is_withdrawn_by_the_next_tick(
    api_name: str, at_now: Callable[[str], timedelta], fresh_emulator: Emulator
) -> None:
    # a tick that had read the program before a PUT moved an occurrence books the old time after the PUT's
    # own withdrawal ran: stood in for by storing the moved program directly, without the PUT
    at_now(api_name)
    assert put("evening", EVENING)[0] == 201
    bare_tick()
    old = datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN).astimezone(UTC)
    moved = Program.model_validate(
        EVENING | {"name": "evening", "moved": [{"from": "2026-10-24T20:00", "to": "2026-10-24T22:00"}]}
    )
    program_store().put("evening", catalog.to_json(moved), NOW.timestamp(), due=old.timestamp())
    report = bare_tick()
    action = "stopped" if api_name == "fcgi" else "deleted"
    assert [(w["program"], w["start"], w["action"]) for w in report["withdrawn"]] == [
        ("evening", old.isoformat().replace("+00:00", "Z"), action)
    ]
    assert (old, old + timedelta(hours=1)) not in booked(fresh_emulator)
    assert (old + 2 * timedelta(hours=1), old + 3 * timedelta(hours=1)) in booked(fresh_emulator)
    assert bare_tick()["withdrawn"] == []  # said once


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//liverec tests//EN\r
BEGIN:VEVENT\r
UID:evening@example.com\r
DTSTART;TZID=Europe/Berlin:20261020T200000\r
DTEND;TZID=Europe/Berlin:20261020T210000\r
RRULE:FREQ=DAILY;UNTIL=20261029T190000Z\r
EXDATE;TZID=Europe/Berlin:20261025T200000\r
RDATE;TZID=Europe/Berlin:20261025T023000\r
SUMMARY:Evening\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:evening@example.com\r
RECURRENCE-ID;TZID=Europe/Berlin:20261026T200000\r
DTSTART;TZID=Europe/Berlin:20261026T220000\r
DURATION:PT1H30M\r
END:VEVENT\r
END:VCALENDAR\r
"""


def put_ics(name: str, text: str, **query: str) -> tuple[int, Any]:
    event = http_event("PUT", f"/programs/{name}", raw_body=text, content_type="text/calendar", query=query)
    return api(event)


@pytest.mark.parametrize("api_name", GENERATIONS)
def test_an_icalendar_file_is_imported_as_a_program(
    api_name: str, at_now: Callable[[str], timedelta], fresh_emulator: Emulator
) -> None:
    horizon = at_now(api_name)
    status, body = put_ics("evening", ICS, stream="evening")
    assert status == 201, body
    view = ProgramView.model_validate(body)
    assert view.program["cron"] == "0 20 * * *" and view.program["timezone"] == "Europe/Berlin"
    # the same occurrences as EXCEPTIONS, but that the RDATE lasts the event's hour, and none after UNTIL
    until = datetime(2026, 10, 29, 19, 0, tzinfo=UTC)
    want = {
        (s, (e if m != "added" else s + timedelta(hours=1))): m
        for (s, e), m in expected(horizon).items()
        if s <= until
    }
    assert windows(view) == want
    report = bare_tick()
    assert report["failed"] == [] and booked(fresh_emulator) == set(want)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"except": ["2026-02-30"]}, "except"),
        ({"except": ["2026-10-25", "2026-10-25"]}, "except"),
        ({"except": ["2026-03-29T02:30"]}, "except"),  # skipped by the change to summer time
        ({"except": ["2026-10-25T02:30"]}, "except"),  # happens twice: needs its offset
        ({"except": ["2026-01-01"] * 367}, "except"),
        ({"moved": [{"from": "2026-10-26T20:00", "to": "2026-10-27T22:00"}] * 2}, "moved"),
        (
            {"except": ["2026-10-26"], "moved": [{"from": "2026-10-26T20:00", "to": "2026-10-26T22:00"}]},
            "moved",
        ),
        ({"moved": [{"from": "2026-10-26T20:00", "to": "2026-10-26T20:00"}]}, "moved"),
        ({"added": [{"start": "2026-10-27T20:00"}]}, "added"),  # the cron's own
        ({"added": [{"start": "2026-10-27T21:00", "duration": 0}]}, "added"),
        ({"since": "2026-11-01T00:00", "until": "2026-10-01T00:00"}, "until"),
        ({"added": [{"start": "0001-01-01T00:00"}]}, "added"),  # was an OverflowError across the zone: a 500
    ],
)
def test_bad_exceptions_are_422_naming_the_field(
    change: dict[str, Any], field: str, at_now: Callable[[str], timedelta]
) -> None:
    at_now("live-record")
    status, body = put("evening", EVENING | change)
    assert status == 422, body
    assert body["error"]["field"] == field
    assert api(http_event("GET", "/programs"))[1] == {"programs": [], "next": None}


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("FREQ=DAILY", "FREQ=DAILY;INTERVAL=2"), "RRULE.INTERVAL"),
        (("FREQ=DAILY", "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO"), "RRULE.BYSETPOS"),
        (("FREQ=DAILY", "FREQ=HOURLY"), "RRULE.FREQ"),
        (("DTSTART;TZID=Europe/Berlin", "DTSTART;TZID=Mars/Olympus"), "DTSTART"),
        (("DTSTART;TZID=Europe/Berlin:20261020T200000", "DTSTART:20261020T200000"), "DTSTART"),
        (("RRULE:", "X-RRULE:"), "RRULE"),
        (("RECURRENCE-ID;TZID=Europe/Berlin:20261026T200000\r\n", ""), "VEVENT"),  # two recurring events
        (("END:VCALENDAR", "END:VEVENT"), "body"),
        (("UNTIL=20261029T190000Z", "UNTIL=20261399"), "RRULE.UNTIL"),  # was a ValueError: a 500
        (
            (
                "20261020T200000\r\nDTEND;TZID=Europe/Berlin:20261020T210000",
                "99991231T230000\r\nDURATION:PT1H",
            ),
            "DTSTART",
        ),
    ],
)
def test_an_icalendar_file_it_cannot_translate_is_422_naming_the_part(
    edit: tuple[str, str], field: str, at_now: Callable[[str], timedelta]
) -> None:
    at_now("live-record")
    text = ICS.replace(*edit, 1)
    assert text != ICS
    status, body = put_ics("evening", text, stream="evening")
    assert status == 422, body
    assert body["error"]["field"] == field
    assert api(http_event("GET", "/programs"))[1] == {"programs": [], "next": None}


def test_an_icalendar_file_needs_a_stream_and_a_bounded_size(at_now: Callable[[str], timedelta]) -> None:
    at_now("live-record")
    status, body = put_ics("evening", ICS)
    assert status == 422 and body["error"]["field"] == "stream"
    status, body = put_ics("evening", ICS + " " * 70_000, stream="evening")
    assert status == 413, body
    # another route of the function takes JSON only
    event = http_event("POST", "/recordings/scheduled", raw_body=ICS, content_type="text/calendar")
    assert api(event)[0] == 415


@pytest.fixture
def gateway(at_now: Callable[[str], timedelta]) -> Iterator[str]:
    """The local gateway of ``make run`` (loopback, a free port) over live-record, at NOW."""
    at_now("live-record")
    with local_gateway() as url:
        yield url


def test_the_cli_imports_a_file_and_shows_the_exceptions(
    gateway: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    source = tmp_path / "evening.ics"
    source.write_text(ICS, encoding="utf-8")
    status, out = cli(gateway, "import-ics", str(source), "evening", "--stream", "evening")
    assert status == 0, out
    assert out.startswith("stored evening: '0 20 * * *' Europe/Berlin 3600s, 1 skipped, 1 moved, 1 added")
    assert sum("(moved)" in line for line in out.splitlines()) == 1
    assert sum("(added)" in line for line in out.splitlines()) == 1
    status, out = cli(gateway, "programs")
    assert status == 0 and "1 skipped, 1 moved, 1 added, since 2026-10-20T20:00:00+02:00" in out
    listed = io.StringIO()
    assert liverec_cli.upcoming(liverec_cli.Client(gateway, TOKEN), listed, now=NOW) == 0
    # the next 24 h from NOW: tonight's 20:00 and the added 02:30 (the 25th's 20:00 is skipped)
    assert [line.split()[0] for line in listed.getvalue().splitlines()] == [
        "2026-10-24T18:00:00Z",
        "2026-10-25T00:30:00Z",
    ]
    missing = tmp_path / "missing.ics"
    assert cli(gateway, "import-ics", str(missing), "evening", "--stream", "evening")[0] == 2
