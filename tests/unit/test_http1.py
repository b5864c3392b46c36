"""The minimal HTTP/1.1 client (shared.support.http1) against a scripted loopback server: how it frames
bodies, when it closes, its bounds, and that every failure after sending is an OSError (no answer)."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType

import pytest

from shared.support import http1
from shared.support.http1 import Connection, HttpError
from shared.support.keepalive import ConnectFailed, Pool
from shared.tencent.transport import KeepAliveHttp, NoAnswer, NotSent

# a reply: bytes sent (the connection stays open for the next request), or a function given the socket
# (the connection is closed after it)
Reply = bytes | Callable[[socket.socket], None]


class Loopback:
    """A server on 127.0.0.1 (port 0) that answers each request it reads with the next scripted reply and
    stops by itself: when the script runs out, or when the test leaves its ``with`` block."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5)

    def _serve(self) -> None:
        with self._listener:
            while self.replies and not self._stop.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                self.connections += 1
                with conn:
                    conn.settimeout(5)
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        try:
            self._exchange(conn)
        except TimeoutError:  # a client keeping the connection open with nothing more to ask: it is done
            return

    def _exchange(self, conn: socket.socket) -> None:
        while self.replies and (request := read_request(conn)) is not None:
            self.requests.append(request)
            reply = self.replies.pop(0)
            if not isinstance(reply, bytes):
                reply(conn)
                return
            conn.sendall(reply)


def read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return data


def then_close(data: bytes) -> Reply:
    def send(conn: socket.socket) -> None:
        conn.sendall(data)

    return send


def then_reset(data: bytes) -> Reply:
    def send(conn: socket.socket) -> None:
        conn.sendall(data)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST

    return send


def connect(server: Loopback, timeout: float = 5) -> Connection:
    conn = Connection("127.0.0.1", server.port, timeout=timeout)
    conn.connect()
    return conn


def exchange(conn: Connection, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes, bool]:
    conn.request(method, "/x?a=1", body=body, headers={"X-Test": "yes"})
    response = conn.getresponse()
    return response.status, response.read(), response.will_close


def test_a_content_length_body_and_the_connection_kept() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amzn-ErrorType: Throttled:x\r\n\r\nhello"
    with Loopback(ok, ok) as server:
        conn = connect(server)
        conn.request("POST", "/", body=b'{"a":1}', headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.getheader("x-amzn-errortype") == "Throttled:x"
        assert response.getheader("X-AMZN-ERRORTYPE") == "Throttled:x"
        assert response.getheader("missing") is None
        assert (response.status, response.reason, response.read(), response.will_close) == (
            200,
            "OK",
            b"hello",
            False,
        )
        assert exchange(conn) == (200, b"hello", False)  # the same connection again
        conn.close()
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST / HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in first
    assert b"Content-Length: 7\r\n" in first and b"Accept-Encoding: identity\r\n" in first
    assert first.endswith(b'\r\n\r\n{"a":1}')
    assert b"Content-Length" not in server.requests[1]  # a GET without a body


def test_a_chunked_body_with_extensions_and_a_trailer() -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    with Loopback(reply, reply) as server:
        conn = connect(server)
        assert exchange(conn) == (200, b"Wikipedia in \r\n\r\nchunks.", False)
        assert exchange(conn) == (200, b"Wikipedia in \r\n\r\nchunks.", False)
        conn.close()


def test_a_body_to_the_end_of_the_connection_closes_it() -> None:
    with Loopback(then_close(b"HTTP/1.1 200 OK\r\nX: y\r\n\r\nall of it")) as server:
        conn = connect(server)
        assert exchange(conn) == (200, b"all of it", True)
        conn.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\n{}",
    ],
)
def test_will_close_for_connection_close_and_http_1_0(reply: bytes) -> None:
    with Loopback(reply) as server:
        conn = connect(server)
        assert exchange(conn) == (200, b"{}", True)
        conn.close()


def test_a_bodyless_status_reads_nothing() -> None:
    with Loopback(b"HTTP/1.1 204 No Content\r\n\r\n") as server:
        conn = connect(server)
        assert exchange(conn, "DELETE") == (204, b"", False)
        conn.close()
    assert b"Content-Length" not in server.requests[0]


