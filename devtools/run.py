"""``make run``: the functions behind a local HTTP gateway, with no cloud account.

Starts the Tencent Live emulator on a free loopback port (unless real credentials are set and no
LIVE_ENDPOINT, in which case the functions talk to Tencent), a gateway on 127.0.0.1:3000 that turns
HTTP requests into the API Gateway HTTP API (payload 2.0) events the functions receive, replays a few
``events/`` samples so you see tasks being created, prints a curl to try, and serves until Ctrl-C.
``--once`` replays and exits (0 when every sample gave its documented status).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.emulator import Credentials, Emulator, EmulatorConfig
from devtools.events import load_event

LOCAL_TOKEN = "local-dev-token-0123456789"  # noqa: S105 - the token events/ samples carry; local runs only
LOCAL_CREDS = Credentials()


def configure_environment(use_emulator: bool, emulator_url: str | None) -> None:
    defaults = {"LIVE_DOMAIN": "5000.live.push.com", "LIVE_APP": "live", "LIVEREC_API_TOKENS": LOCAL_TOKEN}
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    if use_emulator and emulator_url:
        os.environ.update(
            {
                "LIVE_ENDPOINT": emulator_url,
                "TENCENTCLOUD_SECRET_ID": LOCAL_CREDS.secret_id,
                "TENCENTCLOUD_SECRET_KEY": LOCAL_CREDS.secret_key,
                "LIVE_FCGI_APPID": str(LOCAL_CREDS.fcgi_appid),
                "LIVE_FCGI_KEY": LOCAL_CREDS.fcgi_key,
            }
        )
    os.environ.pop("LIVEREC_IDEMPOTENCY_TABLE", None)  # the embedded (in-process) store
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


class Context:
    function_name = "liverec-local"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:liverec-local"
    aws_request_id = "local"


def route(path: str) -> Any:
    from functions.realtime import handler as realtime
    from functions.scheduled import handler as scheduled
    from functions.tasks import handler as tasks

    if path == "/recordings/scheduled":
        return scheduled
    if path == "/recordings/realtime":
        return realtime
    return tasks


def to_event(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    parts = urlsplit(raw_path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "queryStringParameters": query or None,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"local-{time.time_ns()}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": body.decode("utf-8", "replace") if body else None,
        "isBase64Encoded": False,
    }


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"gateway: {format % args}\n")

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1024 * 1024:
            self._reply(413, {"error": {"code": "TooLarge", "message": "body over 1 MiB", "field": None}}, {})
            return
        body = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path == "/_tick":  # a timer tick: {"programs": [...]} or the sample's
            from functions.scheduled import handler as scheduled

            event = json.loads(body) if body else load_event("scheduled_timer_programs")
            self._reply(200, scheduled.lambda_handler(event, Context()), {})
            return
        event = to_event(self.command, self.path, dict(self.headers.items()), body)
        result = route(event["rawPath"]).lambda_handler(event, Context())
        payload = result.get("body") or ""
        self._reply(result["statusCode"], payload, result.get("headers") or {})

    def _reply(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)).encode(
            "utf-8"
        )
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        if "Content-Type" not in headers and "content-type" not in headers:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = _serve


REPLAY = [
    ("realtime_create", 201),
    ("scheduled_create", 201),
    ("tasks_list", 200),
    ("scheduled_bad_body", 422),
    ("scheduled_unauthorized", 401),
]


def replay() -> bool:
    ok = True
    ctx = Context()
    for name, expected in REPLAY:
        event = load_event(name)
        result = route(event["rawPath"]).lambda_handler(event, ctx)
        status = result["statusCode"]
        body = json.loads(result["body"]) if result.get("body") else None
        mark = "ok " if status == expected else "BAD"
        ok &= status == expected
        print(f"  {mark} {name:24s} -> {status} {_summary(body)}")
    from functions.scheduled import handler as scheduled

    tick = scheduled.lambda_handler(load_event("scheduled_timer_programs"), ctx)
    booked = len(tick.get("created", []))
    ok &= not tick.get("failed") and "error" not in tick
    print(
        f"  {'ok ' if ok else 'BAD'} scheduled_timer_programs -> booked {booked} recurring recordings, failed {len(tick.get('failed', []))}"
    )
    return ok


def _summary(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if "task_id" in body:
        return f"task {body['task_id'][:16]} {body['mode']} {body['stream']} {body['start']} -> {body['end']}"
    if "tasks" in body:
        return f"{len(body['tasks'])} tasks"
    if "error" in body:
        return f"{body['error']['code']}: {body['error']['message'][:70]}"
    return ""


def main(argv: list[str] | None = None) -> int:
    # powertools warns when an invocation published no metric (error responses); noise in a terminal
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--once", action="store_true", help="replay the samples and exit")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "3000")))
    args = parser.parse_args(argv)

    real = bool(
        os.environ.get("TENCENTCLOUD_SECRET_ID") or os.environ.get("LIVE_FCGI_KEY")
    ) and not os.environ.get("LIVE_ENDPOINT")
    emulator: Emulator | None = None
    if not real:
        emulator = Emulator(EmulatorConfig(credentials=LOCAL_CREDS))
        emulator.start("127.0.0.1", 0)
    configure_environment(not real, emulator.base_url if emulator else None)
    target = emulator.base_url if emulator else "Tencent Cloud (real credentials, no LIVE_ENDPOINT)"
    print(
        f"liverec local run: LIVE_API={os.environ.get('LIVE_API', 'record-task')}, Tencent Live at {target}"
    )

    print("replaying events/ samples:")
    ok = replay() if emulator else True
    if emulator:
        print(f"the emulator now holds {len(emulator.tasks())} tasks")
    if args.once:
        if emulator:
            emulator.stop()
        return 0 if ok else 1

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Gateway)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"\ngateway on http://127.0.0.1:{args.port}  (Ctrl-C to stop). Try:\n"
        f"  curl -s -X POST http://127.0.0.1:{args.port}/recordings/realtime \\\n"
        f"       -H 'Authorization: Bearer {LOCAL_TOKEN}' -H 'Content-Type: application/json' \\\n"
        f'       -H \'Idempotency-Key: try-1\' -d \'{{"stream": "livetest", "duration": 120}}\'\n'
        f"  curl -s 'http://127.0.0.1:{args.port}/recordings?stream=livetest' -H 'Authorization: Bearer {LOCAL_TOKEN}'\n"
        f"  curl -s -X POST http://127.0.0.1:{args.port}/_tick     # a timer tick with events/scheduled_timer_programs.json"
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stop.wait()
    server.shutdown()
    if emulator:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
