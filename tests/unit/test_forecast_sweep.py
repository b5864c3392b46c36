"""The programs' forecast (shared/recordings/forecast.py): the hourly interval sweep, shared recordings, DST
zones and the PUT's check, at fixed instants (each expectation derived from the instant given)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.recordings import catalog
from shared.recordings.forecast import (
    MAX_DAYS,
    NAMED,
    RESERVE,
    contributors,
    forecast,
    pushed_over,
    read_programs,
    recordings,
    stored_forecast,
    sweep,
    window,
)
from shared.recordings.planning import identity, window_chunks
from shared.recordings.policy import Policy, policy_of
from shared.recordings.programs import Program
from shared.recordings.rules import stream_identity
from shared.storage.program_store import MemoryProgramStore
from shared.support.config import LiveApi, Settings
from shared.support.errors import ConfigError, InvalidRequest, NotEnoughTime
from shared.support.timeutil import Deadline
from shared.tencent.generations import GENERATIONS

NOW = datetime(2026, 12, 8, 9, 17, 23, tzinfo=UTC)  # a controlled now, mid-hour
H = timedelta(hours=1)
M = timedelta(minutes=1)
POLICY = Policy(api=LiveApi.RECORD_TASK, domain="push.example.com", app="live")


def at(hours: float) -> datetime:
    """``hours`` after the start of NOW's hour."""
    return NOW.replace(minute=0, second=0) + timedelta(hours=hours)


def span(start: float, end: float, *names: str) -> tuple[int, int, frozenset[str]]:
    return int(at(start).timestamp()), int(at(end).timestamp()), frozenset(names or ("p",))


def program(name: str, **fields: object) -> Program:
    base: dict[str, object] = {"stream": name, "cron": "0 20 * * *", "timezone": "UTC", "duration": 3600}
    return Program.model_validate(base | {"name": name} | fields)


def calendar(name: str) -> Program:
    """Daily at 20:00 UTC with the calendar's exceptions, each relative to NOW: tomorrow's skipped, the day
    after's moved two hours earlier and made three hours long, and one added the day after that at 06:00."""
    day = [(NOW + timedelta(days=n)).date().isoformat() for n in range(4)]
    return program(
        name,
        stream="cal",
        **{"except": [day[1]]},
        moved=[{"from": f"{day[2]}T20:00", "to": f"{day[2]}T18:00", "duration": 3 * 3600}],
        added=[{"start": f"{day[3]}T06:00"}],
    )


def test_the_calendars_exceptions_are_what_is_counted() -> None:
    shown = window(NOW, 5)
    spans = recordings(POLICY, [calendar("g")], shown)
    starts = {datetime.fromtimestamp(start, UTC): end - start for start, end, _ in spans}
    base = NOW.replace(hour=20, minute=0, second=0)
    assert base + timedelta(days=1) not in starts  # skipped
    assert starts[base + timedelta(days=2, hours=-2)] == 3 * 3600  # moved, and longer
    assert base + timedelta(days=2) not in starts
    assert starts[base.replace(hour=6) + timedelta(days=3)] == 3600  # added, the program's duration
    assert starts[base] == starts[base + timedelta(days=3)] == 3600  # the others as the cron says


