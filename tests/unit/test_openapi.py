"""The published contract (openapi.json): generated from the resolvers, committed, complete, ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from devtools import openapi
from devtools.gateway import Routes
from shared.support import errors

DOC: dict[str, Any] = json.loads(openapi.OUT.read_text(encoding="utf-8"))


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in DOC["paths"].items() for m, op in ops.items()]


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert openapi.OUT.read_text(encoding="utf-8") == openapi.text(), (
        "openapi.json is stale: run make openapi"
    )


def test_the_check_mode_fails_on_a_stale_document(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(openapi, "OUT", stale)
    assert openapi.main(["--check"]) == 1
    assert openapi.main([]) == 0 and openapi.main(["--check"]) == 0


def test_every_route_serverless_yml_serves_is_an_operation_and_nothing_else() -> None:
    routes = {(r.method, r.path) for r in Routes.from_serverless().routes}
    assert {(m, p) for m, p, _ in operations()} == routes


def test_every_error_answer_is_our_error_body_never_powertools_shape() -> None:
    text = json.dumps(DOC)
    assert "HTTPValidationError" not in text and "ValidationError" not in DOC["components"]["schemas"]
    for method, path, op in operations():
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    detail = DOC["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "field"}


def statuses(method: str, path: str) -> set[int]:
    return {int(s) for s in DOC["paths"][path][method.lower()]["responses"]}


def test_each_route_declares_what_it_can_answer() -> None:
    create = {201, 400, 401, 409, 413, 415, 422, 429, 502, 503, 504}
    assert statuses("POST", "/recordings/realtime") == create | {202}  # 202: armed to wait for its stream
    assert statuses("GET", "/recordings/realtime/{wait_id}") >= {200, 401, 404, 422, 503}
    assert statuses("POST", "/recordings/scheduled") == create
    assert statuses("POST", "/hooks/highlight") == create
    assert {200, 401, 422, 429, 502, 503} <= statuses("GET", "/recordings")
    assert statuses("GET", "/recordings/{task_id}") >= {200, 401, 404, 503}
    for method, path in (("POST", "/recordings/{task_id}/stop"), ("DELETE", "/recordings/{task_id}")):
        assert {204, 400, 401, 404, 422, 429, 502, 503} <= statuses(method, path)
    assert 200 in statuses("POST", "/callbacks/tencent") and 401 in statuses("POST", "/callbacks/tencent")
    # an error class's status, never a number typed at the route
    detail = DOC["paths"]["/recordings/{task_id}"]["get"]["responses"][str(errors.RecordingNotFound.status)]
    assert "RecordingNotFound" in detail["description"]


def test_typed_success_models_and_no_body_on_204() -> None:
    def success(method: str, path: str, status: int) -> Any:
        return DOC["paths"][path][method.lower()]["responses"][str(status)]

    ref = "#/components/schemas/"
    assert success("POST", "/recordings/realtime", 201)["content"]["application/json"]["schema"] == {
        "$ref": ref + "CreatedRecording"
    }
    assert success("GET", "/recordings", 200)["content"]["application/json"]["schema"] == {
        "$ref": ref + "TaskList"
    }
    assert success("GET", "/recordings/{task_id}", 200)["content"]["application/json"]["schema"] == {
        "$ref": ref + "RecordingDetail"
    }
    assert "content" not in success("POST", "/recordings/{task_id}/stop", 204)
    assert success("POST", "/callbacks/tencent", 200)["content"]["application/json"]["schema"] == {
        "$ref": ref + "CallbackAck"
    }


def test_security_bearer_on_bearer_routes_and_the_hooks_own_scheme() -> None:
    for method, path, op in operations():
        if path.startswith("/recordings"):
            assert op["security"] == [{"bearerAuth": []}], (method, path)
    assert DOC["paths"]["/hooks/highlight"]["post"]["security"] == [{"hookSignature": []}]
    assert "security" not in DOC["paths"]["/callbacks/tencent"]["post"]  # signed in its body: described
    assert "md5" in DOC["paths"]["/callbacks/tencent"]["post"]["requestBody"]["description"]
    schemes = DOC["components"]["securitySchemes"]
    assert (
        schemes["bearerAuth"]["scheme"] == "bearer"
        and schemes["hookSignature"]["name"] == "Liverec-Signature"
    )


def test_request_examples_come_from_the_samples_and_are_signed() -> None:
    body = DOC["paths"]["/recordings/scheduled"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["scheduled_create"]["value"]["stream"] == "livetest"
    callback = DOC["paths"]["/callbacks/tencent"]["post"]["requestBody"]["content"]["application/json"]
    example = callback["examples"]["webhooks_callback_stream_begin"]["value"]
    from devtools.events import LOCAL_CALLBACK_KEY, callback_sign

    assert example["sign"] == callback_sign(LOCAL_CALLBACK_KEY, example["t"])
    names = {n for _, _, op in operations() for n in _examples(op)}
    assert not {n for n in names if "bad" in n or "unauthorized" in n or "wrong" in n}


def _examples(op: dict[str, Any]) -> dict[str, Any]:
    examples: dict[str, Any] = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
    )
    return examples


COLD = textwrap.dedent(
    """
    import json, sys
    import functions.realtime.handler as h
    from devtools.kit import LambdaContext, event_from_request
    event = event_from_request("POST", "/recordings/realtime", {"content-type": "application/json",
        "authorization": "Bearer probe-token-0123456789"}, b'{"stream": 5}')
    answer = h.lambda_handler(event | {"routeKey": "POST /recordings/realtime"}, LambdaContext())
    names = ("aws_lambda_powertools.event_handler.openapi.schema_generator", "devtools.openapi",
             "shared.edge.responses")
    print(json.dumps([answer["statusCode"], [n for n in names if n in sys.modules]]))
    """
)


def test_a_cold_start_builds_no_document() -> None:
    # the declarations are plain dicts read when the document is built: the first invocation neither
    # generates OpenAPI nor builds the response models
    env = {
        **os.environ,
        "LIVEREC_API_TOKENS": "probe-token-0123456789",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [422, []]


def test_the_document_is_the_same_whatever_the_hash_seed() -> None:
    # set and dict orders must not reach the file, or the staleness check would flap
    probe = "from devtools import openapi; import hashlib; print(hashlib.sha256(openapi.text().encode()).hexdigest())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in (1, 2, 4, 6)
    }
    assert len(digests) == 1
