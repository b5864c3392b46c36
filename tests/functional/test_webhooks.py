"""The webhooks function: Tencent callbacks and signed highlight hooks, real signed bodies through the real
handler, against the emulator. Every refusal has its status and code; nothing answers 500."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, Subscriber, parse
from functions.rollout import handler as rollout
from functions.webhooks import handler
from shared import app
from shared.webhooks.signature import sign_header
from shared.webhooks.signature import verify as verify_webhook
from tests.functional.conftest import TABLE, http_event

CALLBACK_KEY = "test-callback-key"
HOOK_SECRET = "hook-secret-0123456789-current"
OLD_HOOK_SECRET = "hook-secret-0123456789-previous"
FORWARD_SECRET = "forward-secret-0123456789abcdef"
DOMAIN, APP = "5000.live.push.com", "live"
RULES = [
    {"name": "matches", "stream": "match-*", "duration": 600, "stop_on_end": True},
    {"name": "scheduled", "stream": "sched-*", "mode": "scheduled", "duration": 3600},
    {"name": "keep", "app": "live", "stream": "keep-*", "duration": 900},
]


def verified(subscriber: Subscriber) -> list[dict[str, Any]]:
    """The subscriber's payloads, each verified as the README's snippet does."""
    out = []
    for headers, body in subscriber.received:
        verify_webhook(headers["liverec-signature"], body, [SecretStr(FORWARD_SECRET)], time.time())
        out.append(json.loads(body))
    return out


@pytest.fixture
def hooks(configure: Callable[..., None], subscriber: Subscriber) -> None:
    """The webhooks function configured with a callback key, rules, hook secrets and one subscriber."""
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_CALLBACK_RULES=json.dumps(RULES),
        LIVEREC_HOOK_SECRETS=f"{HOOK_SECRET},{OLD_HOOK_SECRET}",
        LIVEREC_WEBHOOK_URLS=subscriber.url,
        LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
    )


def signed(fields: dict[str, Any], *, key: str = CALLBACK_KEY, t: int | None = None) -> dict[str, Any]:
    t = int(time.time()) + 600 if t is None else t
    return fields | {"t": t, "sign": hashlib.md5(f"{key}{t}".encode()).hexdigest()}


def begin(stream: str = "match-1", **extra: Any) -> dict[str, Any]:
    return {
        "appid": 12345,
        "app": DOMAIN,
        "appname": APP,
        "stream_id": stream,
        "channel_id": stream,
        "event_type": 1,
        "event_time": int(time.time()),
        "sequence": "6118046720498806226",
        "node": "127.0.0.1",
        "user_ip": "127.0.0.1",
    } | extra


def record_file(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "appid": 12345,
        "app": DOMAIN,
        "appname": APP,
        "stream_id": "match-1",
        "channel_id": "match-1",
        "event_type": 100,
        "task_id": "task-1",
        "file_id": "5285890800000000001",
        "file_format": "mp4",
        "video_url": "http://1234.vod2.myqcloud.com/file.mp4",
        "start_time": now - 600,
        "end_time": now,
        "duration": 600,
        "file_size": 1024,
    } | extra


def record_status(**extra: Any) -> dict[str, Any]:
    return {
        "appid": 12345,
        "appname": APP,
        "domain": DOMAIN,
        "stream_id": "match-1",
        "event_type": 332,
        "event_time": int(time.time()),
        "record_event": "record_start_succeeded",
        "seq": "1",
        "session_id": "task-1",
    } | extra


def callback(body: Any = None, *, raw: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    event = http_event("POST", "/callbacks/tencent", body, token=None, raw_body=raw, **kwargs)
    return parse(handler.lambda_handler(event, LambdaContext()))


def drain(payload_id: str | None = None) -> dict[str, int]:
    """The drain a callback's kick asks for (Lambda runs it after the answer, in another invocation)."""
    event = {"outbox": "drain"} | ({"payload_id": payload_id} if payload_id else {})
    result: dict[str, int] = handler.lambda_handler(event, LambdaContext())
    return result


