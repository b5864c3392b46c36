"""`make test-dates`: the date-dependent tests and a shortened simulated week, at each awkward instant.

Each instant runs in its own process tree at that instant (devtools.fakenow: libfaketime, one offset for
every process the tests start), with the machine's zone (TZ) set to another zone each time, so a test or a
product path that reads local time shows up. The tests run are those marked ``dates`` (pytest -m dates), the
simulated week among them shortened to LIVEREC_WEEK_DAYS days at one cadence; both on both cores.

Instants named by weekday are the next such one after today (so they stay near the present as years pass);
the others are fixed: the US DST changes of 2027, the leap day of 2028, the end of 2027, the 32-bit rollover.

A run whose only failure is a crashed process (a fatal signal: a pytest worker "crashed while running", or
pytest itself killed by a signal) is run once more and its verdict is the second run's; the summary says so.
Seen once in about 200 runs, in an xdist worker under the preloaded libfaketime, never without it; a test
that fails is never run again.

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
MONDAY, SATURDAY, SUNDAY, FRIDAY = 0, 5, 6, 4


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
        (
            # in the middle of the shows the tests store (every 6 h from midnight UTC, 15 or 30 min long): what is
            # under way, shortened or already over depends on the instant; a half-hour machine zone
            "monday-mid-show",
            datetime.combine(next_weekday(today, MONDAY), datetime.min.time(), UTC)
            + timedelta(hours=6, minutes=20),
            "Asia/Kolkata",
        ),
        ("us-dst-starts", datetime(2027, 3, 14, 6, 59, tzinfo=UTC), "America/New_York"),
        ("us-dst-ends", datetime(2027, 11, 7, 5, 59, tzinfo=UTC), "America/New_York"),
        ("leap-day", datetime(2028, 2, 29, 12, 0, tzinfo=UTC), "Australia/Sydney"),
        ("year-end", datetime(2027, 12, 31, 23, 55, tzinfo=UTC), "Pacific/Honolulu"),
        ("y2038", datetime(2038, 1, 19, 3, 14, tzinfo=UTC), "UTC"),
    ]


def commands(instant: datetime) -> list[tuple[list[str], dict[str, str]]]:
    at = [sys.executable, "-m", "devtools.fakenow", instant.astimezone(UTC).isoformat(), "--"]
    # both on both cores (about a minute an instant each way, not two)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    return [
        (at + pytest + ["-m", "dates", "--ignore", WEEK_FILE], {}),
        (
            at
            + pytest
            + ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]
            + ["-m", "dates", "-k", WEEK_CADENCE, WEEK_FILE],
            {"LIVEREC_WEEK_DAYS": WEEK_DAYS},
        ),
    ]


CRASHED = ("crashed while running", "Fatal Python error")


def run(command: list[str], env: dict[str, str]) -> tuple[int, bool]:
    """Its exit code (echoing what it prints), and whether a crash was all that failed."""
    with subprocess.Popen(  # noqa: S603 - our commands
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        crashed = failed_test = False
        for line in process.stdout or ():
            sys.stdout.write(line)
            crashed = crashed or any(sign in line for sign in CRASHED)
            failed_test = failed_test or (line.startswith("FAILED ") and CRASHED[0] not in line)
            failed_test = failed_test or line.startswith("ERROR ")
    sys.stdout.flush()
    code = process.returncode
    return code, bool(code) and (crashed or code < 0) and not failed_test


def run_once_more_if_crashed(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    code, crash = run(command, env)
    if not crash:
        return code, ""
    print("== test-dates: a process crashed (no test failed): running the same command once more", flush=True)
    code, _ = run(command, env)
    return code, " (after a crash, run again)"


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
        ran = [
            run_once_more_if_crashed(command, base | extra | {"TZ": zone})
            for command, extra in commands(instant)
        ]
        codes = [code for code, _ in ran]
        results.append((name, instant, codes, "".join(note for _, note in ran), time.monotonic() - began))
    print("\n== test-dates: summary")
    for name, instant, codes, note, seconds in results:
        verdict = "passed" if not any(codes) else f"FAILED (exit {', '.join(map(str, codes))})"
        print(
            f"   {name:<22} {instant.astimezone(UTC):%a %Y-%m-%d %H:%M:%S} UTC  {verdict}{note}  {seconds:.0f} s"
        )
    failed = [name for name, _, codes, _, _ in results if any(codes)]
    print(f"test-dates: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