def test_window_is_whole_hours_from_the_current_one() -> None:
    begin, end = window(NOW, 2)
    assert begin == NOW.replace(minute=0, second=0) and end - begin == timedelta(days=2)
    assert len(sweep([], (begin, end))) == 48


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1])
def test_days_out_of_range_is_refused_naming_days(days: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        window(NOW, days)
    assert caught.value.field == "days"


def test_the_peak_is_what_overlaps_within_the_hour_not_what_starts() -> None:
    shown = window(NOW, 1)
    # A 0:00-1:30, B 0:30-2:00, C 1:45-2:15, D runs from before the window to 5:00 (no start in it)
    spans = [span(0, 1.5, "a"), span(0.5, 2, "b"), span(1.75, 2.25, "c"), span(-3, 5, "d")]
    hours = sweep(spans, shown)
    assert [(h.peak, h.at) for h in hours[:6]] == [
        (3, at(0.5)),  # D and A from the hour's start, B joins at 0:30
        (3, at(1)),  # A, B and D at the hour's start; C starts once A has ended
        (2, at(2)),  # B ended at 2:00 exactly: C and D
        (1, at(3)),
        (1, at(4)),
        (0, None),  # D ended at 5:00
    ]
    assert all(h.peak == 0 for h in hours[5:])


def test_an_end_and_a_start_at_one_instant_do_not_overlap() -> None:
    hours = sweep([span(0, 1), span(1, 2), span(1.5, 1.75)], window(NOW, 1))
    assert [h.peak for h in hours[:3]] == [1, 2, 0]
    assert hours[1].at == at(1.5)


def test_what_runs_past_the_window_is_cut_at_its_end() -> None:
    shown = window(NOW, 1)
    hours = sweep([span(23.5, 30)], shown)
    assert len(hours) == 24 and hours[-1].peak == 1 and hours[-1].at == at(23.5)
    # before the window, ending as it starts, or from its end on: never counted
    outside = [span(-5, -1), span(-2, 0), span(24, 30), span(25, 26)]
    assert all(h.peak == 0 and h.at is None for h in sweep(outside, shown))
    with_one = [*outside, span(3, 4, "in")]
    assert contributors(with_one, sweep(with_one, shown))[3].programs == ("in",)


def test_contributors_name_the_programs_at_the_peak_bounded() -> None:
    shown = window(NOW, 1)
    names = [f"p{i:02d}" for i in range(NAMED + 3)]
    spans = [span(0, 1, name) for name in names] + [span(0, 0.5, "early"), span(0.75, 1, "late")]
    [hour] = contributors(spans, sweep(spans, shown)[:1])
    assert hour.peak == len(names) + 1 and hour.at == at(0)  # the first instant of the peak
    assert hour.programs_total == len(names) + 1  # "late" runs at a later instant of the same peak
    assert hour.programs == tuple(sorted([*names, "early"])[:NAMED])


def test_programs_asking_for_one_recording_count_once() -> None:
    shown = window(NOW, 1)
    one, same = program("one", stream="s"), program("same", stream="s")
    other_options = program("mp4", stream="s", format="mp4")  # another recording at Tencent
    spans = recordings(Policy(api=LiveApi.LIVE_RECORD), [one, same, other_options], shown)
    assert sorted(sorted(s[2]) for s in spans) == [["mp4"], ["one", "same"]]
    assert max(h.peak for h in sweep(spans, shown)) == 2


@pytest.mark.parametrize("api", list(LiveApi))
def test_the_recordings_are_those_the_tick_would_book_by_identity(api: LiveApi) -> None:
    """planning's chunks and identity (what a tick books, and shares) are the oracle, in every generation."""
    shown = window(NOW, 9)
    policy = Policy(api=api, domain="push.example.com", app="live")
    programs = [
        program("a", stream="s"),
        program("b", stream="s", domain="other.example.com"),  # the same name elsewhere: v2 and fcgi share
        program("c", stream="s", cron="30 19 * * *", duration=7200),
        program("d", stream="t", cron="0 */5 * * *", duration=30 * 3600, timezone="Asia/Kolkata"),
        program("e", stream="t", cron="0 */5 * * *", duration=30 * 3600, timezone="Asia/Kolkata"),
        program("f", stream="u", cron="15 8 * * MON-FRI", timezone="America/Sao_Paulo", duration=600),
        calendar("g"),
    ]
    gen = GENERATIONS[api]
    expected: dict[object, set[str]] = {}
    for p in programs:
        where = stream_identity(gen, p.domain or policy.domain, p.app or policy.app)
        chunks, more = window_chunks(p, shown, 10_000, cap=gen.scheduled_cap, where=where)
        assert not more
        for chunk in chunks:
            expected.setdefault(identity(chunk), set()).add(p.key)
    spans = recordings(policy, programs, shown)
    assert sorted(sorted(names) for *_, names in spans) == sorted(sorted(n) for n in expected.values())
    assert len(spans) == len(expected)


def test_a_long_occurrence_is_counted_as_the_tasks_it_is_split_into() -> None:
    shown = window(NOW, 3)
    # 36 hours from each midnight: yesterday's second task (00:00-12:00) runs beside today's first
    long = program("long", cron="0 0 * * *", duration=36 * 3600)
    spans = recordings(POLICY, [long], shown)  # record-task: one task a day at most
    assert all(end - start <= 86400 for start, end, _ in spans)
    peaks = {h.start: h.peak for h in sweep(spans, shown)}
    assert {peak for start, peak in peaks.items() if start.hour < 12} == {2}
    assert {peak for start, peak in peaks.items() if start.hour >= 12} == {1}
    # two days from each midnight: yesterday's second day is today's first, the very same task, once
    two_days = recordings(POLICY, [long.model_copy(update={"duration": 2 * 86400})], shown)
    assert {h.peak for h in sweep(two_days, shown)} == {1}


def test_dst_moves_a_program_against_another_zones() -> None:
    """20:00 New York for an hour and 08:00 Shanghai for an hour: 01:00 and 00:00 UTC apart in winter, the
    same UTC hour once New York is on summer time (2027-03-14)."""
    now = datetime(2027, 3, 11, 12, tzinfo=UTC)
    ny = program("ny", timezone="America/New_York")
    sh = program("sh", cron="0 8 * * *", timezone="Asia/Shanghai")
    found = forecast(POLICY._replace(concurrent_limit=1), [ny, sh], now, 7)
    both = {h.start for h in found.hours if h.peak == 2}
    expected = set()
    for day in range(-1, 8):
        date = (now + timedelta(days=day)).date()
        evening = datetime(date.year, date.month, date.day, 20, tzinfo=ZoneInfo("America/New_York"))
        morning = datetime(date.year, date.month, date.day, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
        if evening.astimezone(UTC) == (morning + timedelta(days=1)).astimezone(UTC):
            expected.add(evening.astimezone(UTC))
    expected = {h for h in expected if found.window[0] <= h < found.window[1]}
    # winter evenings apart, summer ones together: both seasons fall in the week
    assert 0 < len(expected) < 7 and both == expected
    assert [h.start for h in found.over] == sorted(both)
    assert all(h.programs == ("ny", "sh") for h in found.over)


def test_the_limit_is_the_setting_else_the_generations_documented_one() -> None:
    for api, gen in GENERATIONS.items():
        policy = Policy(api=api)
        assert policy.capacity == (gen.running_limit, "generation" if gen.running_limit else None)
        assert policy._replace(concurrent_limit=7).capacity == (7, "setting")
    assert Policy(api=LiveApi.LIVE_RECORD).capacity == (400, "generation")  # CreateLiveRecord's page
    assert Policy(api=LiveApi.RECORD_TASK).capacity == (None, None)  # none stated


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "many", "1000001"])
def test_a_bad_concurrent_limit_names_the_variable(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"LIVEREC_CONCURRENT_LIMIT": text})
    assert caught.value.field == "LIVEREC_CONCURRENT_LIMIT"


