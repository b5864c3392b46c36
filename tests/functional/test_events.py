"""Each ``events/`` sample through its handler gives the documented result (the files
``serverless invoke local -p`` uses, rendered by the same loader)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.events import EVENTS, LOCAL_CALLBACK_KEY, LOCAL_CALLBACK_RULES, LOCAL_HOOK_SECRET, load_event
from devtools.kit import LambdaContext, Subscriber
from functions.realtime import handler as realtime
from functions.rollout import handler as rollout
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from functions.webhooks import handler as webhooks
from shared.tencent.generations import RECORD_TASK
from tests import utils
from tests.utils import windows

HANDLERS: dict[str, Any] = {
    "scheduled": scheduled,
    "rollout": rollout,
    "realtime": realtime,
    "tasks": tasks,
    "webhooks": webhooks,
}


def invoke(name: str, ctx: LambdaContext, **kw: Any) -> tuple[int, Any]:
    handler = HANDLERS[name.split("_", 1)[0]]
    response = handler.lambda_handler(load_event(name, **kw), ctx)
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def iso_unix(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_every_event_file_is_named_for_a_function() -> None:
    names = [p.stem for p in EVENTS.glob("*.json")]
    assert names and all(n.split("_", 1)[0] in HANDLERS for n in names)


@pytest.mark.dates
@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
def test_http_samples(
    api: str, configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(api)
    now = time.time()  # render the sample's {{now+N}} once: a retry sends the very same body
    status, created = invoke("scheduled_create", lambda_context, now=now)
    assert status == 201 and created["mode"] == "scheduled"
    assert invoke("scheduled_create", lambda_context, now=now)[1] == created  # it carries an Idempotency-Key

    status, error = invoke("scheduled_bad_body", lambda_context)
    assert status == 422 and error["error"]["field"] == "start"
    assert invoke("scheduled_unauthorized", lambda_context)[0] == 401

    status, rt = invoke("realtime_create", lambda_context)
    assert status == 201 and rt["mode"] == "realtime"
    status, capped = invoke("realtime_capped", lambda_context)
    assert status == 201 and bool(capped["warnings"]) == (api != "record-task")

    status, listing = invoke("tasks_list", lambda_context)
    assert status == 200 and created["task_id"] in {t["task_id"] for t in listing["tasks"]}
    assert listing["source"] == ("tencent" if api in ("record-task", "v2") else "ledger")
    status, shown = invoke("tasks_get", lambda_context, task_id=created["task_id"])
    assert status == 200 and shown["task_id"] == created["task_id"] and shown["state"] == "scheduled"
    status, missing = invoke("tasks_get_unknown", lambda_context)
    assert status == 404 and missing["error"]["code"] == "RecordingNotFound"
    assert invoke("tasks_stop", lambda_context, task_id=created["task_id"])[0] == 204
    assert invoke("tasks_delete", lambda_context, task_id=created["task_id"])[0] == (
        400 if api == "fcgi" else 204
    )
    assert len(fresh_emulator.tasks()) == 3

    # programs as data: stored, listed, shown, booked by a bare tick, deleted with what has not started. What
    # the sample's weekday program books depends on the day: derived from the instant, before and after
    sample = json.loads(load_event("scheduled_program_put")["body"])
    horizon = RECORD_TASK.start_horizon if api == "record-task" else timedelta(days=1)

    def due() -> set[tuple[int, int]]:
        return windows(sample["cron"], sample["timezone"], sample["duration"], [utils.now()], horizon)

    before = due()
    status, program = invoke("scheduled_program_put", lambda_context)
    assert status == 201 and program["name"] == "evening-news"
    status, error = invoke("scheduled_program_bad_cron", lambda_context)
    assert status == 422 and error["error"]["field"] == "cron"
    status, listing = invoke("scheduled_programs_list", lambda_context)
    assert status == 200 and [p["name"] for p in listing["programs"]] == ["evening-news"]
    tick = rollout.lambda_handler(load_event("rollout_timer_bare"), lambda_context)
    after = due()
    made = {(iso_unix(r["start"]), iso_unix(r["end"])) for r in tick["created"]}
    # an occurrence already on air at the tick is booked from the tick's second (shortened): its window
    booked = {
        next(((s, e) for s, e in before | after if e == end and s <= start), (start, end))
        for start, end in made
    }
    assert tick["failed"] == [] and before & after <= booked <= before | after
    assert len(before & after) <= program["next_tick_books"] <= len(before | after)
    status, shown = invoke("scheduled_program_get", lambda_context)
    assert status == 200 and shown["next_tick_books"] == 0
    first = time.time()
    status, deleted = invoke("scheduled_program_delete", lambda_context)
    last = time.time()
    cancelled = {(iso_unix(r["start"]), iso_unix(r["end"])) for r in deleted["cancelled"]}
    # what had not started is cancelled; one on air is left to record
    assert {b for b in made if b[0] > last} <= cancelled <= {b for b in made if b[0] > int(first)}
    assert status == 200 and deleted["not_cancelled"] == []


def test_webhook_samples(
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    subscriber: Subscriber,
    lambda_context: LambdaContext,
) -> None:
    # Given the webhooks function configured as `make run` and `make invoke-local` configure it (the
    # samples are signed with the same local keys)
    configure(
        LIVE_CALLBACK_KEY=LOCAL_CALLBACK_KEY,
        LIVEREC_HOOK_SECRETS=LOCAL_HOOK_SECRET,
        LIVEREC_CALLBACK_RULES=LOCAL_CALLBACK_RULES,
        LIVEREC_WEBHOOK_URLS=subscriber.url,
        LIVEREC_WEBHOOK_SECRET="forward-secret-0123456789",
    )
    ack = (200, {"code": 0})
    # When the stream-begin sample arrives (twice: one event, one task)
    now = time.time()
    assert invoke("webhooks_callback_stream_begin", lambda_context, now=now) == ack
    assert invoke("webhooks_callback_stream_begin", lambda_context, now=now) == ack
    (task,) = fresh_emulator.tasks()
    assert task.stream == "livetest" and task.running
    # and the record events: forwarded to the subscriber, signed
    assert invoke("webhooks_callback_record_status", lambda_context) == ack
    assert invoke("webhooks_callback_record_file", lambda_context, task_id=task.task_id) == ack
    assert subscriber.received == []  # queued: the drain the callbacks ask for sends them
    drained = webhooks.lambda_handler(load_event("webhooks_outbox_drain"), lambda_context)
    assert drained == {"delivered": 2, "retrying": 0, "dead": 0, "skipped": 0}
    # in no promised order (README): both queued in the same instant of the test's clock
    assert sorted(p["type"] for p in subscriber.payloads()) == ["record.file_ready", "record.status"]
    # and the file is kept with its recording: GET /recordings/{task_id} shows it
    status, shown = invoke("tasks_get", lambda_context, task_id=task.task_id)
    file_url = json.loads(load_event("webhooks_callback_record_file")["body"])["video_url"]
    assert status == 200 and [f["url"] for f in shown["files"]] == [file_url]
    assert shown["origin"] == {"kind": "callback", "name": "highlights"}
    assert invoke("webhooks_callback_screenshot", lambda_context) == ack
    # and the stream-end sample stops the rule's recording
    assert invoke("webhooks_callback_stream_end", lambda_context, now=now + 1) == ack
    (task,) = fresh_emulator.tasks()
    assert not task.running
    # Then every refusal has its documented status and code
    refusals = {
        "webhooks_callback_wrong_sign": (401, "InvalidSignature"),
        "webhooks_callback_expired": (401, "SignatureExpired"),
        "webhooks_callback_missing_field": (422, "MissingField"),
        "webhooks_callback_not_json": (400, "InvalidJson"),
        "webhooks_hook_bad_signature": (401, "InvalidSignature"),
    }
    for name, (status, code) in refusals.items():
        got, body = invoke(name, lambda_context)
        assert (got, body["error"]["code"]) == (status, code), name
    status, created = invoke("webhooks_hook_highlight", lambda_context)
    assert status == 201 and created["mode"] == "realtime" and created["stream"] == "livetest"
    assert len(fresh_emulator.tasks()) == 2
    tick = webhooks.lambda_handler(load_event("webhooks_timer_outbox"), lambda_context)
    assert tick == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}  # nothing was left undelivered
