"""Secrets never reach the logs, whatever powertools is asked to print: POWERTOOLS_DEV (the resolver's debug
mode), POWERTOOLS_LOGGER_LOG_EVENT (the event on every invocation) and POWERTOOLS_DEBUG (powertools' own
debug log), each and all together. Each function runs in a process of its own started with the setting (the
settings are read at import), fed every kind of event it serves; its stdout and stderr are searched for every
secret configured and every credential the events carried.

Nor do they reach an answer or a log through Tencent's error message: its code is passed on as it is, its
message redacted and bounded."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from devtools.kit.invocations import eventbridge_event
from functions.realtime import handler as realtime
from shared.support.observability import logger
from shared.webhooks.signature import sign_header
from tests.conftest import FCGI_KEY, SECRET_ID, SECRET_KEY
from tests.functional.conftest import TOKEN, http_event

ROOT = Path(__file__).resolve().parents[2]
CALLBACK_KEY = "redaction-callback-key-0123"
HOOK_SECRET = "redaction-hook-secret-0123456789"
FORWARD_SECRET = "redaction-forward-secret-0123456789"
SESSION_TOKEN = "redaction-session-token-0123456789"
# credentials a caller may put in a request: each must be masked in a logged event
COOKIE = "cookie-value-0123456789"
API_KEY = "x-api-key-value-0123456789"
QUERY_TOKEN = "query-token-value-0123456789"
USERINFO = "userinfo-password-0123456789"
REFERER_QUERY = "referer-query-value-0123456789"

DRIVER = """
import json, sys
from devtools.kit import LambdaContext
from functions.realtime import handler as realtime
from functions.rollout import handler as rollout
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from functions.webhooks import handler as webhooks
handlers = {"realtime": realtime, "rollout": rollout, "scheduled": scheduled, "tasks": tasks,
            "webhooks": webhooks}
for name, event in json.load(sys.stdin):
    answer = handlers[name].lambda_handler(event, LambdaContext())
    sys.stderr.write("ANSWER " + json.dumps(answer.get("statusCode", "-")) + "\\n")