def test_the_concurrent_limit_setting_reaches_the_policy() -> None:
    settings = Settings.from_env({"LIVE_API": "live-record", "LIVEREC_CONCURRENT_LIMIT": " 1200 "})
    assert policy_of(settings).capacity == (1200, "setting")  # a raised quota over the documented 400
    assert policy_of(Settings.from_env({"LIVEREC_CONCURRENT_LIMIT": ""})).capacity == (None, None)


def test_no_limit_no_hour_over() -> None:
    found = forecast(POLICY, [program("a"), program("b")], NOW, 2)
    assert found.limit is None and found.over == [] and max(h.peak for h in found.hours) == 2


def stored(*programs: Program) -> MemoryProgramStore:
    store = MemoryProgramStore()
    for p in programs:
        assert p.name is not None
        store.put(p.name, catalog.to_json(p), 0.0, due=0.0)
    return store


def test_a_program_pushing_an_hour_over_the_limit_is_named() -> None:
    policy = POLICY._replace(concurrent_limit=2)
    first, second = program("first"), program("second")
    assert pushed_over(policy, stored(first, second), second, NOW) == []  # at the limit, not over
    third = program("third")
    hours = pushed_over(policy, stored(first, second, third), third, NOW)
    assert hours is not None and len(hours) == 7  # 20:00 UTC on each of the 7 days
    assert all(h.start.hour == 20 and h.peak == 3 for h in hours)
    # one sharing first's recording costs nothing at Tencent: not pushed over
    twin = program("twin", stream="first")
    assert pushed_over(policy, stored(first, second, twin), twin, NOW) == []
    # elsewhere in the day, nothing
    late = program("late", cron="0 3 * * *")
    assert pushed_over(policy, stored(first, second, third, late), late, NOW) == []


