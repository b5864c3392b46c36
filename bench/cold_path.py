"""The cold path, function by function: the modules a cold invocation loads and what it costs, as a ratio to
the framework floor's, both measured in one run. tests/unit/test_cold_path.py holds these figures to
tests/cold_budget.toml; this command prints them, to set that budget from measured figures:

    python -m bench.cold_path [ROUNDS]

A cold invocation is bench/cold_child.py's (import the handler, serve one event; ``--cold-path``), in the
dev venv (bytecode cached: a first, discarded round writes it), with the in-process ledger, secrets in the
environment and the Tencent emulator on 127.0.0.1 (``LIVE_API=record-task``). What it costs is its *CPU
time*: the handler's import and its first request (which imports the rest of its path lazily), in the
child's own process time. CPU time, not wall time: on a shared 2-core machine a process waiting for a core
adds wall time, not CPU time, so a ratio of CPU times repeats under load where one of wall times does not
(measured: see tests/cold_budget.toml). Each round runs the floor and every function once, the order
reversed every other round; a scenario's figure is its best (least) time over the rounds, as noise only
ever adds time, and a ratio is taken only between figures of one run. The wall time of the same
invocations is shown beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.cold_start import CHILD, child_env, sample_event
from bench.common import ROOT, emulator, function_env, table

FLOOR = "floor"
# what each scenario imports, and the status its first answer must have (the rollout answers its report: see
# ``answered``)
MODULES = {
    FLOOR: ("bench.naive.framework_floor", 200),
    "realtime": ("functions.realtime.handler", 201),
    "scheduled": ("functions.scheduled.handler", 201),
    "tasks": ("functions.tasks.handler", 200),
    "webhooks": ("functions.webhooks.handler", 200),
    "rollout": ("functions.rollout.handler", None),
}
TICK_BOOKINGS = 6  # the rollout's program: one a day in the generation's 6-day start horizon
FUNCTIONS = tuple(name for name in MODULES if name != FLOOR)


@dataclass
class Scenario:
    name: str
    cpu: list[float] = field(default_factory=list)  # ms, one per measured round
    wall: list[float] = field(default_factory=list)  # ms, the same invocations
    modules: frozenset[str] = frozenset()  # what its cold invocation loaded (the last round's)

    @property
    def best(self) -> float:
        return min(self.cpu)


def event(name: str, run: str) -> dict[str, Any]:
    """The event a scenario serves first, unique to its run: an HTTP create (realtime, scheduled), a list
    (tasks), a Tencent stream-begin callback that a rule turns into a recording (webhooks), a timer tick
    with one daily program starting two hours from now (rollout: one booking in the tick's horizon, whatever
    the day and hour)."""
    if name == "rollout":
        at = datetime.now(UTC) + timedelta(hours=2)
        cron = f"{at.minute} {at.hour} * * *"
        program = {"name": "cold-path", "stream": f"cold-{run}", "cron": cron, "timezone": "UTC"}
        return {"programs": [program | {"duration": 3600}]}
    if name != "webhooks":
        return sample_event(None if name == FLOOR else name, run)
    from devtools.events import LOCAL_CALLBACK_KEY, callback_sign, load_event

    sample = load_event("webhooks_callback_stream_begin", callback_key=LOCAL_CALLBACK_KEY)
    body = json.loads(sample["body"])
    body |= {"stream_id": f"live-cold-{run}", "channel_id": f"live-cold-{run}", "sequence": run}
    body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, body["t"])
    return sample | {"body": json.dumps(body)}


def spawn(name: str, env: dict[str, str], tmp: Path) -> tuple[float, float, frozenset[str]]:
    """One cold invocation of ``name`` in a fresh process: its CPU and wall time (ms), and the modules it
    loaded."""
    module, expect = MODULES[name]
    event_file = tmp / f"{name}.json"
    event_file.write_text(json.dumps(event(name, uuid.uuid4().hex[:12])), encoding="utf-8")
    argv = [sys.executable, str(CHILD), "--cold-path", module, str(event_file)]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if not answered(report, expect):
        raise RuntimeError(f"{name}: answered {str(report['answer'])[:500]}: {proc.stderr[-2000:]}")
    wall = report["import_ms"] + report["first_ms"]
    return report["cpu_ms"], wall, frozenset(report["modules"])


def answered(report: dict[str, Any], expect: int | None) -> bool:
    """The invocation took the path it is measured for: the HTTP status expected, or a tick that booked
    every occurrence (not a tick that failed, or found nothing to do)."""
    if expect is not None:
        return bool(report["status"] == expect)
    answer = report["answer"]
    return len(answer.get("created", [])) == TICK_BOOKINGS and not answer.get("failed")


class ColdPaths:
    """The floor and every function, measured round by round against one emulator; more rounds on demand."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.scenarios = {name: Scenario(name) for name in MODULES}
        self.rounds = 0
        for name in MODULES:  # discarded: writes the bytecode, and checks each answers as it should
            spawn(name, env, tmp)

    def measure(self, rounds: int) -> None:
        for _ in range(rounds):
            names = list(MODULES) if self.rounds % 2 == 0 else list(MODULES)[::-1]
            for name in names:
                cpu, wall, loaded = spawn(name, self.env, self.tmp)
                scenario = self.scenarios[name]
                scenario.cpu.append(cpu)
                scenario.wall.append(wall)
                scenario.modules = loaded
            self.rounds += 1

    @property
    def floor(self) -> Scenario:
        return self.scenarios[FLOOR]

    def ratio(self, name: str) -> float:
        return self.scenarios[name].best / self.floor.best

    def beyond_floor(self, name: str) -> frozenset[str]:
        return self.scenarios[name].modules - self.floor.modules


def shared_count(modules: frozenset[str]) -> int:
    return sum(1 for m in modules if m == "shared" or m.startswith("shared."))


@contextmanager
def cold_paths() -> Iterator[ColdPaths]:
    """The emulator up and a temporary directory, for :class:`ColdPaths`, warmed up."""
    with emulator(rate_limits={}) as emu, tempfile.TemporaryDirectory(prefix="liverec-cold-") as tmp:
        env = child_env(function_env(emu.base_url) | {"PYTHONPATH": str(ROOT)})
        yield ColdPaths(env, Path(tmp))


def report(paths: ColdPaths) -> str:
    """The figures, a row a scenario: modules loaded, beyond the floor and of liverec's own, best CPU and
    wall time and their ratios to the floor's."""
    floor = paths.floor
    rows = []
    for name in MODULES:
        s = paths.scenarios[name]
        beyond = "—" if name == FLOOR else len(paths.beyond_floor(name))
        wall = min(s.wall) / min(floor.wall)
        times = [f"{s.best:.1f}", f"{paths.ratio(name):.3f}", f"{min(s.wall):.1f}", f"{wall:.3f}"]
        rows.append([name, len(s.modules), beyond, shared_count(s.modules), *times])
    headers = ["scenario", "modules", "beyond the floor", "shared.*", "CPU ms", "CPU / floor", "wall ms"]
    return f"best of {paths.rounds} rounds\n" + table([*headers, "wall / floor"], rows)


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else 5
    with cold_paths() as paths:
        paths.measure(rounds)
        sys.stdout.write(report(paths) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
