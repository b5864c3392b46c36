"""Pooled keep-alive connections: reused while they can be trusted, never when they may be dead (a create
sent on a dead connection would fail after sending, which is ambiguous)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.support import keepalive
from shared.support.keepalive import ConnectFailed, Pool
from shared.tencent.transport import KeepAliveHttp, NotSent


class Server:
    """HTTP/1.1 on 127.0.0.1 that counts the connections it accepted."""

    def __init__(self) -> None:
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def get(http: KeepAliveHttp) -> int:
    status, _ = http.request("GET", "/")
    return status


def test_a_live_connection_is_reused(server: Server) -> None:
    http = KeepAliveHttp(f"http://127.0.0.1:{server.port}", timeout=5)
    assert [get(http) for _ in range(3)] == [200, 200, 200]
    assert server.connections == 1


def test_a_connection_idle_too_long_is_not_reused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. the Lambda sandbox was frozen: a NAT may have dropped it without telling either side
    monkeypatch.setattr(keepalive, "IDLE_REUSE", 0.0)
    http = KeepAliveHttp(f"http://127.0.0.1:{server.port}", timeout=5)
    get(http)
    get(http)
    assert server.connections == 2


def test_a_connection_the_server_closed_is_not_reused(server: Server) -> None:
    pool = Pool("http", "127.0.0.1", server.port, connect_timeout=5, read_timeout=5)
    conn = pool.acquire()
    conn.request("GET", "/")
    conn.getresponse().read()
    assert conn.sock is not None
    conn.sock.shutdown(socket.SHUT_RD)  # reads as end of file, as a socket the peer closed does
    pool.release(conn)
    fresh = pool.acquire()
    assert fresh is not conn


def test_a_refused_connection_is_connect_failed_and_not_sent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ConnectFailed):
        Pool("http", "127.0.0.1", port, connect_timeout=2, read_timeout=2).acquire()
    with pytest.raises(NotSent):
        KeepAliveHttp(f"http://127.0.0.1:{port}", timeout=2).request("GET", "/")


def test_the_pool_keeps_at_most_max_idle(server: Server) -> None:
    pool = Pool("http", "127.0.0.1", server.port, connect_timeout=5, read_timeout=5, max_idle=2)
    conns = [pool.acquire() for _ in range(4)]
    for conn in conns:
        pool.release(conn)
    assert len(pool.idle) == 2


@pytest.mark.parametrize(
    "host",
    [
        "live.tencentcloudapi.com",
        "127.0.0.1",
        "::1",
        "localhost.",
        "a" * 63 + ".com",
        "",
        "a..b",
        "a" * 64,
        "a" * 64 + ".com",
        "bücher.example",
    ],
)
def test_an_ascii_host_goes_out_as_the_idna_codec_would_encode_it(host: str) -> None:
    try:
        encoded: bytes | None = host.encode("idna")
    except UnicodeError:
        encoded = None
    expected = encoded if host.isascii() and encoded else None
    assert keepalive.ascii_host(host) == expected


def test_an_ascii_host_is_resolved_and_named_in_sni_by_its_bytes(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[object] = []
    real = socket.create_connection

    def create_connection(address: tuple[object, int], *args: Any) -> socket.socket:
        resolved.append(address[0])
        return real(("127.0.0.1", server.port), *args)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    named: list[object] = []

    def wrap_socket(sock: socket.socket, server_hostname: object = None) -> socket.socket:
        named.append(server_hostname)  # the SNI name; the socket stays plain (the server speaks HTTP)
        return sock

    context = ssl.create_default_context()
    monkeypatch.setattr(context, "wrap_socket", wrap_socket)
    monkeypatch.setattr(keepalive, "tls_context", lambda: context)
    pool = Pool("https", "live.example.com", 443, connect_timeout=5, read_timeout=5)
    conn = pool.acquire()
    assert resolved == [b"live.example.com"] and named == [b"live.example.com"]
    assert conn.host == "live.example.com"  # as given again once connected
    conn.close()


def test_the_first_connection_does_not_import_the_idna_codec(server: Server) -> None:
    code = (
        "import sys; from shared.support.keepalive import Pool; "
        f"Pool('http', '127.0.0.1', {server.port}, connect_timeout=5, read_timeout=5).acquire().close(); "
        "print('encodings.idna' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_every_https_connection_shares_one_tls_context() -> None:
    a = Pool("https", "a.example.com", 443, connect_timeout=5, read_timeout=5)._new()
    b = Pool("https", "b.example.com", 443, connect_timeout=5, read_timeout=5)._new()
    assert a.context is b.context is keepalive.tls_context()
    assert a.context is not None and a.context.check_hostname  # the CA bundle is loaded once per process
