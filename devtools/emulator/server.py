"""The HTTP side: routing by path to the generation, authentication, faults, the request log."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.emulator import actions, auth
from devtools.emulator.callbacks import Callbacks
from devtools.emulator.core import (
    FAULT_KINDS,
    Clock,
    EmulatorConfig,
    Faults,
    RequestRecord,
    State,
    TaskRecord,
)
from devtools.emulator.errors import ApiError

log = logging.getLogger("liverec.emulator")
MAX_BODY = 1024 * 1024
API_VERSION = "2018-08-01"
LOOPBACK = "127.0.0.1"
# Headers that carry credentials are not kept in the request log.
PRIVATE_HEADERS = frozenset({"authorization", "x-tc-token"})
_REDACT = re.compile(r"(?i)\b(sign|signature|secretid|token)=[^&\s\"']*")

_API3_COMMON = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "SignatureMethod",
        "Signature",
        "RequestClient",
        "Language",
        "Token",
    }
)
_V2_COMMON = frozenset(
    {"Action", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature", "RequestClient"}
)
# path -> methods it answers
_ROUTES: dict[str, frozenset[str]] = {
    "/": frozenset({"GET", "POST"}),
    "/v2/index.php": frozenset({"GET", "POST"}),
    "/common_access": frozenset({"GET"}),
}


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
class _Outcome:
    """What one API call came to, before it is logged and answered."""

    api: str
    action: str | None = None
    params: dict[str, Any] | None = None
    auth_ok: bool = False
    latency: float = 0.0


class Emulator:
    """A Tencent Live stand-in speaking API 3.0 (both families), v2 and fcgi on one loopback port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = Clock()
        self.faults = Faults()
        self.state = State()
        self.callbacks = Callbacks(self)
        self._server: _Server | None = None
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

    def _bind(self, host: str, port: int) -> _Server:
        if host not in (LOOPBACK, "localhost"):
            raise ValueError("the emulator binds 127.0.0.1 only")
        server = _Server((LOOPBACK, port), _Handler)
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
        if req.path == "/_emulator" or req.path.startswith("/_emulator/"):
            return self._control(req)
        methods = _ROUTES.get(req.path)
        if methods is None:
            reply = Reply(404, {"error": f"no such path {req.path}"})
            self.record_rejected(req, reply)
            return reply
        if req.method not in methods:
            reply = Reply(405, {"error": f"method {req.method} not allowed on {req.path}"})
            self.record_rejected(req, reply)
            return reply
        with self._idle:
            self._inflight += 1
        try:
            if req.path == "/":
                return self._api3(req)
            return self._query_api(req, "v2" if req.path == "/v2/index.php" else "fcgi")
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def record_rejected(self, req: Incoming, reply: Reply) -> None:
        """Log a request refused before any API handling (unknown path, bad method, body too large)."""
        self._record(_Outcome(api=""), req, reply)

    def _record(self, outcome: _Outcome, req: Incoming, reply: Reply) -> None:
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

    def _run(
        self,
        outcome: _Outcome,
        action: str,
        render: Callable[[dict[str, Any] | ApiError], Reply],
        process: Callable[[], dict[str, Any]],
        rate_limit: int | None,
    ) -> Reply:
        """Faults, then the built-in rate limit, then the action itself (atomically, under the state lock)."""
        injected = self.faults.take(action)
        outcome.latency = injected.latency
        effect = injected.effect.kind if injected.effect is not None else None
        if injected.effect is not None and effect == "http_error":
            status = injected.effect.status
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

    def _finish(self, outcome: _Outcome, req: Incoming, reply: Reply) -> Reply:
        self._record(outcome, req, reply)
        if outcome.latency > 0:
            time.sleep(outcome.latency)
        return reply

    def _api3(self, req: Incoming) -> Reply:
        request_id = str(uuid.uuid4())
        outcome = _Outcome(api="api3")

        def render(payload: dict[str, Any] | ApiError) -> Reply:
            if isinstance(payload, ApiError):
                return Reply(body={"Response": {"Error": payload.api3(), "RequestId": request_id}})
            return Reply(body={"Response": {**payload, "RequestId": request_id}})

        content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
        form = req.method == "GET" or content_type == "application/x-www-form-urlencoded"
        body_error: ApiError | None = None
        params: dict[str, Any] = {}
        if form:
            source = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
            params = dict(parse_qsl(source, keep_blank_values=True))
        else:
            try:
                loaded = json.loads(req.body) if req.body.strip() else {}
            except ValueError:
                body_error = ApiError("InvalidParameter", "the request body is not valid JSON")
            else:
                if isinstance(loaded, dict):
                    params = loaded
                else:
                    body_error = ApiError("InvalidParameter", "the request body must be a JSON object")
        old_style = form and "authorization" not in req.headers and "Signature" in params
        outcome.params = params
        outcome.action = req.headers.get("x-tc-action") or (
            str(params.get("Action")) if old_style and params.get("Action") else None
        )
        # common parameters: headers for TC3; in the form for the old signing (Region may also be a parameter)
        version = req.headers.get("x-tc-version") or (params.get("Version") if old_style else None)
        region = req.headers.get("x-tc-region") or params.get("Region") or None
        now = self.clock.now()
        try:
            if old_style:
                auth.verify_hmac(
                    self.config.credentials,
                    method=req.method,
                    host=req.headers.get("host", ""),
                    path="/",
                    params=params,
                    now=now,
                    window=auth.API3_WINDOW,
                )
                params = {k: v for k, v in params.items() if k not in _API3_COMMON}
                outcome.params = params
            else:
                auth.verify_tc3(
                    self.config.credentials,
                    method=req.method,
                    query=req.query,
                    headers=req.headers,
                    body=req.body,
                    now=now,
                )
            outcome.auth_ok = True
            if body_error is not None:
                raise body_error
            action = outcome.action
            if not action:
                raise ApiError(
                    "MissingParameter", "missing required parameter Action (the X-TC-Action header)"
                )
            handler = actions.API3_ACTIONS.get(action)
            if handler is None:
                raise ApiError("InvalidAction", f"no such action {action!r} in live 2018-08-01")
            if version != API_VERSION:
                raise ApiError("NoSuchVersion", f"Version must be {API_VERSION}, got {version!r}")
            if region is not None and not isinstance(region, str):
                raise ApiError("InvalidParameter", "invalid parameter Region: must be a string")
            args = params

            def process() -> dict[str, Any]:
                return handler(actions.Context(self.state, self.config, now, region), args)

            reply = self._run(outcome, action, render, process, self.config.rate_limits.get(action))
        except ApiError as err:
            reply = render(err)
        return self._finish(outcome, req, reply)

    def _query_api(self, req: Incoming, api: str) -> Reply:
        source = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
        params = dict(parse_qsl(source, keep_blank_values=True))
        outcome = _Outcome(api=api, params=params)
        outcome.action = params.get("Action") if api == "v2" else params.get("interface")

        def render(payload: dict[str, Any] | ApiError) -> Reply:
            if isinstance(payload, ApiError):
                return Reply(body=payload.v2() if api == "v2" else payload.fcgi())
            if api == "v2":
                return Reply(body={"code": 0, "message": "", **payload})
            return Reply(body={"ret": 0, "message": "", **payload})

        try:
            now = self.clock.now()
            if api == "v2":
                auth.verify_hmac(
                    self.config.credentials,
                    method=req.method,
                    host=req.headers.get("host", ""),
                    path=req.path,
                    params=params,
                    now=now,
                    window=auth.V2_WINDOW,
                )
                self._check_nonce(params, now)
                table, args = actions.V2_ACTIONS, {k: v for k, v in params.items() if k not in _V2_COMMON}
                what = "Action"
            else:
                auth.verify_fcgi(self.config.credentials, params, now)
                table, args = (
                    actions.FCGI_ACTIONS,
                    {k: v for k, v in params.items() if k.startswith("Param.")},
                )
                what = "interface"
            outcome.auth_ok = True
            action = outcome.action
            if not action:
                raise ApiError("MissingParameter", f"missing required parameter {what}")
            handler = table.get(action)
            if handler is None:
                raise ApiError("InvalidAction", f"invalid parameter {what}: no such {what} {action!r}")

            def process() -> dict[str, Any]:
                return handler(actions.Context(self.state, self.config, now, params.get("Region")), args)

            reply = self._run(outcome, action, render, process, None)
        except ApiError as err:
            reply = render(err)
        return self._finish(outcome, req, reply)

    def _check_nonce(self, params: dict[str, str], now: float) -> None:
        key = (params["SecretId"], params["Nonce"])
        with self.state.lock:
            seen = self.state.nonces.get(key)
            if seen is not None and abs(now - seen) <= auth.V2_WINDOW:
                raise ApiError(
                    "NonceReplay", "this Nonce was already used within 2 hours: the request looks replayed"
                )
            self.state.nonces[key] = now

    # --- control API -----------------------------------------------------------------------------------

    def _control(self, req: Incoming) -> Reply:
        name = req.path.removeprefix("/_emulator").strip("/")
        wanted = {
            "health": "GET",
            "tasks": "GET",
            "requests": "GET",
            "reset": "POST",
            "clock": "POST",
            "faults": "POST",
            "callbacks": "POST",
            "push": "POST",
            "deliveries": "GET",
        }
        if name not in wanted:
            return Reply(404, {"error": f"no control endpoint {req.path}"})
        if req.method != wanted[name]:
            return Reply(405, {"error": f"use {wanted[name]} {req.path}"})
        try:
            body = json.loads(req.body) if req.body.strip() else {}
        except ValueError:
            return Reply(400, {"error": "the body is not JSON"})
        if not isinstance(body, dict):
            return Reply(400, {"error": "the body must be a JSON object"})
        if name == "health":
            return Reply(body={"ok": True})
        if name == "tasks":
            return Reply(body={"tasks": [t.to_json() for t in self.tasks()]})
        if name == "requests":
            return Reply(body={"requests": [r.to_json() for r in self.requests()]})
        if name == "reset":
            self.reset()
            return Reply(body={"ok": True})
        if name == "deliveries":
            return Reply(body={"deliveries": [d.to_json() for d in self.callbacks.deliveries()]})
        try:
            if name == "clock":
                return self._control_clock(body)
            if name == "callbacks":
                self.callbacks.configure(
                    body.get("url"),
                    body.get("key"),
                    retry_interval=body.get("retry_interval"),
                    max_redeliveries=body.get("max_redeliveries"),
                    timeout=body.get("timeout"),
                )
                return Reply(body={"ok": True})
            if name == "push":
                return self._control_push(body)
            return self._control_faults(body)
        except (TypeError, ValueError) as exc:
            return Reply(400, {"error": str(exc)})

    def _control_clock(self, body: dict[str, Any]) -> Reply:
        if "set" in body:
            self.clock.set(body["set"])
        elif "advance" in body:
            self.clock.advance(body["advance"])
        elif "freeze" in body:
            self.clock.freeze(None if body["freeze"] is True else body["freeze"])
        elif body.get("reset") is True:
            self.clock.reset()
        else:
            return Reply(
                400,
                {"error": 'send one of {"set": ts}, {"advance": s}, {"freeze": ts|true}, {"reset": true}'},
            )
        return Reply(body={"ok": True, "now": self.clock.now(), "frozen": self.clock.frozen})

    def _control_push(self, body: dict[str, Any]) -> Reply:
        names = [body.get(k) for k in ("domain", "app", "stream")]
        if not all(isinstance(n, str) and n for n in names):
            return Reply(400, {"error": 'send {"domain", "app", "stream", "action": "begin"|"end"}'})
        domain, app, stream = (str(n) for n in names)
        action = body.get("action", "begin")
        if action == "begin":
            return Reply(body={"ok": True, "callback": self.callbacks.push_begin(domain, app, stream)})
        if action == "end":
            return Reply(body={"ok": True, "callback": self.callbacks.push_end(domain, app, stream)})
        return Reply(400, {"error": 'action must be "begin" or "end"'})

    def _control_faults(self, body: dict[str, Any]) -> Reply:
        kind = body.pop("kind", None)
        if kind == "clear":
            self.faults.clear()
        elif kind in FAULT_KINDS:
            getattr(self.faults, str(kind))(**body)
        else:
            return Reply(400, {"error": f"kind must be one of {', '.join((*FAULT_KINDS, 'clear'))}"})
        return Reply(body={"ok": True})


class _Server(ThreadingHTTPServer):
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
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
