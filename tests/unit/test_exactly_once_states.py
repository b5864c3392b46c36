"""The exactly-once state machine, path by path, on the fake Tencent (devtools.kit.tencent) and the
in-process ledger: no network, a clock that moves only when told. And the callback rules on the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devtools.kit.tencent import FakeAdapter
from shared.recordings.creating import LEASE_MARGIN, MAX_RUN
from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput
from shared.storage.ledger import CLOCK_SKEW, Claim, Origin, Recording, ledger_key
from shared.storage.memory import MemoryLedger, MemoryState
from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyStoreUnavailable,
    NotEnoughTime,
    OutcomeUnknown,
    OutcomeUnresolved,
    TencentInputError,
    TencentUnavailable,
)
from shared.support.timeutil import Deadline
from shared.tencent.types import Mode
from shared.webhooks.callbacks import CallbackRule, CallbackService
from shared.webhooks.outbox import Forwarder
from tests.utils import Recordings

T0 = 1_796_000_000.0
HIGHLIGHT = RealtimeRecordingInput(stream="s", duration=600)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def build(make_settings: Callable[..., Settings], clock: Clock) -> Callable[..., Recordings]:
    def service(api: LiveApi = LiveApi.RECORD_TASK, *outcomes: Any, **extra: str) -> Recordings:
        settings = make_settings(api, **extra)
        return Recordings(settings, FakeAdapter(api, outcomes), MemoryLedger(), clock)

    return service


def fake(svc: Recordings) -> FakeAdapter:
    assert isinstance(svc.adapter, FakeAdapter)
    return svc.adapter


def test_created_once_then_replayed_and_another_body_conflicts(
    build: Callable[..., Recordings],
) -> None:
    svc = build()
    first = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    again = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert again.replayed and again.body == first.body and fake(svc).creates == 1
    with pytest.raises(IdempotencyConflict):
        svc.create(RealtimeRecordingInput(stream="other"), Mode.REALTIME, "k")


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.V2])
def test_an_unanswered_create_that_was_stored_is_adopted_where_tencent_lists(
    api: LiveApi, build: Callable[..., Recordings]
) -> None:
    svc = build(api, "stored_no_answer")
    with pytest.raises(OutcomeUnknown):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    adopted = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert adopted.replayed and adopted.body["task_id"] == "task-1" and fake(svc).creates == 1
    assert any("reconciled" in w for w in adopted.body["warnings"])
    # settled as created: the next retry is a plain replay, with no look-up
    assert svc.create(HIGHLIGHT, Mode.REALTIME, "k").body == adopted.body and fake(svc).lookups == 1


def test_an_unanswered_create_that_was_lost_is_made_again_once(
    build: Callable[..., Recordings],
) -> None:
    svc = build(LiveApi.RECORD_TASK, "lost_no_answer")
    with pytest.raises(OutcomeUnknown):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    made = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert not made.replayed and list(fake(svc).tasks) == ["task-1"] and fake(svc).lookups == 1


@pytest.mark.parametrize("api", [LiveApi.LIVE_RECORD, LiveApi.FCGI])
def test_where_tencent_cannot_list_an_unknown_outcome_is_never_made_again(
    api: LiveApi, build: Callable[..., Recordings]
) -> None:
    svc = build(api, "lost_no_answer")
    with pytest.raises(OutcomeUnknown):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    for _ in range(3):
        with pytest.raises(OutcomeUnresolved) as info:
            svc.create(HIGHLIGHT, Mode.REALTIME, "k")
        assert info.value.status == 409 and "new Idempotency-Key" in info.value.message
    assert fake(svc).creates == 1


def test_recreate_policy_makes_it_again(build: Callable[..., Recordings]) -> None:
    svc = build(LiveApi.FCGI, "stored_no_answer", LIVEREC_UNKNOWN_OUTCOME="recreate")
    with pytest.raises(OutcomeUnknown):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert not svc.create(HIGHLIGHT, Mode.REALTIME, "k").replayed
    assert len(fake(svc).tasks) == 2  # the possible duplicate this setting chooses over a missed recording


@pytest.mark.parametrize(
    "refusal",
    [
        TencentUnavailable("not reached"),
        TencentInputError("InvalidParameter", "no", api="record-task", action="CreateRecordTask"),
    ],
)
def test_a_create_that_certainly_did_not_happen_frees_the_key(
    refusal: Exception, build: Callable[..., Recordings]
) -> None:
    svc = build(LiveApi.RECORD_TASK, refusal)
    with pytest.raises(type(refusal)):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert not svc.create(HIGHLIGHT, Mode.REALTIME, "k").replayed and fake(svc).creates == 1


def test_not_enough_time_sends_nothing_and_frees_the_key(build: Callable[..., Recordings]) -> None:
    svc = build()
    short = Deadline(at=5.0, total=29.0, monotonic=lambda: 0.0)
    with pytest.raises(NotEnoughTime):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k", deadline=short)
    assert fake(svc).creates == 0 and not svc.create(HIGHLIGHT, Mode.REALTIME, "k").replayed


def _dead_holder(svc: Recordings, clock: Clock, key: str = "k", *, sent: bool = True) -> None:
    """A claim whose container died mid-create: its plan recorded, its lease about to run out; ``sent``: it
    died after noting that it was sending (else before: nothing left for Tencent)."""
    plan = svc.plan(HIGHLIGHT, Mode.REALTIME)
    recording = Recording(
        svc.settings.api.value, "realtime", "s", plan.domain, plan.app, int(T0), int(plan.end.timestamp())
    )
    from shared.storage.ledger import fingerprint

    fp = fingerprint({"mode": "realtime", "body": HIGHLIGHT.model_dump(mode="json", exclude_unset=True)})
    claim = Claim(ledger_key("http", key), fp, Origin("http"), clock.now, clock.now + 59, recording)
    svc.ledger.claim(claim)
    if sent:
        assert svc.ledger.sending(claim.key, claim.owner, clock.now)


def test_a_live_holder_is_waited_for_never_reconciled_under(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build()
    _dead_holder(svc, clock)
    clock.now += 30  # its lease still runs: it may still be creating
    with pytest.raises(IdempotencyInProgress):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k", wait=False)
    assert fake(svc).creates == 0 and fake(svc).lookups == 0


def test_a_dead_holders_task_is_adopted_once_its_lease_runs_out(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build()
    _dead_holder(svc, clock)
    fake(svc).create(svc.plan(HIGHLIGHT, Mode.REALTIME))  # its create reached Tencent before it died
    clock.now += 61 + CLOCK_SKEW
    outcome = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert outcome.replayed and outcome.body["task_id"] == "task-1" and fake(svc).creates == 1


def test_a_dead_holder_in_a_generation_that_cannot_list_is_unresolved(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build(LiveApi.FCGI)
    _dead_holder(svc, clock)
    clock.now += 61 + CLOCK_SKEW
    with pytest.raises(OutcomeUnresolved):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert fake(svc).creates == 0


@pytest.mark.parametrize("api", [LiveApi.FCGI, LiveApi.LIVE_RECORD, LiveApi.RECORD_TASK])
def test_a_holder_that_died_before_sending_left_nothing_in_doubt(
    api: LiveApi, build: Callable[..., Recordings], clock: Clock
) -> None:
    # Given a claim whose container died between writing it and sending the create (never marked sending)
    svc = build(api)
    _dead_holder(svc, clock, sent=False)
    clock.now += 61
    # Then the retry creates it, without a look-up and without doubt, even where nothing can be looked up
    outcome = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert not outcome.replayed and fake(svc).creates == 1 and fake(svc).lookups == 0


def test_a_reader_whose_clock_runs_ahead_never_creates_under_a_sending_holder(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    # Given a holder that has sent its create (still in flight: nothing at Tencent yet), and a reader in
    # another container whose clock runs 50 s ahead, past the holder's lease by that clock
    svc = build()
    _dead_holder(svc, clock)
    clock.now += 59 + 50
    # Then the reader waits for it instead of reconciling, finding nothing, and creating a second task
    with pytest.raises(IdempotencyInProgress):
        svc.create(HIGHLIGHT, Mode.REALTIME, "k", wait=False)
    assert fake(svc).creates == 0 and fake(svc).lookups == 0


def test_a_create_is_noted_as_sending_before_it_leaves(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build(LiveApi.FCGI)
    seen: list[bool] = []
    original = fake(svc).create

    def create(plan: Any, deadline: Any) -> Any:
        entry = svc.ledger.get(ledger_key("http", "k"), clock.now)
        seen.append(entry is not None and entry.state == "in_progress" and entry.sent)
        return original(plan, deadline)

    fake(svc).create = create  # type: ignore[method-assign]
    svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert seen == [True]


def test_the_lease_is_the_time_left_and_a_margin(build: Callable[..., Recordings], clock: Clock) -> None:
    svc = build()
    svc.create(HIGHLIGHT, Mode.REALTIME, "k", deadline=Deadline(at=20.0, total=29.0, monotonic=lambda: 0.0))
    entry = svc.ledger.get(ledger_key("http", "k"), clock.now)
    assert entry is not None and entry.lease_until - entry.claimed_at == 20.0 + LEASE_MARGIN


def test_a_ledger_that_fails_after_the_create_still_answers_with_the_task(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build()
    ledger = svc.ledger
    assert isinstance(ledger, MemoryLedger)
    original = ledger.settle

    def failing(*args: Any) -> bool:
        raise IdempotencyStoreUnavailable("the table is gone")

    ledger.settle = failing  # type: ignore[method-assign]
    first = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert first.body["task_id"] == "task-1"
    ledger.settle = original  # type: ignore[method-assign]
    # no deadline known: the longest a function runs, the margin, and the clocks' possible disagreement
    clock.now += MAX_RUN + LEASE_MARGIN + CLOCK_SKEW + 1
    again = svc.create(HIGHLIGHT, Mode.REALTIME, "k")
    assert again.body["task_id"] == "task-1" and fake(svc).creates == 1


def test_stop_and_delete_are_recorded(build: Callable[..., Recordings], clock: Clock) -> None:
    svc = build()
    task = svc.create(
        ScheduledRecordingInput(stream="s", start=int(T0) + 600, duration=600), Mode.SCHEDULED, "k"
    )
    svc.stop(task.body["task_id"], "s")
    entry = svc.ledger.by_task("record-task", task.body["task_id"], clock.now)
    assert entry is not None and entry.state == "stopped"
    svc.delete(task.body["task_id"], "s")
    assert svc.ledger.by_task("record-task", task.body["task_id"], clock.now).state == "deleted"  # type: ignore[union-attr]


# --- the callback rules ---------------------------------------------------------------------------------


RULES = (
    CallbackRule(name="stop-at-end", stream="match-*", duration=600, stop_on_end=True),
    CallbackRule(name="keep", stream="keep-*", duration=900),
)


def callbacks(svc: Recordings, clock: Clock) -> CallbackService:
    state = MemoryState()
    return CallbackService(
        svc.creator,
        svc.stopper,
        svc.lookup,
        state=state,
        forwarder=Forwarder(urls=(), secret=None, state=state),
        rules=RULES,
        clock=clock,
    )


def begin(stream: str, event_type: int = 1, at: float = T0) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "app": "d.push.com",
        "appname": "live",
        "stream_id": stream,
        "event_time": int(at),
        "sequence": "7",
    }


def test_a_stream_begin_records_once_however_often_it_is_delivered(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build()
    cb = callbacks(svc, clock)
    answers = [cb.handle(begin("match-1"))["action"] for _ in range(13)]
    assert answers == ["recording"] * 13 and fake(svc).creates == 1
    assert cb.handle(begin("other"))["action"] == "no_rule"


def test_a_refusal_a_redelivery_cannot_fix_is_acknowledged_a_transient_one_is_not(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    refused = TencentInputError(
        "InvalidParameter", "bad stream", api="record-task", action="CreateRecordTask"
    )
    svc = build(LiveApi.RECORD_TASK, refused, TencentUnavailable("down"))
    cb = callbacks(svc, clock)
    assert cb.handle(begin("match-1"))["action"] == "refused"  # 200: Tencent stops redelivering
    with pytest.raises(TencentUnavailable):  # not 200: Tencent redelivers, and the key keeps it to one
        cb.handle(begin("match-2"))
    assert cb.handle(begin("match-2"))["action"] == "recording" and fake(svc).creates == 1


def test_a_redelivery_after_a_dead_handler_is_unresolved_where_tencent_cannot_list(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build(LiveApi.FCGI, "lost_no_answer")
    cb = callbacks(svc, clock)
    with pytest.raises(OutcomeUnknown):
        cb.handle(begin("match-1"))
    assert cb.handle(begin("match-1"))["action"] == "unresolved" and fake(svc).creates == 1


def test_stream_end_stops_only_what_a_stop_on_end_rule_started(
    build: Callable[..., Recordings], clock: Clock
) -> None:
    svc = build()
    cb = callbacks(svc, clock)
    cb.handle(begin("match-1"))
    cb.handle(begin("keep-1"))
    clock.now += 60
    assert cb.handle(begin("match-1", event_type=0, at=clock.now))["action"] == "stopped"
    assert cb.handle(begin("keep-1", event_type=0, at=clock.now))["action"] == "kept"
    stopped = {t.stream: t.stopped_at is not None for t in fake(svc).tasks.values()}
    assert stopped == {"match-1": True, "keep-1": False}
