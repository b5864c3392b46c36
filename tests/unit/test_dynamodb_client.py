"""The standard-library DynamoDB client: SigV4 byte for byte as botocore signs, the error mapping, the retry
rule (only when nothing can have been applied), connection reuse, configuration, and no credential leaks."""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import string
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.storage.dynamodb import (
    CONTENT_TYPE,
    ConditionalCheckFailed,
    DynamoDB,
    DynamoDBError,
    default_client,
)
from shared.support import keepalive, sigv4
from shared.support.errors import ConfigError
from shared.support.sigv4 import Credentials

# DynamoDB's service name and content type, as the client signs them
sign = functools.partial(sigv4.sign, service="dynamodb", content_type="application/x-amz-json-1.0")

AKID = "AKIAEXAMPLEKEYID0001"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYsecret-key"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken+/=="
OPERATIONS = ("PutItem", "GetItem", "UpdateItem", "DeleteItem", "Scan", "Query", "DescribeTable")
CONDITIONAL = {
    "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
    "message": "The conditional request failed",
}


# --- SigV4: the same Authorization header as botocore -----------------------------------------------


def botocore_signed(
    akid: str,
    secret: str,
    token: str | None,
    region: str,
    endpoint: str,
    target: str,
    body: bytes,
    when: datetime,
) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": target},
    )
    naive_utc = when.astimezone(UTC).replace(tzinfo=None)  # what botocore's clock returns
    with patch("botocore.auth.get_current_datetime", return_value=naive_utc):
        SigV4Auth(BotoCredentials(akid, secret, token), "dynamodb", region).add_auth(request)
    return dict(request.headers.items())


def ours(
    akid: str,
    secret: str,
    token: str | None,
    region: str,
    endpoint: str,
    target: str,
    body: bytes,
    when: datetime,
) -> dict[str, str]:
    client = DynamoDB(Credentials(akid, secret, token), region, endpoint)
    host = client._endpoint.signed_host
    return sign(
        Credentials(akid, secret, token), region=region, host=host, target=target, body=body, when=when
    )


REGIONS = st.one_of(
    st.sampled_from(["ap-east-1", "us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "ap-southeast-4"]),
    st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[1-9]", fullmatch=True),
)
ENDPOINTS = st.sampled_from(
    [
        "https://dynamodb.{region}.amazonaws.com",
        "http://127.0.0.1:8000",
        "http://LocalHost:4566",
        "https://example.com:443",
        "https://example.com:8443",
        "http://[::1]:8000",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=2048),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
        max_leaves=20,
    ).map(lambda value: json.dumps({"Item": value}).encode()),
)
WHEN = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2099, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-10)), timezone(timedelta(hours=14))]
    ),
)
TOKENS = st.none() | st.text(alphabet=string.ascii_letters + string.digits + "+/= ", min_size=1, max_size=600)
SECRETS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64)


@settings(max_examples=300, deadline=None)
@given(
    akid=st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    secret=SECRETS,
    token=TOKENS,
    region=REGIONS,
    endpoint=ENDPOINTS,
    operation=st.sampled_from(OPERATIONS),
    body=BODIES,
    when=WHEN,
)
# 02:30 in Beijing on the 21st is 18:30 UTC on the 20th: the scope must carry the UTC date
@example(
    akid=AKID,
    secret=SECRET,
    token=TOKEN,
    region="ap-east-1",
    endpoint="https://dynamodb.{region}.amazonaws.com",
    operation="PutItem",
    body=b'{"TableName":"t"}',
    when=datetime(2026, 5, 21, 2, 30, tzinfo=timezone(timedelta(hours=8))),
)
@example(
    akid=AKID,
    secret=SECRET,
    token=None,
    region="us-west-2",
    endpoint="http://127.0.0.1:8000",
    operation="GetItem",
    body=b"",
    when=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
)
def test_the_signature_is_botocores_byte_for_byte(
    akid: str,
    secret: str,
    token: str | None,
    region: str,
    endpoint: str,
    operation: str,
    body: bytes,
    when: datetime,
) -> None:
    url = endpoint.format(region=region)
    target = f"DynamoDB_20120810.{operation}"
    theirs = botocore_signed(akid, secret, token, region, url, target, body, when)
    mine = ours(akid, secret, token, region, url, target, body, when)
    assert mine["Authorization"] == theirs["Authorization"]
    assert mine["X-Amz-Date"] == theirs["X-Amz-Date"] == when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert mine.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token
    assert ("x-amz-security-token" in mine["Authorization"]) is (token is not None)


