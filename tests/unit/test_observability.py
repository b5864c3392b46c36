"""Counts with dimensions are EMF blobs on stdout, and obey the same off switch as powertools' Metrics."""

from __future__ import annotations

import json

import pytest

from shared.support.observability import NAMESPACE, count


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