def hook(
    body: Any, *, secret: str = HOOK_SECRET, t: int | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    t = int(app.now()) if t is None else t
    hdrs = {"Liverec-Signature": sign_header([secret], t, raw.encode())} | (headers or {})
    event = http_event("POST", "/hooks/highlight", raw_body=raw, token=None, headers=hdrs)
    response = handler.lambda_handler(event, LambdaContext())
    status, data = parse(response)
    return status, data, response.get("headers") or {}


@pytest.fixture
def still() -> Iterator[float]:
    """The functions' clock held at one whole second, so a timestamp 301 s off stays 301 s off however
    slowly the test runs (a loaded machine once made it 300, inside the tolerance)."""
    at = float(int(time.time()))
    app.use_clock(lambda: at)
    yield at
    app.use_clock()


def live_tasks(emulator: Emulator) -> list[Any]:
    return [t for t in emulator.tasks() if not t.deleted]


# --- Tencent callbacks: refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda: signed(begin(), t=int(time.time()) - 1), 401, "SignatureExpired"),
        (lambda: signed(begin(), key="not-the-key"), 401, "InvalidSignature"),
        (lambda: signed(begin()) | {"t": int(time.time()) + 7200}, 401, "InvalidSignature"),  # t tampered
        (begin, 401, "MissingSignature"),
        (lambda: signed(begin()) | {"sign": None}, 401, "MissingSignature"),
        (lambda: signed(begin()) | {"t": "soon"}, 401, "InvalidSignature"),
        (lambda: signed({k: v for k, v in begin().items() if k != "stream_id"}), 422, "MissingField"),
        (lambda: signed({k: v for k, v in begin().items() if k != "event_type"}), 422, "MissingField"),
        (lambda: signed(begin(event_time=int(time.time() * 1000))), 422, "InvalidRequest"),
        (lambda: signed(record_file(file_id="")), 422, "InvalidRequest"),
        (
            lambda: signed({k: v for k, v in record_status().items() if k != "record_event"}),
            422,
            "MissingField",
        ),
        (lambda: signed(begin(event_type="one")), 422, "InvalidRequest"),
    ],
    ids=[
        "expired",
        "wrong-key",
        "tampered-t",
        "no-sign",
        "null-sign",
        "t-not-int",
        "no-stream",
        "no-event-type",
        "ms-event-time",
        "empty-file-id",
        "no-record-event",
        "event-type-text",
    ],
)
def test_callback_refusals(hooks: Any, fresh_emulator: Emulator, make: Any, status: int, code: str) -> None:
    got_status, body = callback(make())
    assert (got_status, body["error"]["code"]) == (status, code)
    assert live_tasks(fresh_emulator) == []


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("not json", 400, "InvalidJson"),
        ("[1, 2]", 400, "InvalidBody"),
        ("", 400, "InvalidBody"),  # no body is no JSON object, as on every route
        (json.dumps(signed(begin(node="x" * 70_000))), 413, "PayloadTooLarge"),
    ],
    ids=["non-json", "array", "empty", "oversized"],
)
def test_callback_malformed_bodies(hooks: Any, raw: str, status: int, code: str) -> None:
    got_status, body = callback(raw=raw)
    assert (got_status, body["error"]["code"]) == (status, code)


