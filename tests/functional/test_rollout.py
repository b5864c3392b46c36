"""Recurring programs on a timer: horizon, >24 h split, CST and a DST zone, idempotent ticks, rate limit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.emulator import Emulator
from devtools.events import load_event
from devtools.kit import LambdaContext
from functions.rollout import handler as rollout
from shared.recordings.planning import plan_chunks
from shared.recordings.programs import Program
from shared.recordings.rollout import tick
from shared.storage.ledger import Claim, Entry, Origin, ledger_key
from shared.storage.memory import MemoryLedger
from shared.support.config import LiveApi, Settings
from shared.support.errors import LiverecError
from shared.support.pacing import TokenBucket
from shared.tencent.adapter import get_adapter
from tests.utils import Recordings

Factory = Callable[..., Recordings]


@pytest.fixture
def make_service(fresh_emulator: Emulator, make_settings: Callable[..., Settings]) -> Iterator[Factory]:
    def build(api: LiveApi = LiveApi.RECORD_TASK) -> Recordings:
        settings = make_settings(api, endpoint=fresh_emulator.base_url)
        clock = fresh_emulator.clock.now
        return Recordings(settings, get_adapter(settings, clock=clock), MemoryLedger(), clock)

    yield build


def local_starts(emu: Emulator, zone: str) -> list[str]:
    return sorted(
        datetime.fromtimestamp(t.start, tz=ZoneInfo(zone)).strftime("%a %H:%M") for t in emu.tasks()
    )


def test_cst_weekday_program_fills_the_six_day_horizon(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    # Given Monday 2026-11-23 10:00 China time, a weekday 20:00 program of an hour
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="news", cron="0 20 * * MON-FRI", timezone="Asia/Shanghai", duration=3600)
    report = tick(make_service().booking, [program])
    # Then Mon..Fri of this week (start <= now + 6 days), every one at 20:00 CST, none at the weekend
    assert report.failed == [] and len(report.created) == 5
    assert local_starts(fresh_emulator, "Asia/Shanghai") == sorted(
        f"{d} 20:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
    )
    assert all(t.end - t.start == 3600 for t in fresh_emulator.tasks())


def test_dst_zone_keeps_local_wall_time_across_the_switch(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    # Europe/Berlin springs forward on 2026-03-29: 01:30 local is 00:30Z before, 23:30Z (previous day) after
    at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    program = Program(stream="radio", cron="30 1 * * *", timezone="Europe/Berlin", duration=1800)
    report = tick(make_service().booking, [program])
    assert report.failed == [] and len(report.created) == 6
    starts = sorted(t.start for t in fresh_emulator.tasks())
    assert {datetime.fromtimestamp(s, tz=ZoneInfo("Europe/Berlin")).strftime("%H:%M") for s in starts} == {
        "01:30"
    }
    gaps = {starts[i + 1] - starts[i] for i in range(len(starts) - 1)}
    assert gaps == {86400, 82800}  # one 23-hour day: the switch


def test_windows_longer_than_a_day_are_split_into_consecutive_tasks(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="marathon", cron="0 8 * * SAT", timezone="Asia/Shanghai", duration=30 * 3600)
    report = tick(make_service().booking, [program])
    assert report.failed == []
    tasks = sorted(fresh_emulator.tasks(), key=lambda t: t.start)
    assert [t.end - t.start for t in tasks] == [86400, 6 * 3600]
    assert tasks[0].end == tasks[1].start


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.V2, LiveApi.FCGI, LiveApi.LIVE_RECORD])
def test_two_ticks_create_nothing_twice(
    api: LiveApi, at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    svc = make_service(api)
    first = tick(svc.booking, [program], horizon=timedelta(days=3))
    second = tick(
        svc.booking, [program], horizon=timedelta(days=3)
    )  # the same container, e.g. Lambda's retry
    assert first.created and second.created == [] and second.existing == first.occurrences
    assert len(fresh_emulator.tasks()) == len(first.created)


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.V2])
def test_a_tick_in_another_container_finds_the_booked_tasks(
    api: LiveApi, at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    first = tick(make_service(api).booking, [program], horizon=timedelta(days=3))
    other = tick(make_service(api).booking, [program], horizon=timedelta(days=3))  # fresh in-process store
    assert other.created == [] and len(fresh_emulator.tasks()) == len(first.created)


@pytest.mark.dates
def test_the_emulator_rate_limit_is_never_surfaced(make_service: Factory, fresh_emulator: Emulator) -> None:
    # 48 occurrences against CreateRecordTask's 20 requests per second (real time, real bucket)
    program = Program(stream="hourly", cron="0 */3 * * *", timezone="UTC", duration=600)
    report = tick(make_service().booking, [program])
    assert report.failed == [] and len(report.created) == report.occurrences >= 40
    limited = [
        r
        for r in fresh_emulator.requests()
        if r.response and "RequestLimitExceeded" in json.dumps(r.response)
    ]
    assert limited == []  # the token bucket kept under the limit; backoff was not even needed


def test_a_failed_occurrence_is_reported_and_booked_on_the_next_tick(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    svc = make_service()
    fresh_emulator.faults.http_error(status=502, count=1, action="CreateRecordTask")
    first = tick(svc.booking, [program], horizon=timedelta(days=2))
    assert len(first.failed) == 1 and first.failed[0]["error"]["code"] == "OutcomeUnknown"
    second = tick(svc.booking, [program], horizon=timedelta(days=2))
    assert second.failed == [] and len(second.created) == 1
    assert len(fresh_emulator.tasks()) == first.occurrences


class ReadCountingLedger(MemoryLedger):
    """The in-process ledger, counting the entries a tick reads one by one (not from its summaries)."""

    def __init__(self) -> None:
        super().__init__()
        self.entries_read = 0

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        wanted = list(keys)
        self.entries_read += len(wanted)
        return super().get_many(wanted, now)


def test_an_unresolved_occurrence_is_reported_from_the_summary_until_the_policy_allows_booking(
    at: Callable[[datetime], None], fresh_emulator: Emulator, make_settings: Callable[..., Settings]
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    ledger, clock = ReadCountingLedger(), fresh_emulator.clock.now

    def service(policy: str) -> Recordings:
        settings = make_settings(
            LiveApi.FCGI, endpoint=fresh_emulator.base_url, LIVEREC_UNKNOWN_OUTCOME=policy
        )
        return Recordings(settings, get_adapter(settings, clock=clock), ledger, clock)

    # fcgi cannot look tasks up: a create that reached Tencent but got no answer stays in doubt
    fresh_emulator.faults.drop_after_store(count=1, action="Live_Tape_Start")
    first = tick(service("report").booking, [program], horizon=timedelta(days=2))
    # in doubt from the tick that sent it: reported unresolved, not failed (a failure is retried)
    assert first.failed == [] and [u["error"]["code"] for u in first.unresolved] == ["OutcomeUnknown"]
    booked = len(fresh_emulator.tasks())
    ledger.entries_read = 0
    for _ in range(2):
        later = tick(service("report").booking, [program], horizon=timedelta(days=2))
        # reported again from the summary alone: no entry read, never created again
        assert [u["start"] for u in later.unresolved] == [u["start"] for u in first.unresolved]
        assert later.created == [] and ledger.entries_read == 0 and len(fresh_emulator.tasks()) == booked
    # an operator who chooses LIVEREC_UNKNOWN_OUTCOME=recreate gets it booked again on the next tick
    recreated = tick(service("recreate").booking, [program], horizon=timedelta(days=2))
    assert recreated.unresolved == [] and len(recreated.created) == 1 and ledger.entries_read == 1
    assert len(fresh_emulator.tasks()) == booked + 1


@pytest.mark.parametrize("api", list(LiveApi))
def test_an_occurrence_under_way_is_booked_from_now_and_reported_shortened(
    api: LiveApi, at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    # Given a program stored half-way through its noon hour (its first tick comes late)
    at(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
    noon = Program(name="noon", stream="noon", cron="0 12 23 11 *", timezone="UTC", duration=3600)
    service = make_service(api)
    report = tick(service.booking, [noon], horizon=timedelta(hours=1))
    # Then what remains of it is booked, from now, and the report says so
    half = datetime(2026, 11, 23, 12, 30, tzinfo=UTC).timestamp()
    assert report.failed == [] and len(report.created) == 1
    assert [(t.start, t.end) for t in fresh_emulator.tasks()] == [(half, half + 1800)]
    assert [(s["start"], s["from"]) for s in report.shortened] == [
        ("2026-11-23T12:00:00Z", "2026-11-23T12:30:00Z")
    ]
    # and only once: a later tick finds it booked
    again = tick(service.booking, [noon], horizon=timedelta(hours=1))
    assert again.created == [] and again.existing == 1 and len(fresh_emulator.tasks()) == 1


def test_the_ended_days_of_a_long_occurrence_are_never_asked_for(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    # Given a 72-hour program on air since Monday 10:00 UTC, 50 hours ago, in a generation that splits at 24 h
    at(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    long = Program(name="long", stream="long", cron="0 10 23 11 *", timezone="UTC", duration=72 * 3600)
    report = tick(make_service(LiveApi.V2).booking, [long])
    # Then what remains of the day on air is booked, and the two that ended are neither planned nor failed
    day, now = (datetime(2026, 11, 25, hour, 0, tzinfo=UTC).timestamp() for hour in (10, 12))
    assert report.failed == [] and report.occurrences == 1 and len(report.shortened) == 1
    assert [(t.start, t.end) for t in fresh_emulator.tasks()] == [(now, day + 86400)]


def test_one_program_over_the_limit_is_skipped_alone(
    at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    flood = Program(name="flood", stream="flood", cron="* * * * *", timezone="UTC", duration=7 * 86400)
    news = Program(name="news", stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    report = tick(make_service(LiveApi.LIVE_RECORD).booking, [flood, news], horizon=timedelta(days=1))
    # the flood is reported on its own, naming the field; everyone else is booked as usual
    assert [(s["program"], s["error"]["field"]) for s in report.skipped] == [("flood", "cron")]
    assert report.failed == [] and len(report.created) == 1
    assert {t.stream for t in fresh_emulator.tasks()} == {"news"}


@pytest.mark.parametrize("api", [LiveApi.LIVE_RECORD, LiveApi.FCGI])  # the generations that cannot look up
def test_a_tick_that_died_before_sending_is_booked_by_the_next_not_left_in_doubt(
    api: LiveApi, at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    # Given a tick whose container died after claiming an occurrence and before sending its create
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(name="news", stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    svc = make_service(api)
    where = {"default_domain": svc.settings.domain, "default_app": svc.settings.app}
    (chunk,) = plan_chunks(
        [program], api, datetime(2026, 11, 23, 2, 0, tzinfo=UTC), timedelta(days=1), **where
    )
    fp = chunk.request().fingerprint
    now = fresh_emulator.clock.now()
    dead = Claim(
        ledger_key("rollout", chunk.key),
        fp,
        Origin("rollout", "news"),
        now - 400,
        now - 60,
        chunk.planned(api),
    )
    assert svc.ledger.claim(dead) is None
    # Then the next tick books it: nothing had left, so nothing is in doubt
    report = tick(svc.booking, [program], horizon=timedelta(days=1))
    assert report.unresolved == [] and report.failed == [] and len(report.created) == 1
    assert len(fresh_emulator.tasks()) == 1


CREATE = {
    LiveApi.RECORD_TASK: "CreateRecordTask",
    LiveApi.LIVE_RECORD: "CreateLiveRecord",
    LiveApi.V2: "CreateRecord",
    LiveApi.FCGI: "Live_Tape_Start",
}


@pytest.mark.parametrize("api", list(CREATE))
def test_a_5xx_carrying_tencents_error_is_an_answer_not_a_doubt(
    api: LiveApi, at: Callable[[datetime], None], make_service: Factory, fresh_emulator: Emulator
) -> None:
    at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    program = Program(name="news", stream="news", cron="0 20 * * *", timezone="Asia/Shanghai", duration=3600)
    svc = make_service(api)
    fresh_emulator.faults.http_error(status=503, count=1, action=CREATE[api], error_body=True)
    first = tick(svc.booking, [program], horizon=timedelta(days=1))
    # Tencent answered and refused: a failure retried by the next tick, never an occurrence in doubt
    assert len(first.failed) == 1 and first.failed[0]["error"]["code"] != "OutcomeUnknown", first.failed[0][
        "error"
    ]["message"]
    assert first.unresolved == [] and len(fresh_emulator.tasks()) == first.occurrences - 1
    second = tick(svc.booking, [program], horizon=timedelta(days=1))
    assert (
        second.failed == [] and len(second.created) == 1 and len(fresh_emulator.tasks()) == first.occurrences
    )


def test_token_bucket_paces_to_its_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(20, clock=lambda: now[0], sleep=sleep)
    for _ in range(41):
        bucket.take()
    assert now[0] == pytest.approx(2.0, abs=0.05)  # 41 takes at 20/s from one token: two seconds
    assert max(slept) <= 1 / 20 + 1e-9  # evenly paced, never a burst


# --- through the function -------------------------------------------------------------------------------


@pytest.mark.dates
def test_timer_event_with_programs(
    configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    result = rollout.lambda_handler(load_event("rollout_timer_programs"), lambda_context)
    assert result["failed"] == [] and result["created"]
    assert {t.stream for t in fresh_emulator.tasks()} == {"livetest", "marathon"}
    again = rollout.lambda_handler(load_event("rollout_timer_programs"), lambda_context)
    assert again["created"] == [] and len(fresh_emulator.tasks()) == len(result["created"])


@pytest.mark.dates
def test_bare_scheduled_event_reads_programs_from_config(
    configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    programs = [{"stream": "cfg", "cron": "0 12 * * *", "timezone": "Asia/Shanghai", "duration": 600}]
    configure(LIVEREC_PROGRAMS=json.dumps(programs))
    result = rollout.lambda_handler(load_event("rollout_timer_bare"), lambda_context)
    assert result["failed"] == [] and {t.stream for t in fresh_emulator.tasks()} == {"cfg"}


def test_a_tick_whose_store_fails_raises_so_lambda_retries_and_alarms(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    # the ledger's table is missing: the store cannot be read. Raised, never returned as a quiet report
    configure(LIVEREC_IDEMPOTENCY_TABLE="no-such-table")
    with pytest.raises(LiverecError) as failed:
        rollout.lambda_handler(load_event("rollout_timer_programs"), lambda_context)
    assert failed.value.status >= 500 and fresh_emulator.tasks() == []


def test_bad_programs_are_refused_visibly(
    configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    result = rollout.lambda_handler(load_event("rollout_timer_bad_programs"), lambda_context)
    assert result["error"]["field"] == "programs.0.cron" and "cron" in result["error"]["message"]
    configure(LIVEREC_PROGRAMS="")
    bare = rollout.lambda_handler(load_event("rollout_timer_bare"), lambda_context)
    assert bare["error"]["field"] == "programs" and fresh_emulator.tasks() == []
