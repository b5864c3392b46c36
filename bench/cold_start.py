"""Cold start: a fresh Python process imports a handler module and serves its first request against the
emulator on loopback. Wall time (spawn to answer) and peak RSS, median of interleaved runs, per function,
with the idempotency store in-process and on DynamoDB (moto's server), side by side with the naive stack
(bench/naive) and the floor, in two settings:

- as deployed: ``python -S`` with only an unzipped artifact on the path and no bytecode written, as on
  Lambda's read-only /var/task. Ours is ``.serverless/liverec.zip`` (precompiled, see devtools/precompile);
  the naive stack is the plain serverless-python-requirements bundle of its four packages (bench/plain.py,
  built once and kept), with boto3 from the dev venv standing in for the Lambda runtime's, bytecode cached
  (in the naive stack's favour);
- in the dev venv: bytecode cached, site-packages on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, Goal, Section, emulator, function_env, median, moto_dynamodb, table
from bench.plain import built_at, bundle, naive_code

TABLE = "liverec-bench-idempotency"
NAIVE_TABLE = "liverec-bench-naive"
CHILD = ROOT / "bench" / "cold_child.py"  # stdlib only: run as a script, it needs nothing on the path
# the sample each function serves first (the idempotency key or event identity is made unique per run)
SAMPLES = {
    "realtime": "realtime_create",
    "scheduled": "scheduled_create",
    "tasks": "tasks_list",
    "webhooks": "webhooks_callback_stream_begin",
}
GOAL_RATIO = 0.4
GOAL_RSS_MIB = 40.0


@dataclass
class Scenario:
    name: str
    setting: str  # "deployed" | "venv" | "floor" | "bare" (as deployed, bytecode removed)
    kind: str  # "ours" | "naive" | "framework" | "floor"
    argv: list[str]
    env: dict[str, str]
    function: str | None = None  # ours: the function; the naive stack and the framework serve realtime's
    expect: int | None = None
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)


def _event(function: str, run: str) -> dict[str, Any]:
    from devtools.events import LOCAL_CALLBACK_KEY, callback_sign, load_event

    event = load_event(SAMPLES[function])
    if function == "webhooks":  # a new push each run: a new stream-begin identity, signed again
        body = json.loads(event["body"])
        body["sequence"] = run
        body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, body["t"])
        event["body"] = json.dumps(body)
    elif "idempotency-key" in event["headers"]:
        event["headers"]["idempotency-key"] = f"bench-{run}"
    return event


def _naive_event(run: str) -> dict[str, Any]:
    from devtools.events import load_event

    event = load_event("realtime_create")
    # powertools' idempotency keys on the body: a new stream per run, so every run really creates
    event["body"] = json.dumps({"stream": f"naive-{run}", "duration": 300})
    return event


def _spawn(scenario: Scenario, event_file: Path | None) -> None:
    argv = list(scenario.argv) + ([str(event_file)] if event_file else [])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIVE", "TENCENTCLOUD", "LIVEREC", "AWS_", "PYTHON"))
    }
    env.update(scenario.env)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_b, err_b = proc.communicate(timeout=120)
    wall = time.perf_counter() - start
    out, err = out_b.decode(), err_b.decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario.name}: exit {proc.returncode}: {err[-2000:]}")
    scenario.walls.append(wall * 1000)
    if not out.strip():  # python -c pass reports nothing (its peak RSS is not measured)
        return
    child = json.loads(out.strip().splitlines()[-1])
    scenario.rss.append(child["peak_rss_kib"] / 1024)
    if scenario.expect is not None:
        if child["status"] != scenario.expect:
            raise RuntimeError(
                f"{scenario.name}: answered {child['status']}, expected {scenario.expect}: {err[-2000:]}"
            )
        scenario.imports.append(child["import_ms"])
        scenario.firsts.append(child["first_ms"])


def _unzip(artifact: Path, into: Path) -> Path:
    with zipfile.ZipFile(artifact) as z:
        z.extractall(into)
    return into


def scenarios(
    tmp: Path, base: dict[str, str], aws: dict[str, str], functions: list[str], naive_zip: Path | None
) -> list[Scenario]:
    """Every scenario, each in the settings it can run in (as deployed needs the built artifacts)."""
    python = sys.executable
    venv = {"PYTHONPATH": str(ROOT)}
    bare_env = {"PYTHONDONTWRITEBYTECODE": "1"}
    naive_env = base | aws | {"NAIVE_IDEMPOTENCY_TABLE": NAIVE_TABLE}
    dynamodb = aws | {"LIVEREC_IDEMPOTENCY_TABLE": TABLE}
    deployed = python, "-S", str(CHILD)
    out = [
        Scenario("floor (python -c pass)", "floor", "floor", [python, "-c", "pass"], {}),
        Scenario("floor (the runner alone)", "floor", "floor", [*deployed], {}),
    ]
    ours = ROOT / ".serverless" / "liverec.zip"
    code = _unzip(ours, tmp / "ours") if ours.exists() else None
    if naive_zip is not None:
        path = os.pathsep.join(map(str, naive_code(naive_zip, ROOT / "bench" / "naive" / "handler.py", tmp)))
        env = naive_env | bare_env | {"PYTHONPATH": path}
        out.append(
            Scenario(
                "naive stack, as deployed", "deployed", "naive", [*deployed, "naive_handler"], env, None, 200
            )
        )
    env = naive_env | venv
    out.append(
        Scenario(
            "naive stack, dev venv",
            "venv",
            "naive",
            [python, str(CHILD), "bench.naive.handler"],
            env,
            None,
            200,
        )
    )
    framework = "bench.naive.framework_floor"
    if code is not None:  # the framework's packages from our artifact (with their bytecode), nothing of ours
        floor_dir = tmp / "framework"
        floor_dir.mkdir()
        shutil.copyfile(ROOT / "bench" / "naive" / "framework_floor.py", floor_dir / "framework_floor.py")
        env = base | bare_env | {"PYTHONPATH": f"{floor_dir}{os.pathsep}{code}"}
        name = "framework floor (resolver + validation + one model), as deployed"
        out.append(Scenario(name, "deployed", "framework", [*deployed, "framework_floor"], env, None, 200))
    name = "framework floor (resolver + validation + one model), dev venv"
    out.append(Scenario(name, "venv", "framework", [python, str(CHILD), framework], base | venv, None, 200))
    if code is not None:  # the same artifact without its bytecode: what devtools/precompile saves
        bare = tmp / "ours-no-bytecode"
        shutil.copytree(code, bare, ignore=shutil.ignore_patterns("__pycache__"))
        env = base | bare_env | {"PYTHONPATH": str(bare)}
        name = "realtime, in-process store, as deployed without bytecode"
        out.append(
            Scenario(name, "bare", "ours", [*deployed, "functions.realtime.handler"], env, "realtime", 201)
        )
    for function in functions:
        expect = 200 if function in ("tasks", "webhooks") else 201
        module = f"functions.{function}.handler"
        for store, extra in (("in-process store", {}), ("DynamoDB store", dynamodb)):
            if code is not None:
                env = base | extra | bare_env | {"PYTHONPATH": str(code)}
                name = f"{function}, {store}, as deployed"
                out.append(Scenario(name, "deployed", "ours", [*deployed, module], env, function, expect))
            env = base | extra | venv
            name = f"{function}, {store}, dev venv"
            out.append(Scenario(name, "venv", "ours", [python, str(CHILD), module], env, function, expect))
    return out


def measure(runs: int, functions: list[str], naive_zip: Path | None) -> list[Scenario]:
    with (
        emulator(rate_limits={}) as emu,
        moto_dynamodb(TABLE, NAIVE_TABLE) as aws,
        tempfile.TemporaryDirectory(prefix="liverec-cold-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        chosen = scenarios(tmp, function_env(emu.base_url), aws, functions, naive_zip)
        for i in range(runs):  # interleaved: the machine's noise falls on every scenario alike
            for scenario in chosen:
                run = f"{i}-{uuid.uuid4().hex[:8]}"
                event_file = None
                if scenario.expect is not None:
                    event = _event(scenario.function, run) if scenario.function else _naive_event(run)
                    event_file = tmp / "event.json"
                    event_file.write_text(json.dumps(event))
                _spawn(scenario, event_file)
    return chosen


def import_profile(module: str, env: dict[str, str], runs: int = 5) -> list[tuple[str, float]]:
    """``python -X importtime``: self time by package (two levels for powertools, whose event handler is
    most of it), median of ``runs`` fresh processes, in ms."""
    totals: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        per: dict[str, float] = {}
        for line in proc.stderr.splitlines():
            parts = line.split("|")
            if len(parts) != 3 or not parts[0].startswith("import time:") or "self" in parts[0]:
                continue
            top = parts[2].strip().split(".")
            key = ".".join(top[:3]) if top[0] == "aws_lambda_powertools" else top[0]
            per[key] = per.get(key, 0.0) + int(parts[0].split(":")[1]) / 1000
        for key, value in per.items():
            totals.setdefault(key, []).append(value)
    return sorted(((k, median(v)) for k, v in totals.items()), key=lambda kv: -kv[1])


def _pick(chosen: list[Scenario], setting: str, kind: str) -> list[Scenario]:
    return [s for s in chosen if s.setting == setting and s.kind == kind]


def _goals(chosen: list[Scenario], setting: str, label: str) -> list[Goal]:
    naive = next(iter(_pick(chosen, setting, "naive")), None)
    framework = next(iter(_pick(chosen, setting, "framework")), None)
    ours = _pick(chosen, setting, "ours")
    if naive is None or not ours:
        return [Goal(f"cold start vs naive, {label}", f"<= {GOAL_RATIO}x", "not measured", None)]
    worst = max(ours, key=lambda s: median(s.walls))
    naive_ms = median(naive.walls)
    ratio = median(worst.walls) / naive_ms
    bound = ""
    if framework is not None:  # what the mandated stack alone costs, in the same run
        bound = f"; the framework floor alone is {median(framework.walls) / naive_ms:.2f}x"
    heaviest = max(median(s.rss) for s in ours)
    return [
        Goal(
            f"cold start vs naive, {label} (slowest function and store)",
            f"<= {GOAL_RATIO}x",
            f"{ratio:.2f}x ({worst.name.split(',')[0]}: {median(worst.walls):.0f} vs {naive_ms:.0f} ms{bound})",
            ratio <= GOAL_RATIO,
        ),
        Goal(
            f"cold start peak RSS, {label} (any function, both stores)",
            f"<= {GOAL_RSS_MIB:.0f} MiB",
            f"{heaviest:.1f} MiB",
            heaviest <= GOAL_RSS_MIB,
        ),
    ]


def run(smoke: bool) -> Section:
    runs = 1 if smoke else 9
    functions = ["realtime", "webhooks"] if smoke else list(SAMPLES)
    naive_zip = bundle(offline=smoke)
    chosen = measure(runs, functions, naive_zip)
    rows = []
    for setting in ("deployed", "venv"):
        naive = next(iter(_pick(chosen, setting, "naive")), None)
        shown = (setting, "floor", "bare") if setting == "deployed" else (setting,)
        for s in [x for x in chosen if x.setting in shown]:
            wall = median(s.walls)
            rows.append(
                [
                    s.name,
                    f"{wall:.0f}",
                    f"{median(s.imports):.0f}" if s.imports else "—",
                    f"{median(s.firsts):.0f}" if s.firsts else "—",
                    f"{median(s.rss):.1f}" if s.rss else "—",
                    f"{wall / median(naive.walls):.2f}" if naive else "—",
                ]
            )
    goals = _goals(chosen, "deployed", "as deployed") + _goals(chosen, "venv", "dev venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONPATH": str(ROOT)}
    profile = import_profile("functions.realtime.handler", env, runs=1 if smoke else 5)
    total = sum(ms for _, ms in profile)
    profile_rows = [[name, f"{ms:.1f}", f"{ms / total:.0%}"] for name, ms in profile[:14]]
    plain_note = (
        f" (bench/plain.py: the zip kept in the user's cache, built {built_at(naive_zip)})"
        if naive_zip
        else " (no plain bundle kept, so not run in this smoke run)"
    )
    markdown = (
        f"Median of {runs} runs per scenario, scenarios interleaved run by run. Each run is a fresh process "
        "running `bench/cold_child.py <handler module> <event>`: import the handler, serve one sample event "
        "(a create; `tasks` lists) against the emulator on 127.0.0.1, report, and leave with `os._exit` (a "
        "Lambda cold start has no teardown). *wall* is spawn to exit as the parent sees it, interpreter start "
        "included; *import* and *first request* are timed inside the child; *peak RSS* is the child's own "
        "`VmHWM` (not `ru_maxrss`, which Linux carries over from the forking parent). The DynamoDB store "
        "and the naive stack's idempotency use moto's server on 127.0.0.1.\n\n"
        "*As deployed*: `python -S` with only the unzipped artifact on the path and `PYTHONDONTWRITEBYTECODE=1`, "
        "as on Lambda's read-only `/var/task`: ours is `.serverless/liverec.zip` with the bytecode "
        "`devtools/precompile` adds; the naive stack is `bench/naive/handler.py` on the plain bundle "
        "(pip's timestamp-checked `.pyc` are stale once unzipped, as they are on "
        "Lambda, so it compiles from source), with boto3 and its dependencies linked from the dev venv, "
        "bytecode cached, as the Lambda runtime provides them." + plain_note + " The scenario *without "
        "bytecode* runs the same artifact with its `__pycache__` removed: what `devtools/precompile` saves. "
        "The *framework floor* is `bench/naive/framework_floor.py`: only what the design card mandates "
        "(powertools' Logger, Metrics and HTTP resolver with `enable_validation=True`, one pydantic body "
        "model), answering the realtime request without liverec's code; as deployed it runs on our "
        "artifact's packages. *Dev venv*: site-packages "
        "on the path, every module's bytecode cached.\n\n"
        + table(
            ["scenario", "wall ms", "import ms", "first request ms", "peak RSS MiB", "wall / naive"], rows
        )
        + f"\n\nWhere `functions.realtime.handler`'s import time goes in the dev venv (`python -X importtime`, "
        f"self time by package, median of {1 if smoke else 5} processes, {total:.0f} ms in all):\n\n"
        + table(["package", "ms", "share"], profile_rows)
    )
    data = {
        s.name: {"wall_ms": s.walls, "rss_mib": s.rss, "import_ms": s.imports, "first_ms": s.firsts}
        for s in chosen
    }
    data["import_profile_ms"] = {name: [ms] for name, ms in profile}
    return Section("cold", "Cold start", markdown, goals, data)


if __name__ == "__main__":
    section = run(smoke="--smoke" in sys.argv)
    print(section.markdown)
    for goal in section.goals:
        print(goal)