def test_callback_key_never_logged_and_unconfigured_key_refuses(
    configure: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    configure(LIVE_CALLBACK_KEY=CALLBACK_KEY)
    with caplog.at_level("DEBUG"):
        status, body = callback(signed(begin(), key="wrong"))
    assert (status, body["error"]["code"]) == (401, "InvalidSignature")
    logged = [str(r.__dict__) for r in caplog.records]
    assert any("InvalidSignature" in line for line in logged)  # the refusal is logged ...
    assert not any(CALLBACK_KEY in line for line in logged)  # ... without the key
    configure(LIVE_CALLBACK_KEY="")
    status, body = callback(signed(begin()))
    assert (status, body["error"]["code"]) == (401, "CallbacksDisabled")


def test_base64_bodies_are_read(hooks: Any, fresh_emulator: Emulator) -> None:
    raw = base64.b64encode(json.dumps(signed(begin())).encode()).decode()
    event = http_event("POST", "/callbacks/tencent", token=None, raw_body=raw)
    event["isBase64Encoded"] = True
    assert parse(handler.lambda_handler(event, LambdaContext())) == (200, {"code": 0})
    assert len(live_tasks(fresh_emulator)) == 1


def test_only_post(hooks: Any) -> None:
    event = http_event("GET", "/callbacks/tencent", token=None)
    status, body = parse(handler.lambda_handler(event, LambdaContext()))
    assert (status, body["error"]["code"]) == (405, "MethodNotAllowed")


# --- Tencent callbacks: each event type ------------------------------------------------------------------


TableKeys = Callable[[], list[str]]


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, configure: Callable[..., None]) -> TableKeys | None:
    """The idempotency (and webhook state) store the function uses: in-process (None), or DynamoDB under
    moto (a function listing the table's keys)."""
    if request.param == "memory":
        return None
    client = request.getfixturevalue("dynamodb")
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    return lambda: [i["id"]["S"] for i in client.scan(TableName=TABLE)["Items"]]


def test_stream_begin_matching_a_rule_records_once_over_13_sequential_deliveries(
    store: TableKeys | None, hooks: Any, fresh_emulator: Emulator
) -> None:
    # Given one stream-begin event, When Tencent delivers it 13 times (each with a fresh t and sign)
    event = begin()
    answers = []
    for i in range(13):
        answers.append(callback(signed(event, t=int(time.time()) + 600 + i)))
    # Then every delivery is acknowledged and exactly one real-time task of the rule's length exists
    assert answers == [(200, {"code": 0})] * 13
    tasks = live_tasks(fresh_emulator)
    assert len(tasks) == 1
    assert tasks[0].stream == "match-1" and tasks[0].domain == DOMAIN and tasks[0].app == APP
    assert 595 <= tasks[0].end - tasks[0].start <= 605
    assert [r.action for r in fresh_emulator.requests()].count("CreateRecordTask") == 1
    if store is not None:  # the claim that made it one task was the table's
        assert sum(k.startswith("rec#callback:") for k in store()) == 1


