"""A minimal HTTP/1.1 client connection on the standard library's ``socket`` and ``ssl``: one request at a
time, answers read in full, keep-alive when the server allows it.

The functions' outbound calls use it rather than ``http.client``, whose import loads the ``email`` parser:
a cost every cold start would pay on its first request. This module imports only ``io``, ``socket`` and
``ssl``.

What it speaks:

- a request is its request line, its headers (``Host`` and ``Accept-Encoding: identity`` added when not
  given, as ``http.client`` does), and ``Content-Length`` whenever there is a body (and for a POST, PUT or
  PATCH without one), written in one ``sendall``;
- an answer is read as HTTP/1.0 or 1.1: interim ``1xx`` answers skipped, headers looked up by name in any
  case (repeated ones joined with ``", "``), the body delimited by ``Transfer-Encoding: chunked``, else by
  ``Content-Length``, else by the end of the connection. ``will_close`` is true for HTTP/1.0, for
  ``Connection: close``, for a body read to the end of the connection and for a body not read in full;
  such a connection is not reused.
- the header block (status line included) is at most :data:`MAX_HEAD` bytes and :data:`MAX_HEADERS` lines;
  a body read whole is at most the connection's ``max_body`` (:data:`MAX_BODY` unless the caller says):
  a ``Content-Length`` over it is refused before anything is allocated, a chunked or close-delimited body
  as soon as it passes it.

Time: ``timeout`` bounds the connect (TCP and TLS) and ``read_timeout`` each send and each ``recv`` (a
server silent that long). ``deadline``, when set (an instant of ``time.monotonic``), bounds the whole
exchange: every socket operation waits at most what is left of it, including each ``recv`` a header line or
a body takes (the reader sets the socket's timeout before every one), so a server dripping a byte a second
is cut at the deadline, not at ``read_timeout`` times the bytes.

Errors: a socket failure (refused, reset, timed out: ``TimeoutError``, a passed deadline too) propagates as
the ``OSError`` it is; an answer that is malformed, over a bound, or cut short raises :class:`HttpError`, an
``OSError`` too, so a caller tells "no complete answer" from everything else with one ``except OSError``.
A deadline passed before a request's first byte left raises :class:`Unsent` (a ``TimeoutError``): nothing
was sent. A request line or header that could inject a line raises ``ValueError`` before anything is sent.

It stays, rather than ``http.client`` or ``h11`` under the same deadline and cap (``bench/http_client.py``,
``make bench``'s "Outbound HTTP client"; bench/PREFACE.md has the figures): in fresh processes, importing it
and making a first request cost under half of either (its import adds 16 modules, ``http.client``'s 43
with the ``email`` parser, h11's 41), and neither would read within a deadline or a cap without code of
ours around the socket all the same.
"""

from __future__ import annotations

import io
import socket
import ssl
import time

MAX_HEAD = 65536  # bytes of one answer's status line and headers (a trailer or chunk-size line: the same)
MAX_HEADERS = 100  # header lines in one answer
MAX_INTERIM = 8  # 1xx answers skipped before the final one
MAX_BODY = 16 * 1024 * 1024  # bytes of a body read whole, unless the connection is given its own cap
_BODYLESS = frozenset({204, 304})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_HEX = frozenset(b"0123456789abcdefABCDEF")


class HttpError(OSError):
    """The answer is not HTTP/1.x as this client reads it, exceeds its bounds, or broke off before its end."""


class Unsent(TimeoutError):
    """The deadline passed before the request's first byte was sent: nothing left."""


