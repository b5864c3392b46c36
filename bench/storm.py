"""Duplicate storm: 13 deliveries of one stream-begin callback, then 50 concurrent identical creates with
one ``Idempotency-Key``, through the real handlers, with the in-process store and with DynamoDB (moto's
server). Tasks created (goal: exactly one per storm) and the latency of the duplicates."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from bench.common import (
    FakeContext,
    Goal,
    Section,
    emulator,
    environment,
    function_env,
    median,
    moto_dynamodb,
    percentile,
    table,
)

TABLE = "liverec-bench-storm"


def concurrently(n: int, call: Callable[[int], dict[str, Any]]) -> list[tuple[float, dict[str, Any]]]:
    """``n`` threads released together by a barrier; each call's latency (ms) and result."""
    barrier = threading.Barrier(n)
    results: list[tuple[float, dict[str, Any]] | None] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        result = call(i)
        results[i] = ((time.perf_counter() - start) * 1000, result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def storm(store: str, callbacks: int, creates: int) -> dict[str, Any]:
    from devtools.events import LOCAL_CALLBACK_KEY, callback_sign, load_event

    dynamodb: AbstractContextManager[dict[str, str]] = (
        moto_dynamodb(TABLE) if store == "dynamodb" else nullcontext({})
    )
    with emulator() as emu, dynamodb as aws:
        extra = aws | {"LIVEREC_IDEMPOTENCY_TABLE": TABLE} if aws else {}
        with environment(function_env(emu.base_url, **extra)):
            # imported here: the logger takes its level (WARNING) from the environment when first built
            from functions.realtime import handler as realtime
            from functions.webhooks import handler as webhooks

            context = FakeContext()
            stream = f"livestorm-{uuid.uuid4().hex[:6]}"  # matches the local callback rule (live*)
            begin = load_event("webhooks_callback_stream_begin")
            fields = json.loads(begin["body"]) | {"stream_id": stream, "channel_id": stream}

            def deliver(i: int) -> dict[str, Any]:  # each delivery re-signed, as Tencent does per attempt
                body = fields | {"t": fields["t"] + i}
                body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, body["t"])
                answer: dict[str, Any] = webhooks.lambda_handler(begin | {"body": json.dumps(body)}, context)
                return answer

            delivered = concurrently(callbacks, deliver)
            callback_tasks = [t for t in emu.tasks() if t.stream == stream]

            create = load_event("realtime_create")
            key = f"storm-{uuid.uuid4().hex[:8]}"
            create["headers"]["idempotency-key"] = key
            create["body"] = json.dumps({"stream": f"{stream}-hook", "duration": 60})
            created = concurrently(
                creates, lambda i: realtime.lambda_handler(json.loads(json.dumps(create)), context)
            )
            create_tasks = [t for t in emu.tasks() if t.stream == f"{stream}-hook"]
            task_ids = {json.loads(r["body"]).get("task_id") for _, r in created if r["statusCode"] == 201}
    replayed = [ms for ms, r in created if (r.get("headers") or {}).get("Idempotent-Replayed") == "true"]
    first = [ms for ms, r in created if (r.get("headers") or {}).get("Idempotent-Replayed") != "true"]
    return {
        "store": store,
        "callback_statuses": sorted({r["statusCode"] for _, r in delivered}),
        "callback_tasks": len(callback_tasks),
        "callback_ms": sorted(ms for ms, _ in delivered),
        "create_statuses": sorted({r["statusCode"] for _, r in created}),
        "create_tasks": len(create_tasks),
        "distinct_task_ids": len(task_ids),
        "first_ms": first,
        "duplicate_ms": sorted(replayed),
    }


def run(smoke: bool) -> Section:
    callbacks, creates = (13, 10) if smoke else (13, 50)
    results = [storm(store, callbacks, creates) for store in ("memory", "dynamodb")]
    rows = []
    goals = []
    for r in results:
        label = "in-process" if r["store"] == "memory" else "DynamoDB (moto server)"
        dup = r["duplicate_ms"]
        rows.append(
            [
                label,
                f"{callbacks} deliveries -> {r['callback_tasks']} task, answers {r['callback_statuses']}",
                f"p50 {median(r['callback_ms']):.1f} / max {max(r['callback_ms']):.1f}",
                f"{creates} creates -> {r['create_tasks']} task ({r['distinct_task_ids']} task id), answers {r['create_statuses']}",
                f"{len(dup)}: p50 {median(dup):.1f} / p99 {percentile(dup, 99):.1f} / max {max(dup) if dup else float('nan'):.1f}",
            ]
        )
        ok = r["callback_tasks"] == 1 and r["create_tasks"] == 1 and r["distinct_task_ids"] == 1
        goals.append(
            Goal(
                f"duplicate storm, {label} store: tasks per storm",
                "exactly 1",
                f"{r['callback_tasks']} and {r['create_tasks']}",
                ok,
            )
        )
    markdown = (
        f"{callbacks} concurrent deliveries of one stream-begin callback (each re-signed with its own `t`, as "
        f"Tencent's redeliveries are) to `functions/webhooks`, then {creates} concurrent identical "
        "`POST /recordings/realtime` with one `Idempotency-Key` to `functions/realtime`, all released together "
        "by a barrier, against the in-process emulator. Threads in one process stand in for concurrent "
        "containers; with the DynamoDB store the claim is arbitrated by the table (moto's server on "
        "127.0.0.1), as it would be across containers. Duplicates are the creates answered "
        "`Idempotent-Replayed: true`; their latency is how long they waited for the first one's result.\n\n"
        + table(["store", "callback storm", "callback ms", "create storm", "duplicates: ms"], rows)
    )
    return Section("storm", "Duplicate storm", markdown, goals, {r["store"]: r for r in results})
