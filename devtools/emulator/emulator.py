"""The emulator: one loopback port speaking API 3.0, v2 and fcgi, with a control API; its lifecycle, what
a test inspects, and the pipeline every API request goes through (faults, rate limit, the action under the
state lock, the request log)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from devtools.emulator import api3, control, fcgi, v2
from devtools.emulator.callbacks import Callbacks
from devtools.emulator.clock import Clock
from devtools.emulator.config import EmulatorConfig
from devtools.emulator.errors import ApiError
from devtools.emulator.faults import Faults
from devtools.emulator.server import LOOPBACK, Handler, Incoming, Outcome, Reply, Server
from devtools.emulator.state import RequestRecord, State, TaskRecord

log = logging.getLogger("liverec.emulator")
# Headers that carry credentials are not kept in the request log.
PRIVATE_HEADERS = frozenset({"authorization", "x-tc-token"})
# path -> (the methods it answers, the wire module that handles it)
API_ROUTES: dict[str, tuple[frozenset[str], Callable[[Emulator, Incoming], Reply]]] = {
    "/": (frozenset({"GET", "POST"}), api3.handle),
    "/v2/index.php": (frozenset({"GET", "POST"}), v2.handle),
    "/common_access": (frozenset({"GET"}), fcgi.handle),
}


class Emulator:
    """A Tencent Live stand-in speaking API 3.0 (both families), v2 and fcgi on one loopback port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = Clock()
        self.faults = Faults()
        self.state = State()
        self.callbacks = Callbacks(self)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._inflight = 0
        self._idle = threading.Condition()

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self, host: str = LOOPBACK, port: int = 0) -> str:
        """Serve on a background thread; port 0 picks a free port. Returns the base URL."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = self._bind(host, port)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how soon stop() is noticed; idle wake-ups are cheap
            name="tencent-live-emulator",
            daemon=True,
        )
        self._thread.start()
        log.info("Tencent Live emulator listening on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close every open connection (kept-alive ones included)."""
        self.callbacks.stop()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @contextlib.contextmanager
    def running(self, host: str = LOOPBACK, port: int = 0) -> Iterator[str]:
        url = self.start(host, port)
        try:
            yield url
        finally:
            self.stop()

    def serve_forever(self, host: str = LOOPBACK, port: int = 9100) -> None:
        """Serve on the calling thread until :meth:`stop` is called from another thread."""
        server = self._bind(host, port)
        self._server = server
        try:
            server.serve_forever(poll_interval=0.01)
        finally:
            server.close_connections()
            server.server_close()

    def _bind(self, host: str, port: int) -> Server:
        if host not in (LOOPBACK, "localhost"):
            raise ValueError("the emulator binds 127.0.0.1 only")
        server = Server((LOOPBACK, port), Handler)
        server.emulator = self
        return server

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    # --- inspection ----------------------------------------------------------------------------------

    def tasks(self) -> list[TaskRecord]:
        """Every task (deleted ones too), in creation order, ``running`` computed for the clock's now."""
        return self.state.with_running(self.clock.now(), self.config.overlap_cap)

    def requests(self) -> list[RequestRecord]:
        """Every request received on an API path (control API excluded), in arrival order."""
        with self.state.lock:
            return list(self.state.requests)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no API request is being handled (e.g. one delayed by a latency fault)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)

    def reset(self) -> None:
        """Forget tasks, requests, faults, rate windows, nonces and scroll tokens; the clock follows real
        time again. The configuration is kept."""
        self.state.reset()
        self.faults.clear()
        self.clock.reset()
        self.callbacks.reset()

    # --- request handling ----------------------------------------------------------------------------

    def handle(self, req: Incoming) -> Reply:
        if control.is_control(req.path):
            return control.handle(self, req)
        route = API_ROUTES.get(req.path)
        if route is None:
            reply = Reply(404, {"error": f"no such path {req.path}"})
            self.record_rejected(req, reply)
            return reply
        methods, wire = route
        if req.method not in methods:
            reply = Reply(405, {"error": f"method {req.method} not allowed on {req.path}"})
            self.record_rejected(req, reply)
            return reply
        with self._idle:
            self._inflight += 1
        try:
            return wire(self, req)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def record_rejected(self, req: Incoming, reply: Reply) -> None:
        """Log a request refused before any API handling (unknown path, bad method, body too large)."""
        self._record(Outcome(api=""), req, reply)

    def _record(self, outcome: Outcome, req: Incoming, reply: Reply) -> None:
        raw = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
        record = RequestRecord(
            api=outcome.api or None,
            action=outcome.action,
            params=outcome.params if outcome.params is not None else {},
            raw=raw,
            headers={k: v for k, v in req.headers.items() if k not in PRIVATE_HEADERS},
            status=0 if reply.drop else reply.status,
            response=reply.body if isinstance(reply.body, dict) and not reply.drop else None,
            auth_ok=outcome.auth_ok,
            at=self.clock.now(),
            method=req.method,
            path=req.path,
            latency=outcome.latency,
        )
        with self.state.lock:
            self.state.requests.append(record)
        log.debug(
            "%s %s %s action=%s auth_ok=%s -> %s",
            outcome.api or "-",
            req.method,
            req.path,
            outcome.action,
            outcome.auth_ok,
            "dropped" if reply.drop else reply.status,
        )

    def run(
        self,
        outcome: Outcome,
        action: str,
        render: Callable[[dict[str, Any] | ApiError], Reply],
        process: Callable[[], dict[str, Any]],
        rate_limit: int | None,
    ) -> Reply:
        """An authenticated request to a known action: faults, then the built-in rate limit, then the
        action itself (atomically, under the state lock), rendered in the generation's shape."""
        injected = self.faults.take(action)
        outcome.latency = injected.latency
        effect = injected.effect.kind if injected.effect is not None else None
        if injected.effect is not None and effect == "http_error":
            status = injected.effect.status
            if injected.effect.error_body:
                reply = render(ApiError("InternalError", f"{action}: internal error (injected)"))
                reply.status = status
                return reply
            return Reply(
                status, f"<html><body><h1>{status}</h1>injected by the Tencent Live emulator</body></html>"
            )
        if effect == "drop_before_store":
            return Reply(drop=True)
        if effect == "rate_limit":
            return render(
                ApiError("RequestLimitExceeded", f"{action}: request rate limit exceeded (injected)")
            )
        if not self.state.allow(action, rate_limit):
            return render(
                ApiError("RequestLimitExceeded", f"{action}: more than {rate_limit} requests per second")
            )
        with self.state.lock:
            try:
                reply = render(process())
            except ApiError as err:
                reply = render(err)
        reply.drop = effect == "drop_after_store"
        return reply

    def finish(self, outcome: Outcome, req: Incoming, reply: Reply) -> Reply:
        """Log the request, then hold the answer for any injected latency."""
        self._record(outcome, req, reply)
        if outcome.latency > 0:
            time.sleep(outcome.latency)
        return reply
