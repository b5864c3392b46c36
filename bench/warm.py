"""Warm overhead: per-request latency of a create through the ``realtime`` handler (event parsing, auth,
validation, idempotency, planning, signing, the emulator round trip on loopback, the response), p50 and p99
over thousands of requests, and the share of each stage.

The emulator runs in its own process (``python -m devtools.emulator --no-limits``) so the round trip is a
real loopback exchange, not a thread switch; the handler runs in this process, warm (the first requests
are discarded). Stages are timed by thin wrappers around the functions that do them."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.common import (
    FakeContext,
    Goal,
    Section,
    environment,
    function_env,
    median,
    percentile,
    table,
)

GOAL_P50_MS = 2.0
GOAL_P99_MS = 5.0
STAGES = (
    ("pre", "event parsing, auth, validation, routing"),
    ("idempotency", "idempotency check and record (in-process store)"),
    ("plan", "rules and planning"),
    ("signing", "TC3 signing and headers"),
    ("round_trip", "emulator round trip on loopback (its processing included)"),
    ("service_rest", "the rest of the create (result, JSON)"),
    ("post", "response, log line, metrics"),
)


class Timers:
    """Per-request stage durations (ns), filled by wrappers; ``marks`` keeps entry/exit instants."""

    def __init__(self) -> None:
        self.current: dict[str, int] = defaultdict(int)
        self.marks: dict[str, int] = {}
        self.requests: list[dict[str, int]] = []

    def wrap(self, owner: Any, name: str, stage: str) -> Callable[[], None]:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return original(*args, **kwargs)
            finally:
                self.current[stage] += time.perf_counter_ns() - start

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)

    def mark(self, owner: Any, name: str) -> Callable[[], None]:
        """Record entry and exit instants of ``owner.name`` (the service's create)."""
        original = getattr(owner, name)

        def marked(*args: Any, **kwargs: Any) -> Any:
            self.marks["enter"] = time.perf_counter_ns()
            try:
                return original(*args, **kwargs)
            finally:
                self.marks["exit"] = time.perf_counter_ns()

        setattr(owner, name, marked)
        return lambda: setattr(owner, name, original)


def measure(requests: int, warmup: int) -> tuple[list[float], dict[str, list[float]]]:
    from devtools.emulator import emulator_process
    from devtools.events import load_event

    with emulator_process("--no-limits") as url, environment(function_env(url)):
        from functions.realtime import handler
        from shared.app import reset, service
        from shared.recordings import service as service_module
        from shared.storage.memory import MemoryLedger
        from shared.support.config import get_settings
        from shared.tencent.api3 import Api3Client
        from shared.tencent.transport import Transport

        get_settings.cache_clear()
        reset()
        timers = Timers()
        undo = [
            timers.mark(service_module.RecordingService, "create"),
            timers.wrap(service_module, "wait_for_claim", "idempotency"),
            timers.wrap(MemoryLedger, "settle", "idempotency"),
            timers.wrap(service_module.RecordingService, "plan", "plan"),
            timers.wrap(Api3Client, "headers", "signing"),
            timers.wrap(Transport, "exchange", "round_trip"),
        ]
        try:
            template = load_event("realtime_create")
            events = []
            for i in range(warmup + requests):
                event = json.loads(json.dumps(template))
                event["headers"]["idempotency-key"] = f"warm-{i}"
                events.append(event)
            context = FakeContext()
            totals: list[float] = []
            stages: dict[str, list[float]] = defaultdict(list)
            for i, event in enumerate(events):
                timers.current.clear()
                timers.marks.clear()
                start = time.perf_counter_ns()
                result = handler.lambda_handler(event, context)
                end = time.perf_counter_ns()
                if result["statusCode"] != 201:
                    raise RuntimeError(f"request {i} answered {result['statusCode']}: {result.get('body')}")
                if i < warmup:
                    continue
                totals.append((end - start) / 1e6)
                inside = timers.marks["exit"] - timers.marks["enter"]
                named = sum(timers.current.values())
                stages["pre"].append((timers.marks["enter"] - start) / 1e6)
                stages["post"].append((end - timers.marks["exit"]) / 1e6)
                stages["service_rest"].append((inside - named) / 1e6)
                for stage in ("idempotency", "plan", "signing", "round_trip"):
                    stages[stage].append(timers.current[stage] / 1e6)
            assert isinstance(service().ledger, MemoryLedger)  # the in-process ledger was used
        finally:
            for restore in undo:
                restore()
            get_settings.cache_clear()
            reset()
    return totals, stages


def run(smoke: bool) -> Section:
    requests, warmup = (200, 20) if smoke else (5000, 200)
    totals, stages = measure(requests, warmup)
    p50, p99 = median(totals), percentile(totals, 99)
    mean_total = sum(totals) / len(totals)
    rows = [["total (handler in to handler out)", f"{p50:.3f}", f"{percentile(totals, 99):.3f}", "100%"]]
    for key, label in STAGES:
        values = stages[key]
        share = (sum(values) / len(values)) / mean_total
        rows.append([label, f"{median(values):.3f}", f"{percentile(values, 99):.3f}", f"{share:.0%}"])
    goals = [
        Goal("warm create p50 (loopback)", f"< {GOAL_P50_MS} ms", f"{p50:.2f} ms", p50 < GOAL_P50_MS),
        Goal("warm create p99 (loopback)", f"< {GOAL_P99_MS} ms", f"{p99:.2f} ms", p99 < GOAL_P99_MS),
    ]
    markdown = (
        f"{requests} creates (`POST /recordings/realtime`, each with its own `Idempotency-Key`) through "
        f"`functions/realtime/handler.lambda_handler`, after {warmup} discarded warm-up requests, one at a "
        "time, against the emulator in its own process (`--no-limits`) on 127.0.0.1 over one kept-alive "
        "connection. Stage times come from wrappers around the service's create (its entry and exit split "
        "*pre* and *post*), the idempotency calls, planning, `Api3Client.headers` and `Transport.exchange`; "
        "shares are of the mean.\n\n" + table(["stage", "p50 ms", "p99 ms", "share"], rows)
    )

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "n": len(values),
            "mean": sum(values) / len(values),
            "p50": median(values),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "max": max(values),
        }

    data = {"total_ms": summary(totals), "stages_ms": {k: summary(v) for k, v in stages.items()}}
    return Section("warm", "Warm overhead", markdown, goals, data)


if __name__ == "__main__":
    section = run(smoke="--smoke" in sys.argv)
    print(section.markdown)
    for goal in section.goals:
        print(goal)
