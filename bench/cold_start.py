"""Cold start: a fresh Python process imports a handler module and serves its first request against the
emulator on loopback (bench/cold_child.py). Wall time (spawn to answer), import and first-request time, and
peak RSS, median of interleaved runs, per function, with the idempotency store in-process and on DynamoDB
(moto's server), side by side with the naive stack and the framework floor (bench/naive), in two settings:
as deployed (``python -S``, only the unzipped artifact on the path, no bytecode written) and in the dev venv.
"""

from __future__ import annotations

import json
import math
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import plain
from bench.common import ROOT, Goal, Section, emulator, function_env, median, moto_dynamodb, table
from bench.importtime import import_profile

TABLE = "liverec-bench-idempotency"
NAIVE_TABLE = "liverec-bench-naive"
CHILD = ROOT / "bench" / "cold_child.py"
NAIVE = ROOT / "bench" / "naive"
# the sample each function serves first (its idempotency key or event identity made unique per run), and
# the status it answers
SAMPLES = {
    "realtime": ("realtime_create", 201),
    "scheduled": ("scheduled_create", 201),
    "tasks": ("tasks_list", 200),
    "webhooks": ("webhooks_callback_stream_begin", 200),
}
SETTINGS = {"deployed": "as deployed", "venv": "dev venv"}
GOAL_RATIO = 0.4
GOAL_RSS_MIB = 40.0
GOAL_FLOOR_RATIO = 1.10  # realtime (in-process store) / the framework floor, as deployed
# the floor goal's own measurement: this many back-to-back pairs (floor, realtime), order alternating, each
# pair's ratio taken; the median ratio is the figure. One run's wall moves by 15 % or more here, so it takes
# about a hundred pairs to know the median ratio to within about 2 % (its 95 % interval is reported)
GOAL_PAIRS = 101
MIN_PAIRS = 25  # fewer (a smoke run) give no verdict: their median's interval is far wider than 10 %
FRAMEWORK = "framework floor (resolver + validation + one model)"
# the realtime function's secrets as a deployment holds them: references resolved at run time (one SSM read
# each, per container), the store on DynamoDB
SSM_SECRETS = {
    "TENCENTCLOUD_SECRET_KEY": "ssm:/liverec/bench/tencent-secret-key",
    "LIVEREC_API_TOKENS": "ssm:/liverec/bench/api-tokens",
}
SECRETS_IN_SSM = "DynamoDB store, secrets in SSM"


@dataclass
class Scenario:
    name: str
    setting: str  # "deployed" | "venv" | "floor" | "bare" (as deployed, bytecode removed)
    kind: str  # "ours" | "secrets" (ours, secrets by reference) | "naive" | "framework" | "floor"
    argv: list[str]
    env: dict[str, str]
    function: str | None = None  # ours: the function; the naive stack and the framework serve realtime's
    expect: int | None = None  # the status the first request must answer (None: the floors serve none)
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)


def sample_event(function: str | None, run: str) -> dict[str, Any]:
    from devtools.events import LOCAL_CALLBACK_KEY, callback_sign, load_event

    event = load_event(SAMPLES[function or "realtime"][0])
    if function is None:  # the naive stack: powertools' idempotency keys on the body, a new stream per run
        event["body"] = json.dumps({"stream": f"naive-{run}", "duration": 300})
    elif function == "webhooks":  # a new push each run: a new stream (the rule's live*), signed again
        # each run's callback is another stream's begin under the sample's t/sign, as Tencent sends two
        # streams' begins in one second; one stream's begin with another body would be refused (401
        # SignatureReused) by a store that outlives the run (DynamoDB)
        body = json.loads(event["body"])
        body["sequence"] = run
        body["stream_id"] = f"live-bench-{run}"
        body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, body["t"])
        event["body"] = json.dumps(body)
    elif "idempotency-key" in event["headers"]:
        event["headers"]["idempotency-key"] = f"bench-{run}"
    return event


