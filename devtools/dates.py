"""`make test-dates`: the date-dependent tests and a shortened simulated week, at each awkward instant.

Each instant runs in its own process tree at that instant (devtools.fakenow: libfaketime, one offset for
every process the tests start), with the machine's zone (TZ) set to another zone each time, so a test or a
product path that reads local time shows up. The tests run are those marked ``dates`` (pytest -m dates), the
simulated week among them shortened to LIVEREC_WEEK_DAYS days at one cadence on both cores.

Instants named by weekday are the next such one after today (so they stay near the present as years pass);
the others are fixed: the US DST changes of 2027, the leap day of 2028, the end of 2027, the 32-bit rollover.

    .venv/bin/python -m devtools.dates                 # all of them
    .venv/bin/python -m devtools.dates --only leap-day  # one, by name
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from devtools.fakenow import NOW_VARIABLE

WEEK_FILE = "tests/functional/test_week.py"
WEEK_DAYS = "3"
WEEK_CADENCE = "every-30-min"
SATURDAY, SUNDAY, FRIDAY = 5, 6, 4


def next_weekday(today: date, weekday: int) -> date:
    """The first ``weekday`` (Monday 0) after ``today``."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def instants(today: date) -> list[tuple[str, datetime, str]]:
    """(name, instant, the machine zone to run under)."""
    shanghai = ZoneInfo("Asia/Shanghai")
    sunday = next_weekday(today, SUNDAY)
    return [
        (
            "saturday-noon",
            datetime.combine(next_weekday(today, SATURDAY), datetime.min.time(), UTC) + timedelta(hours=12),
            "Pacific/Kiritimati",
        ),
        (
            "sunday-late-china",
            datetime(sunday.year, sunday.month, sunday.day, 23, 30, tzinfo=shanghai),
            "Asia/Shanghai",
        ),
        (
            "friday-last-seconds",
            datetime.combine(next_weekday(today, FRIDAY), datetime.min.time(), UTC)
            + timedelta(hours=23, minutes=59, seconds=30),
            "America/Los_Angeles",
        ),
        ("us-dst-starts", datetime(2027, 3, 14, 6, 59, tzinfo=UTC), "America/New_York"),
        ("us-dst-ends", datetime(2027, 11, 7, 5, 59, tzinfo=UTC), "America/New_York"),
        ("leap-day", datetime(2028, 2, 29, 12, 0, tzinfo=UTC), "Australia/Sydney"),
        ("year-end", datetime(2027, 12, 31, 23, 55, tzinfo=UTC), "Pacific/Honolulu"),
        ("y2038", datetime(2038, 1, 19, 3, 14, tzinfo=UTC), "UTC"),
    ]


def commands(instant: datetime) -> list[tuple[list[str], dict[str, str]]]:
    at = [sys.executable, "-m", "devtools.fakenow", instant.astimezone(UTC).isoformat(), "--"]
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return [
        (at + pytest + ["-m", "dates", "--ignore", WEEK_FILE], {}),
        (
            at
            + pytest
            + ["-n", "2", "-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]
            + ["-m", "dates", "-k", WEEK_CADENCE, WEEK_FILE],
            {"LIVEREC_WEEK_DAYS": WEEK_DAYS},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.dates", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated names of instants (default: all)")
    args = parser.parse_args(argv)
    chosen = instants(datetime.now(UTC).date())
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {name for name, _, _ in chosen}
        if unknown:
            parser.error(f"unknown instant(s): {', '.join(sorted(unknown))}")
        chosen = [c for c in chosen if c[0] in wanted]
    base = {k: v for k, v in os.environ.items() if k not in (NOW_VARIABLE, "FAKETIME")}
    results = []
    for name, instant, zone in chosen:
        began = time.monotonic()
        print(
            f"== test-dates: {name}: {instant.isoformat()} ({instant.astimezone(UTC):%a %Y-%m-%d %H:%M:%S} UTC), TZ={zone}",
            flush=True,
        )
        codes = [
            subprocess.run(command, env=base | extra | {"TZ": zone}, check=False).returncode  # noqa: S603 - our commands
            for command, extra in commands(instant)
        ]
        results.append((name, instant, codes, time.monotonic() - began))
    print("\n== test-dates: summary")
    for name, instant, codes, seconds in results:
        verdict = "passed" if not any(codes) else f"FAILED (exit {', '.join(map(str, codes))})"
        print(f"   {name:<22} {instant.astimezone(UTC):%a %Y-%m-%d %H:%M:%S} UTC  {verdict}  {seconds:.0f} s")
    failed = [name for name, _, codes, _ in results if any(codes)]
    print(f"test-dates: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