class Connection:
    """One client connection to ``host:port`` (TLS when ``context`` is given). Not thread-safe: one request,
    then its answer read, at a time. Nothing is opened until :meth:`connect`, and nothing reopens it. No
    HEAD requests: the body its answer announces would be awaited. ``deadline``: see the module's doc."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: float,
        read_timeout: float | None = None,
        context: ssl.SSLContext | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.host = host
        self.default_port = 80 if context is None else 443
        self.port = self.default_port if port is None else port
        self.timeout = timeout
        self.read_timeout = timeout if read_timeout is None else read_timeout
        self.context = context
        self.max_body = max_body
        self.deadline: float | None = None
        self.sock: socket.socket | None = None
        self._file: io.BufferedReader | None = None

    def left(self, timeout: float) -> float:
        """``timeout``, or less when the deadline is nearer; ``TimeoutError`` once it has passed."""
        if self.deadline is None:
            return timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request's deadline has passed")
        return min(timeout, remaining)

    def connect(self, wire_host: bytes | None = None) -> None:
        """Open the TCP connection (and the TLS session, checking the certificate against the host name),
        both within ``timeout`` and the deadline. ``wire_host``, when given, is what is resolved and named in
        SNI in place of ``host``. Raises the ``OSError`` of the failure; nothing is open then."""
        host: str | bytes = self.host if wire_host is None else wire_host
        sock = socket.create_connection((host, self.port), self.left(self.timeout))  # type: ignore[arg-type]  # bytes resolve as given
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the request goes in one write
            if self.context is not None:
                sock.settimeout(self.left(self.timeout))  # the handshake: all of it within this
                sock = self.context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def close(self) -> None:
        """Close the connection (again: nothing)."""
        file, sock = self._file, self.sock
        self._file = self.sock = None
        if file is not None:
            file.close()
        if sock is not None:
            sock.close()

    def request(
        self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Send one request. ``ValueError`` for a method, target or header that could inject a line, and
        :class:`Unsent` for a deadline already passed (both before sending); an ``OSError`` once sending has
        started."""
        if self.sock is None:
            raise HttpError("not connected")
        lines = [f"{_token(method)} {_target(target)} HTTP/1.1"]
        given = {name.lower() for name in headers or ()}
        if "host" not in given:
            lines.append(f"Host: {self._host_header()}")
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")
        for name, value in (headers or {}).items():
            if name.lower() not in ("content-length", "transfer-encoding"):
                lines.append(f"{_token(name)}: {_value(value)}")
        if body is not None or method in _BODY_METHODS:
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            timeout = self.left(self.read_timeout)
        except TimeoutError as exc:
            raise Unsent(str(exc)) from None
        self.sock.settimeout(timeout)  # sendall's timeout bounds all of it
        self.sock.sendall(head + body if body else head)

    def getresponse(self) -> Response:
        """The answer's status line and headers, read now; its body is read by :meth:`Response.read`."""
        if self.sock is None:
            raise HttpError("not connected")
        if self._file is not None:  # a reader per answer (as http.client has): what an earlier one read
            self._file.close()  # beyond its answer's end is dropped with it, never taken for this answer
        self._file = io.BufferedReader(_Reader(self))
        return Response(self._file, self.max_body)

    def _host_header(self) -> str:
        host = self.host if self.host.isascii() else self.host.encode("idna").decode("ascii")
        host = f"[{host}]" if ":" in host else host
        return host if self.port == self.default_port else f"{host}:{self.port}"


class _Reader(io.RawIOBase):
    """The connection's socket as a raw stream whose every ``recv`` waits at most ``read_timeout`` and what
    is left of the deadline. Closing it leaves the socket open (the connection owns it)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # bytearray or memoryview
        sock = self._conn.sock
        if sock is None:
            raise HttpError("not connected")
        sock.settimeout(self._conn.left(self._conn.read_timeout))
        return sock.recv_into(buffer)


class Response:
    """One answer: ``status``, ``reason``, ``version``, headers by :meth:`getheader`, and the body by
    :meth:`read` (once), at most ``max_body`` bytes of it when read whole."""

    def __init__(self, file: io.BufferedReader, max_body: int = MAX_BODY) -> None:
        self._file = file
        self.max_body = max_body
        for _ in range(MAX_INTERIM + 1):
            self.version, self.status, self.reason = _status_line(file)
            self._headers = _headers(file)
            if self.status >= 200:
                break
        else:
            raise HttpError(f"more than {MAX_INTERIM} interim answers")
        connection = {token.strip().lower() for token in self._headers.get("connection", "").split(",")}
        self.will_close = self.version == "HTTP/1.0" or "close" in connection
        codings = [c.strip().lower() for c in self._headers.get("transfer-encoding", "").split(",")]
        self._chunked = False
        self._length: int | None = None
        self._read = False
        if self.status in _BODYLESS:
            self._length = 0
        elif codings[-1] == "chunked":
            self._chunked = True
        elif codings != [""]:  # another coding last: the body runs to the end of the connection
            self.will_close = True
        elif "content-length" in self._headers:
            self._length = _content_length(self._headers["content-length"])
        else:
            self.will_close = True

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """The header's value (any case of ``name``), repeated ones joined with ``", "``; else ``default``."""
        return self._headers.get(name.lower(), default)

    def read(self, limit: int | None = None) -> bytes:
        """The body, whole: :class:`HttpError` when it is over ``max_body`` bytes (a ``Content-Length``
        over it before anything is read). With ``limit``: its first ``limit`` bytes at most, and
        ``will_close`` when the rest is left unread. Later calls: ``b""``."""
        if self._read:
            return b""
        self._read = True
        cap = self.max_body if limit is None else limit
        if self._chunked:
            return self._read_chunked(cap, limit is None)
        if self._length is None:
            self.will_close = True
            data = self._file.read(cap + 1 if limit is None else cap)
            if len(data) > cap:
                raise HttpError(f"the body is over {cap} bytes")
            return data
        if self._length > cap:
            if limit is None:
                raise HttpError(f"the body is {self._length} bytes, over {cap}")
            self.will_close = True
            return _exact(self._file, cap)
        return _exact(self._file, self._length)

    def _read_chunked(self, cap: int, strict: bool) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = _line(self._file, MAX_HEAD, "a chunk size").split(b";", 1)[0].strip()
            if not line or not _HEX.issuperset(line):
                raise HttpError(f"not a chunk size: {line[:40]!r}")
            size = int(line, 16)
            if size == 0:
                _headers(self._file)  # the trailer, bounded as headers are; ignored
                return b"".join(parts)
            if total + size > cap:
                if strict:
                    raise HttpError(f"the body is over {cap} bytes")
                self.will_close = True
                parts.append(_exact(self._file, cap - total))
                return b"".join(parts)
            parts.append(_exact(self._file, size))
            total += size
            if _exact(self._file, 2) != b"\r\n":
                raise HttpError("a chunk does not end with CRLF")


