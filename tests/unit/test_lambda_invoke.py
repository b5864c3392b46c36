"""Lambda's asynchronous Invoke on the standard library (``shared.support.lambda_invoke``) and the kick that
uses it (``shared.webhooks.kick``): signed as botocore signs it, bounded as a whole (not per read), every
failure one error with a code, and a kick that never raises."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from shared.edge.events import EventKind, kind_of
from shared.support.aws import AwsError
from shared.support.errors import ConfigError
from shared.support.lambda_invoke import MAX_ANSWER, AsyncInvoker
from shared.support.sigv4 import Credentials
from shared.webhooks.kick import LambdaKick, drain_event
from shared.webhooks.tencent_events import payload_id

WHEN = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "ap-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "liverec-prod-webhooks",
}


class Endpoint:
    """Lambda's endpoint, stood in for on 127.0.0.1: reads one request, records it, sends ``answer`` (a byte
    every ``pace`` seconds when set; None: nothing) and closes (``hold``: stays open, silent, instead)."""

    def __init__(self, answer: bytes | None, pace: float = 0.0, hold: bool = False) -> None:
        self.answer, self.pace, self.hold = answer, pace, hold
        self.requests: list[bytes] = []
        self.sent = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                data += chunk
            self.requests.append(data)
            if self.answer is None:
                self._stop.wait()
                return
            step = 1 if self.pace else max(len(self.answer), 1)
            for i in range(0, len(self.answer), step):
                if self.pace and self._stop.wait(self.pace):
                    return
                try:
                    conn.sendall(self.answer[i : i + step])
                except OSError:
                    return
                self.sent += step
            if self.hold:
                self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def endpoint() -> Iterator[Any]:
    made: list[Endpoint] = []

    def make(answer: bytes | None, pace: float = 0.0, hold: bool = False) -> Endpoint:
        made.append(Endpoint(answer, pace, hold))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def invoker(
    url: str, token: str | None = None, deadline: float = 1.0, version: str | None = None
) -> AsyncInvoker:
    credentials = Credentials(ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"], token)
    return AsyncInvoker(
        credentials,
        "ap-east-1",
        "liverec-prod-webhooks",
        url,
        version=version,
        deadline=deadline,
        clock=lambda: WHEN,
    )


ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize(
    ("token", "version"), [(None, None), ("session-token-value", None), ("session-token-value", "17")]
)
def test_the_request_is_an_asynchronous_invoke_signed_as_botocore_signs_it(
    endpoint: Any, token: str | None, version: str | None
) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    server = endpoint(ACCEPTED)
    body = json.dumps(drain_event("tencent-100-abc")).encode()
    assert invoker(server.url, token, version=version).invoke(body) == 202
    (raw,) = server.requests
    head, _, sent = raw.partition(b"\r\n\r\n")
    line, *fields = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    # under SnapStart, the version this code runs as (restored from its snapshot), not $LATEST
    target = "/2015-03-31/functions/liverec-prod-webhooks/invocations" + (
        f"?Qualifier={version}" if version else ""
    )
    assert line == f"POST {target} HTTP/1.1"
    assert headers["x-amz-invocation-type"] == "Event" and sent == body
    # botocore's signature over the same request, at the same instant
    theirs = AWSRequest(
        method="POST",
        url=f"{server.url}{target}",
        data=body,
        headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"},
    )
    with patch("botocore.auth.get_current_datetime", return_value=WHEN.replace(tzinfo=None)):
        creds = BotoCredentials(ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"], token)
        SigV4Auth(creds, "lambda", "ap-east-1").add_auth(theirs)
    assert headers["authorization"] == theirs.headers["Authorization"]
    assert "/ap-east-1/lambda/aws4_request" in headers["authorization"]
    assert headers.get("x-amz-security-token") == token


@pytest.mark.parametrize(
    ("answer", "code", "status"),
    [
        (
            b"HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: AccessDeniedException:http://x/\r\n\r\n",
            "AccessDeniedException",
            403,
        ),
        (
            b"HTTP/1.1 404 Not Found\r\nX-Amzn-Errortype: ResourceNotFoundException\r\n\r\n",
            "ResourceNotFoundException",
            404,
        ),
        (b"HTTP/1.1 429 Too Many\r\nContent-Length: 0\r\n\r\n", "HTTP429", 429),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP200", 200),  # not queued: a synchronous answer
        (b"SSH-2.0-OpenSSH\r\n\r\n", "InvalidResponse", None),
        (b"", "NoAnswer", None),
    ],
)
def test_anything_but_202_is_an_error_with_a_code(
    endpoint: Any, answer: bytes, code: str, status: int | None
) -> None:
    with pytest.raises(AwsError) as failed:
        invoker(endpoint(answer).url).invoke(b"{}")
    assert (failed.value.code, failed.value.status) == (code, status)


def test_the_call_is_bounded_as_a_whole_not_per_read(endpoint: Any) -> None:
    # Given an endpoint that trickles its answer, a byte every 0.2 s (each read waits far less than 1 s)
    server = endpoint(ACCEPTED, pace=0.2)
    started = time.monotonic()
    # When the invoke has 1 s in all, Then it gives up with a timeout before the answer is whole
    with pytest.raises(AwsError) as failed:
        invoker(server.url, deadline=1.0).invoke(b"{}")
    assert failed.value.code == "Timeout"
    assert time.monotonic() - started < 5.0  # a loaded machine's margin; unbounded, 9 s
    assert server.sent < len(ACCEPTED)


def test_a_silent_endpoint_and_a_closed_port_are_errors_within_the_deadline(endpoint: Any) -> None:
    started = time.monotonic()
    with pytest.raises(AwsError) as silent:
        invoker(endpoint(None).url, deadline=0.5).invoke(b"{}")
    assert silent.value.code == "Timeout" and time.monotonic() - started < 5.0
    with socket.create_server(("127.0.0.1", 0)) as closed:
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(AwsError) as refused:
        invoker(url).invoke(b"{}")
    assert refused.value.code == "ConnectFailed"


def test_at_most_max_answer_bytes_are_read(endpoint: Any) -> None:
    # Given an answer whose headers never end, the connection then held open and silent
    server = endpoint(b"HTTP/1.1 202 Accepted\r\nX-Pad: " + b"a" * (2 * MAX_ANSWER), hold=True)
    # Then its first MAX_ANSWER bytes are read, its status taken, and nothing more awaited (no timeout)
    assert invoker(server.url, deadline=5.0).invoke(b"{}") == 202


def test_from_the_environment_the_function_region_and_endpoint() -> None:
    built = AsyncInvoker.from_env(ENV)
    assert built.path == "/2015-03-31/functions/liverec-prod-webhooks/invocations" and built.query == ""
    # the version this code runs as (SnapStart runs published versions only); $LATEST is unqualified
    assert AsyncInvoker.from_env(ENV | {"AWS_LAMBDA_FUNCTION_VERSION": "42"}).query == "Qualifier=42"
    for unqualified in ("$LATEST", "", "4 2", "snapstart&x=1"):
        assert AsyncInvoker.from_env(ENV | {"AWS_LAMBDA_FUNCTION_VERSION": unqualified}).query == ""
    assert built.endpoint == "https://lambda.ap-east-1.amazonaws.com"
    assert AsyncInvoker.from_env(ENV | {"AWS_REGION": "cn-north-1"}).endpoint.endswith(".amazonaws.com.cn")
    local = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:3002"}
    assert AsyncInvoker.from_env(ENV | local).endpoint == "http://127.0.0.1:3002"
    assert AsyncInvoker.from_env(ENV | {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}).endpoint == (
        "http://127.0.0.1:4566"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"AWS_LAMBDA_FUNCTION_NAME": ""}, "AWS_LAMBDA_FUNCTION_NAME"),
        ({"AWS_LAMBDA_FUNCTION_NAME": "a/b"}, "AWS_LAMBDA_FUNCTION_NAME"),
        ({"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID"),
        ({"AWS_REGION": ""}, "AWS_REGION"),
        ({"AWS_ENDPOINT_URL_LAMBDA": "http://user:pw@127.0.0.1:3002"}, "AWS_ENDPOINT_URL_LAMBDA"),
    ],
)
def test_configuration_errors_name_the_variable(change: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError) as failed:
        AsyncInvoker.from_env(ENV | change)
    assert failed.value.field == field
    assert "pw" not in failed.value.message


def test_the_kick_asks_for_its_payloads_drain_in_the_shape_the_function_accepts(endpoint: Any) -> None:
    server = endpoint(ACCEPTED)
    pid = payload_id(100, {"stream_id": "s", "file_id": "f"})
    assert LambdaKick(build=lambda seconds: invoker(server.url, deadline=seconds))(pid) is True
    body = server.requests[0].partition(b"\r\n\r\n")[2]
    event = json.loads(body)
    assert event == drain_event(pid) == {"outbox": "drain", "payload_id": pid}
    assert kind_of(event) is EventKind.OUTBOX_DRAIN and kind_of(drain_event()) is EventKind.OUTBOX_DRAIN


def test_a_kick_never_raises_it_logs_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    def misconfigured(seconds: float) -> AsyncInvoker:
        return AsyncInvoker.from_env(ENV | {"AWS_SECRET_ACCESS_KEY": ""}, deadline=seconds)

    with caplog.at_level(logging.WARNING):
        assert LambdaKick(build=misconfigured)("tencent-100-abc") is False
    (logged,) = caplog.records
    assert logged.levelno == logging.ERROR and logged.__dict__["field"] == "AWS_SECRET_ACCESS_KEY"
    assert ENV["AWS_ACCESS_KEY_ID"] not in caplog.text