def test_stream_begin_13_concurrent_deliveries_create_one_task(
    store: TableKeys | None, hooks: Any, fresh_emulator: Emulator
) -> None:
    event = begin("match-concurrent")
    barrier = threading.Barrier(13)
    answers: list[tuple[int, Any]] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(callback(signed(event)))

    threads = [threading.Thread(target=deliver) for _ in range(13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [(200, {"code": 0})] * 13
    assert len(live_tasks(fresh_emulator)) == 1
    assert [r.action for r in fresh_emulator.requests()].count("CreateRecordTask") == 1
    if store is not None:
        assert sum(k.startswith("rec#callback:") for k in store()) == 1


def test_stream_end_stops_the_task_with_the_dynamodb_state(
    dynamodb: Any, configure: Callable[..., None], hooks: Any, fresh_emulator: Emulator
) -> None:
    # the active-task note a stream-begin leaves lives in the table, so another container can stop it
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    callback(signed(begin()))
    keys = [i["id"]["S"] for i in dynamodb.scan(TableName=TABLE)["Items"]]
    assert any(k.startswith("active:") for k in keys) and any(k.startswith("rec#callback:") for k in keys)
    callback(signed(begin(event_type=0, event_time=int(time.time()) + 1)))
    (task,) = live_tasks(fresh_emulator)
    assert not task.running


def test_a_new_push_of_the_same_stream_records_again(hooks: Any, fresh_emulator: Emulator) -> None:
    # each begin signed as Tencent signs it: t = the second it was sent + 10 minutes
    now = int(time.time())
    assert callback(signed(begin(event_time=now - 60, sequence="1"), t=now - 60 + 600)) == (200, {"code": 0})
    assert callback(signed(begin(event_time=now, sequence="2"), t=now + 600)) == (200, {"code": 0})
    assert len(live_tasks(fresh_emulator)) == 2


def test_stream_begin_without_a_matching_rule_is_acknowledged_and_records_nothing(
    hooks: Any, fresh_emulator: Emulator
) -> None:
    assert callback(signed(begin("other-stream"))) == (200, {"code": 0})
    assert live_tasks(fresh_emulator) == []


def test_scheduled_rule_bounds_the_recording_from_the_push(hooks: Any, fresh_emulator: Emulator) -> None:
    started = int(time.time()) - 30
    assert callback(signed(begin("sched-1", event_time=started))) == (200, {"code": 0})
    (task,) = live_tasks(fresh_emulator)
    # the hour is counted from the push; the 30 s already gone cannot be recorded: booked from now
    assert task.end == started + 3600 and started + 30 <= task.start <= time.time()


def test_stream_end_stops_the_task_the_rule_started(hooks: Any, fresh_emulator: Emulator) -> None:
    callback(signed(begin()))
    (task,) = live_tasks(fresh_emulator)
    assert task.running
    end = begin(event_type=0, event_time=int(time.time()) + 1, sequence="end")
    for _ in range(3):  # redelivered: stopping again is a no-op
        assert callback(signed(end)) == (200, {"code": 0})
    (task,) = live_tasks(fresh_emulator)
    assert task.stopped_at is not None and not task.running
    assert [r.action for r in fresh_emulator.requests()].count("StopRecordTask") == 1


def test_stream_end_leaves_recording_when_rule_does_not_stop(hooks: Any, fresh_emulator: Emulator) -> None:
    callback(signed(begin("keep-1")))
    assert callback(signed(begin("keep-1", event_type=0, event_time=int(time.time()) + 1))) == (
        200,
        {"code": 0},
    )
    (task,) = live_tasks(fresh_emulator)
    assert task.stopped_at is None and task.running


def test_stream_end_of_an_unknown_stream_is_acknowledged(hooks: Any) -> None:
    assert callback(signed(begin("never-began", event_type=0))) == (200, {"code": 0})


def test_a_transient_failure_answers_non_200_so_tencent_redelivers_and_still_one_task(
    hooks: Any, fresh_emulator: Emulator
) -> None:
    event = begin("match-flaky")
    fresh_emulator.faults.drop_before_store(count=1, action="CreateRecordTask")
    status, body = callback(signed(event))
    assert status >= 500 and body["error"]["code"]
    assert live_tasks(fresh_emulator) == []
    assert callback(signed(event)) == (200, {"code": 0})  # the redelivery
    assert len(live_tasks(fresh_emulator)) == 1


def test_a_rule_tencent_refuses_is_acknowledged_not_redelivered_forever(
    configure: Callable[..., None], fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # record-task caps a real-time recording at 24 h: a 2-day rule is refused by our rules
    rules = [{"name": "too-long", "stream": "*", "duration": 2 * 86400}]
    configure(LIVE_CALLBACK_KEY=CALLBACK_KEY, LIVEREC_CALLBACK_RULES=json.dumps(rules))
    assert callback(signed(begin())) == (200, {"code": 0})
    assert live_tasks(fresh_emulator) == []
    assert "fix the rule" in caplog.text


@pytest.mark.parametrize("make", [record_file, record_status], ids=["100-file", "332-status"])
def test_record_events_are_forwarded_signed(hooks: Any, subscriber: Subscriber, make: Any) -> None:
    fields = make()
    for _ in range(3):  # Tencent redelivers: the subscriber still gets it once
        assert callback(signed(fields)) == (200, {"code": 0})
    assert subscriber.received == []  # queued: sent by the drain the callback asks for, after its answer
    assert drain()["delivered"] == 1
    (payload,) = verified(subscriber)
    assert payload["data"] == fields
    assert payload["type"] == ("record.file_ready" if fields["event_type"] == 100 else "record.status")
    headers = subscriber.received[0][0]
    assert headers["liverec-delivery"] == payload["id"]
    assert "sign" not in payload["data"] and "t" not in payload["data"]


@pytest.mark.parametrize("event_type", [200, 999, -5])
def test_other_event_types_are_acknowledged(hooks: Any, subscriber: Subscriber, event_type: int) -> None:
    assert callback(signed({"event_type": event_type, "stream_id": "x"})) == (200, {"code": 0})
    assert subscriber.received == []


def test_misconfigured_rules_name_the_variable(configure: Callable[..., None]) -> None:
    configure(LIVE_CALLBACK_KEY=CALLBACK_KEY, LIVEREC_CALLBACK_RULES='[{"name": "x", "duration": "long"}]')
    status, body = callback(signed(begin()))
    assert status == 500 and body["error"]["code"] == "ConfigError"
    assert body["error"]["field"] == "LIVEREC_CALLBACK_RULES"


# --- signed highlight hooks --------------------------------------------------------------------------------


def test_signed_hook_starts_a_highlight(hooks: Any, fresh_emulator: Emulator) -> None:
    status, body, _ = hook({"stream": "scoreboard-1", "duration": 120})
    assert status == 201 and body["mode"] == "realtime" and body["stream"] == "scoreboard-1"
    (task,) = live_tasks(fresh_emulator)
    assert task.task_id == body["task_id"]


def test_replayed_hook_is_deduplicated(hooks: Any, fresh_emulator: Emulator) -> None:
    t = int(time.time())
    first = hook({"stream": "goal"}, t=t)
    again = hook({"stream": "goal"}, t=t)
    rotated = hook({"stream": "goal"}, t=t, secret=OLD_HOOK_SECRET)  # same request, other secret
    assert first[0] == again[0] == rotated[0] == 201
    assert first[1]["task_id"] == again[1]["task_id"] == rotated[1]["task_id"]
    assert again[2].get("Idempotent-Replayed") == "true"
    assert len(live_tasks(fresh_emulator)) == 1


def test_hook_with_a_rotated_secret_is_accepted(hooks: Any) -> None:
    assert hook({"stream": "old-secret"}, secret=OLD_HOOK_SECRET)[0] == 201


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda: hook({"stream": "s"}, secret="some-other-secret-0123456789"), 401, "InvalidSignature"),
        (lambda: hook({"stream": "s"}, t=int(app.now()) - 301), 401, "SignatureExpired"),
        (lambda: hook({"stream": "s"}, t=int(app.now()) + 301), 401, "SignatureExpired"),
        (lambda: hook({"stream": "s"}, headers={"Liverec-Signature": ""}), 401, "MissingSignature"),
        (lambda: hook({"stream": "s"}, headers={"Liverec-Signature": "v1=abc"}), 401, "MalformedSignature"),
        (
            lambda: hook({"stream": "s"}, headers={"Liverec-Signature": "t=1,v1=" + "0" * 64}),
            401,
            "InvalidSignature",
        ),
        (lambda: hook({"duration": 60}), 422, "MissingField"),
        (lambda: hook({"stream": "s", "duration": 0}), 422, "InvalidRequest"),
        (lambda: hook({"stream": "s", "colour": "red"}), 422, "UnknownField"),
        (lambda: hook("not json"), 400, "InvalidJson"),
        (lambda: hook(json.dumps({"stream": "s", "pad": "x" * 70_000})), 413, "PayloadTooLarge"),
        (lambda: hook({"stream": "s"}, headers={"Idempotency-Key": "k" * 129}), 422, "InvalidRequest"),
        (
            lambda: hook(
                {"stream": "s"},
                headers={"Idempotency-Key": "k" * 129, "Liverec-Signature": "t=1,v1=" + "0" * 64},
            ),
            401,
            "InvalidSignature",
        ),
    ],
    ids=[
        "unknown-secret",
        "too-old",
        "too-new",
        "no-header",
        "malformed",
        "forged",
        "no-stream",
        "zero-duration",
        "unknown-field",
        "non-json",
        "oversized",
        "long-idempotency-key",
        "long-idempotency-key-unsigned",
    ],
)
def test_hook_refusals(
    hooks: Any, still: float, fresh_emulator: Emulator, call: Any, status: int, code: str
) -> None:
    got, body, _ = call()
    assert (got, body["error"]["code"]) == (status, code)
    assert live_tasks(fresh_emulator) == []


