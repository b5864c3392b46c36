"""What `make month` found, each reduced to one test (each failed before its fix): a take-over that dies
before settling, a cancel that deleted what a schedule-input program shares, and a create the ledger could
not record that no later tick reconciled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.rollout import handler as rollout
from functions.scheduled import handler as scheduled
from shared import app
from shared.app import use_clock
from shared.recordings.models import ScheduledRecordingInput
from shared.support.errors import IdempotencyStoreUnavailable
from shared.tencent.types import Mode
from tests.functional.conftest import TABLE, http_event

T0 = 1_804_000_000.0  # 2027-03-01


@pytest.mark.parametrize("api", ["record-task", "v2"])
def test_a_reconcile_that_dies_before_settling_never_creates_again(
    api: str, configure: Callable[..., None], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(api)
    clock = fresh_emulator.clock
    clock.freeze(T0)
    use_clock(clock.now, clock.advance, clock.now)
    data = ScheduledRecordingInput(stream="s", start=T0 + 86400, end=T0 + 90000)
    real = type(app.ledger()).settle
    failing = [1]

    def settle(self: Any, *args: Any, **kwargs: Any) -> bool:
        if failing[0]:
            failing[0] -= 1
            raise IdempotencyStoreUnavailable("the ledger is down (as a container killed here)")
        return bool(real(self, *args, **kwargs))

    monkeypatch.setattr(type(app.ledger()), "settle", settle)
    request = data.request(Mode.SCHEDULED)
    app.creator().create(request, "k")  # created; the ledger could not record it: in doubt
    clock.advance(3600)
    failing[0] = 1  # the reconcile finds the task, reclaims the key, and dies before it settles
    with pytest.raises(IdempotencyStoreUnavailable):
        app.creator().create(request, "k")
    clock.advance(3600)
    app.creator().create(request, "k")  # the take-over stayed in doubt: reconciled again, not created
    assert len(fresh_emulator.tasks()) == 1, [(t.task_id, t.start) for t in fresh_emulator.tasks()]


def test_cancelling_a_stored_program_keeps_what_a_schedule_input_program_shares(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator
) -> None:
    configure("record-task", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    fresh_emulator.clock.freeze(T0)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    window = {"stream": "news", "cron": "0 20 * * *", "timezone": "Asia/Shanghai", "duration": 3600}
    event = http_event("PUT", "/programs/copy", window)
    assert parse(scheduled.lambda_handler(event, LambdaContext()))[0] == 201
    context = LambdaContext(function_name="liverec-rollout", remaining_ms=300_000)
    rollout.lambda_handler({"programs": []}, context)  # the copy books (creates) every evening
    booked = len(fresh_emulator.tasks())
    inputs = {"programs": [window | {"name": "evening"}]}
    rollout.lambda_handler(inputs, context)  # the schedule input's program shares them: two owners
    event = http_event("DELETE", "/programs/copy", query={"cancel": "future"})
    status, body = parse(scheduled.lambda_handler(event, LambdaContext()))
    assert status == 200
    report = rollout.lambda_handler(inputs, context)  # "evening" is still configured: it needs them
    live = [t for t in fresh_emulator.tasks() if not t.deleted]
    assert len(live) == booked, (len(body["cancelled"]), report["created"], report["existing"])


def test_a_create_the_ledger_could_not_settle_is_reconciled_then_cancelled(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure("record-task", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    clock = fresh_emulator.clock
    clock.freeze(T0)
    use_clock(clock.now, clock.advance, clock.now)
    evening = {"stream": "news", "cron": "0 20 * * *", "timezone": "Asia/Shanghai", "duration": 3600}
    assert (
        parse(scheduled.lambda_handler(http_event("PUT", "/programs/p", evening), LambdaContext()))[0] == 201
    )
    ledger = type(app.ledger())
    real, failing = ledger.settle, [1]

    def settle(self: Any, *args: Any, **kwargs: Any) -> bool:
        if failing[0]:
            failing[0] -= 1
            raise IdempotencyStoreUnavailable("the ledger is down")
        return bool(real(self, *args, **kwargs))

    monkeypatch.setattr(ledger, "settle", settle)
    context = LambdaContext(function_name="liverec-rollout", remaining_ms=300_000)
    rollout.lambda_handler({"programs": []}, context)  # the first evening: created, not recorded as such
    monkeypatch.setattr(ledger, "settle", real)
    for _ in range(4):  # later ticks: its entry is in doubt, not done in the summary: reconciled
        clock.advance(3 * 3600)
        rollout.lambda_handler({"programs": []}, context)
    later = evening | {"cron": "0 21 * * *"}
    assert parse(scheduled.lambda_handler(http_event("PUT", "/programs/p", later), LambdaContext()))[0] == 200
    event = http_event("DELETE", "/programs/p", query={"cancel": "future"})
    status, body = parse(scheduled.lambda_handler(event, LambdaContext()))
    assert status == 200, body
    live = [t for t in fresh_emulator.tasks() if not t.deleted and t.start > clock.now()]
    # every booking of the program that has not started is cancelled, or reported as not cancelled
    assert len(live) <= len(body["not_cancelled"]), (len(live), body)