def test_a_read_limit_stops_there_and_gives_up_the_connection() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    with Loopback(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef", chunked) as server:
        for _ in range(2):
            conn = connect(server)
            conn.request("GET", "/")
            response = conn.getresponse()
            assert (response.read(4), response.will_close, response.read()) == (b"abcd", True, b"")
            conn.close()


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * http1.MAX_HEAD + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * (http1.MAX_HEADERS + 1) + b"\r\n",
        b"HTTP/1.1 200 OK\r\n" + (b"X-Some: " + b"a" * 1000 + b"\r\n") * 70 + b"\r\n",  # 70 KB in all
    ],
)
def test_oversize_headers_are_an_error(head: bytes) -> None:
    with Loopback(then_close(head)) as server:
        conn = connect(server)
        conn.request("GET", "/")
        with pytest.raises(HttpError, match=r"over|more than"):
            conn.getresponse()
        conn.close()


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (b"", "closed before the status line"),
        (b"ICY 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed 5 bytes into"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", "does not end with CRLF"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", "closed 2 bytes into"),
    ],
)
def test_a_malformed_or_cut_short_answer_is_an_http_error(reply: bytes, match: str) -> None:
    with Loopback(then_close(reply)) as server:
        conn = connect(server)
        conn.request("GET", "/")
        with pytest.raises(HttpError, match=match) as caught:
            conn.getresponse().read()
        assert isinstance(caught.value, OSError)
        conn.close()


def test_a_reset_mid_body_is_an_os_error_and_no_answer_at_the_transport() -> None:
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10
    with Loopback(then_reset(partial)) as server:
        conn = connect(server)
        conn.request("GET", "/")
        with pytest.raises(OSError):  # the headers are read before the reset: the body breaks off
            conn.getresponse().read()
        conn.close()
    with Loopback(then_reset(partial)) as server, pytest.raises(NoAnswer):
        KeepAliveHttp(f"http://127.0.0.1:{server.port}", timeout=5).request("GET", "/")


def test_a_silent_server_is_a_read_timeout() -> None:
    never = threading.Event()

    def hang(conn: socket.socket) -> None:
        never.wait(5)

    with Loopback(hang) as server:
        conn = connect(server, timeout=0.2)
        conn.request("GET", "/")
        with pytest.raises(TimeoutError):
            conn.getresponse()
        conn.close()
        never.set()