def test_the_scope_carries_the_utc_date_not_the_local_one() -> None:
    beijing = datetime(2026, 5, 21, 2, 30, tzinfo=timezone(timedelta(hours=8)))  # 2026-05-20 18:30 UTC
    headers = sign(
        Credentials(AKID, SECRET), region="ap-east-1", host="h", target="t", body=b"{}", when=beijing
    )
    assert headers["X-Amz-Date"] == "20260520T183000Z"
    assert f"Credential={AKID}/20260520/ap-east-1/dynamodb/aws4_request," in headers["Authorization"]


@pytest.fixture
def far_time_zone() -> Iterator[None]:
    """The process in UTC+14 (a POSIX TZ string: no time zone database needed), restored afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "XYZ-14"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("far_time_zone")
def test_the_machines_time_zone_is_never_used(fake: FakeDynamo) -> None:
    assert time.localtime(0).tm_hour == 14  # the zone really is in effect
    # a naive datetime is UTC, not local time
    naive = sign(
        Credentials(AKID, SECRET),
        region="ap-east-1",
        host="h",
        target="t",
        body=b"",
        when=datetime(2026, 5, 20, 18, 30),
    )
    assert naive["X-Amz-Date"] == "20260520T183000Z"
    # the default clock stamps requests in UTC
    before = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    fake.client(token=None).dynamo.call("GetItem", TableName="t")
    after = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    assert before <= fake.requests[0].headers["X-Amz-Date"] <= after


# --- a scripted DynamoDB on 127.0.0.1 --------------------------------------------------------------------


class Seen:
    def __init__(self, headers: dict[str, str], body: bytes, port: int) -> None:
        self.headers = headers
        self.body = body
        self.port = port


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # 50 threads connect at once (the default backlog is 5)
    daemon_threads = True


class FakeDynamo:
    """Answers from a script: ``(status, body[, headers])``, or ``"hang"`` (no answer until released), or
    ``"drop"`` (close the connection without answering), or ``"close"`` (answer ``{}``, then close the
    kept-alive connection without saying so), or a function given the socket's writer (the connection is
    closed after it). An empty script answers ``200 {}``."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[Seen] = []
        self.release = threading.Event()
        self.clients: list[DynamoDB] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer._lock:
                    outer.requests.append(Seen(dict(self.headers.items()), body, self.client_address[1]))
                    action = outer.script.pop(0) if outer.script else (200, {})
                if action == "hang":
                    outer.release.wait(5)
                    self.close_connection = True
                    return
                if action == "drop":
                    self.close_connection = True
                    return
                if callable(action):
                    self.close_connection = True
                    action(self.wfile)
                    return
                if action == "close":
                    action = (200, {})
                    self.close_connection = True
                status, payload, *extra = action
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def client(self, url: str | None = None, token: str | None = TOKEN, **options: Any) -> Client:
        """A client of this server (or of ``url``), closed when the test ends."""
        client = Client(url or self.url, token, **options)
        self.clients.append(client.dynamo)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeDynamo]:
    server = FakeDynamo()
    yield server
    server.stop()