def child_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without anything that configures us or Python, then ``env``."""
    ours = ("LIVE", "TENCENTCLOUD", "LIVEREC", "AWS_", "PYTHON")  # only what the scenario sets
    return {k: v for k, v in os.environ.items() if not k.startswith(ours)} | env


def _spawn(scenario: Scenario, event_file: Path | None) -> None:
    argv = scenario.argv + ([str(event_file)] if event_file else [])
    env = child_env(scenario.env)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    wall = (time.perf_counter() - start) * 1000
    out, err = proc.stdout.decode(), proc.stderr.decode()[-2000:]
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario.name}: exit {proc.returncode}: {err}")
    scenario.walls.append(wall)
    if not out.strip():  # python -c pass reports nothing
        return
    child = json.loads(out.strip().splitlines()[-1])
    scenario.rss.append(child["peak_rss_kib"] / 1024)
    if scenario.expect is not None:
        if child["status"] != scenario.expect:
            raise RuntimeError(f"{scenario.name}: answered {child['status']}, not {scenario.expect}: {err}")
        scenario.imports.append(child["import_ms"])
        scenario.firsts.append(child["first_ms"])


def child(setting: str, module: str, path: list[Path]) -> tuple[list[str], dict[str, str]]:
    """How a child starts: as deployed, only ``path`` and no bytecode written; in the dev venv, the repo."""
    if setting == "venv":
        return [sys.executable, str(CHILD), module], {"PYTHONPATH": str(ROOT)}
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": os.pathsep.join(map(str, path))}
    return [sys.executable, "-S", str(CHILD), module], env


def deployed_code(tmp: Path, naive_zip: Path | None) -> dict[str, list[Path]]:
    """What each stack runs from as deployed, for those that can: ours (unzipped), ours without its
    bytecode, the framework floor on our artifact's packages, the naive stack on the plain bundle."""
    found: dict[str, list[Path]] = {}
    artifact = ROOT / ".serverless" / "liverec.zip"
    if artifact.exists():
        with zipfile.ZipFile(artifact) as z:
            z.extractall(tmp / "ours")
        shutil.copytree(tmp / "ours", tmp / "bare", ignore=shutil.ignore_patterns("__pycache__"))
        (tmp / "framework").mkdir()
        floor_module = tmp / "framework" / "framework_floor.py"
        shutil.copyfile(NAIVE / "framework_floor.py", floor_module)
        # with bytecode, as devtools/precompile gives ours: neither stack compiles its handler from source
        checked = py_compile.PycInvalidationMode.CHECKED_HASH
        py_compile.compile(str(floor_module), doraise=True, invalidation_mode=checked)
        found |= {"ours": [tmp / "ours"], "bare": [tmp / "bare"]}
        found["framework"] = [tmp / "framework", tmp / "ours"]
    if naive_zip is not None:
        found["naive"] = plain.naive_code(naive_zip, NAIVE / "handler.py", tmp)
    return found


def _in_both(
    code: dict[str, list[Path]],
    stack: tuple[str, str, str, str],
    env: dict[str, str],
    function: str | None = None,
) -> list[Scenario]:
    """One stack (name, kind, module as deployed, module in the dev venv) in each setting it can run in."""
    name, kind, deployed, venv = stack
    expect = SAMPLES[function][1] if function else 200
    out = []
    for setting, label in SETTINGS.items():
        runs_on = "ours" if kind == "secrets" else kind  # the same artifact, configured otherwise
        if setting == "venv" or runs_on in code:
            argv, child_env = child(setting, venv if setting == "venv" else deployed, code.get(runs_on, []))
            out.append(Scenario(f"{name}, {label}", setting, kind, argv, env | child_env, function, expect))
    return out


