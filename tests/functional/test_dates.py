"""The timer from the run's instant on: every occurrence booked once across the calendar edges ahead.

The simulated ticks start at the wall clock, so `make test-dates` puts them on a weekend, a DST change in New
York, the leap day, the year end and the 32-bit rollover, and an ordinary run at today. The programs are
chosen so that each of those instants has an edge within the span: weekday and Sunday-only programs, local
times in New York (their UTC time moves at a DST change), midnight UTC, the leap day, the last minutes of the
year (a window that crosses into the next one, in UTC and in China time), the first of the month in Berlin.
What each program should have booked is derived from the instant by tests/utils.py's own reading of cron,
never from the product's planning. The ledger is DynamoDB on moto's server, which reads the same clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext
from functions.rollout import handler as rollout
from shared.support.config import LiveApi
from shared.tencent.generations import generation
from tests import utils
from tests.functional.conftest import TABLE

pytestmark = pytest.mark.dates

HALF_HOUR = 1800  # the year-end windows cross midnight
PROGRAMS: list[dict[str, Any]] = [
    {"name": "weekday-evening", "stream": "news", "cron": "0 20 * * MON-FRI", "timezone": "Asia/Shanghai"},
    {"name": "sunday-night", "stream": "sunday", "cron": "30 23 * * SUN", "timezone": "Asia/Shanghai"},
    {"name": "saturday-noon", "stream": "saturday", "cron": "0 12 * * 6", "timezone": "UTC"},
    {"name": "ny-morning", "stream": "ny", "cron": "30 7 * * *", "timezone": "America/New_York"},
    {"name": "ny-four-hourly", "stream": "ny4", "cron": "0 */4 * * *", "timezone": "America/New_York"},
    {"name": "midnight", "stream": "midnight", "cron": "0 0 * * *", "timezone": "UTC"},
    {"name": "leap-day", "stream": "leap", "cron": "0 12 29 2 *", "timezone": "UTC"},
    {"name": "year-end", "stream": "nye", "cron": "50 23 31 12 *", "timezone": "UTC"},
    {"name": "year-end-cst", "stream": "nye-cst", "cron": "58 23 31 12 *", "timezone": "Asia/Shanghai"},
    {"name": "month-start", "stream": "month", "cron": "0 8 1 * *", "timezone": "Europe/Berlin"},
]
for _program in PROGRAMS:
    _program["duration"] = HALF_HOUR
# 30 hours from Saturday 08:00 China time: on air over the weekend, its first day ended by Sunday 08:00
PROGRAMS.append(
    {
        "name": "marathon",
        "stream": "marathon",
        "cron": "0 8 * * SAT",
        "timezone": "Asia/Shanghai",
        "duration": 30 * 3600,
    }
)
STEP = timedelta(minutes=30)
SPAN = timedelta(days=2)


@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
def test_the_timer_books_every_occurrence_ahead_once(
    api: str,
    dynamodb: Any,
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    simulated: Callable[[], None],
) -> None:
    configure(api, LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    start = utils.now()
    ticks = [start + i * STEP for i in range(int(SPAN / STEP) + 1)]
    context = LambdaContext(function_name="liverec-rollout", remaining_ms=300_000)
    for i, now in enumerate(ticks):
        fresh_emulator.clock.freeze(now.timestamp())
        if i % 4 == 0:
            simulated()
        report = rollout.lambda_handler({"programs": PROGRAMS}, context)
        assert "error" not in report and report["failed"] == [] and report["unresolved"] == [], (now, report)
        assert report["pending"] == [] and report["deferred"] == [], (now, report)

    gen = generation(LiveApi(api))
    horizon = gen.start_horizon or timedelta(days=1)
    booked = Counter((t.stream, t.start, t.end) for t in fresh_emulator.tasks())
    assert [key for key, n in booked.items() if n > 1] == []
    for program in PROGRAMS:
        cron, zone, duration = program["cron"], program["timezone"], program["duration"]
        expected = utils.windows(cron, zone, duration, ticks, horizon, gen.scheduled_cap, booked=True)
        got = {(s, e) for stream, s, e in booked if stream == program["stream"]}
        assert got == expected, (program["name"], start.isoformat(), sorted(expected ^ got))
