"""API Gateway HTTP API (payload format 2.0) events, as the gateway sends them to a function."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    token: str | None = None,
    raw_body: str | None = None,
    request_id: str = "req-1",
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    """One request: ``body`` is sent as JSON (``raw_body`` as is); ``token`` as a bearer token."""
    hdrs = {"content-type": content_type} if content_type else {}
    hdrs |= {k.lower(): v for k, v in (headers or {}).items()}
    if token:
        hdrs["authorization"] = f"Bearer {token}"
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
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
                "userAgent": hdrs.get("user-agent", "liverec-kit"),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
    }


def event_from_request(method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The event for a raw HTTP request (the local gateway): path and query split, headers as sent; a body
    that is not UTF-8 text is passed base64-encoded, as API Gateway passes binary bodies."""
    parts = urlsplit(target)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    event = http_event(
        method,
        parts.path,
        headers=headers,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        raw_body=text if body else None,
        request_id=f"local-{time.time_ns()}",
        content_type=None,
    )
    event["rawQueryString"] = parts.query  # as sent
    event["isBase64Encoded"] = encoded
    return event


def parse(response: dict[str, Any]) -> tuple[int, Any]:
    """A function's answer as (status, JSON body or None)."""
    body = response.get("body") or ""
    return response["statusCode"], (json.loads(body) if body else None)