def scenarios(
    tmp: Path, base: dict[str, str], aws: dict[str, str], functions: list[str], naive_zip: Path | None
) -> list[Scenario]:
    """Every scenario, each in the settings it can run in (as deployed needs the built bundles)."""
    code = deployed_code(tmp, naive_zip)
    out = [
        Scenario("floor (python -c pass)", "floor", "floor", [sys.executable, "-c", "pass"], {}),
        Scenario("floor (the runner alone)", "floor", "floor", [sys.executable, "-S", str(CHILD)], {}),
    ]
    naive_env = base | aws | {"NAIVE_IDEMPOTENCY_TABLE": NAIVE_TABLE}
    out += _in_both(code, ("naive stack", "naive", "naive_handler", "bench.naive.handler"), naive_env)
    out += _in_both(code, (FRAMEWORK, "framework", "framework_floor", "bench.naive.framework_floor"), base)
    if "bare" in code:  # the same artifact without its bytecode: what devtools/precompile saves
        argv, env = child("deployed", "functions.realtime.handler", code["bare"])
        name = "realtime, in-process store, as deployed without bytecode"
        out.append(Scenario(name, "bare", "ours", argv, base | env, "realtime", 201))
    stores = {"in-process store": base, "DynamoDB store": base | aws | {"LIVEREC_IDEMPOTENCY_TABLE": TABLE}}
    for function in functions:
        module = f"functions.{function}.handler"
        for store, env in stores.items():
            out += _in_both(code, (f"{function}, {store}", "ours", module, module), env, function)
    if "realtime" in functions:  # as deployed: the secrets are references, read from SSM on the first request
        referenced = stores["DynamoDB store"] | SSM_SECRETS
        module = "functions.realtime.handler"
        stack = (f"realtime, {SECRETS_IN_SSM}", "secrets", module, module)
        out += _in_both(code, stack, referenced, "realtime")
    return out


def put_secrets(aws: dict[str, str], base: dict[str, str]) -> None:
    """The values of SSM_SECRETS, as SecureString parameters on moto's server (the local ones)."""
    from shared.support.secret_stores import Ssm

    ssm = Ssm.from_env(aws)
    for name, ref in SSM_SECRETS.items():
        ssm.call("PutParameter", Name=ref.removeprefix("ssm:"), Value=base[name], Type="SecureString")


