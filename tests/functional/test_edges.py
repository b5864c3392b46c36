"""Every edge answered right, as SECURITY.md's table says: each row of "What was tried" is one case here,
run through the real handler; the table and the cases cannot drift apart. Every case also greps the logs
it produced, and its answer, for every secret configured. Then arbitrary bytes, under arbitrary content
types, to every route of every function: never a 500."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, http_event
from devtools.kit.invocations import (
    alb_event,
    eventbridge_event,
    function_url_event,
    lattice_event,
    rest_event,
)
from functions.realtime import handler as realtime
from functions.rollout import handler as rollout
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from functions.webhooks import handler as webhooks
from shared.support.observability import logger
from shared.webhooks.signature import sign_header
from tests.functional.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]
CALLBACK_KEY = "edge-callback-key-0123456789"
HOOK_SECRET = "edge-hook-secret-0123456789"
FORWARD_SECRET = "edge-forward-secret-0123456789"
URL_TOKEN = "urltoken-5ecret-0123456789"
URL_PASSWORD = "urlpassw0rd-5ecret-0123456789"
SECRETS = (TOKEN, CALLBACK_KEY, HOOK_SECRET, FORWARD_SECRET, URL_TOKEN, URL_PASSWORD)
PROGRAMS = [{"name": "p", "stream": "edge", "cron": "0 12 * * *", "timezone": "UTC", "duration": 600}]
HANDLERS: dict[str, Any] = {
    "scheduled": scheduled,
    "realtime": realtime,
    "tasks": tasks,
    "rollout": rollout,
    "webhooks": webhooks,
}


# --- the table ----------------------------------------------------------------------------------------------


def security_table() -> dict[str, tuple[int | None, str | None]]:
    """SECURITY.md's "What was tried": case -> (status, code); status None where the answer is not HTTP."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    section = text.split("## What was tried", 1)[1]
    rows: dict[str, tuple[int | None, str | None]] = {}
    for line in section.splitlines():
        found = re.match(r"\| `([a-z0-9-]+)` \|.*\| (\d{3}|—)(?: `(\w+)`)? \|$", line)
        if found:
            case, status, code = found.groups()
            assert case not in rows, f"{case} is in the table twice"
            rows[case] = (None if status == "—" else int(status), code)
    return rows


# --- what the cases send --------------------------------------------------------------------------------------


@dataclass
class Edge:
    """The configured functions, with the tick and drain spies the event-kind cases read."""

    emulator: Emulator
    configure: Callable[..., None]
    ticks: list[Any] = field(default_factory=list)
    drains: list[Any] = field(default_factory=list)

    def call(self, name: str, event: Any) -> Any:
        return HANDLERS[name].lambda_handler(event, LambdaContext())


Answer = tuple[int | None, str | None, Any]


def http(response: Any) -> Answer:
    assert isinstance(response, dict) and "statusCode" in response, response
    body = json.loads(response["body"]) if response.get("body") else None
    code = body["error"]["code"] if isinstance(body, dict) and "error" in body else None
    return response["statusCode"], code, response


def returned(response: Any) -> Answer:
    assert isinstance(response, dict) and "statusCode" not in response, response
    return None, response["error"]["code"], response


def realtime_body(**extra: Any) -> dict[str, Any]:
    return {"stream": "edge", "duration": 60} | extra


def scheduled_body(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"stream": "edge", "start": now + 600, "end": now + 1200} | extra


def signed_callback(t: int | None = None, key: str = CALLBACK_KEY, **fields: Any) -> dict[str, Any]:
    t = int(time.time()) + 600 if t is None else t
    body = {"event_type": 200, "stream_id": "edge", "app": "d", "appname": "live"} | fields
    return body | {"t": t, "sign": hashlib.md5(f"{key}{t}".encode()).hexdigest()}


def callback(edge: Edge, raw: str, content_type: str | None = "application/json") -> Answer:
    event = http_event("POST", "/callbacks/tencent", raw_body=raw, content_type=content_type)
    return http(edge.call("webhooks", event))


def hook(
    edge: Edge, raw: str, content_type: str | None = "application/json", secret: str = HOOK_SECRET
) -> Answer:
    headers = {"Liverec-Signature": sign_header([secret], int(time.time()), raw.encode())}
    event = http_event("POST", "/hooks/highlight", raw_body=raw, headers=headers, content_type=content_type)
    return http(edge.call("webhooks", event))


def create(
    edge: Edge,
    name: str,
    body: Any = None,
    *,
    raw: str | None = None,
    token: str | None = TOKEN,
    content_type: str | None = "application/json",
    base64_body: bool = False,
) -> Answer:
    event = http_event(
        "POST", f"/recordings/{name}", body, raw_body=raw, token=token, content_type=content_type
    )
    event["isBase64Encoded"] = base64_body
    return http(edge.call(name, event))


