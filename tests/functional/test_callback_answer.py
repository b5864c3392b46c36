"""Tencent's callback is answered before anything is sent to a subscriber (issue #26, point 10).

A record event is queued in the outbox, and the callback asks for a drain (its *kick*) and answers; the
drain runs in another invocation. On Lambda the kick is an asynchronous invocation of the webhooks function
itself (SigV4-signed, ``X-Amz-Invocation-Type: Event``), here sent to a stand-in of Lambda's endpoint on
127.0.0.1; a kick that fails never fails the callback, and the timer's drain sends what it left. Off Lambda
the kick is what the composition root installs (``shared.app.use_kick``): the local gateway drains once it
has answered.
"""

from __future__ import annotations

import http.server
import json
import logging
import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.kit import LambdaContext, Subscriber
from devtools.kit.moto import REGION
from functions.webhooks import handler
from shared.app import state, use_kick
from shared.webhooks.kick import drain_event
from shared.webhooks.outbox import PREFIX
from shared.webhooks.tencent_events import payload_id
from tests.functional.conftest import TABLE
from tests.functional.test_webhooks import (
    CALLBACK_KEY,
    FORWARD_SECRET,
    callback,
    drain,
    record_file,
    record_status,
    signed,
)

FUNCTION = "liverec-test-webhooks"
ACK = (200, {"code": 0})
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
DENIED = (
    b"HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: AccessDeniedException:http://internal.amazon.com/\r\n"
    b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
)


class Stub:
    """A server on 127.0.0.1 (a free port) that reads each request whole, records it, then sends
    ``answer`` (None: nothing, until stopped), one byte every ``pace`` seconds when ``pace`` is set, and
    closes the connection."""

    def __init__(self, answer: bytes | None, pace: float = 0.0) -> None:
        self.answer, self.pace = answer, pace
        self.requests: list[tuple[str, dict[str, str], bytes]] = []  # request line, headers, body
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            line, *fields = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
            while len(body) < int(headers.get("content-length", 0)) and (chunk := conn.recv(65536)):
                body += chunk
            self.requests.append((line, headers, body))
            answer, pace = self.answer, self.pace
            if answer is None:
                self._stop.wait()
            elif not pace:
                conn.sendall(answer)
            else:
                for byte in answer:
                    if self._stop.wait(pace):
                        return
                    conn.sendall(bytes([byte]))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def stubs() -> Iterator[Callable[..., Stub]]:
    made: list[Stub] = []

    def make(answer: bytes | None, pace: float = 0.0) -> Stub:
        made.append(Stub(answer, pace))
        return made[-1]

    yield make
    for stub in made:
        stub.stop()


@pytest.fixture
def kicks() -> Iterator[list[str]]:
    """Off Lambda: the drains the callbacks ask for, noted (the test runs them, as Lambda would later)."""
    asked: list[str] = []

    def kick(payload: str) -> bool:
        asked.append(payload)
        return True

    use_kick(kick)
    yield asked
    use_kick(None)


def due_keys() -> list[str]:
    return [key for _, key in state().due(PREFIX, time.time() + 1, 100)]


# --- the answer never waits for a subscriber ---------------------------------------------------------------


def test_a_trickling_subscriber_never_holds_up_tencents_answer(
    configure: Callable[..., None], subscriber: Subscriber, stubs: Callable[..., Stub], kicks: list[str]
) -> None:
    # Given two subscribers, the first trickling its answer a byte a second (20 s before it gives up)
    trickler = stubs(OK[:20], pace=1.0)
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_WEBHOOK_URLS=f"{trickler.url}/hook,{subscriber.url}",
        LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
    )
    fields = record_status()
    # When Tencent's record-status callback arrives
    started = time.monotonic()
    answer = callback(signed(fields))
    took = time.monotonic() - started
    # Then it is answered at once (it was held 20 s by the trickler), nothing having been sent
    assert answer == ACK
    assert took < 5.0, f"the callback took {took:.1f} s"
    assert trickler.requests == [] and subscriber.received == []
    # and both forwards wait in the outbox, due, with one drain asked for
    pid = payload_id(332, fields)
    keys = due_keys()
    assert len(keys) == 2 and all(key.startswith(f"{PREFIX}{pid}#") for key in keys)
    assert kicks == [pid]
    # When the drain it asked for runs (another invocation), the subscribers answering now
    trickler.answer, trickler.pace = OK, 0.0
    assert drain(pid) == {"delivered": 2, "retrying": 0, "dead": 0, "skipped": 0}
    # Then each got the event once
    assert len(trickler.requests) == 1 and len(subscriber.received) == 1
    assert trickler.requests[0][1]["liverec-delivery"] == pid == subscriber.received[0][0]["liverec-delivery"]
    assert due_keys() == []