def measure(runs: int, functions: list[str], naive_zip: Path | None, pairs: int) -> list[Scenario]:
    with (
        emulator(rate_limits={}) as emu,
        moto_dynamodb(TABLE, NAIVE_TABLE) as aws,
        tempfile.TemporaryDirectory(prefix="liverec-cold-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        base = function_env(emu.base_url)
        put_secrets(aws, base)
        chosen = scenarios(tmp, base, aws, functions, naive_zip)
        for i in range(runs):  # interleaved: the machine's noise falls on every scenario alike
            for scenario in chosen:
                event_file = None
                if scenario.expect is not None:
                    event = sample_event(scenario.function, f"{i}-{uuid.uuid4().hex[:8]}")
                    event_file = tmp / "event.json"
                    event_file.write_text(json.dumps(event))
                _spawn(scenario, event_file)
        chosen += floor_pairs(chosen, tmp, pairs)
    return chosen


def floor_pairs(chosen: list[Scenario], tmp: Path, pairs: int) -> list[Scenario]:
    """The floor goal's runs: ``pairs`` pairs of (framework floor, realtime with the in-process store), as
    deployed, each pair back to back and the order alternating, kept apart from the table's runs. A ratio
    taken within each pair cancels the machine's drift from one moment to the next, which a ratio of two
    medians over minutes does not."""
    floor = _pick(chosen, "deployed", "framework")
    ours = [s for s in _pick(chosen, "deployed", "ours") if s.name.startswith("realtime, in-process store")]
    if not floor or not ours:
        return []
    pair = [replace(s, setting="pair", walls=[], rss=[], imports=[], firsts=[]) for s in (floor[0], ours[0])]
    for i in range(pairs):
        for scenario in pair if i % 2 == 0 else pair[::-1]:
            event = sample_event(scenario.function, f"pair-{i}-{uuid.uuid4().hex[:8]}")
            event_file = tmp / "event.json"
            event_file.write_text(json.dumps(event))
            _spawn(scenario, event_file)
    return pair


def _pick(chosen: list[Scenario], setting: str, kind: str) -> list[Scenario]:
    return [s for s in chosen if s.setting == setting and s.kind == kind]


def goals(chosen: list[Scenario], setting: str) -> list[Goal]:
    """The ratio of the slowest of ours (any function and store) to the naive stack, with the framework
    floor's own ratio beside it, and the heaviest peak RSS, in one setting."""
    label, ours = SETTINGS[setting], _pick(chosen, setting, "ours")
    naive, framework = _pick(chosen, setting, "naive"), _pick(chosen, setting, "framework")
    heaviest = max((median(s.rss) for s in ours), default=float("nan"))
    rss = Goal(
        f"cold start peak RSS, {label} (any function, both stores)",
        f"<= {GOAL_RSS_MIB:.0f} MiB",
        f"{heaviest:.1f} MiB",
        heaviest <= GOAL_RSS_MIB,
    )
    name, target = f"cold start vs naive, {label} (slowest function and store)", f"<= {GOAL_RATIO}x"
    floor = [framework_goal(chosen)] if setting == "deployed" else []
    if not naive or not ours:
        return [Goal(name, target, "not measured (no naive stack in this setting)", None), *floor, rss]
    worst, naive_ms = max(ours, key=lambda s: median(s.walls)), median(naive[0].walls)
    ratio = median(worst.walls) / naive_ms
    measured = f"{ratio:.2f}x ({worst.name.split(',')[0]}: {median(worst.walls):.0f} vs {naive_ms:.0f} ms"
    if framework:  # what the mandated stack alone costs, in the same run
        measured += f"; the framework floor alone is {median(framework[0].walls) / naive_ms:.2f}x"
    goal = Goal(name, target, measured + ")", ratio <= GOAL_RATIO)
    return [goal, *floor, rss, *secrets_cost(chosen, setting)]


def framework_goal(chosen: list[Scenario]) -> Goal:
    """The realtime function (in-process store) against the framework floor, as deployed: what liverec
    adds to the stack the design card mandates. The median of the pairs' ratios (``floor_pairs``), with
    their quartiles and the two medians beside it."""
    name = "cold start vs the framework floor, as deployed (realtime, in-process store)"
    target = f"<= {GOAL_FLOOR_RATIO:.2f}x (median of paired runs)"
    pair = _pick(chosen, "pair", "framework") + _pick(chosen, "pair", "ours")
    if len(pair) != 2 or not pair[0].walls:
        return Goal(name, target, "not measured (no artifact: run make package)", None)
    floor, ours = pair
    ratios = sorted(o / f for f, o in zip(floor.walls, ours.walls, strict=True))
    low, high = median_interval(ratios)
    ratio = median(ratios)
    measured = (
        f"{ratio:.3f}x (95% interval {low:.3f}-{high:.3f}, {len(ratios)} pairs; medians "
        f"{median(ours.walls):.0f} vs {median(floor.walls):.0f} ms)"
    )
    if len(ratios) < MIN_PAIRS:  # a smoke run's few pairs: the figure is shown, no verdict drawn from it
        return Goal(name, target, measured + f"; not judged under {MIN_PAIRS} pairs", None)
    return Goal(name, target, measured, ratio <= GOAL_FLOOR_RATIO)


def median_interval(ordered: list[float]) -> tuple[float, float]:
    """A distribution-free 95 % confidence interval for the median of ``ordered`` (sorted): the order
    statistics at n/2 -+ 1.96 sqrt(n)/2 (the normal approximation to the binomial)."""
    n = len(ordered)
    half = 1.96 * math.sqrt(n) / 2
    low, high = max(0, math.floor(n / 2 - half)), min(n - 1, math.ceil(n / 2 + half) - 1)
    return ordered[low], ordered[high]


def secrets_cost(chosen: list[Scenario], setting: str) -> list[Goal]:
    """What reading the secrets from SSM adds to the realtime function's first request (informational)."""
    referenced = _pick(chosen, setting, "secrets")
    direct = [s for s in _pick(chosen, setting, "ours") if s.name.startswith("realtime, DynamoDB store")]
    if not referenced or not direct or not referenced[0].firsts or not direct[0].firsts:
        return []
    extra = median(referenced[0].firsts) - median(direct[0].firsts)
    walls = median(referenced[0].walls) - median(direct[0].walls)
    name = f"cold start cost of secrets in SSM ({len(SSM_SECRETS)} references), {SETTINGS[setting]}"
    return [Goal(name, "measured", f"{extra:+.0f} ms first request, {walls:+.0f} ms wall (realtime)", None)]


def _cell(values: list[float], digits: int = 0) -> str:
    return f"{median(values):.{digits}f}" if values else "—"


def rows(chosen: list[Scenario]) -> list[list[str]]:
    """The table's rows: as deployed (with the floors and the no-bytecode row), then the dev venv."""
    out = []
    for setting, shown in (("deployed", ("floor", "deployed", "bare")), ("venv", ("venv",))):
        naive = _pick(chosen, setting, "naive")
        for s in (x for x in chosen if x.setting in shown):
            ratio = f"{median(s.walls) / median(naive[0].walls):.2f}" if naive else "—"
            out.append([s.name, _cell(s.walls), _cell(s.imports), _cell(s.firsts), _cell(s.rss, 1), ratio])
    return out


METHOD = """Median of {runs} runs per scenario, scenarios interleaved run by run. Each run is a fresh process running `bench/cold_child.py <handler module> <event>`: import the handler, serve one sample event (a create; `tasks` lists) against the emulator on 127.0.0.1, report, and leave with `os._exit` (a Lambda cold start has no teardown). *wall* is spawn to exit as the parent sees it, interpreter start included; *import* and *first request* are timed inside the child; *peak RSS* is the child's own `VmHWM` (not `ru_maxrss`, which Linux carries over from the forking parent). The DynamoDB store and the naive stack's idempotency use moto's server on 127.0.0.1. *Secrets in SSM*: the realtime function configured as deployed, its Tencent key and bearer tokens `ssm:/...` references that the first request reads from moto's SSM (one `GetParameter` each, cached for the container).

*As deployed*: `python -S` with only the unzipped artifact on the path and `PYTHONDONTWRITEBYTECODE=1`, as on Lambda's read-only `/var/task`. Ours is `.serverless/liverec.zip` (the package benchmark builds it), with the bytecode `devtools/precompile` adds; *without bytecode* is the same artifact with its `__pycache__` removed. The naive stack is `bench/naive/handler.py` on the plain bundle (bench/plain.py: the zip kept in the user's cache, built on first use; {naive}); pip's timestamp-checked `.pyc` in it are stale once zipped, as on Lambda, so it compiles from source; boto3 and its dependencies are linked from the dev venv, bytecode cached, as the Lambda runtime provides them. The *framework floor* is `bench/naive/framework_floor.py`: only what the design card mandates (powertools' Logger, Metrics and HTTP resolver with `enable_validation=True`, one pydantic body model), answering the realtime request without liverec's code; as deployed it runs on our artifact's packages, its own module with bytecode as ours has. The goal against the floor is measured apart from the table, after it: {pairs} pairs of (floor, realtime with the in-process store) as deployed, each pair back to back with the order alternating; the figure is the median of the pairs' ratios. *Dev venv*: site-packages on the path, every module's bytecode cached."""


def run(smoke: bool) -> Section:
    runs, profile_runs, pairs = (1, 1, 2) if smoke else (9, 5, GOAL_PAIRS)
    functions = ["realtime", "webhooks"] if smoke else list(SAMPLES)
    naive_zip = plain.bundle(offline=smoke)
    chosen = measure(runs, functions, naive_zip, pairs)
    profile = import_profile("functions.realtime.handler", profile_runs)
    total = sum(ms for _, ms in profile)
    naive = f"built {plain.built_at(naive_zip)}" if naive_zip else "none kept, so not run in this smoke run"
    headers = ["scenario", "wall ms", "import ms", "first request ms", "peak RSS MiB", "wall / naive"]
    profile_rows = [[name, f"{ms:.1f}", f"{ms / total:.0%}"] for name, ms in profile[:14]]
    markdown = [
        METHOD.format(runs=runs, naive=naive, pairs=pairs),
        table(headers, rows(chosen)),
        f"Where `functions.realtime.handler`'s import time goes in the dev venv (`python -X importtime`, self "
        f"time by package, median of {profile_runs} processes, {total:.0f} ms in all):",
        table(["package", "ms", "share"], profile_rows),
    ]
    data: dict[str, Any] = {
        s.name + (", floor-goal pairs" if s.setting == "pair" else ""): {
            "wall_ms": s.walls,
            "rss_mib": s.rss,
            "import_ms": s.imports,
            "first_ms": s.firsts,
        }
        for s in chosen
    }
    data["import_profile_ms"] = dict(profile)
    cold_goals = goals(chosen, "deployed") + goals(chosen, "venv")
    return Section("cold", "Cold start", "\n\n".join(markdown), cold_goals, data)