def test_the_program_put_counts_as_given_whatever_the_listing_shows_yet() -> None:
    """DynamoDB's listing is read eventually: just after the PUT it may show the old version, or none."""
    policy = POLICY._replace(concurrent_limit=2)
    first, second, third = program("first"), program("second"), program("third")
    old_third = program("third", cron="0 3 * * *")
    for store in (stored(first, second), stored(first, second, old_third)):
        hours = pushed_over(policy, store, third, NOW)
        assert hours is not None and [h.start.hour for h in hours] == [20] * 7
    # and the old version is not counted beside the new one
    assert pushed_over(policy, stored(first, second, third), old_third, NOW) == []


def test_without_a_limit_nothing_is_read() -> None:
    class Unread(MemoryProgramStore):
        def page(self, limit: int, after: str | None = None) -> tuple[list, str | None]:  # type: ignore[type-arg]
            raise AssertionError("read")

    assert pushed_over(POLICY, Unread(), program("x"), NOW) == []


def test_all_pages_are_read() -> None:
    programs = [program(f"p{i:04d}", cron="0 1 * * *") for i in range(1203)]  # three pages of 500
    found = forecast(POLICY, programs, NOW, 1)
    assert found.programs == 1203 and max(h.peak for h in found.hours) == 1203
    store = stored(*programs)
    read, unreadable = read_programs(store, store.limit)
    assert [p.name for p in read] == [p.name for p in programs] and unreadable == []


def test_too_many_recordings_is_refused_naming_days() -> None:
    busy = [program(f"b{i}", cron="* * * * *", duration=60) for i in range(3)]  # 4320 a day each
    with pytest.raises(InvalidRequest) as caught:
        forecast(POLICY, busy, NOW, MAX_DAYS)  # 3 x 31 x 1440 > MAX_RECORDINGS
    assert caught.value.field == "days"
    assert (
        pushed_over(POLICY._replace(concurrent_limit=1), stored(*busy), busy[0], NOW) is not None
    )  # 7 days fit


def spent_deadline(left: float) -> Deadline:
    """A deadline with ``left`` seconds of the invocation, on a clock that never moves."""
    return Deadline(at=100.0 + left, total=29.0, monotonic=lambda: 100.0)


def test_a_forecast_that_cannot_finish_in_time_stops_naming_days() -> None:
    store = stored(program("a"), program("b"))
    with pytest.raises(NotEnoughTime) as caught:
        stored_forecast(POLICY, store, NOW, 7, spent_deadline(RESERVE - 0.5))
    assert caught.value.status == 503 and caught.value.field == "days"
    assert stored_forecast(POLICY, store, NOW, 7, spent_deadline(RESERVE + 5)).programs == 2
    # the PUT's check is given up, not the PUT: None (its warning says the limit was not checked)
    limited = POLICY._replace(concurrent_limit=1)
    assert pushed_over(limited, store, program("c"), NOW, spent_deadline(RESERVE - 0.5)) is None
    assert pushed_over(limited, store, program("c"), NOW, spent_deadline(RESERVE + 5))
