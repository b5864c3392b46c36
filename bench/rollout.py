"""Rollout at the rate limit: one timer tick that must book 500 occurrences against the emulator enforcing
CreateRecordTask's 20 requests per second (its real sliding one-second window). Achieved rate,
RequestLimitExceeded answered by the emulator and surfaced to the tick, duplicates, and a second tick."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import Goal, Section, emulator, environment, function_env, table

LIMIT = 20  # CreateRecordTask, seed 004
GOAL_SHARE = 0.95
NOW = datetime(2026, 11, 23, 0, 0, 30, tzinfo=UTC)  # frozen: the occurrence count is exact


def programs(total: int) -> list[dict[str, Any]]:
    """Programs whose occurrences in the 6-day horizon from NOW add up to exactly ``total``: streams that
    record 10 minutes every 3 hours (48 each), and one that fills the remainder on the first day."""
    out = [
        {
            "name": f"channel-{i}",
            "stream": f"channel-{i}",
            "cron": f"{i + 1} */3 * * *",
            "timezone": "UTC",
            "duration": 600,
        }
        for i in range(total // 48)
    ]
    rest = total % 48
    assert rest <= 24, "the remainder program books one occurrence an hour on one day"
    if rest:
        out.append(
            {
                "name": "extra",
                "stream": "extra",
                "cron": f"5 0-{rest - 1} 23 11 *",
                "timezone": "UTC",
                "duration": 600,
            }
        )
    return out


class Timed:
    """A creator whose ``create`` is timed; the rest is the creator's own."""

    def __init__(self, inner: Any, create: Any) -> None:
        self._inner, self.create = inner, create

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def timed_ticks(parts: Any, total: int) -> dict[str, Any]:
    """Two ticks over programs with ``total`` occurrences; when each create returned (perf_counter)."""
    from shared.recordings.programs import parse_programs
    from shared.recordings.rollout import tick

    done: list[float] = []
    creator = parts.creator
    create = creator.create

    def timed_create(*args: Any, **kwargs: Any) -> Any:
        try:
            return create(*args, **kwargs)
        finally:
            done.append(time.perf_counter())

    timed = parts._replace(creator=Timed(creator, timed_create))
    parsed = parse_programs(programs(total), "bench")
    started = time.perf_counter()
    first = tick(timed, parsed)
    wall = time.perf_counter() - started
    second = tick(timed, parsed)
    created = len(first.created)
    span = done[created - 1] - done[0] if created > 1 else float("nan")
    return {
        "occurrences": first.occurrences,
        "created": created,
        "failed": len(first.failed),
        "failed_codes": sorted({f["error"]["code"] for f in first.failed}),
        "tick_s": wall,
        "rate_per_s": (created - 1) / span if created > 1 else float("nan"),
        "second_created": len(second.created),
        "second_existing": second.existing,
        "second_tick_s": time.perf_counter() - started - wall,
    }


def measure(total: int) -> dict[str, Any]:
    from shared.app import booking, use_clock

    # the emulator's default limits (CreateRecordTask 20/s), the functions' environment, the in-process store
    with emulator() as emu, environment(function_env(emu.base_url)):
        emu.clock.freeze(NOW.timestamp())
        use_clock(emu.clock.now)  # the frozen instant; waiting (pacing) in real time, as the limit counts it
        try:
            found = timed_ticks(booking(), total)
        finally:
            use_clock()
        limited = [
            r
            for r in emu.requests()
            if r.action == "CreateRecordTask" and "RequestLimitExceeded" in json.dumps(r.response)
        ]
        tasks = [t for t in emu.tasks() if not t.deleted]
    windows = {(t.stream, t.start, t.end) for t in tasks}
    return found | {
        "limited_answers": len(limited),
        "tasks": len(tasks),
        "duplicates": len(tasks) - len(windows),
    }


def run(smoke: bool) -> Section:
    total = 48 if smoke else 500
    m = measure(total)
    share = m["rate_per_s"] / LIMIT
    goals = [
        Goal(
            "rollout achieved rate",
            f">= {GOAL_SHARE:.0%} of {LIMIT}/s",
            f"{m['rate_per_s']:.2f}/s ({share:.1%})",
            share >= GOAL_SHARE,
        ),
        Goal(
            "RequestLimitExceeded surfaced to the tick",
            "0",
            str(m["failed_codes"].count("RequestLimitExceeded")),
            "RequestLimitExceeded" not in m["failed_codes"],
        ),
        Goal("duplicates", "0", str(m["duplicates"]), m["duplicates"] == 0),
    ]
    rows = [
        ["occurrences in the horizon", m["occurrences"]],
        ["created by the tick", m["created"]],
        ["failed", f"{m['failed']} {m['failed_codes'] or ''}".strip()],
        ["tick wall time", f"{m['tick_s']:.1f} s"],
        [
            "achieved create rate (first to last create)",
            f"{m['rate_per_s']:.2f}/s = {share:.1%} of {LIMIT}/s",
        ],
        ["RequestLimitExceeded answered by the emulator", m["limited_answers"]],
        ["tasks at the emulator / duplicates", f"{m['tasks']} / {m['duplicates']}"],
        [
            "second tick: created / already booked / wall",
            f"{m['second_created']} / {m['second_existing']} / {m['second_tick_s']:.2f} s",
        ],
    ]
    markdown = (
        f"One `shared.recordings.rollout.tick` (the `rollout` function's timer path, in-process store) with programs that have exactly "
        f"{total} occurrences in CreateRecordTask's 6-day horizon from a frozen instant, against the "
        "in-process emulator with its default limits: CreateRecordTask refused beyond 20 requests in any "
        "sliding one-second window of real time. The tick paces with its token bucket at 97% of the "
        "documented rate (`shared.support.pacing.PACING`); the rate is measured from the first to the last create "
        "as the caller sees them. Then a second tick over the same programs.\n\n" + table(["", ""], rows)
    )
    return Section("rollout", "Rollout at the rate limit", markdown, goals, m)
