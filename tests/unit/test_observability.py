"""Counts with dimensions are EMF blobs on stdout, and obey the same off switch as powertools' Metrics. The
event is logged only redacted, and powertools' own log is redacted and kept to its own handler."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools.logging import correlation_paths

from devtools.kit import LambdaContext, http_event
from shared.support.observability import NAMESPACE, _Redacted, count, entry, logger


def test_count_with_dimensions_prints_one_emf_blob(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    count("WebhooksDelivered", type="record.status")
    (line,) = capsys.readouterr().out.splitlines()
    blob = json.loads(line)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE and directive["Dimensions"] == [["type"]]
    assert blob["type"] == "record.status" and blob["WebhooksDelivered"] == [1.0]


@pytest.mark.parametrize("env", [{"POWERTOOLS_METRICS_DISABLED": "true"}, {"POWERTOOLS_DEV": "true"}])
def test_count_is_silent_when_metrics_are_disabled(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    count("WebhooksDelivered", type="record.status")
    assert capsys.readouterr().out == ""


TOKEN = "bearer-token-0123456789abcdef"


@pytest.mark.parametrize("asked", ["true", "false"])
def test_the_event_is_logged_only_redacted(asked: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", asked)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    logs = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", logs)

    @entry(correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 204}

    event = http_event("GET", "/recordings", query={"token": "query-secret-0123"}, token=TOKEN)
    assert handler(event, LambdaContext()) == {"statusCode": 204}
    out = logs.getvalue()
    assert TOKEN not in out and "query-secret-0123" not in out  # powertools' own event log is off
    lines = [json.loads(line) for line in out.splitlines()]
    logged = [line["event"] for line in lines if line["message"] == "event received"]
    if asked == "true":
        (event_logged,) = logged
        assert event_logged["headers"]["authorization"] == "***"
        assert event_logged["rawPath"] == "/recordings" and event_logged["rawQueryString"] == "token=***"
    else:
        assert not logged


def test_powertools_own_log_is_redacted_and_kept_from_the_root_logger() -> None:
    package = logging.getLogger("aws_lambda_powertools")
    assert package.propagate is False  # never on to Lambda's root handler unredacted
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_Redacted())
    package.addHandler(handler)
    level = package.level
    package.setLevel(logging.DEBUG)
    try:
        logging.getLogger("aws_lambda_powertools.event_handler.api_gateway").debug(
            "Calling API Route Handler: %s", {"signature": f"t=1,v1={TOKEN}", "stream": "s"}
        )
    finally:
        package.removeHandler(handler)
        package.setLevel(level)
    assert stream.getvalue() == "Calling API Route Handler: {'signature': '***', 'stream': 's'}\n"
