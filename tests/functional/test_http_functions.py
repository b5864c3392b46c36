"""Every route x every generation through the real handlers; auth fails closed; errors are clean."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.emulator import Emulator
from devtools.gateway import ROOT, Routes
from devtools.kit import LambdaContext, parse
from functions.realtime import handler as realtime
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from shared.webhooks.signature import sign_header
from tests.functional.conftest import http_event

HOOK_SECRET = "hook-secret-0123456789-current"
APIS = ["record-task", "live-record", "v2", "fcgi"]
Configure = Callable[..., None]


def call(module: Any, event: dict[str, Any], ctx: LambdaContext) -> tuple[int, Any]:
    return parse(module.lambda_handler(event, ctx))


def scheduled_body(stream: str = "livetest", offset: int = 600, length: int = 1800) -> dict[str, Any]:
    now = int(time.time())
    return {"stream": stream, "start": now + offset, "end": now + offset + length}


@pytest.mark.parametrize("api", APIS)
def test_create_scheduled_for_every_generation(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(api)
    body = scheduled_body()
    status, data = call(scheduled, http_event("POST", "/recordings/scheduled", body), lambda_context)
    assert status == 201, data
    assert data["api"] == api and data["mode"] == "scheduled" and data["stream"] == "livetest"
    assert data["warnings"] == [] and data["start"].endswith("Z")
    [task] = fresh_emulator.tasks()
    assert task.task_id == data["task_id"] and int(task.start) == body["start"]


@pytest.mark.parametrize("api", APIS)
def test_create_realtime_reports_the_effective_window(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(api)
    status, data = call(
        realtime,
        http_event("POST", "/recordings/realtime", {"stream": "livetest", "duration": 3600}),
        lambda_context,
    )
    assert status == 201, data
    assert data["mode"] == "realtime"
    if api == "record-task":
        assert data["warnings"] == []
    else:
        assert any("30 min" in w for w in data["warnings"])
    assert len(fresh_emulator.tasks()) == 1


@pytest.mark.parametrize("api", APIS)
def test_stop_and_delete_for_every_generation(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(api)
    _, data = call(scheduled, http_event("POST", "/recordings/scheduled", scheduled_body()), lambda_context)
    task_id = data["task_id"]
    status, _ = call(
        tasks, http_event("POST", f"/recordings/{task_id}/stop", query={"stream": "livetest"}), lambda_context
    )
    assert status == 204
    assert fresh_emulator.tasks()[0].stopped_at is not None
    status, body = call(
        tasks, http_event("DELETE", f"/recordings/{task_id}", query={"stream": "livetest"}), lambda_context
    )
    if api == "fcgi":
        assert status == 400 and body["error"]["code"] == "UnsupportedOperation"
    else:
        assert status == 204 and fresh_emulator.tasks()[0].deleted


@pytest.mark.parametrize(
    ("api", "source"),
    [("record-task", "tencent"), ("live-record", "ledger"), ("v2", "tencent"), ("fcgi", "ledger")],
)
def test_list_in_every_generation_says_its_source(
    api: str, source: str, configure: Configure, lambda_context: LambdaContext
) -> None:
    configure(api)
    ids = {
        call(scheduled, http_event("POST", "/recordings/scheduled", scheduled_body()), lambda_context)[1][
            "task_id"
        ]
        for _ in range(2)
    }
    status, data = call(tasks, http_event("GET", "/recordings", query={"stream": "livetest"}), lambda_context)
    # Tencent's list where the generation has one, else what liverec created (the ledger)
    assert status == 200 and {t["task_id"] for t in data["tasks"]} == ids
    assert data["source"] == source


def test_stop_unknown_task_is_404_with_tencents_code(
    configure: Configure, lambda_context: LambdaContext
) -> None:
    status, data = call(tasks, http_event("POST", "/recordings/nope/stop"), lambda_context)
    # StopRecordTask answers an unknown TaskId with InvalidParameter, its only parameter
    assert status == 404 and data["error"]["code"] == "InvalidParameter"


# --- auth fails closed -----------------------------------------------------------------------------------------


def test_no_token_configured_and_no_authorizer_refuses_everything(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(LIVEREC_API_TOKENS="")
    status, data = call(
        scheduled, http_event("POST", "/recordings/scheduled", scheduled_body()), lambda_context
    )
    assert status == 401 and data["error"]["code"] == "Unauthorized"
    assert fresh_emulator.requests() == []


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", ""])
def test_missing_or_wrong_bearer_is_401(
    token: str | None, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    status, _ = call(
        realtime, http_event("POST", "/recordings/realtime", {"stream": "s"}, token=token), lambda_context
    )
    assert status == 401 and fresh_emulator.tasks() == []


def test_an_api_gateway_authorizer_verdict_is_enough(
    configure: Configure, lambda_context: LambdaContext
) -> None:
    configure(LIVEREC_API_TOKENS="")
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, token=None)
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "u1"}, "scopes": ["recordings"]}}
    assert call(realtime, event, lambda_context)[0] == 201


# --- bad input never 500 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "code", "field"),
    [
        ("{not json", 400, "InvalidJson", None),
        ("[1, 2]", 400, "InvalidBody", None),
        ('{"start": 1, "end": 2}', 422, "MissingField", "stream"),
        ('{"stream": "s", "start": "2026-01-01T00:00:00", "end": 1}', 422, "InvalidRequest", "start"),
        ('{"stream": "s", "start": 1700000000000, "end": 1}', 422, "InvalidRequest", "start"),
        ('{"stream": "s", "start": 1, "end": 2, "colour": "red"}', 422, "UnknownField", "colour"),
        ('{"stream": "s", "start": 1, "end": 2}', 422, "InvalidRequest", "end"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    raw: str,
    status: int,
    code: str,
    field: str | None,
    configure: Configure,
    lambda_context: LambdaContext,
) -> None:
    got, data = call(scheduled, http_event("POST", "/recordings/scheduled", raw_body=raw), lambda_context)
    assert (got, data["error"]["code"], data["error"]["field"]) == (status, code, field)
    assert data["error"]["message"]


# every route that reads a JSON object body (openapi.json's requestBody), with a path that names something
BODY_ROUTES = sorted(
    (method.upper(), path.replace("{name}", "news"))
    for path, operations in json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))["paths"].items()
    for method, operation in operations.items()
    if "requestBody" in operation
)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize("raw", ["null", "[]", '"x"', "1", "true", "", None], ids=repr)
def test_a_body_that_is_no_json_object_is_400_invalid_body_on_every_route_that_reads_one(
    method: str, path: str, raw: str | None, configure: Configure, lambda_context: LambdaContext
) -> None:
    configure("record-task", LIVE_CALLBACK_KEY="test-callback-key", LIVEREC_HOOK_SECRETS=HOOK_SECRET)
    event = http_event(method, path, raw_body=raw)
    if path == "/hooks/highlight":  # signed, so the body is what is refused
        event["headers"]["liverec-signature"] = sign_header(
            [HOOK_SECRET], int(time.time()), (raw or "").encode()
        )
    status, data = parse(Routes.from_serverless().dispatch(event, lambda_context))
    assert (status, data["error"]["code"]) == (400, "InvalidBody"), data
    assert data["error"]["message"].startswith("the body ")


@pytest.mark.parametrize(
    ("module", "event", "field"),
    [
        (tasks, http_event("GET", "/recordings", query={"stream": "s" * 257}), "stream"),
        (tasks, http_event("GET", "/recordings", query={"stream": "s", "next": "n" * 2049}), "next"),
        (tasks, http_event("GET", "/recordings", query={"stream": "s", "app": "a" * 257}), "app"),
        (
            realtime,
            http_event(
                "POST", "/recordings/realtime", {"stream": "s"}, headers={"idempotency-key": "k" * 129}
            ),
            "idempotency-key",
        ),
    ],
)
def test_a_bad_parameter_is_422_naming_the_parameter(
    module: Any, event: dict[str, Any], field: str, configure: Configure, lambda_context: LambdaContext
) -> None:
    configure("record-task")
    got, data = call(module, event, lambda_context)
    assert (got, data["error"]["code"], data["error"]["field"]) == (422, "InvalidRequest", field)
    assert data["error"]["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("api", ["live-record", "v2", "fcgi"])
@pytest.mark.parametrize("task_id", ["²", "①", "12³"])  # digits to str.isdigit(), not to int()
def test_a_task_id_of_unicode_digits_is_422_where_tasks_are_numbered_not_a_500(
    api: str, task_id: str, configure: Configure, lambda_context: LambdaContext
) -> None:
    configure(api)
    calls = [("POST", f"/recordings/{task_id}/stop"), ("DELETE", f"/recordings/{task_id}")]
    for method, path in calls[:1] if api == "fcgi" else calls:  # fcgi has no delete (400 before the id)
        # the path as a function URL (or API Gateway, decoded) passes it
        status, data = call(tasks, http_event(method, path, query={"stream": "livetest"}), lambda_context)
        assert (status, data["error"]["field"]) == (422, "task_id"), data


def test_unknown_paths_and_methods(configure: Configure, lambda_context: LambdaContext) -> None:
    status, data = call(scheduled, http_event("GET", "/recordings/scheduled"), lambda_context)
    assert status == 405 and data["error"]["code"] == "MethodNotAllowed"
    assert call(scheduled, http_event("OPTIONS", "/recordings/scheduled"), lambda_context)[0] == 204
    assert call(tasks, http_event("GET", "/elsewhere"), lambda_context)[0] == 404


def test_tencent_rate_limit_that_persists_is_429(
    configure: Configure,
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    fresh_emulator.faults.rate_limit(count=10)
    status, data = call(realtime, http_event("POST", "/recordings/realtime", {"stream": "s"}), lambda_context)
    assert status == 429 and data["error"]["code"] == "RequestLimitExceeded"


def test_dropped_create_is_504_outcome_unknown(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    fresh_emulator.faults.drop_after_store(count=1)
    status, data = call(realtime, http_event("POST", "/recordings/realtime", {"stream": "s"}), lambda_context)
    assert status == 504 and data["error"]["code"] == "OutcomeUnknown"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(["stream", "start", "end", "duration", "format", "x"]), c, max_size=4
            )
        ),
        max_leaves=8,
    )
)
def test_fuzzed_bodies_never_500(body: Any, configure: Configure, lambda_context: LambdaContext) -> None:
    for module, path in ((scheduled, "/recordings/scheduled"), (realtime, "/recordings/realtime")):
        status, data = call(module, http_event("POST", path, body), lambda_context)
        assert status < 500, data


# --- idempotency --------------------------------------------------------------------------------------------------


def test_same_key_same_body_returns_the_first_result(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    body = scheduled_body()
    first = scheduled.lambda_handler(
        http_event("POST", "/recordings/scheduled", body, headers={"Idempotency-Key": "k-1"}), lambda_context
    )
    again = scheduled.lambda_handler(
        http_event("POST", "/recordings/scheduled", body, headers={"Idempotency-Key": "k-1"}), lambda_context
    )
    assert parse(first) == parse(again)
    assert again["headers"].get("Idempotent-Replayed") == "true"
    assert len(fresh_emulator.tasks()) == 1


def test_same_key_different_body_is_409(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    call(
        scheduled,
        http_event("POST", "/recordings/scheduled", scheduled_body(), headers={"Idempotency-Key": "k-2"}),
        lambda_context,
    )
    status, data = call(
        scheduled,
        http_event(
            "POST",
            "/recordings/scheduled",
            scheduled_body(stream="other"),
            headers={"Idempotency-Key": "k-2"},
        ),
        lambda_context,
    )
    assert status == 409 and data["error"]["code"] == "IdempotencyConflict"
    assert len(fresh_emulator.tasks()) == 1


@pytest.mark.parametrize("api", APIS)
def test_concurrent_duplicates_create_exactly_one_task(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(api)
    fresh_emulator.faults.latency(0.2, count=1)  # the first create is slow; the others arrive meanwhile
    event = http_event(
        "POST",
        "/recordings/realtime",
        {"stream": "s", "duration": 60},
        headers={"Idempotency-Key": f"storm-{api}"},
    )
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: call(realtime, event, lambda_context), range(16)))
    assert {status for status, _ in results} == {201}
    assert len({data["task_id"] for _, data in results}) == 1
    assert len(fresh_emulator.tasks()) == 1


def test_outcome_unknown_is_reconciled_not_recreated(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    body = scheduled_body()
    headers = {"Idempotency-Key": "k-unknown"}
    fresh_emulator.faults.drop_after_store(count=1)
    assert (
        call(scheduled, http_event("POST", "/recordings/scheduled", body, headers=headers), lambda_context)[0]
        == 504
    )
    # the retry finds the task the unanswered create made (DescribeRecordTask) instead of creating another
    status, data = call(
        scheduled, http_event("POST", "/recordings/scheduled", body, headers=headers), lambda_context
    )
    assert status == 201 and data["task_id"] == fresh_emulator.tasks()[0].task_id
    assert len(fresh_emulator.tasks()) == 1 and any("reconciled" in w for w in data["warnings"])


def test_outcome_unknown_without_a_task_creates_on_retry(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    body = scheduled_body()
    headers = {"Idempotency-Key": "k-unknown-2"}
    fresh_emulator.faults.http_error(status=502, count=1)  # nothing stored at Tencent
    assert (
        call(scheduled, http_event("POST", "/recordings/scheduled", body, headers=headers), lambda_context)[0]
        == 504
    )
    status, _ = call(
        scheduled, http_event("POST", "/recordings/scheduled", body, headers=headers), lambda_context
    )
    assert status == 201 and len(fresh_emulator.tasks()) == 1


@pytest.mark.parametrize("api", APIS)
def test_every_answer_is_the_documented_model(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    from shared.edge.responses import CreatedRecording, ErrorBody, RecordingDetail, TaskList

    configure(api)
    status, created = call(
        realtime, http_event("POST", "/recordings/realtime", {"stream": "s"}), lambda_context
    )
    assert status == 201 and CreatedRecording.model_validate(created).task_id == created["task_id"]
    status, refused = call(
        realtime, http_event("POST", "/recordings/realtime", {"stream": ""}), lambda_context
    )
    assert status == 422 and ErrorBody.model_validate(refused).error.field == "stream"
    status, listed = call(tasks, http_event("GET", "/recordings", query={"stream": "s"}), lambda_context)
    assert status == 200 and TaskList.model_validate(listed).tasks
    status, shown = call(tasks, http_event("GET", f"/recordings/{created['task_id']}"), lambda_context)
    assert status == 200 and RecordingDetail.model_validate(shown).task_id == created["task_id"]
    status, missing = call(tasks, http_event("GET", "/recordings/0"), lambda_context)
    assert status == 404 and ErrorBody.model_validate(missing).error.code == "RecordingNotFound"
