"""The exactly-once rules one at a time: look-up windows, deadlines and leases, the unknown-outcome policy,
the durable ledger on Lambda, a rollout that runs short of time, and operators' stops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.realtime import handler as realtime
from functions.rollout import handler as rollout
from functions.webhooks import handler as webhooks
from shared.recordings.creating import LEASE_MARGIN
from shared.recordings.finding import lookup_windows
from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput
from shared.recordings.programs import Program
from shared.recordings.rollout import tick
from shared.storage.ledger import Origin
from shared.storage.memory import MemoryLedger
from shared.support.config import LiveApi, Settings
from shared.support.errors import ConfigError, NotEnoughTime
from shared.support.timeutil import Deadline
from shared.tencent.adapter import get_adapter
from shared.tencent.generations import RECORD_TASK
from shared.tencent.types import Mode
from tests.functional.conftest import http_event
from tests.functional.test_webhooks import CALLBACK_KEY, RULES, begin, signed
from tests.utils import Recordings

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
DAY = 86400


class Ticking:
    """A monotonic clock that moves only when told: a deadline that runs out on cue."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def make_service(
    fresh_emulator: Emulator, make_settings: Callable[..., Settings]
) -> Iterator[Callable[..., Recordings]]:
    fresh_emulator.clock.freeze(NOW.timestamp())

    def build(
        api: LiveApi = LiveApi.RECORD_TASK, ledger: MemoryLedger | None = None, **extra: str
    ) -> Recordings:
        settings = make_settings(api, endpoint=fresh_emulator.base_url, **extra)
        clock = fresh_emulator.clock.now
        return Recordings(settings, get_adapter(settings, clock=clock), ledger or MemoryLedger(), clock)

    yield build


# --- look-up windows ----------------------------------------------------------------------------------------


def test_look_up_windows_hold_every_span_whole_and_stay_under_a_week() -> None:
    now = NOW.timestamp()
    day = [(int(now) + i * DAY, int(now) + i * DAY + 3600) for i in range(9)]
    long = [
        (int(now) + 3 * DAY, int(now) + 4 * DAY)
    ]  # a 24 h chunk straddling where a plain tiling would cut
    windows = lookup_windows(RECORD_TASK, day + long, now)
    for start, end in day + long:
        assert any(lo < start and end < hi for lo, hi in windows), (start, end)
    assert all(hi - lo < 7 * DAY for lo, hi in windows)
    assert len(windows) == 2  # eight days and a bit: two windows, not one per span
    # never before DescribeRecordTask's 90-day limit
    old = lookup_windows(RECORD_TASK, [(int(now) - 100 * DAY, int(now) - 100 * DAY + 60)], now)
    assert old[0][0] > now - 90 * DAY