def test_concurrent_drains_from_several_kicks_and_the_timer_send_each_event_once(
    configure: Callable[..., None], subscriber: Subscriber, kicks: list[str]
) -> None:
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_WEBHOOK_URLS=subscriber.url,
        LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
    )
    # Given five record-file callbacks, answered, each asking for a drain
    for n in range(5):
        assert callback(signed(record_file(file_id=f"52858908000000{n:05d}"))) == ACK
    assert len(kicks) == 5 and subscriber.received == []
    # When their five drains and a timer tick run at once
    events = [drain_event(pid) for pid in kicks] + [
        {"source": "aws.events", "detail-type": "Scheduled Event"}
    ]
    barrier = threading.Barrier(len(events))
    results: list[dict[str, int]] = []

    def run(event: dict[str, Any]) -> None:
        barrier.wait()
        results.append(handler.lambda_handler(event, LambdaContext()))

    threads = [threading.Thread(target=run, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then between them each event was sent once (what one leased, the others skipped)
    assert sum(r["delivered"] for r in results) == 5
    assert Counter(h["liverec-delivery"] for h, _ in subscriber.received) == Counter(set(kicks))
    assert due_keys() == []


# --- on Lambda: the function invokes itself asynchronously ------------------------------------------------


@pytest.fixture
def on_lambda(
    configure: Callable[..., None],
    dynamodb: Any,
    subscriber: Subscriber,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], None]:
    """The webhooks function as deployed (its name set, the DynamoDB outbox on moto's server), Lambda's
    Invoke endpoint at the given URL."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)

    def point(lambda_url: str) -> None:
        configure(
            LIVE_CALLBACK_KEY=CALLBACK_KEY,
            LIVEREC_WEBHOOK_URLS=subscriber.url,
            LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
            LIVEREC_IDEMPOTENCY_TABLE=TABLE,
            AWS_ENDPOINT_URL_LAMBDA=lambda_url,
        )

    return point


def botocore_signature(request: tuple[str, dict[str, str], bytes], url: str) -> str:
    """The Authorization botocore computes for this request (at its X-Amz-Date, with the tests' keys)."""
    from datetime import datetime
    from unittest.mock import patch

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    line, headers, body = request
    signed_names = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    theirs = AWSRequest(
        method="POST",
        url=url + line.split(" ")[1],
        data=body,
        headers={name: headers[name] for name in signed_names if name != "host"},
    )
    when = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    with patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(Credentials("testing", "testing", "testing-session-token"), "lambda", REGION).add_auth(
            theirs
        )
    return str(theirs.headers["Authorization"])


def test_on_lambda_the_callback_invokes_its_function_asynchronously_and_that_drain_delivers(
    on_lambda: Callable[[str], None], subscriber: Subscriber, stubs: Callable[..., Stub]
) -> None:
    # Given the function deployed, Lambda's endpoint accepting asynchronous invocations
    endpoint = stubs(ACCEPTED)
    on_lambda(endpoint.url)
    fields = record_file()
    # When Tencent's record-file callback arrives
    assert callback(signed(fields)) == ACK
    # Then nothing was sent; the function invoked itself asynchronously, once, for that payload's drain
    assert subscriber.received == []
    pid = payload_id(100, fields)
    (request,) = endpoint.requests
    line, headers, body = request
    assert line == f"POST /2015-03-31/functions/{FUNCTION}/invocations HTTP/1.1"
    assert headers["x-amz-invocation-type"] == "Event"
    assert json.loads(body) == {"outbox": "drain", "payload_id": pid}
    # signed with SigV4 for Lambda, the invocation type signed too: the signature botocore computes
    authorization = headers["authorization"]
    assert f"/{REGION}/lambda/aws4_request" in authorization
    assert "x-amz-invocation-type" in authorization and "x-amz-security-token" in authorization
    assert authorization == botocore_signature(request, endpoint.url)
    # When Lambda runs that event (another invocation), the subscriber gets the event, once
    assert handler.lambda_handler(json.loads(body), LambdaContext())["delivered"] == 1
    assert [h["liverec-delivery"] for h, _ in subscriber.received] == [pid]
    # and Tencent's redelivery queues nothing and asks for nothing more
    assert callback(signed(fields)) == ACK
    assert len(endpoint.requests) == 1 and len(subscriber.received) == 1


@pytest.mark.parametrize(
    ("lambda_side", "code", "level"),
    [
        ("refused", "ConnectFailed", logging.WARNING),
        ("silent", "Timeout", logging.WARNING),
        ("trickling", "Timeout", logging.WARNING),
        ("denied", "AccessDeniedException", logging.ERROR),
    ],
    ids=["refused", "silent", "trickling", "denied"],
)
def test_a_kick_that_fails_still_answers_200_and_leaves_the_forward_to_the_timer(
    on_lambda: Callable[[str], None],
    subscriber: Subscriber,
    stubs: Callable[..., Stub],
    caplog: pytest.LogCaptureFixture,
    lambda_side: str,
    code: str,
    level: int,
) -> None:
    # Given Lambda's endpoint refusing connections, silent, trickling its answer, or denying the call
    if lambda_side == "refused":
        with socket.create_server(("127.0.0.1", 0)) as closed:
            url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    else:
        answer = {"silent": None, "trickling": ACCEPTED, "denied": DENIED}[lambda_side]
        url = stubs(answer, pace=0.5 if lambda_side == "trickling" else 0.0).url
    on_lambda(url)
    # When a record-file callback arrives
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        answer = callback(signed(record_file()))
    took = time.monotonic() - started
    # Then it is answered 200 within the kick's 1 s (and some), the failure logged with its code
    assert answer == ACK
    assert took < 5.0, f"the callback took {took:.1f} s"
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("outbox drain not requested")]
    assert logged.levelno == level and logged.__dict__["code"] == code
    # and the forward is due for the timer, which delivers it
    assert subscriber.received == [] and len(due_keys()) == 1
    tick = handler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    assert tick["delivered"] == 1 and len(subscriber.received) == 1


# --- the local gateway (make run): answers, then drains ----------------------------------------------------


def test_the_local_gateway_answers_the_callback_then_delivers(
    configure: Callable[..., None], subscriber: Subscriber
) -> None:
    from devtools import run

    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_WEBHOOK_URLS=subscriber.url,
        LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
    )
    use_kick(run.kick_after_answer)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), run.Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fields = record_file()
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_address[1]}/callbacks/tencent",
            data=json.dumps(signed(fields)).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            assert (response.status, json.loads(response.read())) == ACK
        assert subscriber.wait_for(1)
        headers, body = subscriber.received[0]
        assert headers["liverec-delivery"] == payload_id(100, fields) == json.loads(body)["id"]
    finally:
        use_kick(None)
        server.shutdown()
        server.server_close()
