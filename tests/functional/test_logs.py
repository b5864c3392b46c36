"""What the logs carry at 3 a.m.: the HTTP API request id as the correlation id on every line, Tencent's
RequestId on every line about a Tencent call; and the international endpoint signed as it is addressed."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

import shared
from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.realtime import handler as realtime
from shared.support.config import LiveApi, Settings
from shared.support.observability import logger
from shared.tencent.adapter import RetryPolicy
from shared.tencent.api3 import Api3Client
from tests.functional.conftest import http_event


def log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"level"')]


def test_every_line_of_a_request_carries_its_id_and_tencents(
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()  # the logger's own handler, as CloudWatch would read it
    monkeypatch.setattr(logger.registered_handler, "stream", out)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"})
    event["requestContext"]["requestId"] = "api-gw-request-7"
    assert parse(realtime.lambda_handler(event, lambda_context))[0] == 201
    lines = log_lines(out.getvalue())
    assert lines and all(line.get("correlation_id") == "api-gw-request-7" for line in lines)
    assert all(line.get("version") == shared.__version__ for line in lines)  # the release, on every line
    (call,) = [line for line in lines if line["message"] == "tencent call"]
    request_id = fresh_emulator.requests()[-1].response["Response"]["RequestId"]
    assert call["action"] == "CreateRecordTask" and call["request_id"] == request_id
    (created,) = [line for line in lines if line["message"] == "recording created"]
    assert created["request_id"] == request_id


def test_the_international_endpoint_is_signed_as_it_is_addressed(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(LiveApi.RECORD_TASK, endpoint="https://live.intl.tencentcloudapi.com")
    client = Api3Client(
        settings,
        LiveApi.RECORD_TASK,
        region="ap-singapore",
        clock=time.time,
        sleep=time.sleep,
        retry=RetryPolicy(),
    )
    headers = client.headers("CreateRecordTask", b"{}", 1_796_000_000)
    assert client.host == "live.intl.tencentcloudapi.com" and headers["X-TC-Region"] == "ap-singapore"
    assert (
        headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=")
        and "SignedHeaders=content-type;host" in headers["Authorization"]
    )