def test_a_task_whose_end_lies_past_a_week_is_still_found(
    make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    # a booked task near the end of CreateRecordTask's 6-day horizon, found from today
    svc = make_service()
    start = int(NOW.timestamp()) + 6 * DAY - 60
    svc.create(ScheduledRecordingInput(stream="far", start=start, end=start + DAY), Mode.SCHEDULED)
    tasks = svc.find_tasks(
        "far",
        "5000.live.push.com",
        "live",
        [(start, start + DAY), (int(NOW.timestamp()), int(NOW.timestamp()) + 60)],
    )
    assert [t.task_id for t in tasks] == [t.task_id for t in fresh_emulator.tasks()]


def test_look_ups_follow_every_scroll_token_page(
    make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    fresh_emulator.config.describe_page_size = 2
    svc = make_service()
    base = int(NOW.timestamp()) + 3600
    for i in range(5):
        svc.create(
            ScheduledRecordingInput(stream="paged", start=base + i * 600, end=base + i * 600 + 300),
            Mode.SCHEDULED,
        )
    found = svc.find_tasks("paged", "5000.live.push.com", "live", [(base, base + 3000)])
    assert len(found) == 5
    assert sum(1 for r in fresh_emulator.requests() if r.action == "DescribeRecordTask") == 3


# --- deadlines and leases -----------------------------------------------------------------------------------


def test_a_create_that_could_be_cut_off_is_not_sent(
    make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    svc = make_service()
    clock = Ticking()
    deadline = Deadline(at=29.0, total=29.0, monotonic=clock)
    clock.t = 20.0  # 9 s left: less than LIVE_TIMEOUT (10 s) and the ledger's writes
    with pytest.raises(NotEnoughTime, match="nothing was sent"):
        svc.create(RealtimeRecordingInput(stream="late"), Mode.REALTIME, "k", deadline=deadline)
    assert fresh_emulator.tasks() == []
    clock.t = 0.0  # the key was released: a retry in a fresh invocation creates it
    assert svc.create(RealtimeRecordingInput(stream="late"), Mode.REALTIME, "k", deadline=deadline).body[
        "task_id"
    ]


def test_a_timeout_that_can_never_fit_names_live_timeout(
    make_service: Callable[..., Recordings],
) -> None:
    svc = make_service(LIVE_TIMEOUT="30")
    with pytest.raises(ConfigError) as info:
        svc.create(
            RealtimeRecordingInput(stream="s"),
            Mode.REALTIME,
            deadline=Deadline(at=29.0, total=29.0, monotonic=Ticking()),
        )
    assert info.value.field == "LIVE_TIMEOUT" and "29 s" in info.value.message


def test_the_lease_outlasts_the_invocation(make_service: Callable[..., Recordings]) -> None:
    ledger = MemoryLedger()
    svc = make_service(ledger=ledger)
    deadline = Deadline(at=Ticking()() + 29.0, total=29.0, monotonic=Ticking())
    svc.create(RealtimeRecordingInput(stream="s"), Mode.REALTIME, "lease", deadline=deadline)
    entry = ledger.get("http:lease", NOW.timestamp())
    assert entry.lease_until - entry.claimed_at == pytest.approx(29.0 + LEASE_MARGIN)


# --- the unknown-outcome policy -----------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["report", "recreate"])
def test_fcgi_unknown_outcome_follows_the_policy(
    policy: str, make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    svc = make_service(LiveApi.FCGI, LIVEREC_UNKNOWN_OUTCOME=policy)
    data = RealtimeRecordingInput(stream="doubt")
    fresh_emulator.faults.drop_after_store(count=1, action="Live_Tape_Start")
    with pytest.raises(Exception, match="no usable answer"):
        svc.create(data, Mode.REALTIME, "doubt")
    if policy == "report":
        with pytest.raises(Exception, match="will not make another") as info:
            svc.create(data, Mode.REALTIME, "doubt")
        assert info.value.code == "OutcomeUnknown"  # type: ignore[attr-defined]
        assert len(fresh_emulator.tasks()) == 1
    else:  # created again: the possible duplicate this setting accepts
        assert svc.create(data, Mode.REALTIME, "doubt").body["task_id"]
        assert len(fresh_emulator.tasks()) == 2


# --- the durable ledger on Lambda ---------------------------------------------------------------------------


def test_on_lambda_the_timer_and_callbacks_refuse_the_in_process_ledger(
    configure: Callable[..., None], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "liverec-prod-rollout")
    configure(LIVE_CALLBACK_KEY=CALLBACK_KEY, LIVEREC_CALLBACK_RULES='[{"name": "all", "stream": "*"}]')
    context = LambdaContext()
    # the deployment is to blame: raised (Lambda counts an error, the timer's alarm fires), never a quiet return
    with pytest.raises(ConfigError) as refused:
        rollout.lambda_handler({"programs": [{"stream": "s", "cron": "0 * * * *", "duration": 60}]}, context)
    assert refused.value.field == "LIVEREC_IDEMPOTENCY_TABLE"
    status, body = parse(
        webhooks.lambda_handler(
            http_event("POST", "/callbacks/tencent", signed(begin()), token=None), context
        )
    )
    assert status == 500 and body["error"]["field"] == "LIVEREC_IDEMPOTENCY_TABLE"
    assert fresh_emulator.tasks() == []
    # `serverless invoke local` sets IS_LOCAL: the in-process ledger is what it has
    monkeypatch.setenv("IS_LOCAL", "true")
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_CALLBACK_RULES=str(RULES).replace("'", '"').replace("True", "true"),
    )
    assert "error" not in rollout.lambda_handler(
        {"programs": [{"stream": "s", "cron": "0 * * * *", "duration": 60}]}, context
    )


# --- a rollout that runs short of time ----------------------------------------------------------------------


def test_a_tick_short_of_time_leaves_the_rest_to_the_next(
    make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    svc = make_service()
    clock = Ticking()
    program = Program(stream="hourly", cron="0 * * * *", timezone="UTC", duration=600)
    created: list[Any] = []

    class Slow:  # each create takes a second of the invocation
        def __getattr__(self, name: str) -> Any:
            return getattr(svc.creator, name)

        def create(self, *args: Any, **kwargs: Any) -> Any:
            outcome = svc.creator.create(*args, **kwargs)
            created.append(outcome)
            clock.t += 1.0
            return outcome

    first = tick(
        svc.booking._replace(creator=Slow()),
        [program],
        horizon=timedelta(days=1),
        deadline=Deadline(at=20.0, total=20.0, monotonic=clock),
    )
    # 20 s, a second per create, LIVE_TIMEOUT 10 s and 2 s for the ledger: nine fit
    assert len(first.created) == 9 and len(first.deferred) == first.occurrences - 9
    # soonest first: what is about to start is booked, the far end of the horizon waits
    starts = [c["start"] for c in first.created]
    assert starts == sorted(starts) and first.deferred[0]["start"] >= starts[-1]
    second = tick(svc.booking, [program], horizon=timedelta(days=1))
    assert len(second.created) == len(first.deferred) and second.deferred == []
    assert len(fresh_emulator.tasks()) == first.occurrences


# --- operators' stops and deletes ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["stop", "delete"])
def test_a_stopped_or_deleted_occurrence_is_never_booked_again(
    action: str, make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    ledger = MemoryLedger()
    svc = make_service(ledger=ledger)
    program = Program(name="news", stream="news", cron="0 12 * * *", timezone="UTC", duration=3600)
    first = tick(svc.booking, [program], horizon=timedelta(days=1))
    booked = first.created[0]
    getattr(svc, action)(booked["task_id"], "news")
    assert ledger.by_task("record-task", booked["task_id"], NOW.timestamp()).state == f"{action}ped".replace(
        "deleteped", "deleted"
    )
    # a day of ticks in fresh services on the same ledger: the occurrence stays as the operator left it
    for hour in range(1, 24):
        fresh_emulator.clock.freeze(NOW.timestamp() + hour * 3600)
        again = tick(make_service(ledger=ledger).booking, [program], horizon=timedelta(days=1))
        assert booked["task_id"] not in {c["task_id"] for c in again.created}
    windows = [(t.start, t.end) for t in fresh_emulator.tasks()]
    assert len(windows) == len(set(windows))


def test_an_occurrence_is_identified_by_domain_and_app(
    make_service: Callable[..., Recordings], fresh_emulator: Emulator
) -> None:
    svc = make_service(LiveApi.LIVE_RECORD)  # one day ahead: one occurrence per program
    programs = [
        Program(stream="same", domain=domain, cron="0 12 * * *", timezone="UTC", duration=600)
        for domain in ("a.push.example", "b.push.example")
    ]
    report = tick(svc.booking, programs, horizon=timedelta(days=1))
    assert len(report.created) == 2 and {t.domain for t in fresh_emulator.tasks()} == {
        "a.push.example",
        "b.push.example",
    }
    assert tick(svc.booking, programs, horizon=timedelta(days=1)).created == []


def test_a_realtime_recording_through_the_function_gets_its_lease_from_the_context(
    configure: Callable[..., None], fresh_emulator: Emulator
) -> None:
    from shared.app import ledger, now

    context = LambdaContext(remaining_ms=13_000)  # 13 s left: LIVE_TIMEOUT 10 s and 2 s for the ledger fit
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "ctx"})
    assert parse(realtime.lambda_handler(event, context))[0] == 201
    entry = ledger().get("http:ctx", now())
    assert entry.lease_until - entry.claimed_at <= 13.0 + LEASE_MARGIN
    # a function whose whole timeout cannot hold LIVE_TIMEOUT: the deployment is to blame, named
    short = LambdaContext(remaining_ms=11_000)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "ctx-2"})
    status, body = parse(realtime.lambda_handler(event, short))
    assert status == 500 and body["error"]["field"] == "LIVE_TIMEOUT"
    assert len(fresh_emulator.tasks()) == 1


def test_origin_keys_do_not_collide_across_origins(make_service: Callable[..., Recordings]) -> None:
    svc = make_service()
    data = RealtimeRecordingInput(stream="s")
    a = svc.create(data, Mode.REALTIME, "same-key")
    b = svc.create(data, Mode.REALTIME, "same-key", origin=Origin("hook"))
    assert a.body["task_id"] != b.body["task_id"] and not b.replayed