"""

SETTINGS = {
    "dev": {"POWERTOOLS_DEV": "1"},
    "log-event": {"POWERTOOLS_LOGGER_LOG_EVENT": "true"},
    "debug": {"POWERTOOLS_DEBUG": "1"},
    "all": {"POWERTOOLS_DEV": "1", "POWERTOOLS_LOGGER_LOG_EVENT": "true", "POWERTOOLS_DEBUG": "1"},
}


def _callback_body() -> dict[str, Any]:
    t = int(time.time()) + 600
    return {
        "appid": 12345,
        "app": "5000.live.push.com",
        "appname": "live",
        "stream_id": "match-1",
        "channel_id": "match-1",
        "event_type": 1,
        "event_time": int(time.time()),
        "sequence": "6118046720498806226",
        "t": t,
        "sign": hashlib.md5(f"{CALLBACK_KEY}{t}".encode()).hexdigest(),
    }


def invocations() -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """Every function with every kind of event it serves, and the credentials those events carry."""
    callers = {
        "cookie": f"session={COOKIE}",
        "x-api-key": API_KEY,
        "referer": f"https://operator:{USERINFO}@console.example/page?ticket={REFERER_QUERY}",
    }

    def bearer(
        method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return http_event(method, path, body, headers=callers, query=query)

    callback = _callback_body()
    hook_raw = json.dumps({"stream": "scoreboard-1", "duration": 120})
    signature = sign_header([HOOK_SECRET], int(time.time()), hook_raw.encode())
    hook = http_event(
        "POST", "/hooks/highlight", raw_body=hook_raw, token=None, headers={"Liverec-Signature": signature}
    )
    events = [
        ("realtime", bearer("POST", "/recordings/realtime", {"stream": "s"}, {"token": QUERY_TOKEN})),
        ("tasks", bearer("GET", "/recordings", query={"stream": "s", "token": QUERY_TOKEN})),
        ("scheduled", bearer("GET", "/programs")),
        ("webhooks", http_event("POST", "/callbacks/tencent", callback, token=None)),
        ("webhooks", hook),
        ("webhooks", eventbridge_event()),
        ("rollout", eventbridge_event()),
    ]
    carried = [TOKEN, COOKIE, API_KEY, QUERY_TOKEN, USERINFO, REFERER_QUERY, callback["sign"]]
    carried += [part.removeprefix("v1=") for part in signature.split(",") if part.startswith("v1=")]
    return events, carried


def run_functions(emulator: Emulator, setting: dict[str, str], events: list[Any]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LIVE", "TENCENTCLOUD_"))}
    env |= {
        "LIVE_API": "record-task",
        "LIVE_ENDPOINT": emulator.base_url,
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "TENCENTCLOUD_SESSION_TOKEN": SESSION_TOKEN,
        "LIVE_FCGI_KEY": FCGI_KEY,
        "LIVE_DOMAIN": "5000.live.push.com",
        "LIVE_APP": "live",
        "LIVE_CALLBACK_KEY": CALLBACK_KEY,
        "LIVEREC_CALLBACK_RULES": json.dumps([{"name": "matches", "stream": "match-*", "duration": 600}]),
        "LIVEREC_API_TOKENS": TOKEN,
        "LIVEREC_HOOK_SECRETS": HOOK_SECRET,
        "LIVEREC_WEBHOOK_SECRET": FORWARD_SECRET,
        "POWERTOOLS_METRICS_NAMESPACE": "LiverecTest",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
    } | setting
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
def test_no_setting_puts_a_secret_in_the_logs(setting: dict[str, str], fresh_emulator: Emulator) -> None:
    events, carried = invocations()
    out = run_functions(fresh_emulator, setting, events)
    assert out.count("ANSWER ") == len(events)
    configured = [SECRET_KEY, SESSION_TOKEN, FCGI_KEY, CALLBACK_KEY, HOOK_SECRET, FORWARD_SECRET]
    leaked = [secret for secret in configured + carried if secret in out]
    assert not leaked, leaked
    assert SECRET_ID not in out  # the SecretId is shown only abbreviated
    logged = re.findall(r'"message":\s*"event received"', out)
    if setting.get("POWERTOOLS_LOGGER_LOG_EVENT"):
        # the event is still there to read, each invocation's, with its credentials masked
        assert len(logged) == len(events)
        assert '"/recordings/realtime"' in out and '"/hooks/highlight"' in out and "Scheduled Event" in out
        assert "***" in out
    else:
        assert not logged


# --- Tencent's error message, echoing the request -----------------------------------------------------------

ECHOED_TOKEN = "echoed-query-token-0123456789"


class EchoingTencent(BaseHTTPRequestHandler):
    """Tencent refusing every call with a message that echoes the request: the endpoint with a token in its
    query, the signed query (v2, fcgi) or the Authorization and X-TC-Token headers (API 3.0), and a tail
    long enough to need cutting."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        message = (
            f"refused https://{self.headers['Host']}{self.path}?token={ECHOED_TOKEN} for "
            f"{self.headers.get('Authorization')} X-TC-Token: {self.headers.get('X-TC-Token')} {'.' * 1000}"
        )
        self.answer(
            {"Response": {"Error": {"Code": "InternalError.Echo", "Message": message}, "RequestId": "r"}}
        )

    def do_GET(self) -> None:
        message = f"refused http://{self.headers['Host']}{self.path}&token={ECHOED_TOKEN} {'.' * 1000}"
        code = {"code": 5000} if self.path.startswith("/v2/") else {"ret": 1003}
        self.answer(code | {"message": message})

    def answer(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echoing_tencent() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingTencent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("api", "code"), [("record-task", "InternalError.Echo"), ("v2", "5000"), ("fcgi", "1003")]
)
def test_tencents_code_is_passed_on_and_its_message_redacted(
    api: str,
    code: str,
    echoing_tencent: str,
    configure: Callable[..., None],
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(api, LIVE_ENDPOINT=echoing_tencent, TENCENTCLOUD_SESSION_TOKEN=SESSION_TOKEN)
    logs = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", logs)
    status, body = parse(
        realtime.lambda_handler(http_event("POST", "/recordings/realtime", {"stream": "s"}), lambda_context)
    )
    error = body["error"]
    assert (status, error["code"]) == (502, code)  # Tencent's code, unchanged
    assert error["message"].startswith("refused http") and "?***" in error["message"]
    assert len(error["message"]) == 512 and error["message"].endswith("…")
    shown = json.dumps(body) + logs.getvalue()
    assert code in logs.getvalue()
    leaked = [s for s in (SECRET_ID, SECRET_KEY, FCGI_KEY, SESSION_TOKEN, ECHOED_TOKEN, TOKEN) if s in shown]
    assert not leaked, leaked
    assert not re.search(r"(Signature|sign)=[0-9a-zA-Z%]", shown)