class Client:
    """A client of the fake with recorded (not slept) backoffs."""

    def __init__(self, url: str, token: str | None = TOKEN, **options: Any) -> None:
        self.sleeps: list[float] = []
        self.dynamo = DynamoDB(
            Credentials(AKID, SECRET, token), "ap-east-1", url, sleep=self.sleeps.append, **options
        )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_call_posts_the_signed_json_and_returns_the_answer(fake: FakeDynamo) -> None:
    fake.script.append((200, {"Item": {"id": {"S": "k"}, "n": {"N": "1"}}}))
    answer = fake.client().dynamo.call("GetItem", TableName="t", Key={"id": {"S": "k"}}, ConsistentRead=True)
    assert answer == {"Item": {"id": {"S": "k"}, "n": {"N": "1"}}}
    (seen,) = fake.requests
    assert json.loads(seen.body) == {"TableName": "t", "Key": {"id": {"S": "k"}}, "ConsistentRead": True}
    assert seen.headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert seen.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert seen.headers["Host"] == fake.url.removeprefix("http://")
    assert seen.headers["X-Amz-Security-Token"] == TOKEN
    auth = seen.headers["Authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={AKID}/")
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target," in auth
    # and the server can verify it: the same signature from what it received
    when = datetime.strptime(seen.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expected = sign(
        Credentials(AKID, SECRET, TOKEN),
        region="ap-east-1",
        host=seen.headers["Host"],
        target="DynamoDB_20120810.GetItem",
        body=seen.body,
        when=when,
    )
    assert auth == expected["Authorization"]


def test_without_a_session_token_none_is_sent_or_signed(fake: FakeDynamo) -> None:
    fake.client(token=None).dynamo.call("DeleteItem", TableName="t", Key={"id": {"S": "k"}})
    (seen,) = fake.requests
    assert "X-Amz-Security-Token" not in seen.headers
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in seen.headers["Authorization"]


def test_an_empty_answer_body_is_an_empty_dict(fake: FakeDynamo) -> None:
    fake.script.append((200, b""))
    assert fake.client().dynamo.call("PutItem", TableName="t", Item={"id": {"S": "k"}}) == {}


# --- errors and retries ----------------------------------------------------------------------------------


def test_a_false_condition_is_its_own_error_and_is_not_retried(fake: FakeDynamo) -> None:
    fake.script.append((400, CONDITIONAL))
    client = fake.client()
    with pytest.raises(ConditionalCheckFailed) as caught:
        client.dynamo.call(
            "PutItem", TableName="t", Item={"id": {"S": "k"}}, ConditionExpression="attribute_not_exists(id)"
        )
    assert isinstance(caught.value, DynamoDBError)
    assert caught.value.code == "ConditionalCheckFailedException" and caught.value.status == 400
    assert caught.value.message == "The conditional request failed"
    assert len(fake.requests) == 1 and client.sleeps == []


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        (
            (
                400,
                {
                    "__type": "com.amazon.coral.validate#ValidationException",
                    "message": "One or more parameter values were invalid",
                },
            ),
            "ValidationException",
            "One or more parameter values were invalid",
        ),
        (
            (
                400,
                {
                    "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                    "Message": "no table",
                },
            ),
            "ResourceNotFoundException",
            "no table",
        ),
        (
            (403, {"__type": "com.amazon.coral.service#UnrecognizedClientException"}),
            "UnrecognizedClientException",
            "",
        ),
        (
            (500, {"__type": "com.amazon.coral.service#InternalServerError", "message": "oops"}),
            "InternalServerError",
            "oops",
        ),
        ((503, {"__type": "com.amazon.coral.availability#ServiceUnavailable"}), "ServiceUnavailable", ""),
        ((500, b"Internal Server Error"), "HTTP500", ""),
        ((502, b"<html>Bad Gateway</html>"), "HTTP502", ""),
        (
            (400, b"not json", {"x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/"}),
            "ValidationException",
            "",
        ),
        (
            (200, b"<html>a captive portal</html>"),
            "InvalidResponse",
            "GetItem: HTTP 200 with a body that is not a JSON object",
        ),
        ((200, b"[1, 2]"), "InvalidResponse", "GetItem: HTTP 200 with a body that is not a JSON object"),
        ((200, b"\xff\xfe"), "InvalidResponse", "GetItem: HTTP 200 with a body that is not a JSON object"),
    ],
    ids=[
        "validation",
        "not-found",
        "no-message",
        "500",
        "503",
        "500-text",
        "502-html",
        "error-type-header",
        "200-html",
        "200-list",
        "200-bytes",
    ],
)
def test_every_other_failure_is_one_error_with_a_code_and_is_not_retried(
    fake: FakeDynamo, answer: tuple[Any, ...], code: str, message: str
) -> None:
    fake.script.append(answer)
    client = fake.client()
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("GetItem", TableName="t", Key={"id": {"S": "k"}})
    assert not isinstance(caught.value, ConditionalCheckFailed)
    assert (caught.value.code, caught.value.message, caught.value.status) == (code, message, answer[0])
    assert not caught.value.retryable
    # a 5xx may have been applied: never retried
    assert len(fake.requests) == 1 and client.sleeps == []


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_throttling_is_retried_with_a_small_backoff(fake: FakeDynamo, code: str) -> None:
    throttled = (400, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "slow down"})
    fake.script += [throttled, throttled, (200, {"Attributes": {}})]
    client = fake.client()
    assert client.dynamo.call("UpdateItem", TableName="t", Key={"id": {"S": "k"}}) == {"Attributes": {}}
    assert len(fake.requests) == 3
    assert len(client.sleeps) == 2
    assert 0.025 <= client.sleeps[0] <= 0.05 and 0.05 <= client.sleeps[1] <= 0.1  # 50 ms doubling, jittered


