"""Exactly once through a crash (an HTTP create, a stream-begin rule, an armed highlight): a container is
killed (SIGKILL, as a Lambda timeout or OOM ends it) after its create reached Tencent, and the same request
comes again once its lease has run out by any clock (61 s and the clock-skew allowance,
``shared.storage.ledger.CLOCK_SKEW``) and an hour later, each time in a fresh process, with the ledger on
DynamoDB (moto's server).

Where the generation can look tasks up, the retry adopts the task the dead container made; where it cannot,
it refuses to make another (409 OutcomeUnknown for HTTP; acknowledged and reported for a callback). Either
way the emulator holds exactly one task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.emulator import Emulator
from shared.recordings.creating import LEASE_MARGIN
from shared.storage.ledger import CLOCK_SKEW
from tests.functional.conftest import TABLE, http_event
from tests.functional.test_webhooks import CALLBACK_KEY, RULES, begin, signed

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC).timestamp()
CREATE = {
    "record-task": "CreateRecordTask",
    "live-record": "CreateLiveRecord",
    "v2": "CreateRecord",
    "fcgi": "Live_Tape_Start",
}
LISTS = {"record-task", "v2"}


def container(function: str, at: float, event: dict[str, Any]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.functional.container", function, str(at)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ | {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"},
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(event))
    process.stdin.close()
    return process


def answer(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    out = process.stdout.read()
    assert process.wait(timeout=60) == 0, out
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def killed_after_create(emulator: Emulator, api: str, function: str, event: dict[str, Any]) -> None:
    """The first container: its create reaches the emulator (stored; the answer held back), then it dies."""
    emulator.faults.latency(3.0, count=1, action=CREATE[api])
    first = container(function, T0, event)
    deadline = time.monotonic() + 30
    while not emulator.tasks() and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()
    first.wait()
    assert len(emulator.tasks()) == 1, "the create never reached the emulator"


@pytest.fixture
def crash_env(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator
) -> Callable[[str], None]:
    def apply(api: str) -> None:
        configure(
            api,
            LIVEREC_IDEMPOTENCY_TABLE=TABLE,
            LIVE_CALLBACK_KEY=CALLBACK_KEY,
            LIVEREC_CALLBACK_RULES=json.dumps(RULES),
        )
        fresh_emulator.clock.freeze(T0)

    return apply


@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
def test_a_create_killed_after_it_reached_tencent_is_never_made_twice(
    api: str, crash_env: Callable[[str], None], fresh_emulator: Emulator
) -> None:
    crash_env(api)
    event = http_event(
        "POST",
        "/recordings/realtime",
        {"stream": "crash", "duration": 600},
        headers={"Idempotency-Key": f"crash-{api}"},
    )
    killed_after_create(fresh_emulator, api, "realtime", event)
    (task,) = fresh_emulator.tasks()
    for later in (61 + CLOCK_SKEW, 3600):
        fresh_emulator.clock.freeze(T0 + later)
        result = answer(container("realtime", T0 + later, event))
        body = json.loads(result["body"])
        if api in LISTS:  # looked up and adopted: the dead container's task is the answer
            assert result["statusCode"] == 201 and body["task_id"] == task.task_id, body
        else:  # cannot be looked up: refused, with what to do about it
            assert result["statusCode"] == 409 and body["error"]["code"] == "OutcomeUnknown", body
            assert "new Idempotency-Key" in body["error"]["message"]
        assert len(fresh_emulator.tasks()) == 1


@pytest.mark.parametrize("api", ["record-task", "fcgi"])
def test_a_stream_begin_whose_handler_died_records_once_on_redelivery(
    api: str, crash_env: Callable[[str], None], fresh_emulator: Emulator
) -> None:
    crash_env(api)
    fields = begin("match-crash", event_time=int(T0) - 5)

    def delivery(at: float) -> dict[str, Any]:  # Tencent signs each delivery afresh
        body = json.dumps(signed(fields, t=int(at) + 600))
        return http_event("POST", "/callbacks/tencent", raw_body=body, token=None)

    killed_after_create(fresh_emulator, api, "webhooks", delivery(T0))
    # the dead handler's claim: its invocation's 29 s and the 30 s margin, waited for CLOCK_SKEW more since
    # it was sending; until then a redelivery is answered as still in progress (not 200: Tencent redelivers)
    held_until = T0 + 29 + LEASE_MARGIN + CLOCK_SKEW
    for later in (60, 120, 180):  # Tencent redelivers a minute apart, 12 times
        fresh_emulator.clock.freeze(T0 + later)
        result = answer(container("webhooks", T0 + later, delivery(T0 + later)))
        if T0 + later < held_until:
            assert result["statusCode"] == 409, result
        else:
            assert result["statusCode"] == 200 and json.loads(result["body"]) == {"code": 0}
        assert len(fresh_emulator.tasks()) == 1


@pytest.mark.parametrize("api", ["record-task", "fcgi"])
def test_an_armed_highlight_whose_starting_handler_died_starts_once(
    api: str, crash_env: Callable[[str], None], fresh_emulator: Emulator
) -> None:
    """A highlight armed with ``wait`` (its own container), then its stream begins: the handler starting it
    is killed after its create reached Tencent; Tencent's redeliveries, each in a fresh container, make no
    second task, and the armed request shows the task (record-task looks it up) or ``unknown`` (fcgi cannot:
    never created again)."""
    crash_env(api)
    arm = http_event("POST", "/recordings/realtime", {"stream": "armed-crash", "duration": 120, "wait": 600})
    armed = answer(container("realtime", T0, arm))
    assert armed["statusCode"] == 202, armed
    wait_id = json.loads(armed["body"])["wait_id"]
    fields = fresh_emulator.callbacks.push_begin("5000.live.push.com", "live", "armed-crash")

    def delivery(at: float) -> dict[str, Any]:
        body = json.dumps(signed(fields, t=int(at) + 600))
        return http_event("POST", "/callbacks/tencent", raw_body=body, token=None)

    killed_after_create(fresh_emulator, api, "webhooks", delivery(T0))
    (task,) = fresh_emulator.tasks()
    held_until = T0 + 29 + LEASE_MARGIN + CLOCK_SKEW
    for later in (60, 120, 180):
        fresh_emulator.clock.freeze(T0 + later)
        result = answer(container("webhooks", T0 + later, delivery(T0 + later)))
        assert result["statusCode"] == (409 if T0 + later < held_until else 200), result
        assert len(fresh_emulator.tasks()) == 1
    shown = answer(container("realtime", T0 + 180, http_event("GET", f"/recordings/realtime/{wait_id}")))
    state = json.loads(shown["body"])
    if api in LISTS:
        assert (state["state"], state["task_id"]) == ("started", task.task_id), state
    else:
        assert state["state"] == "unknown" and state["task_id"] is None, state
