"""A webhook subscriber on 127.0.0.1: records each delivery, answers ``status``, can verify the
``Liverec-Signature`` as a real subscriber would (401 when it is wrong), takes concurrent deliveries, and can
be taken down and brought back on the same port."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    # the outbox's tick connects from several threads at once (two ticks, from 16): with the default backlog
    # of 5 a connection beyond it waits for a SYN retry and can time out, a failure no real subscriber shows
    request_queue_size = 128


class Subscriber:
    def __init__(
        self, path: str = "/hooks?token=abc", *, secret: str | None = None, status: int = 200
    ) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []  # every delivery, as sent
        self.accepted: list[dict[str, Any]] = []  # the payloads answered with a success
        self.status = status
        self.secret = secret
        self.verbose = False
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = outer.status if outer._verified(headers, body) else 401
                with outer._lock:
                    outer.received.append((headers, body))
                    if status < 300:
                        outer.accepted.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._handler = Handler
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()
        self.url = f"http://127.0.0.1:{self.port}{path}"

    def _verified(self, headers: dict[str, str], body: bytes) -> bool:
        if self.secret is None:
            return True
        from pydantic import SecretStr

        from shared.support.errors import LiverecError
        from shared.webhooks.signature import verify

        try:
            verify(headers.get("liverec-signature"), body, [SecretStr(self.secret)], time.time())
        except LiverecError as exc:
            print(f"  subscriber: REFUSED a webhook: {exc.code}")
            return False
        if self.verbose:
            payload = json.loads(body)
            data = payload.get("data") or {}
            detail = data.get("record_event") or data.get("video_url") or ""
            print(
                f"  subscriber <- {payload.get('type')} {data.get('stream_id')} {detail} (signature verified)"
            )
        return True

    def up(self) -> None:
        self.server = _Server(("127.0.0.1", self.port), self._handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def payloads(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for _, body in self.received]

    def find(self, kind: str, stream: str, **data: Any) -> dict[str, Any] | None:
        """The first accepted payload of ``kind`` for ``stream`` whose data has these values."""
        with self._lock:
            accepted = list(self.accepted)
        for payload in accepted:
            fields = payload.get("data") or {}
            wanted = {"stream_id": stream, **data}
            if payload.get("type") == kind and all(fields.get(k) == v for k, v in wanted.items()):
                return payload
        return None

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.received) >= count
