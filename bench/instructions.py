"""Cold start in instructions, as deployed: the realtime handler (in-process store) and the framework floor
each run once under ``valgrind --tool=callgrind``, as bench/cold_start.py runs them as deployed (``python -S``,
only the unzipped artifact on the path, no bytecode written, against the emulator on loopback).

    python -m bench.instructions     # needs .serverless/liverec.zip (make package) and valgrind

Instructions of the whole process (interpreter start included) do not move with the machine's load as wall
time does, so a small change shows. *import* is a run that leaves right after importing the handler;
*first request* is a run that also serves the sample, minus that; hash randomisation is fixed (the counts
repeat to within about 1 M a run). Prints the counts and the ratio ours / floor."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.cold_start import SAMPLES, child, child_env, deployed_code, sample_event
from bench.common import ROOT, emulator, function_env, table

GOAL = 1.10  # ours / the framework floor, whole process, as deployed
TOTALS = re.compile(r"^(?:totals|summary):\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Stack:
    name: str
    module: str
    code: str  # which of deployed_code's trees it runs from
    function: str | None  # the sample it serves (None: the floors' body)
    expect: int


STACKS = (
    Stack(
        "realtime, in-process store", "functions.realtime.handler", "ours", "realtime", SAMPLES["realtime"][1]
    ),
    Stack("framework floor", "framework_floor", "framework", None, 200),
)


def callgrind(argv: list[str], env: dict[str, str], out: Path) -> tuple[int, dict[str, object]]:
    """Instructions the process ran (valgrind's own start-up excluded), and what the child reported."""
    tool = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    proc = subprocess.run(tool + argv, cwd=ROOT, env=env, capture_output=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    found = TOTALS.search(out.read_text())
    if found is None:
        raise RuntimeError(f"no totals in {out}")
    return int(found.group(1)), json.loads(proc.stdout.decode().strip().splitlines()[-1])


def measure(stack: Stack, code: dict[str, list[Path]], base: dict[str, str], tmp: Path) -> tuple[int, int]:
    """(import, first request) instructions."""
    argv, env = child("deployed", stack.module, code[stack.code])
    env = child_env(base | env | {"PYTHONHASHSEED": "0"})
    imported, _ = callgrind(argv, env, tmp / "import.out")
    event = tmp / "event.json"
    event.write_text(json.dumps(sample_event(stack.function, uuid.uuid4().hex[:8])))
    total, report = callgrind([*argv, str(event)], env, tmp / "first.out")
    if report.get("status") != stack.expect:
        raise RuntimeError(f"{stack.name}: answered {report.get('status')}, not {stack.expect}")
    return imported, total - imported


def main() -> int:
    if shutil.which("valgrind") is None:
        sys.stderr.write("valgrind is not installed\n")
        return 2
    if not (ROOT / ".serverless" / "liverec.zip").exists():
        sys.stderr.write("no .serverless/liverec.zip: run make package first\n")
        return 2
    with emulator(rate_limits={}) as emu, tempfile.TemporaryDirectory(prefix="liverec-instr-") as name:
        tmp = Path(name)
        code = deployed_code(tmp, None)
        base = function_env(emu.base_url)
        counts = {s.name: measure(s, code, base, tmp) for s in STACKS}
    ours, floor = (sum(counts[s.name]) for s in STACKS)
    rows = [[n, f"{i / 1e6:.1f}", f"{f / 1e6:.1f}", f"{(i + f) / 1e6:.1f}"] for n, (i, f) in counts.items()]
    sys.stdout.write(table(["as deployed", "import M", "first request M", "total M instr"], rows) + "\n")
    ratio = ours / floor
    verdict = "met" if ratio <= GOAL else "missed"
    sys.stdout.write(f"\nours / framework floor: {ratio:.3f}x (goal <= {GOAL:.2f}x: {verdict})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
