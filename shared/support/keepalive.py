"""Keep-alive HTTP connections for the functions' outbound calls (Tencent Live, DynamoDB): reused across warm
invocations, never reused when they may be dead.

A request sent on a dead connection fails *after* it was sent, which for a create or a conditional write
is ambiguous (it may have been applied). So an idle connection is reused only when

- the server has not closed it (a closed socket reads as ready: end of file), and
- it has been idle for less than :data:`IDLE_REUSE` seconds by both the monotonic and the wall clock: a
  Lambda sandbox frozen between invocations stops the monotonic clock, and a NAT or load balancer may drop
  an idle connection meanwhile without a FIN.

A connection that cannot be opened raises :class:`ConnectFailed`: nothing was sent, so a retry is safe.
A request's ``deadline`` (:mod:`shared.support.http1`) is given to the connection it acquires, the connect
included, and taken off when the connection is released.
A host name that is plain ASCII (any DNS name or IP address) is resolved, and named in TLS's SNI, by its
ASCII bytes, which is what the ``idna`` codec would make of it: a ``str`` host would import
``encodings.idna`` (with ``unicodedata`` and ``stringprep``) on every cold start's first connection.
The connections are :class:`shared.support.http1.Connection` (not ``http.client``'s, which would load the
``email`` parser on the first request). Thread-safe; standard library only. :func:`close_all` closes the idle
connections of every pool in the process (SnapStart's hooks: no socket in a snapshot, none shared by its
copies).
"""

from __future__ import annotations

import select
import ssl
import threading
import time
import weakref

from shared.support.http1 import MAX_BODY, Connection

IDLE_REUSE = 20.0  # seconds an idle connection may wait and still be reused
MAX_IDLE = 8


class ConnectFailed(Exception):
    """The connection could not be opened (DNS, refused, unreachable, TCP or TLS timeout): nothing was sent."""


class Pool:
    """Connections to one ``scheme://host:port``: at most ``max_idle`` kept for reuse."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_idle: int = MAX_IDLE,
        max_body: int = MAX_BODY,
    ) -> None:
        self.https = scheme == "https"
        self.host = host
        self._wire_host = ascii_host(host)
        self.port = port
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self.max_body = max_body
        self.idle: list[tuple[Connection, float, float]] = []  # (conn, monotonic, wall)
        self._lock = threading.Lock()
        with _pools_lock:
            _pools.add(self)

    def acquire(self, deadline: float | None = None) -> Connection:
        """A live idle connection, or a newly opened one, bound to ``deadline`` (an instant of
        ``time.monotonic``: the connect too); raises :class:`ConnectFailed`."""
        mono, wall = time.monotonic(), time.time()
        with self._lock:
            while self.idle:
                conn, since_mono, since_wall = self.idle.pop()
                if (
                    mono - since_mono < IDLE_REUSE
                    and 0 <= wall - since_wall < IDLE_REUSE
                    and still_open(conn)
                ):
                    conn.deadline = deadline
                    return conn
                conn.close()
        conn = self._new()
        conn.deadline = deadline
        try:
            conn.connect(self._wire_host)
        except OSError as exc:  # refused, unreachable, DNS failure, TCP or TLS timeout: nothing was sent
            conn.close()
            raise ConnectFailed(f"{type(exc).__name__}: {exc}") from exc
        return conn

    def release(self, conn: Connection) -> None:
        """Keep a connection whose answer was read to the end (closed instead when the pool is full)."""
        conn.deadline = None
        with self._lock:
            if len(self.idle) < self.max_idle:
                self.idle.append((conn, time.monotonic(), time.time()))
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections (the pool stays usable)."""
        with self._lock:
            idle, self.idle = self.idle, []
        for conn, _, _ in idle:
            conn.close()

    def _new(self) -> Connection:
        return Connection(
            self.host,
            self.port,
            timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            context=tls_context() if self.https else None,
            max_body=self.max_body,
        )


# every pool of the process, for close_all (a pool nothing else holds any more is dropped from it)
_pools: weakref.WeakSet[Pool] = weakref.WeakSet()
_pools_lock = threading.Lock()


def close_all() -> int:
    """Close the idle connections of every pool (each stays usable: the next request opens one). How many
    pools there were."""
    with _pools_lock:
        pools = list(_pools)
    for pool in pools:
        pool.close()
    return len(pools)


_tls: ssl.SSLContext | None = None
_tls_lock = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The default TLS context (the system's CAs, the host name checked), built once per process and shared
    by every HTTPS connection: loading the CA bundle costs a few ms."""
    global _tls  # noqa: PLW0603 - the per-process context
    with _tls_lock:
        if _tls is None:
            _tls = ssl.create_default_context()
        return _tls


def ascii_host(host: str) -> bytes | None:
    """``host`` as the ``idna`` codec encodes it when that is its ASCII bytes unchanged: ASCII, and no label
    empty (but a trailing dot's) or over 63 characters. None otherwise (the ``str`` is resolved as given)."""
    labels = host.split(".")
    if not host.isascii() or not all(0 < len(label) < 64 for label in labels[:-1]) or len(labels[-1]) >= 64:
        return None
    return host.encode("ascii") if host else None


def still_open(conn: Connection) -> bool:
    """An idle keep-alive socket the server has closed reads as ready (end of file): do not send on it."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
