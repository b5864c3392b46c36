"""How the tests set "now" for a whole run: libfaketime (preloaded) against time-machine (patched in-process),
measured side by side in one run, written to bench/FAKE_CLOCK.md.

    .venv/bin/python -m bench.fake_clock          # about a minute

What decides it (devtools/fakenow.py uses the winner):
- reach: whether a child process the tests start (a Python server such as the emulator or moto's, ``date``,
  node for serverless-offline) reads the chosen instant. Measured by starting each and reading its clock.
- cost: a clock read (``time.time()``, ``datetime.now(UTC)``) under each, timed with timeit in child processes
  started alternately; and an interpreter start under each (pairs run back to back, median of the ratios).

Nothing here is asserted by a test: it is a measurement, run on demand.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, machine, median, table
from devtools.fakenow import environment

INSTANT = datetime(2027, 3, 14, 6, 59, tzinfo=UTC)
# time-machine travels this process only; its children are started the same way as under libfaketime
TIME_MACHINE = (
    "import time_machine, datetime as d; "
    "time_machine.travel(d.datetime(2027, 3, 14, 6, 59, tzinfo=d.UTC), tick=True).start()"
)
READS = {"time.time()": "time.time()", "datetime.now(UTC)": "datetime.datetime.now(datetime.UTC)"}
CHILDREN = {
    "python child": [sys.executable, "-c", "import time; print(time.time())"],
    "date": ["date", "+%s"],
    "node": ["node", "-e", "console.log(Date.now() / 1000)"],
}


def faked_env() -> dict[str, str]:
    import os

    return environment(INSTANT, time.time(), {k: v for k, v in os.environ.items() if k != "FAKETIME"})


def per_read_ns(setup: str, statement: str, env: dict[str, str] | None) -> float:
    code = (
        "import time, datetime, timeit\n"
        f"{setup}\n"
        f"t = timeit.Timer({statement!r}, globals=globals())\n"
        "n, _ = t.autorange()\n"
        "print(min(t.repeat(5, n)) / n * 1e9)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout)


def child_sees(setup: str, command: list[str], env: dict[str, str] | None) -> float:
    """The instant a child process reads, started from a Python parent set up as ``setup``."""
    code = (
        f"{setup}\nimport subprocess, sys\n"
        f"print(subprocess.run({command!r}, capture_output=True, text=True, check=True).stdout)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def start_ms(env: dict[str, str] | None) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - began) * 1000


def measure(pairs: int = 41) -> dict[str, Any]:
    ways: dict[str, tuple[str, dict[str, str] | None]] = {
        "real clock": ("", None),
        "libfaketime (preloaded)": ("", faked_env()),
        "time-machine (travel, tick)": (TIME_MACHINE, None),
    }
    reads = {
        way: {name: per_read_ns(setup, stmt, env) for name, stmt in READS.items()}
        for way, (setup, env) in ways.items()
    }
    reach: dict[str, dict[str, str]] = {}
    for way, (setup, env) in list(ways.items())[1:]:
        reach[way] = {"this process": "yes"}
        for name, command in CHILDREN.items():
            if shutil.which(command[0]) is None:
                reach[way][name] = "not installed"
                continue
            seen = child_sees(setup, command, env)
            reach[way][name] = "yes" if abs(seen - INSTANT.timestamp()) < 600 else "no (reads today)"
    ratios = []
    for i in range(pairs):  # back to back, order alternating: the machine's drift hits both alike
        if i % 2:
            faked, real = start_ms(ways["libfaketime (preloaded)"][1]), start_ms(None)
        else:
            real, faked = start_ms(None), start_ms(ways["libfaketime (preloaded)"][1])
        ratios.append(faked / real)
    return {"reads_ns": reads, "reach": reach, "start_ratio": median(ratios), "pairs": pairs}


def render(found: dict[str, Any], info: dict[str, Any]) -> str:
    reads = found["reads_ns"]
    reach = found["reach"]
    children = ["this process", *CHILDREN]
    return "\n".join(
        [
            "# A fake instant for a whole test run",
            "",
            f"Written by `python -m bench.fake_clock` on {info['date']}, commit {info['commit']}. Machine: "
            f"{info['cpu']}, {info['cores']} cores, {info['os']}, Python {info['python']}. One run; every "
            "figure below is from this run, side by side.",
            "",
            "## Reach: who reads the chosen instant",
            "",
            table(["way", *children], [[w, *(reach[w][c] for c in children)] for w in reach]),
            "",
            "## Cost of a clock read (ns, best of 5 timeit repeats, each in its own process)",
            "",
            table(["way", *READS], [[w, *(f"{reads[w][r]:.0f}" for r in READS)] for w in reads]),
            "",
            f"Interpreter start under libfaketime against the real clock: {found['start_ratio']:.3f}x "
            f"(median of {found['pairs']} back-to-back pairs, order alternating).",
            "",
            "## The choice",
            "",
            "libfaketime, preloaded by `devtools/fakenow.py` with one relative offset for the whole process "
            "tree: it is the only one of the two that reaches the processes the tests start (the emulator, "
            "moto's server, the local gateway, serverless-offline's node, functions run in subprocesses), and a "
            "clock read under it costs less than under time-machine. time-machine would need a start-up hook "
            "in every Python child and cannot reach node or `date` at all.",
            "",
        ]
    )


def main() -> None:
    found = measure()
    out = ROOT / "bench" / "FAKE_CLOCK.md"
    out.write_text(render(found, machine()), encoding="utf-8")
    print(json.dumps(found, indent=1))
    print(f"bench.fake_clock: wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
