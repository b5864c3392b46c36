"""openapi.json is as strict as the code: a request the document accepts is not refused as malformed.

For every operation, schemathesis generates requests the document calls valid (its positive mode: every
parameter, header and body within its schema), signed where the route verifies a signature, and the local
gateway's routing sends each to its function, against the emulator. None may be answered 400, 413, 415 or
422, except for one of :data:`RULES`: what a JSON Schema cannot state (the clock, one field against
another's value, the deployment's generation, what is stored, Tencent's own refusals). Any other refusal
is a place where the document accepts what the code refuses: tighten the model (``make openapi``), or the
code where it is the one that is wrong.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from devtools.events import LOCAL_CALLBACK_KEY, LOCAL_HOOK_SECRET, callback_sign, hook_signature
from devtools.gateway import ROOT, Routes
from devtools.kit import LambdaContext, event_from_request, parse
from shared.support import errors
from tests.functional.conftest import TOKEN

DOC = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))


def callbacks_of(event: str) -> Any:
    """The callback operation of a copy of the document whose callbacks are all of one kind of event, as the
    document states it: random event types are mostly none of Tencent's, so each kind gets its own run."""
    doc = json.loads(json.dumps(DOC))
    content = doc["paths"]["/callbacks/tencent"]["post"]["requestBody"]["content"]["application/json"]
    content["schema"] = {"allOf": [content["schema"], {"$ref": f"#/components/schemas/{event}"}]}
    content.pop("examples", None)
    (operation,) = [
        result.ok()
        for result in schemathesis.openapi.from_dict(doc).get_all_operations()
        if result.ok().path == "/callbacks/tencent"
    ]
    return pytest.param(operation, id=f"POST /callbacks/tencent as {event}")


OPERATIONS = [
    *(
        pytest.param(result.ok(), id=result.ok().label)
        for result in schemathesis.openapi.from_dict(DOC).get_all_operations()
    ),
    *(callbacks_of(event) for event in ("StreamEvent", "RecordFileEvent", "RecordStatusEvent")),
]
REFUSED = {400, 413, 415, 422}
# our codes: each error class's, and those our code names where it raises (code="..."); any other code in
# an answer is Tencent's own, passed through
OURS = {
    cls.code
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.LiverecError)
}
OURS |= {"UnknownField", "MissingField"} | {
    code
    for source in (ROOT / "shared").rglob("*.py")
    for code in re.findall(r'code="(\w+)"', source.read_text())
}

