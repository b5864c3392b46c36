"""The benchmarks' pure parts: statistics, the rollout's exact occurrence count, the cold start's events,
and the report. (The benchmarks themselves run in CI as `make bench-smoke`; no time is asserted anywhere.)"""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from bench.common import Goal, Section, median, percentile
from bench.run import render
from shared.recordings.programs import parse_programs
from shared.recordings.rollout import plan_chunks
from shared.support.config import LiveApi
from shared.tencent.generations import RECORD_TASK


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([3.0], 99) == 3.0
    assert median([1.0, 3.0, 2.0]) == 2.0


@pytest.mark.parametrize("total", [48, 500, 497])
def test_rollout_programs_have_exactly_the_asked_number_of_occurrences(total: int) -> None:
    from bench.rollout import NOW, programs

    chunks = plan_chunks(
        parse_programs(programs(total), "bench"), LiveApi.RECORD_TASK, NOW, RECORD_TASK.start_horizon
    )
    assert len(chunks) == total
    assert len({(c.program.stream, c.start, c.end) for c in chunks}) == total  # no two alike


def test_cold_start_events_are_unique_per_run_and_still_validly_signed() -> None:
    from bench.cold_start import _event
    from devtools.events import LOCAL_CALLBACK_KEY
    from shared.webhooks.inbound import verify_callback

    a, b = _event("webhooks", "run-a"), _event("webhooks", "run-b")
    body_a, body_b = json.loads(a["body"]), json.loads(b["body"])
    assert body_a["sequence"] != body_b["sequence"]  # a new stream-begin identity each run
    verify_callback(body_a, SecretStr(LOCAL_CALLBACK_KEY), now=body_a["t"] - 1)
    created = _event("realtime", "run-c")
    assert created["headers"]["idempotency-key"] == "bench-run-c"


def test_report_lists_every_goal_with_its_verdict() -> None:
    sections = [
        Section("warm", "Warm overhead", "body", [Goal("p50", "< 2 ms", "0.8 ms", True)]),
        Section(
            "cold", "Cold start", "body", [Goal("ratio", "<= 0.4x", "0.5x", False), Goal("x", "", "", None)]
        ),
    ]
    info = {
        "date": "d",
        "commit": "c",
        "cpu": "cpu",
        "cores": 2,
        "memory_gib": 24,
        "os": "Linux",
        "python": "3.11",
    }
    text = render(sections, info, 12.0, "")
    assert "| p50 | < 2 ms | 0.8 ms | met |" in text and "| ratio | <= 0.4x | 0.5x | **missed** |" in text
    assert "## Warm overhead" in text and "## Cold start" in text
