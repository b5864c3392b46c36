"""The HTTP side: a threaded loopback server that hands each request to the emulator, and answers; and
the exchange types the wire modules share (:class:`Incoming`, :class:`Outcome`, :class:`Reply`).

HTTP/1.1 with keep-alive; every answer has a Content-Length; a client that goes away is not an error; the
standard library's own errors are answered as JSON; nothing here ever sends a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

log = logging.getLogger("liverec.emulator")
MAX_BODY = 1024 * 1024
LOOPBACK = "127.0.0.1"
_REDACT = re.compile(r"(?i)\b(sign|signature|secretid|token)=[^&\s\"']*")


def redact(text: str) -> str:
    """For log lines: hide signature-like query values."""
    return _REDACT.sub(lambda m: f"{m.group(1)}=***", text)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or str for a plain-text (non-JSON) body
    drop: bool = False  # close the connection without answering


@dataclass
class Incoming:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Outcome:
    """What one API call came to, before it is logged and answered."""

    api: str  # "api3" | "v2" | "fcgi"; "" for a request refused before any API handling
    action: str | None = None
    params: dict[str, Any] | None = None
    auth_ok: bool = False
    latency: float = 0.0


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a burst of concurrent connects must not wait for SYN retransmits
    emulator: Emulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn): not needed, and slow without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = LOOPBACK, int(self.server_address[1])

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that went away mid-answer is not an emulator failure; never print tracebacks
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server
    timeout = 120  # an idle kept-alive connection is closed after this long

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK stall each answer ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path
        log.debug("%s %s %s -> %s", self.client_address[0], self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], redact(format % args))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (bad request line, unknown method...), as JSON."""
        if code == 501:  # "Unsupported method"
            code, message = 405, f"method {self.command} not allowed"
        self.close_connection = True  # the body (if any) was not read
        self._send(Reply(code, {"error": message or "bad request"}))

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _not_allowed(self) -> None:
        self.close_connection = True  # the body (if any) is not read
        incoming = Incoming(self.command, urlsplit(self.path).path, "", self._headers(), b"")
        reply = Reply(405, {"error": f"method {self.command} not allowed"})
        self.server.emulator.record_rejected(incoming, reply)
        self._send(reply)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_TRACE = do_CONNECT = _not_allowed

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        headers = self._headers()
        if "transfer-encoding" in headers:
            self.close_connection = True
            self._send(
                Reply(
                    411, {"error": "send the body with a Content-Length (chunked bodies are not supported)"}
                )
            )
            return
        raw_length = headers.get("content-length", "0").strip() or "0"
        if not raw_length.isascii() or not raw_length.isdigit():
            self.close_connection = True
            self._send(Reply(400, {"error": "bad Content-Length"}))
            return
        length = int(raw_length)
        if length > MAX_BODY:
            # Drain (bounded) so the client reads our 413 instead of a reset while it is still sending.
            remaining = min(length, 16 * MAX_BODY)
            with contextlib.suppress(OSError):
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            self.close_connection = True
            reply = Reply(413, {"error": f"the body is larger than {MAX_BODY} bytes"})
            self.server.emulator.record_rejected(
                Incoming(self.command, parts.path, parts.query, headers, b""), reply
            )
            self._send(reply)
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-body
            self.close_connection = True
            return
        incoming = Incoming(self.command, parts.path, parts.query, headers, body)
        try:
            reply = self.server.emulator.handle(incoming)
        except Exception:  # a bug in the emulator must not look like Tencent's answer, nor leak a traceback
            log.exception("emulator error on %s %s", self.command, parts.path)
            reply = Reply(500, {"error": "emulator internal error"})
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, str):
            data, ctype = reply.body.encode("utf-8"), "text/html; charset=utf-8"
        else:
            data, ctype = json.dumps(reply.body, ensure_ascii=False).encode("utf-8"), "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", ctype)  # exactly "application/json": the SDK compares it
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:
            self.close_connection = True