def get(edge: Edge, path: str, query: dict[str, str], token: str | None = TOKEN) -> Answer:
    return http(edge.call("tasks", http_event("GET", path, query=query, token=token)))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def no_tick(answer: Answer, edge: Edge) -> Answer:
    assert edge.ticks == [] and edge.emulator.tasks() == [], "a refused event ran a rollout"
    return answer


def no_drain(answer: Answer, edge: Edge) -> Answer:
    assert edge.drains == [], "a refused event drained the outbox"
    return answer


def ticked(edge: Edge) -> Answer:
    response = edge.call("rollout", eventbridge_event())
    assert "error" not in response and len(edge.ticks) == 1, response
    return None, "tick", response


def drained(edge: Edge) -> Answer:
    response = edge.call("webhooks", eventbridge_event())
    assert edge.drains == [True], response
    return None, "drained", response


def kicked(edge: Edge, event: dict[str, Any]) -> Answer:
    """A callback's kick (or an operator's drain): the outbox is drained, as on the timer's tick."""
    response = edge.call("webhooks", event)
    assert edge.drains == [True] and "error" not in response, response
    return None, "drained", response


def no_tokens(edge: Edge) -> Answer:
    edge.configure(LIVEREC_API_TOKENS="")
    return create(edge, "realtime", realtime_body())


def misconfigured(edge: Edge, urls: str) -> Answer:
    edge.configure(LIVEREC_WEBHOOK_URLS=urls)
    return callback(edge, json.dumps(signed_callback()))


