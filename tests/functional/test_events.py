"""Each ``events/`` sample through its handler gives the documented result (the files
``serverless invoke local -p`` uses, rendered by the same loader)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.events import EVENTS, load_event
from functions.realtime import handler as realtime
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from tests.conftest import FakeLambdaContext

HANDLERS: dict[str, Any] = {"scheduled": scheduled, "realtime": realtime, "tasks": tasks}


def invoke(name: str, ctx: FakeLambdaContext, **kw: Any) -> tuple[int, Any]:
    handler = HANDLERS[name.split("_", 1)[0]]
    response = handler.lambda_handler(load_event(name, **kw), ctx)
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def test_every_event_file_is_named_for_a_function() -> None:
    names = [p.stem for p in EVENTS.glob("*.json")]
    assert names and all(n.split("_", 1)[0] in HANDLERS for n in names)


@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
def test_http_samples(
    api: str, configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: FakeLambdaContext
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
    if api in ("record-task", "v2"):
        assert status == 200 and created["task_id"] in {t["task_id"] for t in listing["tasks"]}
    else:
        assert status == 400 and listing["error"]["code"] == "UnsupportedOperation"
    assert invoke("tasks_stop", lambda_context, task_id=created["task_id"])[0] == 204
    assert invoke("tasks_delete", lambda_context, task_id=created["task_id"])[0] == (
        400 if api == "fcgi" else 204
    )
    assert len(fresh_emulator.tasks()) == 3