def test_a_refused_connection_is_connect_failed_at_the_pool() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ConnectionRefusedError):
        Connection("127.0.0.1", port, timeout=2).connect()
    with pytest.raises(ConnectFailed):
        Pool("http", "127.0.0.1", port, connect_timeout=2, read_timeout=2).acquire()


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        ("GET", "/a b", {}),
        ("GET", "/a\r\nX: y", {}),
        ("GET", "/", {"X-Bad": "v\r\nInjected: 1"}),
        ("GET", "/", {"X Bad": "v"}),
        ("G T", "/", {}),
    ],
)
def test_a_line_injection_is_refused_before_sending(
    method: str, target: str, headers: dict[str, str]
) -> None:
    with Loopback(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") as server:
        conn = connect(server)
        with pytest.raises(ValueError):
            conn.request(method, target, headers=headers)
        conn.close()
    assert server.requests == []


def test_the_host_header_as_http_client_writes_it() -> None:
    assert Connection("example.com", 443, timeout=1, context=None)._host_header() == "example.com:443"
    assert Connection("example.com", None, timeout=1)._host_header() == "example.com"
    assert Connection("::1", 8080, timeout=1)._host_header() == "[::1]:8080"
    assert Connection("bücher.example", 80, timeout=1)._host_header() == "xn--bcher-kva.example"


def test_a_request_on_a_closed_connection_is_an_http_error() -> None:
    conn = Connection("127.0.0.1", 9, timeout=1)
    with pytest.raises(HttpError, match="not connected"):
        conn.request("GET", "/")


def test_the_first_request_loads_neither_http_client_nor_the_email_parser() -> None:
    with Loopback(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") as server:
        code = (
            "import sys; import functions.realtime.handler, shared.tencent.record_task; "
            "import shared.support.aws, shared.webhooks.outbox; "
            "from shared.tencent.transport import KeepAliveHttp; "
            f"assert KeepAliveHttp('http://127.0.0.1:{server.port}', 5).request('GET', '/') == (200, b'{{}}'); "
            "print(sorted(m for m in ('http.client', 'email.parser', 'email.feedparser') if m in sys.modules))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the deadline and the body cap -------------------------------------------------------------------------


def drip(data: bytes, every: float = 0.1, *, head: bytes = b"") -> Reply:
    """``head`` at once, then ``data`` a byte at a time, ``every`` seconds apart: each read gets something
    well within any read timeout."""

    def send(conn: socket.socket) -> None:
        conn.sendall(head)
        for i in range(len(data)):
            try:
                conn.sendall(data[i : i + 1])
            except OSError:  # the client gave up
                return
            time.sleep(every)

    return send


DRIPPED = b"HTTP/1.1 200 OK\r\nContent-Length: 150\r\n\r\n" + b"x" * 150  # about 19 s at 0.1 s a byte


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_dripping_server_is_cut_at_the_deadline_not_per_read(where: str) -> None:
    """A 2 s read timeout never fires against a byte every 0.1 s: the deadline (1 s) bounds the whole
    answer, across the many recv calls one header line or one body takes."""
    reply = drip(DRIPPED) if where == "head" else drip(b"x" * 150, head=DRIPPED[:40])
    with Loopback(reply) as server:
        conn = Connection("127.0.0.1", server.port, timeout=2)
        conn.deadline = time.monotonic() + 1.0
        conn.connect()
        started = time.monotonic()
        conn.request("GET", "/")
        with pytest.raises(TimeoutError):
            conn.getresponse().read()
        assert time.monotonic() - started < 8  # the whole answer would take 19 s
        conn.close()


def test_a_deadline_passed_before_sending_is_unsent_and_not_sent_at_the_transport() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    with Loopback(ok) as server:
        conn = connect(server)
        conn.deadline = time.monotonic() - 1
        with pytest.raises(http1.Unsent):
            conn.request("GET", "/")
        conn.close()
        with pytest.raises(ConnectFailed):  # the connect is within the deadline too
            Pool("http", "127.0.0.1", server.port, connect_timeout=2, read_timeout=2).acquire(
                time.monotonic()
            )
        with pytest.raises(NotSent):
            KeepAliveHttp(f"http://127.0.0.1:{server.port}", timeout=5).request("GET", "/", until=0.0)
    assert server.requests == []


def test_a_huge_content_length_is_refused_before_anything_is_allocated() -> None:
    huge = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}"
    with Loopback(then_close(huge)) as server:
        conn = connect(server)
        conn.request("GET", "/")
        with pytest.raises(HttpError, match="over"):  # not a MemoryError
            conn.getresponse().read()
        conn.close()
    with Loopback(then_close(huge)) as server, pytest.raises(NoAnswer, match="over"):
        KeepAliveHttp(f"http://127.0.0.1:{server.port}", timeout=5).request("GET", "/")


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + b"a" * 600 + b"\r\n258\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"a" * 2000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n",  # 2**160 bytes
    ],
)
def test_a_chunked_or_close_delimited_body_over_the_cap_is_an_http_error(reply: bytes) -> None:
    with Loopback(then_close(reply)) as server:
        conn = Connection("127.0.0.1", server.port, timeout=5, max_body=1000)
        conn.connect()
        conn.request("GET", "/")
        with pytest.raises(HttpError, match="over 1000 bytes"):
            conn.getresponse().read()
        conn.close()


def test_a_read_limit_under_the_cap_still_truncates() -> None:
    with Loopback(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\nabcdef") as server:
        conn = Connection("127.0.0.1", server.port, timeout=5, max_body=4)
        conn.connect()
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.read(3), response.will_close) == (b"abc", True)
        conn.close()
