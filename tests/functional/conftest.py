"""Functional tests: the real handlers, fed API Gateway HTTP API (payload v2) events, against the emulator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.moto import REGION as AWS_REGION
from devtools.moto import aws_env, ledger_table, moto_server
from shared.app import reset
from shared.support.config import get_settings
from tests.conftest import FCGI_APPID, FCGI_KEY, SECRET_ID, SECRET_KEY

TABLE = "liverec-test-table"  # the idempotency table (also holds the webhook state), on moto's server
TOKEN = "test-token-0123456789abcdef"
EVENTS_TOKEN = "local-dev-token-0123456789"  # the token the events/ samples carry


@pytest.fixture(scope="session")
def moto_dynamodb() -> Iterator[tuple[str, Any]]:
    """moto's server in its own process (devtools.moto), started once and stopped at the end of the session;
    yields its URL and a boto3 client to inspect tables with (boto3 and moto are test-only: the functions
    reach the server through their own standard-library client)."""
    import boto3

    with moto_server() as url:
        client = boto3.client(
            "dynamodb",
            region_name=AWS_REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield url, client
        client.close()


@pytest.fixture
def dynamodb(moto_dynamodb: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh, empty ledger table on moto's server; the AWS environment points the functions at it.
    Yields a boto3 client to inspect the table."""
    url, client = moto_dynamodb
    for var, value in aws_env(url).items():
        monkeypatch.setenv(var, value)
    ledger_table(url, TABLE)
    try:
        yield client
    finally:
        client.delete_table(TableName=TABLE)


@pytest.fixture
def configure(fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point the functions at the emulator with a given LIVE_API; rebuilds settings and the service."""

    def apply(api: str = "record-task", **extra: str) -> None:
        env = {
            "LIVE_API": api,
            "LIVE_ENDPOINT": fresh_emulator.base_url,
            "TENCENTCLOUD_SECRET_ID": SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "LIVE_FCGI_APPID": str(FCGI_APPID),
            "LIVE_FCGI_KEY": FCGI_KEY,
            "LIVE_DOMAIN": "5000.live.push.com",
            "LIVE_APP": "live",
            "LIVEREC_API_TOKENS": f"{TOKEN},{EVENTS_TOKEN}",
            "POWERTOOLS_METRICS_NAMESPACE": "LiverecTest",
        }
        env.update(extra)
        for key, value in env.items():
            if value == "":
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        reset()

    apply()
    yield apply
    get_settings.cache_clear()
    reset()


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    token: str | None = TOKEN,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as the gateway sends it."""
    hdrs = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    if token:
        hdrs["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "queryStringParameters": query or None,
        "headers": hdrs,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
    }


def parse(response: dict[str, Any]) -> tuple[int, Any]:
    body = response.get("body") or ""
    return response["statusCode"], (json.loads(body) if body else None)


class Subscriber:
    """A webhook subscriber on 127.0.0.1: records each POST, answers ``status``, and can be taken down and
    brought back on the same port."""

    def __init__(self, path: str = "/hooks?token=abc") -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._handler = Handler
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()
        self.url = f"http://127.0.0.1:{self.port}{path}"

    def up(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.received) >= count


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    sub = Subscriber()
    yield sub
    sub.down()