# (code, field, message; field and message as regular expressions): the refusals of a schema-valid request that the document cannot state, each with
# its reason. A code outside OURS is Tencent's own refusal, passed through (the emulator holds Tencent's rules)
RULES: list[tuple[str, str | None, str]] = [
    # the deployment's generation (LIVE_API) decides which options it can express
    ("UnsupportedField", None, r"is not supported with LIVE_API="),
    ("InvalidRequest", "format", r"^format=\w+ is not available with LIVE_API="),
    ("InvalidRequest", "task_id", r"^task_id=.* is not a task id of this API"),
    ("InvalidRequest", "stream", r"needs the stream the task records|the list comes from the ledger"),
    # the clock, and one field against another's value
    ("InvalidRequest", "end", r"^end \(.*\) (is not in the future|must be after start)"),
    ("InvalidRequest", "start", r"^start \(.*\) is more than .* ahead"),
    ("InvalidRequest", None, r"^a (scheduled )?recording may last at most .* with LIVE_API="),
    ("InvalidRequest", "to", r"^(to must be after from|from and to are at most \d+ days apart)$"),
    ("InvalidRequest", "to", r"^the window may span at most one week"),
    ("InvalidRequest", "from", r"^from may be at most \d+ days back"),
    # what a cron means (cronsim's grammar beyond its shape) and which zones the time zone database has
    ("InvalidRequest", "cron", r"^cron: not a cron expression"),
    ("InvalidRequest", "cron", r"^the program makes more than \d+ recordings within the horizon"),
    ("InvalidRequest", "timezone", r"^timezone: '.*' is not an IANA time zone"),
    # the body against the path, and the program as it would be stored
    ("InvalidRequest", "name", r"^the body names another program than the path"),
    ("InvalidRequest", "name", r"^a stored program is at most \d+ bytes of JSON"),
    # what is stored: a task recorded for another recording
    ("InvalidRequest", "task_id", r"^task .* is already recorded for another recording"),
    # a callback's URL under a special-use name, over 253 characters of host, outside the deployment's
    # allow-list (LIVEREC_CALLBACK_URL_HOSTS), or in a field below the top level (checked at any depth)
    ("InvalidUrl", None, r"special-use name|host name longer than|outside LIVEREC_CALLBACK_URL_HOSTS"),
    ("InvalidUrl", r".*\..*", r""),
    # a page token is opaque: only one an earlier answer gave is a page (any string fits the document)
    ("InvalidPageToken", "next", r"^next: not a page token this API gave"),
    # an iCalendar file (PUT /programs/{name}, text/calendar): the document says a string; RFC 5545's grammar,
    # and the stream it is imported onto (?stream=, read only with a file), are the reader's to check
    ("InvalidRequest", None, r"^(iCalendar: |an iCalendar file is imported onto a stream)"),
    # the edge's bounds on any JSON value (README: integers of at most 40 digits, 32 levels)
    ("InvalidBody", None, r"^a number in the body has more than \d+ digits"),
    ("InvalidBody", None, r"^the body is nested more than \d+ levels deep"),
]


def documented(error: dict[str, Any]) -> bool:
    if error["code"] not in OURS:
        return True  # Tencent's own code: its refusal of what it was sent
    return any(
        error["code"] == code
        and (field is None or re.fullmatch(field, str(error["field"])))
        and re.search(pattern, error["message"])
        for code, field, pattern in RULES
    )


def request(case: Any) -> tuple[str, str, dict[str, str], bytes]:
    """The request a client following the document sends: path variables quoted, the bearer token, JSON."""
    path = case.operation.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    query = {k: str(v) for k, v in (case.query or {}).items() if v is not None}
    target = path + ("?" + urlencode(query) if query else "")
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    headers["Authorization"] = f"Bearer {TOKEN}"
    body = case.body if isinstance(case.body, dict | list | str | int | float | bool) else None
    if path == "/callbacks/tencent" and isinstance(body, dict):  # signed in the body, as Tencent does
        body["t"] = int(time.time()) + 300
        body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, body["t"])
    raw = json.dumps(body, allow_nan=False).encode() if body is not None or case.body is None else b""
    media = getattr(case, "media_type", None) or "application/json"
    if media != "application/json" and isinstance(body, str):
        raw = body.encode()  # another media type the route takes (text/calendar): the text as it is
    if case.operation.method.upper() != "GET" and "requestBody" in case.operation.definition.raw:
        headers["Content-Type"] = media
    else:
        raw = b""
    if path == "/hooks/highlight":  # signed over the bytes sent
        headers["Liverec-Signature"] = hook_signature(LOCAL_HOOK_SECRET, int(time.time()), raw)
    return case.operation.method.upper(), target, headers, raw


@pytest.mark.parametrize("operation", OPERATIONS)
def test_what_the_document_accepts_is_not_refused_as_malformed(
    operation: Any, configure: Any, lambda_context: LambdaContext
) -> None:
    configure("record-task", LIVE_CALLBACK_KEY=LOCAL_CALLBACK_KEY, LIVEREC_HOOK_SECRETS=LOCAL_HOOK_SECRET)
    routes = Routes.from_serverless()

    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        method, target, headers, raw = request(case)
        event = event_from_request(method, target, {k.lower(): v for k, v in headers.items()}, raw)
        status, answer = parse(routes.dispatch(event, lambda_context))
        if status in REFUSED:
            assert documented(answer["error"]), (method, target, raw[:300], answer)

    check()
