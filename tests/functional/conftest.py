"""Functional tests: the real handlers, fed API Gateway HTTP API (payload v2) events, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.emulator import Emulator
from shared.config import get_settings
from shared.http import reset_service
from tests.conftest import FCGI_APPID, FCGI_KEY, SECRET_ID, SECRET_KEY

TOKEN = "test-token-0123456789abcdef"
EVENTS_TOKEN = "local-dev-token-0123456789"  # the token the events/ samples carry


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
        reset_service()

    apply()
    yield apply
    get_settings.cache_clear()
    reset_service()


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
