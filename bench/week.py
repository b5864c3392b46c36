"""A week of ticks: what the timer costs as the programs grow.

The `rollout` function, warm, ticks every 30 minutes of simulated time for 7 days (`record-task`: the
6-day horizon, and look-ups where the ledger has never seen an occurrence), with N daily one-hour programs
on N streams, against the emulator (no rate limits or caps: pacing and backoff advance the simulated clock)
and the ledger on moto's DynamoDB server. Per tick: occurrences in the horizon, creates, look-up calls to
Tencent, and the DynamoDB requests and items read of the ledger and the program store (one table). The
first tick books the whole horizon; the others book what entered it since.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import FakeContext, Goal, Section, emulator, environment, function_env, moto_dynamodb, table

TABLE = "liverec-bench-week"
START = datetime(2026, 11, 23, 0, 3, tzinfo=UTC)  # a Monday; simulated time
STEP = timedelta(minutes=30)
READS = ("GetItem", "BatchGetItem", "Query")
# the rollout function's timeout in serverless.yml: a tick defers what does not fit (none does here)
ROLLOUT_CONTEXT = FakeContext(function_name="liverec-bench-rollout", remaining_ms=300_000)


def programs(n: int) -> list[dict[str, Any]]:
    """N daily one-hour programs, spread over the day, one stream each."""
    return [
        {
            "name": f"channel-{i}",
            "stream": f"channel-{i}",
            "cron": f"{i % 60} {(i // 60) % 24} * * *",
            "timezone": "Asia/Shanghai",
            "duration": 3600,
        }
        for i in range(n)
    ]


def traffic(tables: list[Any]) -> tuple[Counter[str], int]:
    """The requests by operation and the items read so far, summed over the stores' tables."""
    return sum((Counter(t.requests) for t in tables), Counter()), sum(t.items_read for t in tables)


def measure(n: int, days: int) -> dict[str, Any]:
    from devtools.emulator.config import NO_LIMITS

    with (
        emulator(**NO_LIMITS) as emu,
        moto_dynamodb(TABLE) as aws,
        environment(function_env(emu.base_url, LIVEREC_IDEMPOTENCY_TABLE=TABLE, **aws)),
    ):
        from functions.rollout import handler
        from shared.app import ledger, program_store, use_clock

        clock = emu.clock
        clock.freeze(START.timestamp())
        use_clock(clock.now, clock.advance, clock.now)
        event = {"programs": programs(n)}
        ticks: list[dict[str, Any]] = []
        try:
            for i in range(int(timedelta(days=days) / STEP)):
                clock.freeze((START + i * STEP).timestamp())
                seen = len(emu.requests())
                tables = [ledger().table, program_store().table]  # type: ignore[attr-defined]
                before, items_before = traffic(tables)
                t0 = time.perf_counter()
                report = handler.lambda_handler(event, ROLLOUT_CONTEXT)
                wall = time.perf_counter() - t0
                after, items_after = traffic(tables)
                sent = after - before
                ticks.append(
                    {
                        "occurrences": report["occurrences"],
                        "creates": len(report["created"]),
                        "failed": len(report["failed"]),
                        "failed_codes": sorted({f["error"]["code"] for f in report["failed"]}),
                        "deferred": len(report["deferred"]),
                        "lookups": sum(1 for r in emu.requests()[seen:] if r.action == "DescribeRecordTask"),
                        "reads": sum(v for op, v in sent.items() if op in READS),
                        "writes": sum(v for op, v in sent.items() if op not in READS),
                        "items_read": items_after - items_before,
                        "wall_s": wall,
                    }
                )
        finally:
            use_clock()
        windows = [(t.stream, t.start, t.end) for t in emu.tasks()]
    return {
        "programs": n,
        "ticks": ticks,
        "tasks": len(windows),
        "duplicates": len(windows) - len(set(windows)),
    }


def _steady(ticks: list[dict[str, Any]], key: str) -> str:
    rest = [t[key] for t in ticks[1:]] or [0]
    return f"{sum(rest) / len(rest):.1f} / {max(rest)}"


def run(smoke: bool) -> Section:
    # at most 300: moto answers an index query (the adopt step's look-up of a stream's bookings, the programs
    # due) by scanning its whole table in Python, so a week at 1,000 programs takes over half an hour on moto
    # (DynamoDB's queries do not grow with the table); the programs section measures 10,000 stored programs
    counts, days = ((3,), 1) if smoke else ((10, 100, 300), 7)
    results = [measure(n, days) for n in counts]
    rows = []
    for m in results:
        first, ticks = m["ticks"][0], m["ticks"]
        rows.append(
            [
                m["programs"],
                f"{first['occurrences']}",
                f"{first['creates']} / {_steady(ticks, 'creates')}",
                f"{first['lookups']} / {_steady(ticks, 'lookups')}",
                f"{first['reads']} / {_steady(ticks, 'reads')}",
                f"{first['items_read']} / {_steady(ticks, 'items_read')}",
                f"{first['writes']} / {_steady(ticks, 'writes')}",
                f"{sum(t['wall_s'] for t in ticks[1:]) / max(len(ticks) - 1, 1) * 1000:.0f} ms",
                f"{m['tasks']} / {m['duplicates']}",
            ]
        )
    duplicates = sum(m["duplicates"] for m in results)
    failed = sum(t["failed"] for m in results for t in m["ticks"])
    goals = [
        Goal("a week of ticks: duplicates", "0", str(duplicates), duplicates == 0),
        Goal("a week of ticks: failed occurrences", "0", str(failed), failed == 0),
    ]
    markdown = (
        __doc__.split("\n\n", 1)[1].strip()
        + f" {len(results[0]['ticks'])} ticks per row. Figures: the first tick / the other ticks' mean / their "
        "maximum. Store reads are DynamoDB requests (a `BatchGetItem` reads up to 100 items, a `Query` a page "
        "of an index); the tick's wall "
        "time is moto's and the emulator's on loopback, not DynamoDB's.\n\n"
        + table(
            [
                "programs",
                "occurrences in the horizon",
                "creates",
                "Tencent look-ups",
                "store reads",
                "items read",
                "store writes",
                "wall per tick (after the first)",
                "tasks / duplicates",
            ],
            rows,
        )
        + "\n\nThe programs here are the schedule's input, planned by every tick (a program stored over HTTP "
        "is read only when due: the programs section). A steady tick queries the stored programs due (none "
        "here), looks up whether a stored program replaces a configured one (a `BatchGetItem` per 100 "
        "configured names), reads the summary items of settled occurrences (a stream's occurrences share "
        "one of 64), then the entries of the occurrences that entered the horizon since the last tick; it "
        "writes those bookings and the summaries that changed. Items read grow with the programs up to 64 "
        "summaries, not with the occurrences booked; look-ups and writes grow with what is new. On moto an "
        "index query scans the table, so the wall time grows with the week's entries; DynamoDB's does not."
    )
    data = {str(m["programs"]): m | {"ticks": m["ticks"]} for m in results}
    return Section("week", "A week of ticks", markdown, goals, data)