def _line(file: io.BufferedReader, limit: int, what: str) -> bytes:
    """One line of at most ``limit`` bytes, its end included; :class:`HttpError` if longer or cut short."""
    line = file.readline(limit + 1)
    if len(line) > limit:
        raise HttpError(f"{what} is over {limit} bytes")
    if not line.endswith(b"\n"):
        raise HttpError(
            f"the connection closed in {what}" if line else f"the connection closed before {what}"
        )
    return line


def _status_line(file: io.BufferedReader) -> tuple[str, int, str]:
    text = _line(file, MAX_HEAD, "the status line").decode("latin-1").rstrip("\r\n")
    version, _, rest = text.partition(" ")
    code, _, reason = rest.partition(" ")
    if version not in ("HTTP/1.0", "HTTP/1.1") or len(code) != 3 or not code.isdigit() or code[0] == "0":
        raise HttpError(f"not an HTTP/1.x status line: {text[:60]!r}")
    return version, int(code), reason.strip()


def _headers(file: io.BufferedReader) -> dict[str, str]:
    """Header lines up to the blank line, by lowercase name; bounded by MAX_HEAD bytes, MAX_HEADERS lines."""
    found: dict[str, str] = {}
    budget = MAX_HEAD
    last = ""
    for _ in range(MAX_HEADERS + 1):
        line = _line(file, budget, "the headers")
        budget -= len(line)
        if line in (b"\r\n", b"\n"):
            return found
        text = line.decode("latin-1").strip()
        if line[:1] in (b" ", b"\t") and last:  # an obsolete folded continuation of the previous value
            found[last] = f"{found[last]} {text}"
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.rstrip() or " " in name or "\t" in name:
            raise HttpError(f"a malformed header line: {text[:60]!r}")
        last = name.lower()
        value = value.strip()
        found[last] = f"{found[last]}, {value}" if last in found else value
    raise HttpError(f"more than {MAX_HEADERS} header lines")


def _content_length(text: str) -> int:
    values = {part.strip() for part in text.split(",")}  # repeated headers were joined; they must agree
    value = values.pop() if len(values) == 1 else ""
    if not value.isascii() or not value.isdigit():
        raise HttpError(f"an invalid Content-Length: {text[:40]!r}")
    return int(value)


def _exact(file: io.BufferedReader, size: int) -> bytes:
    data = file.read(size)
    if len(data) < size:
        raise HttpError(f"the connection closed {len(data)} bytes into a body part of {size}")
    return data


def _token(text: str) -> str:
    """A method or header name: printable ASCII without spaces or colons."""
    if not text or not text.isascii() or not text.isprintable() or " " in text or ":" in text:
        raise ValueError(f"not a valid HTTP token: {text[:40]!r}")
    return text


def _target(text: str) -> str:
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise ValueError(f"not a valid request target: {text[:60]!r}")
    return text


def _value(text: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError("a header value with a line break or NUL")
    return text
