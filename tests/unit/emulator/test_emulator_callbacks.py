"""The emulator's Tencent-style callbacks, received by a real HTTP server on 127.0.0.1.

Signatures are checked here from Tencent's rule (``sign = md5_hex(key + str(t))``), with neither the
emulator's code nor ``shared.tencent.signing``; recording tasks are created over HTTP with a TC3 signer written here.
Nothing sleeps for a fixed time: every wait is a bounded wait on a condition.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from devtools.emulator import Credentials, Emulator, EmulatorConfig

ROOT = Path(__file__).resolve().parents[3]
CREDS = Credentials(
    secret_id="AKIDunit0000", secret_key="unit-key-不要泄露", fcgi_appid=1234, fcgi_key="unit-fcgi-key"
)
KEY = "callback-key-不要泄露"
T0 = int(datetime(2026, 5, 20, 18, 30, tzinfo=UTC).timestamp())
DOMAIN, APP = "5000.live.push.com", "live"
STREAM_FIELDS = {
    "appid",
    "app",
    "appname",
    "stream_id",
    "channel_id",
    "event_type",
    "event_time",
    "sequence",
    "node",
    "user_ip",
    "stream_param",
    "errcode",
    "errmsg",
    "t",
    "sign",
}
FILE_FIELDS = {
    "appid",
    "app",
    "appname",
    "stream_id",
    "channel_id",
    "event_type",
    "task_id",
    "file_id",
    "record_file_id",
    "file_format",
    "video_url",
    "start_time",
    "end_time",
    "duration",
    "file_size",
    "callback_ext",
    "t",
    "sign",
}


# --- the receiver --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str  # with its query
    headers: dict[str, str]  # lower-cased names
    body: dict[str, Any]


# How the receiver answers one request: an HTTP status; ("late", s): 200 after s seconds; "hang": nothing
# until the test ends; "garbage": a line that is not HTTP.
Answer = int | tuple[str, float] | str


class Receiver:
    """A callback receiver on 127.0.0.1: records every request, answers ``answers`` in order, then
    ``default``. ``on_request`` runs (on the receiver's thread) before the answer."""

    def __init__(self, path: str = "/callbacks/tencent?from=emulator") -> None:
        self.received: list[Received] = []
        self.answers: list[Answer] = []
        self.default: Answer = 200
        self.on_request: Callable[[Received], None] | None = None
        self.release = threading.Event()
        self._cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.record(self, json.loads(raw) if raw else {})
                answer = outer.next_answer()
                if answer == "hang":
                    outer.release.wait(10)
                    self.close_connection = True
                    return
                if answer == "garbage":
                    self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
                    self.close_connection = True
                    return
                status = 200
                if isinstance(answer, tuple):
                    outer.release.wait(answer[1])
                elif isinstance(answer, int):
                    status = answer
                with contextlib.suppress(OSError):  # a late answer finds the caller gone
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/redirected")
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def do_GET(self) -> None:  # only a followed redirect would GET
                outer.record(self, {})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:  # skip HTTPServer's getfqdn(): slow without DNS
                socketserver.TCPServer.server_bind(self)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a caller that timed out and went away is expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def record(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        item = Received(time.monotonic(), handler.command, handler.path, headers, body)
        if self.on_request is not None:
            self.on_request(item)
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()

    def next_answer(self) -> Answer:
        with self._cond:
            return self.answers.pop(0) if self.answers else self.default

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """At least ``count`` requests (bounded wait); returns all received so far."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            got = list(self.received)
        assert ok, f"expected {count} callbacks, got {[r.body.get('event_type') for r in got]}"
        return got

    def bodies(self, event_type: int | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [r.body for r in self.received if event_type is None or r.body["event_type"] == event_type]

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running(host="127.0.0.1", port=0):
        e.clock.freeze(T0)
        yield e


@pytest.fixture
def receiver(emu: Emulator) -> Iterator[Receiver]:
    """Depends on ``emu`` so that it closes first: a delivery waiting on it is released before the
    emulator stops."""
    r = Receiver()
    yield r
    r.close()


def configure(emu: Emulator, receiver: Receiver, **kw: Any) -> None:
    emu.callbacks.configure(receiver.url, KEY, **({"retry_interval": 0.05, "timeout": 2.0} | kw))


def signed_t(body: dict[str, Any], key: str = KEY) -> int:
    """Check ``sign`` independently (md5 hex of key + decimal t); return ``t``."""
    t = body["t"]
    assert isinstance(t, int) and not isinstance(t, bool)
    assert body["sign"] == hashlib.md5(f"{key}{t}".encode()).hexdigest()
    return t


def unsigned(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("t", "sign")}


def kinds(bodies: list[dict[str, Any]]) -> list[tuple[int, str | None]]:
    return [(b["event_type"], b.get("record_event")) for b in bodies]


# --- the emulator's API, signed here ----------------------------------------------------------------------


def send(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def api3(emu: Emulator, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """One TC3-HMAC-SHA256 POST (Tencent's rules, written independently); returns ``Response``."""
    body = json.dumps(params).encode()
    ts = int(emu.clock.now())
    date = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")
    host = f"127.0.0.1:{emu.port}"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = (
        f"TC3-HMAC-SHA256\n{ts}\n{date}/live/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    k = hmac.new(("TC3" + CREDS.secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"live", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": "ap-guangzhou",
        "Authorization": f"TC3-HMAC-SHA256 Credential={CREDS.secret_id}/{date}/live/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
    }
    status, data = send(emu.port, "POST", "/", body, headers)
    assert status == 200, data
    response: dict[str, Any] = json.loads(data)["Response"]
    assert "Error" not in response, response
    return response


def create_task(emu: Emulator, stream: str = "match-1", **extra: Any) -> str:
    params = {"StreamName": stream, "DomainName": DOMAIN, "AppName": APP, "EndTime": T0 + 600} | extra
    task_id: str = api3(emu, "CreateRecordTask", params)["TaskId"]
    return task_id


def control(
    emu: Emulator, method: str, name: str, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    status, data = send(emu.port, method, f"/_emulator/{name}", payload, {"Content-Type": "application/json"})
    return status, json.loads(data)


# --- pushes: events 1 and 0 ------------------------------------------------------------------------------


def test_push_begin_sends_one_signed_event_1_with_tencent_fields(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver)
    fields = emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    [got] = receiver.wait_for(1)
    assert emu.callbacks.wait_idle(5)
    assert got.method == "POST" and got.path == "/callbacks/tencent?from=emulator"
    assert got.headers["content-type"] == "application/json"
    body = got.body
    assert set(body) == STREAM_FIELDS
    assert signed_t(body) == T0 + 600  # t = the emulator's now + 10 minutes
    assert unsigned(body) == fields  # push_begin returns what it sends, before t and sign
    assert body["event_type"] == 1 and body["event_time"] == T0
    assert (body["app"], body["appname"], body["stream_id"], body["channel_id"]) == (
        DOMAIN,
        APP,
        "match-1",
        "match-1",
    )
    assert (body["errcode"], body["errmsg"], body["stream_param"]) == (0, "ok", "")
    assert isinstance(body["appid"], int) and body["sequence"]
    [delivery] = emu.callbacks.deliveries()
    assert (delivery.event_type, delivery.attempt, delivery.status, delivery.body) == (1, 1, 200, body)
    assert len(receiver.received) == 1


def test_push_end_sends_event_0_with_the_push_duration(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver)
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    emu.clock.advance(95.5)
    emu.callbacks.push_end(DOMAIN, APP, "match-1")
    begin, end = (r.body for r in receiver.wait_for(2))
    assert set(end) == STREAM_FIELDS | {"push_duration"}
    assert (end["event_type"], end["event_time"], end["push_duration"]) == (0, T0 + 95, "95500")
    assert signed_t(end) == T0 + 95 + 600
    assert end["sequence"] != begin["sequence"]  # a distinct event, not a redelivery of the begin
    assert emu.callbacks.pushes == {}
    with pytest.raises(ValueError, match="not being pushed"):
        emu.callbacks.push_end(DOMAIN, APP, "match-1")


# --- task progress: 332 and 100 ----------------------------------------------------------------------------


def test_a_task_recording_a_pushed_stream_sends_start_then_end_and_one_file_on_stop(
    emu: Emulator, receiver: Receiver
) -> None:
    configure(emu, receiver)
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    task_id = create_task(emu)
    _, start = (r.body for r in receiver.wait_for(2))
    assert (start["event_type"], start["record_event"]) == (332, "record_start_succeeded")
    assert (start["session_id"], start["stream_id"], start["domain"], start["appname"]) == (
        task_id,
        "match-1",
        DOMAIN,
        APP,
    )
    assert start["event_time"] == T0 and signed_t(start) == T0 + 600

    emu.clock.advance(120)
    api3(emu, "StopRecordTask", {"TaskId": task_id})
    got = [r.body for r in receiver.wait_for(4)]
    assert kinds(got) == [(1, None), (332, "record_start_succeeded"), (332, "record_ended"), (100, None)]
    ended, file = got[2], got[3]
    assert (ended["session_id"], ended["event_time"]) == (task_id, T0 + 120)
    assert set(file) == FILE_FIELDS
    assert file["task_id"] == task_id and file["stream_id"] == file["channel_id"] == "match-1"
    assert (file["start_time"], file["end_time"], file["duration"]) == (T0, T0 + 120, 120)
    assert file["file_id"] == file["record_file_id"] and file["file_id"] in file["video_url"]
    assert file["file_format"] == "flv" and file["video_url"].endswith(".flv")
    assert signed_t(ended) == signed_t(file) == T0 + 120 + 600

    # Later changes of the same task send nothing more: the push's end comes alone.
    emu.clock.advance(30)
    emu.callbacks.push_end(DOMAIN, APP, "match-1")
    receiver.wait_for(5)
    assert emu.callbacks.wait_idle(5)
    assert kinds(receiver.bodies())[4:] == [(0, None)]
    assert len(receiver.bodies(100)) == 1


def test_push_begin_and_end_around_a_task_bound_its_file(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver)
    idle = create_task(emu, "not-pushed")
    task_id = create_task(emu, "match-1")  # running since T0, but nothing is pushed yet
    emu.clock.advance(10)
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    receiver.wait_for(2)
    emu.clock.advance(80)
    emu.callbacks.push_end(DOMAIN, APP, "match-1")
    got = [r.body for r in receiver.wait_for(5)]
    assert kinds(got) == [
        (1, None),
        (332, "record_start_succeeded"),
        (0, None),
        (332, "record_ended"),
        (100, None),
    ]
    file = got[4]
    assert (file["task_id"], file["start_time"], file["end_time"], file["duration"]) == (
        task_id,
        T0 + 10,
        T0 + 90,
        80,
    )
    assert file["file_size"] > 0
    # the task of the stream nobody pushes was looked at in the same passes, and never recorded
    assert emu.callbacks.wait_idle(5)
    assert all(b.get("session_id") != idle and b.get("task_id") != idle for b in receiver.bodies())


def test_window_over_and_stop_end_recordings_delete_does_not_and_only_running_tasks_start(
    emu: Emulator, receiver: Receiver
) -> None:
    configure(emu, receiver)
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    short = create_task(emu, EndTime=T0 + 60)
    long = create_task(emu)
    third = create_task(emu)
    fourth = create_task(emu)  # overlap cap: the fourth task of a stream does not run
    receiver.wait_for(4)
    assert emu.callbacks.wait_idle(5)
    starts = [b["session_id"] for b in receiver.bodies(332)]
    assert starts == [short, long, third]

    emu.clock.advance(100)  # the short task's window is over; the fourth now runs (only three overlap)
    got = [r.body for r in receiver.wait_for(7)]
    assert kinds(got[4:]) == [(332, "record_ended"), (100, None), (332, "record_start_succeeded")]
    assert (got[4]["session_id"], got[6]["session_id"]) == (short, fourth)
    file = got[5]
    assert (file["task_id"], file["start_time"], file["end_time"], file["duration"]) == (
        short,
        T0,
        T0 + 60,
        60,
    )

    # DeleteRecordTask does not stop a running task (only new pushes): it records on, hidden
    assert "Error" not in api3(emu, "DeleteRecordTask", {"TaskId": long})
    assert emu.callbacks.wait_idle(5) and len(receiver.received) == 7
    (gone,) = [t for t in emu.tasks() if t.task_id == long]
    assert gone.deleted and gone.running
    # a stop ends one
    api3(emu, "StopRecordTask", {"TaskId": third})
    got = [r.body for r in receiver.wait_for(9)]
    assert kinds(got[7:]) == [(332, "record_ended"), (100, None)]
    assert (got[8]["task_id"], got[8]["start_time"], got[8]["end_time"]) == (third, T0, T0 + 100)
    assert emu.callbacks.wait_idle(5)
    assert len(receiver.received) == 9


def test_file_format_comes_from_the_task(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver)
    emu.callbacks.push_begin(DOMAIN, APP, "c1")
    t = T0 + 60
    sign = hashlib.md5(f"{CREDS.fcgi_key}{t}".encode()).hexdigest()
    query = (
        "appid=1234&interface=Live_Tape_Start&Param.s.channel_id=c1&Param.n.task_sub_type=1"
        f"&Param.s.file_format=mp4&t={t}&sign={quote(sign)}"
    )
    status, data = send(emu.port, "GET", f"/common_access?{query}")
    assert status == 200 and json.loads(data)["ret"] == 0, data
    receiver.wait_for(2)
    emu.callbacks.push_end(DOMAIN, APP, "c1")
    file = receiver.wait_for(5)[4].body
    assert file["event_type"] == 100 and file["stream_id"] == "c1"
    assert file["file_format"] == "mp4" and file["video_url"].endswith(".mp4")


# --- redelivery ------------------------------------------------------------------------------------------


def test_500_is_redelivered_12_times_resigned_and_retry_interval_apart(
    emu: Emulator, receiver: Receiver
) -> None:
    configure(emu, receiver)  # Tencent's 12 redeliveries, 0.05 s apart
    assert emu.callbacks.max_redeliveries == 12
    receiver.default = 500
    receiver.on_request = lambda _: emu.clock.advance(7)  # the emulator's clock moves between attempts
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    got = receiver.wait_for(13)
    assert emu.callbacks.wait_idle(5)
    assert len(receiver.received) == 13
    # each attempt is signed again, with t from the emulator's clock at that attempt
    assert [signed_t(r.body) for r in got] == [T0 + 600 + 7 * i for i in range(13)]
    assert len({r.body["sign"] for r in got}) == 13
    assert all(unsigned(r.body) == unsigned(got[0].body) for r in got)  # otherwise the same event
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert min(gaps) >= 0.05 - 0.005, gaps  # measured from the end of the failed attempt
    deliveries = emu.callbacks.deliveries()
    assert [(d.attempt, d.status) for d in deliveries] == [(i, 500) for i in range(1, 14)]
    assert [d.body for d in deliveries] == [r.body for r in got]


def test_no_answer_within_the_timeout_is_redelivered(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver, timeout=0.2, max_redeliveries=2)
    receiver.default = "hang"
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    got = receiver.wait_for(3)
    assert emu.callbacks.wait_idle(5)
    assert len(receiver.received) == 3
    assert [(d.attempt, d.status) for d in emu.callbacks.deliveries()] == [(1, 0), (2, 0), (3, 0)]
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert min(gaps) >= 0.2, gaps  # the timeout (from the end of sending), then retry_interval


def test_a_200_after_the_timeout_does_not_count(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver, timeout=0.2)
    receiver.answers = [("late", 0.6)]
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    receiver.wait_for(2)
    assert emu.callbacks.wait_idle(5)
    assert [(d.attempt, d.status) for d in emu.callbacks.deliveries()] == [(1, 0), (2, 200)]


def test_a_200_stops_redelivery_at_once_and_nothing_else_counts(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver)
    receiver.default = 500
    receiver.answers = [204, 302, 404, 503, 200]
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    receiver.wait_for(5)
    assert emu.callbacks.wait_idle(5)
    assert [(d.attempt, d.status) for d in emu.callbacks.deliveries()] == [
        (1, 204),
        (2, 302),  # a redirect is not followed (it could leave the loopback)
        (3, 404),
        (4, 503),
        (5, 200),
    ]
    assert [r.method for r in receiver.received] == ["POST"] * 5


def test_a_receiver_that_does_not_speak_http_is_a_failed_delivery(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver, max_redeliveries=1)
    receiver.answers = ["garbage", "garbage"]
    emu.callbacks.push_begin(DOMAIN, APP, "s1")
    receiver.wait_for(2)
    assert emu.callbacks.wait_idle(5)
    assert [(d.attempt, d.status) for d in emu.callbacks.deliveries()] == [(1, 0), (2, 0)]
    # and callbacks keep flowing afterwards
    emu.callbacks.push_begin(DOMAIN, APP, "s2")
    assert receiver.wait_for(3)[2].body["stream_id"] == "s2"
    assert emu.callbacks.wait_idle(5)
    assert emu.callbacks.deliveries()[-1].status == 200


def test_a_refused_connection_is_redelivered(emu: Emulator) -> None:
    gone = Receiver()
    gone.close()  # nothing listens on its port any more
    emu.callbacks.configure(gone.url, KEY, retry_interval=0.01, max_redeliveries=3)
    emu.callbacks.push_begin(DOMAIN, APP, "match-1")
    assert emu.callbacks.wait_idle(5)
    assert [(d.attempt, d.status) for d in emu.callbacks.deliveries()] == [(i, 0) for i in range(1, 5)]


# --- configuration, reset ------------------------------------------------------------------------------


def test_tencent_defaults() -> None:
    callbacks = Emulator().callbacks
    assert (callbacks.url, callbacks.retry_interval, callbacks.max_redeliveries, callbacks.timeout) == (
        None,
        60.0,
        12,
        20.0,
    )


@pytest.mark.parametrize(
    ("url", "key", "kw", "words"),
    [
        ("http://192.0.2.1/cb", KEY, {}, "loopback"),
        ("https://127.0.0.1/cb", KEY, {}, "loopback"),
        ("ftp://127.0.0.1/cb", KEY, {}, "loopback"),
        ("http://127.0.0.1.example.com/cb", KEY, {}, "loopback"),
        ("http://localhost.example.com/cb", KEY, {}, "loopback"),
        ("http://localhost@example.com/cb", KEY, {}, "loopback"),
        ("http://127.0.0.1:99999/cb", KEY, {}, "url"),
        ("http://127.0.0.1:8080/a b", KEY, {}, "url"),
        ("http://127.0.0.1:8080/a\r\nX: y", KEY, {}, "url"),
        (8080, KEY, {}, "url"),
        ("http://127.0.0.1:8080/cb", None, {}, "key"),
        ("http://127.0.0.1:8080/cb", "", {}, "key"),
        ("http://127.0.0.1:8080/cb", 123, {}, "key"),
        (None, KEY, {}, "url"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": 0}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": -1}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": "1"}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": True}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": float("nan")}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"retry_interval": float("inf")}, "retry_interval"),
        ("http://127.0.0.1:8080/cb", KEY, {"timeout": 0}, "timeout"),
        ("http://127.0.0.1:8080/cb", KEY, {"timeout": float("nan")}, "timeout"),
        ("http://127.0.0.1:8080/cb", KEY, {"timeout": 1e300}, "timeout"),
        ("http://127.0.0.1:8080/cb", KEY, {"max_redeliveries": -1}, "max_redeliveries"),
        ("http://127.0.0.1:8080/cb", KEY, {"max_redeliveries": 1.5}, "max_redeliveries"),
        ("http://127.0.0.1:8080/cb", KEY, {"max_redeliveries": True}, "max_redeliveries"),
        ("http://127.0.0.1:8080/cb", KEY, {"max_redeliveries": "3"}, "max_redeliveries"),
    ],
)
def test_configure_refuses(url: Any, key: Any, kw: dict[str, Any], words: str) -> None:
    callbacks = Emulator().callbacks
    callbacks.configure("http://localhost:1/before", "k", retry_interval=5, max_redeliveries=3, timeout=7)
    with pytest.raises(ValueError, match=words):
        callbacks.configure(url, key, **kw)
    # a refused configuration changes nothing
    assert (callbacks.url, callbacks.retry_interval, callbacks.max_redeliveries, callbacks.timeout) == (
        "http://localhost:1/before",
        5.0,
        3,
        7.0,
    )
    callbacks.stop()


def test_configure_accepts_loopback_urls_and_turns_off_with_neither() -> None:
    callbacks = Emulator().callbacks
    for url in ("http://127.0.0.1:9/cb", "http://localhost:9/cb?x=1", "http://127.0.0.1/"):
        callbacks.configure(url, "k", retry_interval=1, max_redeliveries=0, timeout=0.5)
        assert callbacks.url == url
    callbacks.configure(None, None)
    assert callbacks.url is None
    callbacks.stop()


def test_nothing_is_sent_when_not_configured(emu: Emulator, receiver: Receiver) -> None:
    fields = emu.callbacks.push_begin(DOMAIN, APP, "quiet")  # the push is tracked, nothing is queued
    assert fields["event_type"] == 1 and ("5000.live.push.com", "live", "quiet") in emu.callbacks.pushes
    create_task(emu, "quiet")
    emu.callbacks.push_end(DOMAIN, APP, "quiet")
    assert emu.callbacks.wait_idle(1) and emu.callbacks.deliveries() == []
    configure(emu, receiver)
    emu.callbacks.push_begin(DOMAIN, APP, "loud")
    receiver.wait_for(1)
    assert emu.callbacks.wait_idle(5)
    assert [(b["event_type"], b["stream_id"]) for b in receiver.bodies()] == [(1, "loud")]


def test_reset_turns_callbacks_off_and_forgets_everything(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver, max_redeliveries=2)
    emu.callbacks.push_begin(DOMAIN, APP, "s1")
    receiver.wait_for(1)
    assert emu.callbacks.wait_idle(5)
    emu.reset()
    emu.clock.freeze(T0)
    cb = emu.callbacks
    assert (cb.url, cb.pushes, cb.deliveries()) == (None, {}, [])
    assert (cb.retry_interval, cb.max_redeliveries, cb.timeout) == (60.0, 12, 20.0)
    cb.push_begin(DOMAIN, APP, "s2")  # off: not sent
    configure(emu, receiver)
    cb.push_begin(DOMAIN, APP, "s3")
    receiver.wait_for(2)
    assert cb.wait_idle(5)
    assert [b["stream_id"] for b in receiver.bodies()] == ["s1", "s3"]


def test_reset_during_a_delivery_forgets_it(emu: Emulator, receiver: Receiver) -> None:
    configure(emu, receiver, timeout=5)
    receiver.answers = ["hang"]
    emu.callbacks.push_begin(DOMAIN, APP, "s1")
    receiver.wait_for(1)  # the first attempt is in flight
    emu.callbacks.reset()
    receiver.release.set()  # now it fails (no answer), after the reset
    assert emu.callbacks.wait_idle(5)
    assert emu.callbacks.deliveries() == []  # nothing from before the reset, and no redelivery
    assert len(receiver.received) == 1


def test_stop_ends_the_sender(emu: Emulator, receiver: Receiver) -> None:
    before = set(threading.enumerate())
    configure(emu, receiver)
    [sender] = [t for t in set(threading.enumerate()) - before if t.name == "emulator-callbacks"]
    emu.callbacks.push_begin(DOMAIN, APP, "s1")
    receiver.wait_for(1)
    emu.callbacks.stop()
    assert not sender.is_alive()
    configure(emu, receiver)  # configure starts it again
    emu.callbacks.push_begin(DOMAIN, APP, "s2")
    receiver.wait_for(2)


# --- control API ----------------------------------------------------------------------------------------


def test_control_callbacks_endpoint(emu: Emulator, receiver: Receiver) -> None:
    body = {"url": receiver.url, "key": KEY, "retry_interval": 0.05, "max_redeliveries": 1, "timeout": 1}
    assert control(emu, "POST", "callbacks", body) == (200, {"ok": True})
    cb = emu.callbacks
    assert (cb.url, cb.retry_interval, cb.max_redeliveries, cb.timeout) == (receiver.url, 0.05, 1, 1.0)
    for bad in (
        {"url": "http://192.0.2.1/cb", "key": KEY},
        {"url": "http://127.0.0.1.example.com/cb", "key": KEY},
        {"url": receiver.url},
        {"key": KEY},
        {"url": 5, "key": KEY},
        {"url": ["http://127.0.0.1/"], "key": KEY},
        {"url": receiver.url, "key": 7},
        {"url": receiver.url, "key": ""},
        {"url": receiver.url, "key": KEY, "retry_interval": -1},
        {"url": receiver.url, "key": KEY, "retry_interval": "fast"},
        {"url": receiver.url, "key": KEY, "max_redeliveries": 1.5},
        {"url": receiver.url, "key": KEY, "timeout": 0},
    ):
        status, answer = control(emu, "POST", "callbacks", bad)
        assert status == 400 and answer["error"], bad
    for raw in (b'{"url": "http://127.0.0.1:1/", "key": "k", "timeout": NaN}', b"{", b"[1]"):
        assert control(emu, "POST", "callbacks", raw=raw)[0] == 400, raw
    assert cb.url == receiver.url and cb.max_redeliveries == 1  # refusals changed nothing
    assert control(emu, "GET", "callbacks")[0] == 405
    assert control(emu, "POST", "callbacks", {}) == (200, {"ok": True})  # neither url nor key: off
    assert cb.url is None


def test_control_push_and_deliveries_endpoints(emu: Emulator, receiver: Receiver) -> None:
    assert control(emu, "GET", "deliveries") == (200, {"deliveries": []})
    configure(emu, receiver)
    status, answer = control(emu, "POST", "push", {"domain": DOMAIN, "app": APP, "stream": "s1"})
    assert status == 200 and answer["ok"] is True  # "action" defaults to "begin"
    assert answer["callback"]["event_type"] == 1 and answer["callback"]["stream_id"] == "s1"
    begin = receiver.wait_for(1)[0].body
    assert unsigned(begin) == answer["callback"]
    emu.clock.advance(3)
    push_end = {"domain": DOMAIN, "app": APP, "stream": "s1", "action": "end"}
    status, answer = control(emu, "POST", "push", push_end)
    assert status == 200 and answer["callback"]["event_type"] == 0
    assert answer["callback"]["push_duration"] == "3000"
    receiver.wait_for(2)
    assert emu.callbacks.wait_idle(5)
    status, answer = control(emu, "GET", "deliveries")
    assert status == 200
    assert [{k: d[k] for k in ("event_type", "attempt", "status")} for d in answer["deliveries"]] == [
        {"event_type": 1, "attempt": 1, "status": 200},
        {"event_type": 0, "attempt": 1, "status": 200},
    ]
    assert answer["deliveries"][0]["body"] == begin and isinstance(answer["deliveries"][0]["at"], float)

    for bad, words in (
        (push_end, "not being pushed"),
        ({"domain": DOMAIN, "app": APP}, "stream"),
        ({"domain": DOMAIN, "app": APP, "stream": ""}, "stream"),
        ({"domain": 5, "app": APP, "stream": "s"}, "stream"),
        ({"domain": DOMAIN, "app": APP, "stream": "s", "action": "pause"}, "action"),
    ):
        status, answer = control(emu, "POST", "push", bad)
        assert status == 400 and words in answer["error"], (bad, answer)
    assert control(emu, "GET", "push")[0] == 405
    assert control(emu, "POST", "deliveries")[0] == 405
    assert control(emu, "POST", "reset", {}) == (200, {"ok": True})
    assert emu.callbacks.url is None and control(emu, "GET", "deliveries") == (200, {"deliveries": []})


# --- the command line -------------------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "LIVE_"))}
    base = {k: v for k, v in base.items() if "proxy" not in k.lower()}
    return subprocess.Popen(
        [sys.executable, "-m", "devtools.emulator", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=ROOT,
        env=base | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_callback_url_sends_signed_callbacks_directly(receiver: Receiver) -> None:
    # A proxy in the environment must not be used for the loopback receiver (nothing listens on port 9).
    env = {"LIVE_CALLBACK_KEY": "cli-callback-value", "http_proxy": "http://127.0.0.1:9"}
    proc = cli(env | {"HTTP_PROXY": "http://127.0.0.1:9"}, "--callback-url", receiver.url)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Tencent Live emulator listening on http://127.0.0.1:"), line
        port = int(urlsplit(line.split()[-1]).port or 0)
        push = json.dumps({"domain": DOMAIN, "app": APP, "stream": "cli"}).encode()
        assert send(port, "POST", "/_emulator/push", push)[0] == 200
        body = receiver.wait_for(1)[0].body
        assert body["event_type"] == 1 and body["stream_id"] == "cli"
        assert abs(signed_t(body, "cli-callback-value") - (time.time() + 600)) < 5
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert out == "" and "cli-callback-value" not in err
    assert "LIVE_CALLBACK_KEY" not in err  # it was set: not reported as a default


def test_cli_callback_key_default_is_reported_and_bad_urls_refused(receiver: Receiver) -> None:
    proc = cli({}, "--callback-url", receiver.url)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Tencent Live emulator listening on")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        _, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert "LIVE_CALLBACK_KEY" in err and "emulator-callback-key" not in err  # the name, never the value
    bad = cli({}, "--callback-url", "http://192.0.2.1/cb")
    out, err = bad.communicate(timeout=10)
    assert bad.returncode == 2 and out == "" and "loopback" in err
