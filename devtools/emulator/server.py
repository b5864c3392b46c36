"""The HTTP side: routing by path to the generation, authentication, faults, the request log."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.emulator import actions, auth
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


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or str for a plain-text body
    drop: bool = False  # close the connection without answering


@dataclass
class Incoming:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class Emulator:
    """A Tencent Live stand-in speaking API 3.0 (both families), v2 and fcgi on one port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = Clock()
        self.faults = Faults()
        self.state = State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._inflight = 0
        self._idle = threading.Condition()

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator binds loopback only")
        server = _Server((host, port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="tencent-live-emulator", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextlib.contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        url = self.start(host, port)
        try:
            yield url
        finally:
            self.stop()

    def serve_forever(self, host: str = "127.0.0.1", port: int = 9100) -> None:
        server = _Server((host, port), _Handler)
        server.emulator = self
        self._server = server
        try:
            server.serve_forever()
        finally:
            server.server_close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- inspection ----------------------------------------------------------------------------------

    def tasks(self) -> list[TaskRecord]:
        return self.state.with_running(self.clock.now(), self.config.overlap_cap)

    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.requests)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. one delayed by a latency fault)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)

    def reset(self) -> None:
        self.state.reset()
        self.faults.clear()
        self.clock.reset()

    # --- request handling ----------------------------------------------------------------------------

    def handle(self, req: Incoming) -> Reply:
        if req.path.startswith("/_emulator/"):
            return self._control(req)
        with self._idle:
            self._inflight += 1
        try:
            return self._route(req)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def _route(self, req: Incoming) -> Reply:
        if req.path == "/":
            return self._api3(req)
        if req.path == "/v2/index.php":
            return self._query_api(req, "v2")
        if req.path == "/common_access":
            return self._query_api(req, "fcgi")
        return Reply(404, {"error": f"no such path {req.path}"})

    def _record(
        self,
        *,
        api: str | None,
        action: str | None,
        params: dict[str, Any],
        req: Incoming,
        reply: Reply,
        auth_ok: bool,
    ) -> None:
        raw = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
        safe_headers = {k: v for k, v in req.headers.items() if k != "authorization"}
        record = RequestRecord(
            api,
            action,
            params,
            raw,
            safe_headers,
            reply.status,
            reply.body if not reply.drop else None,
            auth_ok,
            self.clock.now(),
        )
        with self.state.lock:
            self.state.requests.append(record)

    def _faults(self, action: str) -> tuple[Reply | None, bool]:
        """Apply latency; return a reply that replaces processing (or None) and whether to drop after."""
        injected = self.faults.take(action)
        if injected.latency:
            time.sleep(injected.latency)
        effect = injected.effect
        if effect is None:
            return None, False
        if effect.kind == "http_error":
            return Reply(effect.status, f"{effect.status} injected by the emulator"), False
        if effect.kind == "drop_before_store":
            return Reply(drop=True), False
        if effect.kind == "rate_limit":
            return Reply(body=ApiError("RequestLimitExceeded", "request limit exceeded (injected)")), False
        return None, effect.kind == "drop_after_store"

    def _api3(self, req: Incoming) -> Reply:
        request_id = str(uuid.uuid4())
        params: dict[str, Any] = {}
        action: str | None = None
        auth_ok = False

        def envelope(payload: dict[str, Any] | ApiError) -> Reply:
            if isinstance(payload, ApiError):
                return Reply(
                    body={
                        "Response": {
                            "Error": {"Code": payload.code, "Message": payload.message},
                            "RequestId": request_id,
                        }
                    }
                )
            return Reply(body={"Response": {**payload, "RequestId": request_id}})

        try:
            content_type = req.headers.get("content-type", "")
            form = content_type.startswith("application/x-www-form-urlencoded") or req.method == "GET"
            if form:
                source = req.query if req.method == "GET" else req.body.decode("utf-8")
                params = dict(parse_qsl(source, keep_blank_values=True))
                signed_old = "Signature" in params
            else:
                try:
                    loaded = json.loads(req.body or b"{}")
                except ValueError:
                    raise ApiError("InvalidParameter", "the body is not JSON") from None
                if not isinstance(loaded, dict):
                    raise ApiError("InvalidParameter", "the body must be a JSON object")
                params = loaded
                signed_old = False
            action = req.headers.get("x-tc-action") or (params.get("Action") if signed_old else None)
            version = req.headers.get("x-tc-version") or params.get("Version")
            region = req.headers.get("x-tc-region") or params.get("Region") or None
            now = self.clock.now()
            if signed_old:
                host = req.headers.get("host", "")
                auth.verify_hmac(
                    self.config.credentials,
                    method=req.method,
                    host=host,
                    path="/",
                    params=params,
                    now=now,
                    window=auth.API3_WINDOW,
                )
                params = {k: v for k, v in params.items() if k not in _API3_COMMON}
            else:
                auth.verify_tc3(
                    self.config.credentials,
                    method=req.method,
                    query=req.query,
                    headers=req.headers,
                    body=req.body,
                    now=now,
                )
            auth_ok = True
            if not action or action not in actions.API3_ACTIONS:
                raise ApiError("InvalidAction", f"no such action {action}")
            if version != API_VERSION:
                raise ApiError("NoSuchVersion", f"Version must be {API_VERSION}")
            replaced, drop_after = self._faults(action)
            if replaced is not None:
                reply = envelope(replaced.body) if isinstance(replaced.body, ApiError) else replaced
            elif not self.state.allow(action, self.config.rate_limits.get(action)):
                reply = envelope(ApiError("RequestLimitExceeded", f"{action}: request rate limit exceeded"))
            else:
                ctx = actions.Context(self.state, self.config, now, region)
                reply = envelope(actions.API3_ACTIONS[action](ctx, params))
                reply.drop = drop_after
        except ApiError as err:
            reply = envelope(err)
        self._record(api="api3", action=action, params=params, req=req, reply=reply, auth_ok=auth_ok)
        return reply

    def _query_api(self, req: Incoming, api: str) -> Reply:
        source = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
        params = dict(parse_qsl(source, keep_blank_values=True))
        action = params.get("Action") if api == "v2" else params.get("interface")
        auth_ok = False

        def render(payload: dict[str, Any] | ApiError) -> Reply:
            if isinstance(payload, ApiError):
                return Reply(body=payload.v2() if api == "v2" else payload.fcgi())
            if api == "v2":
                return Reply(body={"code": 0, "message": "", **payload})
            return Reply(body={"ret": 0, "message": "", **payload})

        try:
            now = self.clock.now()
            if api == "v2":
                host = req.headers.get("host", "")
                auth.verify_hmac(
                    self.config.credentials,
                    method=req.method,
                    host=host,
                    path=req.path,
                    params=params,
                    now=now,
                    window=auth.V2_WINDOW,
                )
                self._check_nonce(params, now)
                table = actions.V2_ACTIONS
                args = {k: v for k, v in params.items() if k not in _V2_COMMON}
            else:
                auth.verify_fcgi(self.config.credentials, params, now)
                table = actions.FCGI_ACTIONS
                args = {k: v for k, v in params.items() if k.startswith("Param.")}
            auth_ok = True
            if not action or action not in table:
                raise ApiError("InvalidAction", f"no such action {action}")
            replaced, drop_after = self._faults(action)
            if replaced is not None:
                reply = render(replaced.body) if isinstance(replaced.body, ApiError) else replaced
            else:
                ctx = actions.Context(self.state, self.config, now, params.get("Region"))
                reply = render(table[action](ctx, args))
                reply.drop = drop_after
        except ApiError as err:
            reply = render(err)
        self._record(api=api, action=action, params=params, req=req, reply=reply, auth_ok=auth_ok)
        return reply

    def _check_nonce(self, params: dict[str, str], now: float) -> None:
        key = (params["SecretId"], params["Nonce"])
        with self.state.lock:
            seen = self.state.nonces.get(key)
            if seen is not None and now - seen <= auth.V2_WINDOW:
                raise ApiError("NonceReplay", "this Nonce was already used: the request looks replayed")
            self.state.nonces[key] = now

    # --- control API -----------------------------------------------------------------------------------

    def _control(self, req: Incoming) -> Reply:
        name = req.path.removeprefix("/_emulator/")
        try:
            body = json.loads(req.body) if req.body else {}
        except ValueError:
            return Reply(400, {"error": "the body is not JSON"})
        if not isinstance(body, dict):
            return Reply(400, {"error": "the body must be a JSON object"})
        if name == "health" and req.method == "GET":
            return Reply(body={"ok": True})
        if name == "tasks" and req.method == "GET":
            return Reply(body={"tasks": [t.to_json() for t in self.tasks()]})
        if name == "requests" and req.method == "GET":
            return Reply(body={"requests": [r.to_json() for r in self.requests()]})
        if name == "reset" and req.method == "POST":
            self.reset()
            return Reply(body={"ok": True})
        if name == "clock" and req.method == "POST":
            if "set" in body:
                self.clock.set(float(body["set"]))
            elif "advance" in body:
                self.clock.advance(float(body["advance"]))
            elif body.get("freeze") is not None:
                self.clock.freeze(None if body["freeze"] is True else float(body["freeze"]))
            elif body.get("reset"):
                self.clock.reset()
            else:
                return Reply(400, {"error": "send one of set, advance, freeze, reset"})
            return Reply(body={"now": self.clock.now()})
        if name == "faults" and req.method == "POST":
            kind = body.pop("kind", None)
            if kind == "clear":
                self.faults.clear()
            elif kind in FAULT_KINDS:
                try:
                    getattr(self.faults, str(kind))(**body)
                except TypeError as exc:
                    return Reply(400, {"error": str(exc)})
            else:
                return Reply(400, {"error": f"kind must be one of {', '.join((*FAULT_KINDS, 'clear'))}"})
            return Reply(body={"ok": True})
        return Reply(404, {"error": f"no control endpoint {req.method} {req.path}"})


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK stall each answer ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _not_allowed(self) -> None:
        self._send(Reply(405, {"error": f"method {self.command} not allowed"}))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(Reply(400, {"error": "bad Content-Length"}))
            return
        if length > MAX_BODY:
            # Drain (bounded) so the client reads our 413 instead of a reset while it is still sending.
            remaining = min(length, 16 * MAX_BODY)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
            self.close_connection = True
            self._send(Reply(413, {"error": "body too large"}))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        incoming = Incoming(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = self.server.emulator.handle(incoming)
        except Exception:  # a bug in the emulator must not look like Tencent's answer
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
            data, ctype = reply.body.encode("utf-8"), "text/html"
        else:
            data, ctype = json.dumps(reply.body, ensure_ascii=False).encode("utf-8"), "application/json"
        self.send_response(reply.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
