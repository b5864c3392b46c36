"""A small keep-alive GET client (stdlib ``http.client``) for the two query-string generations, v2 and fcgi.

It tells the two transport failures apart, because retry safety depends on it:
- :class:`NotSent`: the connection could not be opened; the request never left.
- :class:`NoAnswer`: the request may have reached the server, but no complete answer came back.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import threading
from urllib.parse import quote, urlsplit


class NotSent(Exception):
    pass


class NoAnswer(Exception):
    pass


_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """Form-encode in the seeds' spelling: spaces as ``+``, escapes lowercase (``2017-05-20+10%3a00%3a00``)."""

    def enc(text: str) -> str:
        quoted = quote(text, safe="").replace("%20", "+")
        return _ESCAPE.sub(lambda m: m.group(0).lower(), quoted)

    return "&".join(f"{enc(k).replace('%2e', '.')}={enc(v)}" for k, v in pairs)


class LegacyHttp:
    def __init__(self, base_url: str, timeout: float, max_idle: int = 4) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port
        self.netloc = parts.netloc
        self.timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._max_idle = max_idle
        self._lock = threading.Lock()

    def get(self, path_and_query: str) -> tuple[int, bytes]:
        conn = self._acquire()
        try:
            conn.request("GET", path_and_query, headers={"Host": self.netloc, "Connection": "keep-alive"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        if response.will_close:
            conn.close()
        else:
            self._release(conn)
        return response.status, body

    def _acquire(self) -> http.client.HTTPConnection:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if _still_open(conn):
                    return conn
                conn.close()
        conn = self._new()
        try:
            conn.connect()
        except OSError as exc:  # refused, unreachable, DNS failure, connect timeout: nothing was sent
            conn.close()
            raise NotSent(f"{type(exc).__name__}: {exc}") from exc
        return conn

    def _new(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive socket the server has closed reads as ready (EOF): do not send on it."""
    sock: socket.socket | None = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