def test_throttling_three_times_gives_up(fake: FakeDynamo) -> None:
    throttled = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"})
    fake.script += [throttled] * 4
    client = fake.client()
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("PutItem", TableName="t", Item={})
    assert caught.value.code == "ThrottlingException" and caught.value.retryable
    assert len(fake.requests) == 3 and len(client.sleeps) == 2


def test_a_refused_connection_is_retried_then_reported(fake: FakeDynamo) -> None:
    client = fake.client(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("PutItem", TableName="t", Item={})
    assert caught.value.code == "ConnectFailed" and caught.value.retryable
    assert "nothing was sent" in caught.value.message and caught.value.status is None
    assert len(client.sleeps) == 2  # three attempts


def test_a_connection_that_opens_on_the_second_attempt_succeeds() -> None:
    port = closed_port()
    client = Client(f"http://127.0.0.1:{port}")
    servers: list[ThreadingHTTPServer] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    def come_up(delay: float) -> None:  # the first backoff "sleep" brings the server up
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        client.sleeps.append(delay)

    client.dynamo._sleep = come_up
    try:
        assert client.dynamo.call("GetItem", TableName="t", Key={}) == {}
        assert len(client.sleeps) == 1
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        client.dynamo.close()


def test_a_read_timeout_after_sending_is_not_retried(fake: FakeDynamo) -> None:
    fake.script.append("hang")
    client = fake.client(read_timeout=0.3)
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("PutItem", TableName="t", Item={}, ConditionExpression="attribute_not_exists(id)")
    # a ReadTimeout, not the connection the fake closes after 5 s: the timeout ended the wait (no time is
    # measured here, so a loaded machine cannot change the verdict)
    assert caught.value.code == "ReadTimeout" and not caught.value.retryable
    assert "may have been applied" in caught.value.message
    assert len(fake.requests) == 1 and client.sleeps == []


def test_a_connection_dropped_after_sending_is_not_retried(fake: FakeDynamo) -> None:
    fake.script.append("drop")
    client = fake.client()
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("PutItem", TableName="t", Item={})
    assert caught.value.code == "NoAnswer" and not caught.value.retryable
    assert len(fake.requests) == 1 and client.sleeps == []
    # and the client recovers on a new connection
    assert client.dynamo.call("GetItem", TableName="t", Key={}) == {}


def test_a_dripping_answer_is_cut_at_the_calls_deadline(fake: FakeDynamo) -> None:
    """A byte every 0.1 s never trips the 2 s read timeout; the call's own deadline (1 s) ends it."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 150\r\n\r\n" + b" " * 148 + b"{}"

    def drip(out: Any) -> None:
        for i in range(len(answer)):
            try:
                out.write(answer[i : i + 1])
                out.flush()
            except OSError:  # the client gave up
                return
            time.sleep(0.1)

    fake.script.append(drip)
    client = fake.client(read_timeout=2.0)
    client.dynamo.call_timeout = 1.0
    started = time.monotonic()
    with pytest.raises(DynamoDBError) as caught:
        client.dynamo.call("PutItem", TableName="t", Item={})
    assert caught.value.code == "ReadTimeout" and not caught.value.retryable
    assert time.monotonic() - started < 8  # the whole answer would take 19 s


def test_a_huge_content_length_is_no_answer_not_a_memory_error(fake: FakeDynamo) -> None:
    fake.script.append(
        lambda out: out.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}")
    )
    with pytest.raises(DynamoDBError) as caught:
        fake.client().dynamo.call("GetItem", TableName="t", Key={})
    assert caught.value.code == "NoAnswer" and "HttpError" in caught.value.message


def test_an_answer_nested_past_the_parsers_limit_is_invalid_not_a_recursion_error(fake: FakeDynamo) -> None:
    fake.script.append((200, b'{"a":' * 150_000 + b"1" + b"}" * 150_000))
    with pytest.raises(DynamoDBError) as caught:
        fake.client().dynamo.call("GetItem", TableName="t", Key={})
    assert caught.value.code == "InvalidResponse"


# --- connections ------------------------------------------------------------------------------------------


def test_connections_are_kept_alive_and_reused(fake: FakeDynamo) -> None:
    client = fake.client()
    for _ in range(5):
        client.dynamo.call("GetItem", TableName="t", Key={})
    assert len({seen.port for seen in fake.requests}) == 1


def test_a_connection_the_server_closed_is_not_reused(fake: FakeDynamo) -> None:
    fake.script.append("close")
    client = fake.client()
    client.dynamo.call("GetItem", TableName="t", Key={})
    time.sleep(0.1)  # the server's FIN arrives
    assert client.dynamo.call("GetItem", TableName="t", Key={}) == {}
    assert len({seen.port for seen in fake.requests}) == 2 and client.sleeps == []


def test_a_connection_idle_too_long_is_not_reused(fake: FakeDynamo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keepalive, "IDLE_REUSE", 0.0)
    client = fake.client()
    for _ in range(3):
        client.dynamo.call("GetItem", TableName="t", Key={})
    assert len({seen.port for seen in fake.requests}) == 3


def test_concurrent_calls_from_50_threads(fake: FakeDynamo) -> None:
    client = fake.client()
    barrier = threading.Barrier(50)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        barrier.wait()
        try:
            for i in range(4):
                results.append(client.dynamo.call("PutItem", TableName="t", Item={"id": {"S": f"{n}-{i}"}}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [{}] * 200
    bodies = sorted(json.loads(seen.body)["Item"]["id"]["S"] for seen in fake.requests)
    assert bodies == sorted(f"{n}-{i}" for n in range(50) for i in range(4))
    assert len(client.dynamo._pool.idle) <= keepalive.MAX_IDLE
    client.dynamo.close()
    assert client.dynamo._pool.idle == []


# --- configuration ---------------------------------------------------------------------------------------

ENV = {
    "AWS_ACCESS_KEY_ID": AKID,
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_SESSION_TOKEN": TOKEN,
    "AWS_REGION": "ap-east-1",
}


@pytest.mark.parametrize(
    ("extra", "endpoint"),
    [
        ({}, "https://dynamodb.ap-east-1.amazonaws.com"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566"),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000/"}, "http://127.0.0.1:8000"),
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
            },
            "http://127.0.0.1:8000",
        ),
        (
            {"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_DYNAMODB": ""},
            "https://dynamodb.ap-east-1.amazonaws.com",
        ),
        ({"AWS_REGION": "cn-northwest-1"}, "https://dynamodb.cn-northwest-1.amazonaws.com.cn"),
    ],
    ids=["default", "generic", "service", "service-first", "empty-ignored", "china"],
)
def test_endpoint_selection_order(extra: dict[str, str], endpoint: str) -> None:
    client = DynamoDB.from_env({**ENV, **extra})
    assert client.endpoint == endpoint


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-1"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
        ({"AWS_DEFAULT_REGION": "us-east-2"}, "us-east-2"),
    ],
)
def test_region_from_aws_region_then_aws_default_region(env: dict[str, str], region: str) -> None:
    base = {k: v for k, v in ENV.items() if k != "AWS_REGION"}
    assert DynamoDB.from_env({**base, **env}).region == region


@pytest.mark.parametrize(
    ("drop", "extra", "field"),
    [
        ("AWS_ACCESS_KEY_ID", {}, "AWS_ACCESS_KEY_ID"),
        ("AWS_SECRET_ACCESS_KEY", {}, "AWS_SECRET_ACCESS_KEY"),
        (None, {"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY"),
        ("AWS_REGION", {}, "AWS_REGION"),
        (None, {"AWS_REGION": "ap east 1"}, "AWS_REGION"),
        ("AWS_REGION", {"AWS_DEFAULT_REGION": "evil.example.com/"}, "AWS_DEFAULT_REGION"),
        (None, {"AWS_ENDPOINT_URL_DYNAMODB": "ftp://127.0.0.1"}, "AWS_ENDPOINT_URL_DYNAMODB"),
        (None, {"AWS_ENDPOINT_URL_DYNAMODB": "127.0.0.1:8000"}, "AWS_ENDPOINT_URL_DYNAMODB"),
        (None, {"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"}, "AWS_ENDPOINT_URL"),
        (None, {"AWS_ENDPOINT_URL": "http://127.0.0.1:8000/prefix"}, "AWS_ENDPOINT_URL"),
        (None, {"AWS_ENDPOINT_URL": f"http://{AKID}:{SECRET}@127.0.0.1"}, "AWS_ENDPOINT_URL"),
    ],
)
def test_configuration_errors_name_the_variable(drop: str | None, extra: dict[str, str], field: str) -> None:
    env = {k: v for k, v in ENV.items() if k != drop} | extra
    with pytest.raises(ConfigError) as caught:
        DynamoDB.from_env(env)
    assert caught.value.field == field and field in caught.value.message
    assert SECRET not in str(caught.value) and TOKEN not in str(caught.value)


def test_the_environment_is_read_when_the_client_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in ENV.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
    first = default_client()
    assert default_client() is first  # one per container: the stores share its connections
    assert first.endpoint == "http://127.0.0.1:8000" and first.region == "ap-east-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8001")
    assert default_client().endpoint == "http://127.0.0.1:8001"


# --- credentials never leak ------------------------------------------------------------------------------


def test_credentials_never_appear_in_repr_errors_or_logs(
    fake: FakeDynamo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = DynamoDB.from_env({**ENV, "AWS_ENDPOINT_URL_DYNAMODB": fake.url})
    fake.clients.append(client)
    # an error answer that echoes the request's signing material back (as SigV4 errors can)
    echo = f"The Canonical String for this request should have been 'x-amz-security-token:{TOKEN}' for {AKID} with {SECRET}"
    fake.script += [
        (400, {"__type": "com.amazon.coral.service#InvalidSignatureException", "message": echo}),
        (400, {"__type": f"com.amazon.coral.service#{SECRET}", "message": TOKEN}),
        "drop",
    ]
    failures: list[DynamoDBError] = []
    for _ in range(3):
        with pytest.raises(DynamoDBError) as caught:
            client.call("PutItem", TableName="t", Item={})
        failures.append(caught.value)
    with pytest.raises(DynamoDBError) as refused:
        DynamoDB.from_env({**ENV, "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}"}).call(
            "Scan"
        )
    failures.append(refused.value)
    assert failures[0].code == "InvalidSignatureException" and "**********" in failures[0].message
    texts = [
        repr(client),
        str(client),
        repr(client._credentials),
        str(client._credentials),
        repr(vars(client)),
    ]
    for exc in failures:
        texts += [str(exc), repr(exc), exc.code, exc.message, repr(exc.__cause__), str(exc.__cause__)]
    texts += [record.getMessage() for record in caplog.records] + [
        repr(record.args) for record in caplog.records
    ]
    for text in texts:
        for secret in (SECRET, TOKEN, AKID):
            assert secret not in text, text