DEEP = 30_000
CASES: dict[str, Callable[[Edge], Answer]] = {
    # authentication first
    "auth-no-token-missing-field": lambda e: create(e, "realtime", {}, token=None),
    "auth-no-token-invalid-json": lambda e: create(e, "realtime", raw="{", token=None),
    "auth-no-token-unknown-field": lambda e: create(e, "realtime", {"stream": "s", "zzz": 1}, token=None),
    "auth-wrong-token-invalid-json": lambda e: create(
        e, "scheduled", raw="{", token="wrong-token-0123456789"
    ),
    "auth-no-token-text-plain": lambda e: create(
        e, "scheduled", raw="hello", token=None, content_type="text/plain"
    ),
    "auth-no-token-long-query": lambda e: get(e, "/recordings", {"stream": "x" * 300}, token=None),
    "auth-no-token-unknown-path": lambda e: get(e, "/elsewhere", {}, token=None),
    "auth-options-without-token": lambda e: http(
        e.call("scheduled", http_event("OPTIONS", "/recordings/scheduled", content_type=None))
    ),
    "auth-no-tokens-configured": no_tokens,
    "hook-bad-signature-invalid-json": lambda e: hook(e, "{", secret="another-secret-0123456789"),
    "hook-long-signature-header": lambda e: http(
        e.call(
            "webhooks",
            http_event(
                "POST", "/hooks/highlight", {"stream": "s"}, headers={"Liverec-Signature": "v1=" + "a" * 2000}
            ),
        )
    ),
    "hook-no-signature-text-plain": lambda e: http(
        e.call("webhooks", http_event("POST", "/hooks/highlight", raw_body="hi", content_type="text/plain"))
    ),
    "callback-wrong-sign": lambda e: callback(e, json.dumps(signed_callback(key="another-key"))),
    "callback-t-ten-years-ahead": lambda e: callback(
        e, json.dumps(signed_callback(t=int(time.time()) + 10 * 365 * 86400))
    ),
    "callback-expired": lambda e: callback(e, json.dumps(signed_callback(t=int(time.time()) - 1))),
    # content types
    "body-text-plain": lambda e: create(e, "realtime", realtime_body(), content_type="text/plain"),
    "body-multipart-no-boundary": lambda e: create(
        e, "realtime", realtime_body(), content_type="multipart/form-data"
    ),
    "body-xml": lambda e: create(e, "scheduled", raw="<stream>s</stream>", content_type="application/xml"),
    "body-form-urlencoded": lambda e: create(
        e, "scheduled", scheduled_body(), content_type="application/x-www-form-urlencoded"
    ),
    "body-form-urlencoded-hook": lambda e: hook(
        e, json.dumps(realtime_body()), content_type="application/x-www-form-urlencoded"
    ),
    "body-form-urlencoded-callback": lambda e: callback(
        e, json.dumps(signed_callback()), content_type="application/x-www-form-urlencoded"
    ),
    "body-json-charset": lambda e: create(
        e, "realtime", realtime_body(), content_type="application/json; charset=utf-8"
    ),
    "body-json-suffix": lambda e: create(
        e, "realtime", realtime_body(), content_type="application/vnd.liverec+json"
    ),
    "body-no-content-type": lambda e: create(e, "realtime", realtime_body(), content_type=None),
    # bytes and JSON
    "body-invalid-base64": lambda e: create(e, "realtime", raw="!!not base64!!", base64_body=True),
    "body-not-utf8": lambda e: create(e, "realtime", raw=b64(b'{"stream": "\xff\xfe"}'), base64_body=True),
    "body-5000-digit-integer": lambda e: create(
        e, "realtime", raw='{"stream": "s", "duration": ' + "9" * 5000 + "}"
    ),
    "body-nested-30000-deep": lambda e: create(e, "realtime", raw="[" * DEEP + "]" * DEEP),
    "body-nested-100000-deep": lambda e: create(e, "realtime", raw="[" * 100_000 + "]" * 100_000),
    "body-nan": lambda e: create(e, "realtime", raw='{"stream": "s", "duration": NaN}'),
    "body-over-the-cap": lambda e: create(e, "scheduled", raw=json.dumps({"stream": "s" * 70_000})),
    "body-lone-surrogate": lambda e: create(e, "realtime", raw='{"stream": "\\ud800"}'),
    "body-lone-surrogate-callback": lambda e: callback(
        e, json.dumps(signed_callback(stream_id="\ud800"), ensure_ascii=True)
    ),
    "body-lone-surrogate-hook": lambda e: hook(e, '{"stream": "\\ud800"}'),
    # times
    "time-start-year-9999": lambda e: create(
        e, "scheduled", {"stream": "s", "start": "9999-12-31T23:00:00Z", "duration": 60}
    ),
    "time-end-overflow": lambda e: create(e, "scheduled", scheduled_body(end="9999-12-31T23:59:59-23:59")),
    "time-list-to-year-9999": lambda e: get(e, "/recordings", {"stream": "s", "to": "9999-12-31T00:00:00Z"}),
    # event kinds
    "event-function-url": lambda e: http(
        e.call("realtime", function_url_event("POST", "/recordings/realtime", realtime_body(), token=TOKEN))
    ),
    "event-rest-v1": lambda e: http(
        e.call("realtime", rest_event("POST", "/recordings/realtime", realtime_body(), token=TOKEN))
    ),
    "event-alb": lambda e: http(
        e.call("scheduled", alb_event("POST", "/recordings/scheduled", scheduled_body()))
    ),
    "event-vpc-lattice-v1": lambda e: http(e.call("tasks", lattice_event("GET", "/recordings", version=1))),
    "event-vpc-lattice-v2": lambda e: http(
        e.call("webhooks", lattice_event("POST", "/callbacks/tencent", {}))
    ),
    "event-null-request-context": lambda e: http(
        e.call(
            "realtime",
            http_event("POST", "/recordings/realtime", realtime_body(), token=TOKEN)
            | {"requestContext": None},
        )
    ),
    "event-empty-list": lambda e: returned(e.call("realtime", [])),
    "event-none": lambda e: returned(e.call("tasks", None)),
    "event-empty-object": lambda e: returned(e.call("scheduled", {})),
    "event-http-to-rollout": lambda e: no_tick(
        http(e.call("rollout", http_event("POST", "/recordings/realtime", realtime_body(), token=TOKEN))), e
    ),
    "event-empty-object-to-rollout": lambda e: no_tick(returned(e.call("rollout", {})), e),
    "event-other-eventbridge-to-rollout": lambda e: no_tick(
        returned(e.call("rollout", eventbridge_event("aws.ec2", "EC2 Instance State-change Notification"))), e
    ),
    "event-scheduled-to-rollout": ticked,
    "event-http-v1-to-webhooks": lambda e: no_drain(
        http(e.call("webhooks", rest_event("POST", "/callbacks/tencent", signed_callback()))), e
    ),
    "event-empty-object-to-webhooks": lambda e: no_drain(returned(e.call("webhooks", {})), e),
    "event-scheduled-to-webhooks": drained,
    "event-drain-to-webhooks": lambda e: kicked(e, {"outbox": "drain", "payload_id": "evt-1"}),
    "event-drain-extra-key-to-webhooks": lambda e: no_drain(
        returned(e.call("webhooks", {"outbox": "drain", "payload_id": "a", "x": 1})), e
    ),
    "event-drain-bad-payload-id-to-webhooks": lambda e: no_drain(
        returned(e.call("webhooks", {"outbox": "drain", "payload_id": "../x y"})), e
    ),
    "event-drain-to-rollout": lambda e: no_tick(returned(e.call("rollout", {"outbox": "drain"})), e),
    # configuration
    "config-url-typo-with-token": lambda e: misconfigured(e, f"htps://hooks.example/?token={URL_TOKEN}"),
    "config-url-ftp-with-password": lambda e: misconfigured(e, f"ftp://user:{URL_PASSWORD}@hooks.example/"),
}
TABLE = security_table()