@pytest.mark.parametrize("offset", [-300, 300])
def test_hook_at_the_tolerance_edge_is_accepted(hooks: Any, still: float, offset: int) -> None:
    assert hook({"stream": f"edge{offset}"}, t=int(still) + offset)[0] == 201


def test_tampered_hook_body_is_refused(hooks: Any, fresh_emulator: Emulator) -> None:
    t = int(time.time())
    header = sign_header([HOOK_SECRET], t, b'{"stream": "a"}')
    event = http_event(
        "POST",
        "/hooks/highlight",
        raw_body='{"stream": "b"}',
        token=None,
        headers={"Liverec-Signature": header},
    )
    status, body = parse(handler.lambda_handler(event, LambdaContext()))
    assert (status, body["error"]["code"]) == (401, "InvalidSignature")


def test_hooks_without_secrets_are_refused(configure: Callable[..., None]) -> None:
    configure(LIVEREC_HOOK_SECRETS="")
    status, body, _ = hook({"stream": "s"})
    assert (status, body["error"]["code"]) == (401, "HooksDisabled")


# --- the outbox timer tick ---------------------------------------------------------------------------------


def test_timer_tick_drains_the_outbox(hooks: Any, subscriber: Subscriber) -> None:
    subscriber.status = 503
    assert callback(signed(record_file())) == (200, {"code": 0})
    assert drain()["retrying"] == 1 and len(subscriber.received) == 1  # the kick's drain tried it: failed
    subscriber.status = 200
    result = handler.lambda_handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext()
    )
    assert result["delivered"] == 0  # not due yet: backoff 30 s


