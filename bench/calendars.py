"""Calendars with exceptions (issue #29, point 3): what importing an iCalendar reader costs a cold start, and
what a program's exceptions cost a tick.

    python -m bench.calendars              # 15 fresh processes per candidate, prints the table
    python -m bench.calendars --write      # and writes its section into bench/RESULTS.md (+ results.json)

Import cost: each candidate imported in a fresh process after what every cold path of the programs already
holds (datetime, zoneinfo, cronsim, pydantic and liverec's programs model), its CPU time (process_time, so a
process waiting for a busy core is not charged) measured around the import alone; candidates interleaved, run
after run, the median and the lowest of the runs reported. A candidate not installed is reported so.

Tick cost: in this process, validating a stored program with about the most exceptions allowed (366 skipped, 183 moved, 366 added: what
a tick does with every stored program it reads) and expanding a year of its occurrences, best of 5.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import ROOT, Section, machine, median, table, write_section

TITLE = "Calendars: iCalendar readers' import cost, a program's exceptions per tick"
BASE = "import datetime, zoneinfo, cronsim, pydantic; import shared.recordings.programs"
CANDIDATES = {
    "python-dateutil rrule": "import dateutil.rrule",
    "icalendar": "import icalendar",
    "icalendar + recurring-ical-events": "import icalendar, recurring_ical_events",
    "liverec shared.recordings.ics (chosen)": "import shared.recordings.ics",
}
CHILD = (
    "import time, sys\n{base}\nt = time.process_time()\ntry:\n    {stmt}\nexcept ImportError:\n"
    "    print('missing'); sys.exit(0)\nprint(time.process_time() - t)\n"
)


def import_costs(runs: int) -> dict[str, list[float] | None]:
    found: dict[str, list[float] | None] = {name: [] for name in CANDIDATES}
    for _ in range(runs):
        for name, stmt in CANDIDATES.items():
            if found[name] is None:
                continue
            out = subprocess.run(
                [sys.executable, "-c", CHILD.format(base=BASE, stmt=stmt)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout.strip()
            if out == "missing":
                found[name] = None
            else:
                found[name].append(float(out) * 1000)  # type: ignore[union-attr]
    return found


def tick_costs() -> dict[str, float]:
    from shared.recordings import calendars
    from shared.recordings.programs import Program

    start = datetime(2027, 1, 1, 20, tzinfo=UTC)
    days = [start + timedelta(days=n) for n in range(366)]
    body = {
        "stream": "s",
        "cron": "0 20 * * *",
        "timezone": "Europe/Berlin",
        "duration": 3600,
        # the first half's days skipped, the second half's 21:00s (no occurrence: kept, harmless)
        "except": [d.date().isoformat() for d in days[:183]]
        + [(d + timedelta(hours=1)).isoformat() for d in days[183:]],
        "moved": [{"from": d.isoformat(), "to": (d + timedelta(hours=2)).isoformat()} for d in days[183:]],
        "added": [{"start": (d + timedelta(hours=3)).isoformat()} for d in days],
    }
    text = json.dumps(body)
    validate, expand = [], []
    for _ in range(5):
        t = time.process_time()
        program = Program.model_validate_json(text)
        validate.append(time.process_time() - t)
        calendars.calendar.cache_clear()
        t = time.process_time()
        for _ in zip(range(800), calendars.expand(program, start - timedelta(days=1)), strict=False):
            pass
        expand.append(time.process_time() - t)
    return {"validate_ms": min(validate) * 1000, "expand_year_ms": min(expand) * 1000}


def render(data: dict[str, Any]) -> str:
    rows = []
    for name, values in data["imports"].items():
        if values is None:
            rows.append((name, "not installed", "-"))
        else:
            rows.append((name, f"{median(values):.1f} ms", f"{min(values):.1f} ms"))
    ticks = data["tick"]
    return (
        f"{__doc__.split(chr(10) + chr(10))[2]}\n\n"
        + table(["candidate", "import, median", "lowest"], rows)
        + f"\n\n{data['runs']} runs. A program with 366 skipped, 183 moved and 366 added: validated in "
        f"{ticks['validate_ms']:.1f} ms (each tick that reads it), a year of its occurrences expanded in "
        f"{ticks['expand_year_ms']:.1f} ms (once a day per warm container: the tick caches a day's starts).\n\n"
        "Chosen: the rule is translated into cron and exceptions by liverec's own reader of the RFC 5545 "
        "subset it takes, imported only when a `text/calendar` body arrives (never on a cold path: "
        "tests/cold_budget.toml is unchanged); no dependency added. Expanding a stored rule with a library "
        "would put that library on the rollout's and the scheduled function's cold paths, for rules that "
        "cron cannot say and that are refused instead.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calendars", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    args = parser.parse_args(argv)
    data = {"imports": import_costs(args.runs), "tick": tick_costs(), "runs": args.runs}
    markdown = render(data)
    print(markdown)
    if args.write:
        write_section(
            Section("calendars", TITLE, markdown, [], data), machine(), "python -m bench.calendars --write"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