@pytest.fixture
def edge(
    configure: Callable[..., None], fresh_emulator: Emulator, subscriber: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Edge]:
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_HOOK_SECRETS=HOOK_SECRET,
        LIVEREC_WEBHOOK_URLS=subscriber.url,
        LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
        LIVEREC_PROGRAMS=json.dumps(PROGRAMS),
    )
    found = Edge(emulator=fresh_emulator, configure=configure)
    real_tick, real_forwarder = rollout.tick, webhooks.forwarder

    def tick(*args: Any, **kwargs: Any) -> Any:
        found.ticks.append(args)
        return real_tick(*args, **kwargs)

    def forwarder() -> Any:
        built = real_forwarder()
        real_drain = built.drain

        def drain(*args: Any, **kwargs: Any) -> Any:
            found.drains.append(True)
            return real_drain(*args, **kwargs)

        monkeypatch.setattr(built, "drain", drain)
        return built

    monkeypatch.setattr(rollout, "tick", tick)
    monkeypatch.setattr(webhooks, "forwarder", forwarder)
    yield found


def test_the_table_and_the_cases_are_the_same_rows() -> None:
    assert TABLE, "SECURITY.md has no 'What was tried' table"
    assert sorted(TABLE) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_edge_answers_what_the_table_says(
    case: str, edge: Edge, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = io.StringIO()  # the logger's own handler, as CloudWatch would read it
    monkeypatch.setattr(logger.registered_handler, "stream", logs)
    status, code, response = CASES[case](edge)
    assert (status, code) == TABLE[case]
    shown = logs.getvalue() + json.dumps(response, ensure_ascii=False)
    assert [secret for secret in SECRETS if secret in shown] == []
    if (status or 0) >= 400 or code == "UnsupportedEvent":
        assert logs.getvalue(), "a refusal was not logged"


# --- any bytes, any content type, every route -----------------------------------------------------------------

ROUTES = [
    ("scheduled", "POST", "/recordings/scheduled"),
    ("realtime", "POST", "/recordings/realtime"),
    ("tasks", "GET", "/recordings"),
    ("tasks", "GET", "/recordings/t-1"),
    ("tasks", "POST", "/recordings/t-1/stop"),
    ("tasks", "DELETE", "/recordings/t-1"),
    ("webhooks", "POST", "/callbacks/tencent"),
    ("webhooks", "POST", "/hooks/highlight"),
]
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/plain",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/xml",
            "application/x-www-form-urlencoded",
            "",
        ]
    ),
    st.text(max_size=30),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10), _containers, max_leaves=10
).map(lambda v: json.dumps(v).encode())
BODIES = st.one_of(
    st.binary(max_size=300),
    json_text,
    st.builds(
        lambda value, key: json.dumps({"stream": "s", key: value}).encode(),
        st.one_of(st.text(max_size=5), st.integers(min_value=-(10**60), max_value=10**60)),
        st.sampled_from(["start", "end", "duration", "t", "sign", "zzz"]),
    ),
    st.integers(1, 40).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([b'"\\ud800"', b'{"stream": "\\udfff"}', b"\xef\xbb\xbf{}", b"\xff", b"NaN", b""]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(ROUTES),
    body=BODIES,
    content_type=CONTENT_TYPES,
    encode=st.booleans(),
    sign=st.booleans(),
)
@example(route=ROUTES[0], body=b"[" * DEEP + b"]" * DEEP, content_type=None, encode=False, sign=False)
@example(route=ROUTES[6], body=b'{"t": 1, "sign": "\\ud800"}', content_type=None, encode=False, sign=False)
def test_no_byte_sequence_is_a_500(
    edge: Edge, route: tuple[str, str, str], body: bytes, content_type: str | None, encode: bool, sign: bool
) -> None:
    name, method, path = route
    try:
        text, encoded = (body.decode("utf-8"), encode) if not encode else (b64(body), True)
    except UnicodeDecodeError:  # API Gateway passes a body that is not text base64-encoded
        text, encoded = b64(body), True
    headers = {"Liverec-Signature": sign_header([HOOK_SECRET], int(time.time()), body)} if sign else {}
    event = http_event(
        method, path, raw_body=text or None, token=TOKEN, content_type=content_type, headers=headers
    )
    event["isBase64Encoded"] = encoded
    status, _, response = http(edge.call(name, event))
    assert status < 500, response