def test_an_operators_redrive_invocation_puts_dead_letters_back(hooks: Any, subscriber: Subscriber) -> None:
    subscriber.status = 410  # gone: a permanent refusal, dead-lettered at once
    assert callback(signed(record_file())) == (200, {"code": 0})
    assert drain()["dead"] == 1
    assert handler.lambda_handler({"outbox": "redrive"}, LambdaContext()) == {"redriven": 1}
    subscriber.status = 200
    tick = handler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    assert tick["delivered"] == 1 and len(subscriber.received) == 2  # refused once, then delivered
    assert handler.lambda_handler({"outbox": "redrive"}, LambdaContext()) == {"redriven": 0}
    # only the webhooks function serves it: the timer rollout refuses it as any unknown event
    assert (
        rollout.lambda_handler({"outbox": "redrive"}, LambdaContext())["error"]["code"] == "UnsupportedEvent"
    )


# --- anything signed, however odd, gets a 4xx or the ack: never a 500 ------------------------------------

FIELDS = (
    "event_type",
    "app",
    "appname",
    "stream_id",
    "event_time",
    "sequence",
    "file_id",
    "video_url",
    "start_time",
    "end_time",
    "task_id",
    "record_event",
    "seq",
    "session_id",
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["1", "0", "100", "332", "9" * 5000, "-1", "1e3", " 1", "１"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS)))
def test_any_signed_body_is_answered_without_a_500(
    configure: Callable[..., None], body: dict[str, Any]
) -> None:
    # no rules and no subscribers: this exercises parsing and validation, not Tencent
    configure(LIVE_CALLBACK_KEY=CALLBACK_KEY)
    status, answer = callback(signed(body))
    assert status in (200, 400, 422), answer
    assert status == 200 or answer["error"]["code"] in (
        "InvalidRequest",
        "MissingField",
        "InvalidJson",
        "InvalidUrl",
    )
