"""A program's calendar exceptions, expanded (shared/recordings/calendars.py), at awkward instants: both DST
changes in a zone with DST, a leap day, a year's end. Each expectation derives from a chosen instant and from
the tests' own reading of a cron (tests/utils.cron_starts), never from the expansion under test; and the
tick's plan, the next start (the due time) and the windows GET shows all read the same occurrences."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from shared.recordings import calendars
from shared.recordings.planning import next_start, window_chunks
from shared.recordings.programs import Program, occurrences
from tests.utils import cron_starts

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def program(**fields: Any) -> Program:
    body = {"stream": "s", "cron": "30 2 * * *", "timezone": "Europe/Berlin", "duration": 1800}
    return Program.model_validate(body | fields)


def expanded(p: Program, begin: datetime, end: datetime) -> list[tuple[datetime, datetime, str | None]]:
    return list(itertools.takewhile(lambda o: o[0] < end, calendars.expand(p, begin)))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


def test_a_date_skipped_on_the_day_summer_time_begins() -> None:
    # 02:30 does not exist on 29 March 2026 in Berlin (cron moves it to 03:00): skipping the date skips it
    begin, end = datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    p = program(**{"except": ["2026-03-29"]})
    want = [s for s in cron_starts("30 2 * * *", "Europe/Berlin", begin, end)]
    assert [o[0] for o in expanded(p, begin, end)] == want
    assert datetime(2026, 3, 29, 1, 0, tzinfo=UTC) in [o[0] for o in expanded(program(), begin, end)]


def test_the_repeated_hour_when_summer_time_ends() -> None:
    # 25 October 2026: 02:30 happens twice in Berlin, 00:30Z (+02:00) then 01:30Z (+01:00); cron takes the first
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    p = program(moved=[{"from": "2026-10-25T02:30+02:00", "to": "2026-10-25T02:30+01:00"}])
    got = expanded(p, datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert [(o[0], o[2]) for o in got] == [(second, "moved"), (local("2026-10-26T02:30"), None)]
    assert first not in [o[0] for o in got]
    with pytest.raises(ValidationError, match="happens twice"):
        program(added=[{"start": "2026-10-25T02:30"}])
    with pytest.raises(ValidationError, match="does not exist"):
        program(**{"except": ["2026-03-29T02:30"]})


def test_a_leap_day() -> None:
    daily = {"cron": "0 12 * * *", "timezone": "UTC"}
    begin, end = datetime(2028, 2, 27, tzinfo=UTC), datetime(2028, 3, 2, tzinfo=UTC)
    p = program(**daily, **{"except": ["2028-02-29"]}, added=[{"start": "2028-02-29T18:00", "duration": 600}])
    want = [(s, s + timedelta(minutes=30), None) for s in cron_starts("0 12 * * *", "UTC", begin, end)]
    leap = datetime(2028, 2, 29, 18, tzinfo=UTC)
    want = [o for o in want if o[0].date() != leap.date()] + [(leap, leap + timedelta(minutes=10), "added")]
    assert expanded(p, begin, end) == sorted(want)
    with pytest.raises(ValidationError) as refused:
        program(**daily, **{"except": ["2027-02-29"]})  # no such day
    assert refused.value.errors()[0]["loc"] == ("except",)


def test_a_year_end_moved_past_until() -> None:
    # the cron ends with 2026 (until); the year's last occurrence moved into 2027 still happens, longer
    p = program(
        cron="30 23 * * *",
        timezone="Asia/Shanghai",
        until="2026-12-31T23:59",
        moved=[{"from": "2026-12-31T23:30", "to": "2027-01-01T00:30", "duration": 7200}],
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    begin = datetime(2026, 12, 30, tzinfo=shanghai)
    got = expanded(p, begin, begin + timedelta(days=5))
    moved = datetime(2027, 1, 1, 0, 30, tzinfo=shanghai)
    assert [(o[0], o[1] - o[0], o[2]) for o in got] == [
        (datetime(2026, 12, 30, 23, 30, tzinfo=shanghai), timedelta(minutes=30), None),
        (moved, 4 * timedelta(minutes=30), "moved"),
    ]
    # the due time, the tick's plan and GET's windows read the same occurrences
    assert next_start(p, datetime(2026, 12, 31, 12, tzinfo=UTC), None) == moved
    assert next_start(p, moved + HOUR, None) is None  # nothing after: never due again
    now = datetime(2026, 12, 31, 15, 45, tzinfo=UTC)  # 23:45 in Shanghai: the moved one starts soon
    assert [(s, e) for s, e in occurrences(p, now, timedelta(days=1))] == [(moved, moved + 2 * HOUR)]
    chunks, more = window_chunks(p, (now, now + timedelta(days=3)), 10, cap=None, where=(None, None))
    assert [(c.start, c.end) for c in chunks] == [(moved, moved + 2 * HOUR)] and not more
    assert calendars.mark(p, moved) == "moved" and calendars.mark(p, moved - HOUR) is None


def test_a_long_moved_occurrence_still_running_is_planned() -> None:
    # moved to 01:00 for 3 h: at 03:00 it is still running, past the cron's own 30 min
    p = program(
        cron="0 1 * * *",
        timezone="UTC",
        moved=[{"from": "2026-06-01T01:00", "to": "2026-06-01T01:00", "duration": 10800}],
    )
    now = datetime(2026, 6, 1, 3, tzinfo=UTC)
    first = next(iter(occurrences(p, now, timedelta(days=1))))
    assert first == (datetime(2026, 6, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, 4, tzinfo=UTC))


def test_stale_exceptions_change_nothing() -> None:
    # a date the cron never falls on, a start it does not make: kept, harmless; a move from no occurrence
    # adds nothing
    weekly = {"cron": "0 20 * * 1", "timezone": "UTC"}
    begin, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    stale = program(
        **weekly,
        **{"except": ["2026-06-02", "2026-06-03T20:00"]},
        moved=[{"from": "2026-06-04T20:00", "to": "2026-06-04T21:00"}],
    )
    assert expanded(stale, begin, end) == expanded(program(**weekly), begin, end)
    assert [o[0] for o in expanded(stale, begin, end)] == cron_starts("0 20 * * 1", "UTC", begin, end)


def test_since_and_until_bound_the_cron_only() -> None:
    p = program(
        cron="0 20 * * *",
        timezone="UTC",
        since="2026-06-10T00:00",
        until="2026-06-12T20:00",
        added=[{"start": "2026-06-20T20:00"}],
    )
    got = [o[0] for o in expanded(p, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))]
    assert got == [datetime(2026, 6, d, 20, tzinfo=UTC) for d in (10, 11, 12, 20)]
