"""Cold start: a fresh Python process imports a handler module and serves its first request against the
emulator on loopback. Wall time (spawn to exit) and peak RSS (the child's own ``ru_maxrss``), median of
repeated runs, per function, with the idempotency store in-process and on DynamoDB (moto's server), side by
side with the naive stack (bench/naive) and the floor (``python -c pass``), interleaved run by run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, Goal, Section, emulator, function_env, median, moto_dynamodb, table

TABLE = "liverec-bench-idempotency"
NAIVE_TABLE = "liverec-bench-naive"
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
    argv: list[str]
    env: dict[str, str]
    event: dict[str, Any] | None = None  # re-rendered per run by ``prepare``
    expect: int | None = None
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)


def _event(function: str, run: str) -> dict[str, Any]:
    from devtools.events import load_event

    event = load_event(SAMPLES[function])
    if function == "webhooks":  # a new push each run: a new stream-begin identity, signed again
        body = json.loads(event["body"])
        body["sequence"] = run
        from devtools.events import LOCAL_CALLBACK_KEY, callback_sign

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
        k: v for k, v in os.environ.items() if not k.startswith(("LIVE", "TENCENTCLOUD", "LIVEREC", "AWS_"))
    }
    env.update(scenario.env)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario.name}: exit {proc.returncode}: {err[-2000:]}")
    scenario.walls.append(wall * 1000)
    child = json.loads(out.strip().splitlines()[-1])
    scenario.rss.append(child["peak_rss_kib"] / 1024)
    if scenario.expect is not None:
        if scenario.expect is not None and child["status"] != scenario.expect:
            raise RuntimeError(
                f"{scenario.name}: answered {child['status']}, expected {scenario.expect}: {err[-2000:]}"
            )
        scenario.imports.append(child["import_ms"])
        scenario.firsts.append(child["first_ms"])


def measure(runs: int, functions: list[str]) -> list[Scenario]:
    python = sys.executable
    child = [python, "-m", "bench.cold_child"]
    with emulator(rate_limits={}) as emu, moto_dynamodb(TABLE) as aws, tempfile.TemporaryDirectory() as tmp:
        from boto3 import client  # the naive stack's table, on the same moto server

        client(
            "dynamodb",
            region_name=aws["AWS_REGION"],
            endpoint_url=aws["AWS_ENDPOINT_URL_DYNAMODB"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench-secret",  # noqa: S106
        ).create_table(
            TableName=NAIVE_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        base = function_env(emu.base_url)
        scenarios = [Scenario("floor (the runner, no import)", list(child), {})]
        scenarios.append(
            Scenario(
                "naive stack (realtime)",
                [*child, "bench.naive.handler"],
                base | aws | {"NAIVE_IDEMPOTENCY_TABLE": NAIVE_TABLE},
                expect=200,
            )
        )
        for function in functions:
            expect = 200 if function in ("tasks", "webhooks") else 201
            module = f"functions.{function}.handler"
            scenarios.append(Scenario(f"{function}, in-process store", [*child, module], base, expect=expect))
            scenarios.append(
                Scenario(
                    f"{function}, DynamoDB store",
                    [*child, module],
                    base | aws | {"LIVEREC_IDEMPOTENCY_TABLE": TABLE},
                    expect=expect,
                )
            )
        for i in range(runs):  # interleaved: the machine's noise falls on every scenario alike
            for scenario in scenarios:
                run = f"{i}-{uuid.uuid4().hex[:8]}"
                event_file = None
                if scenario.expect is not None:
                    function = scenario.name.split(",")[0].split(" ")[0]
                    event = _naive_event(run) if scenario.name.startswith("naive") else _event(function, run)
                    event_file = Path(tmp) / "event.json"
                    event_file.write_text(json.dumps(event))
                _spawn(scenario, event_file)
    return scenarios


def run(smoke: bool) -> Section:
    runs = 1 if smoke else 11
    functions = ["realtime", "webhooks"] if smoke else list(SAMPLES)
    scenarios = measure(runs, functions)
    naive = next(s for s in scenarios if s.name.startswith("naive"))
    floor = scenarios[0]
    naive_wall = median(naive.walls)
    rows = []
    goals = []
    worst_ratio = 0.0
    worst_rss = 0.0
    for s in scenarios:
        wall, rss = median(s.walls), median(s.rss)
        ratio = wall / naive_wall
        rows.append(
            [
                s.name,
                f"{wall:.0f}",
                f"{median(s.imports):.0f}" if s.imports else "—",
                f"{median(s.firsts):.0f}" if s.firsts else "—",
                f"{rss:.1f}",
                f"{ratio:.2f}",
            ]
        )
        if s.expect is not None and not s.name.startswith("naive"):
            worst_ratio = max(worst_ratio, ratio)
            worst_rss = max(worst_rss, rss)
    goals.append(
        Goal(
            "cold start vs naive (worst function, both stores)",
            f"<= {GOAL_RATIO}x",
            f"{worst_ratio:.2f}x",
            worst_ratio <= GOAL_RATIO,
        )
    )
    goals.append(
        Goal(
            "cold start peak RSS (worst function, both stores)",
            f"<= {GOAL_RSS_MIB:.0f} MiB",
            f"{worst_rss:.1f} MiB",
            worst_rss <= GOAL_RSS_MIB,
        )
    )
    markdown = (
        f"Median of {runs} runs per scenario, scenarios interleaved run by run. Each run is a fresh "
        "`python -m bench.cold_child <handler module> <event>`: import the handler, serve one sample event "
        "(a create; `tasks` lists) against the emulator on 127.0.0.1, exit. *wall* is spawn to exit as the "
        "parent sees it (interpreter start included; the child leaves with `os._exit` once it has answered, "
        "as a Lambda cold start has no teardown); *import* and *first request* are timed inside the "
        "child; *peak RSS* is the child's `VmHWM` at exit (its own memory map's high-water mark). The DynamoDB store and the naive stack's "
        "idempotency both use moto's server on 127.0.0.1. The naive stack is `bench/naive/handler.py`.\n\n"
        + table(
            ["scenario", "wall ms", "import ms", "first request ms", "peak RSS MiB", "wall / naive"], rows
        )
        + f"\n\nFloor: {median(floor.walls):.0f} ms, {median(floor.rss):.1f} MiB."
    )
    data = {
        s.name: {"wall_ms": s.walls, "rss_mib": s.rss, "import_ms": s.imports, "first_ms": s.firsts}
        for s in scenarios
    }
    return Section("cold", "Cold start", markdown, goals, data)


if __name__ == "__main__":
    section = run(smoke="--smoke" in sys.argv)
    print(section.markdown)
    for goal in section.goals:
        print(goal)
