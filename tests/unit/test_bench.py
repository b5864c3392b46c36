"""The benchmarks' pure parts: statistics, the rollout's exact occurrence count, the cold start's events,
goals and rows, the import profile's parsing, the warm stages, and the report. (The benchmarks themselves
run in CI as `make bench-smoke`; no time is asserted anywhere.)"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bench.cold_start import Scenario, framework_goal, median_interval, rows
from bench.cold_start import goals as cold_goals
from bench.common import Goal, Section, median, percentile
from bench.importtime import by_package
from bench.run import render
from bench.warm import Timers
from shared.recordings.planning import plan_chunks
from shared.recordings.programs import parse_programs
from shared.support.config import LiveApi
from shared.tencent.generations import RECORD_TASK
from tests import utils


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([3.0], 99) == 3.0
    assert median([1.0, 3.0, 2.0]) == 2.0


@pytest.mark.parametrize("total", [48, 500, 497])
def test_rollout_programs_have_exactly_the_asked_number_of_occurrences(total: int) -> None:
    from bench.rollout import NOW, programs

    chunks = plan_chunks(
        parse_programs(programs(total), "bench"), LiveApi.RECORD_TASK, NOW, RECORD_TASK.start_horizon
    )
    assert len(chunks) == total
    assert len({(c.program.stream, c.start, c.end) for c in chunks}) == total  # no two alike


def test_cold_start_events_are_unique_per_run_and_still_validly_signed() -> None:
    from bench.cold_start import sample_event
    from devtools.events import LOCAL_CALLBACK_KEY
    from shared.webhooks.inbound import verify_callback

    a, b = sample_event("webhooks", "run-a"), sample_event("webhooks", "run-b")
    body_a, body_b = json.loads(a["body"]), json.loads(b["body"])
    assert body_a["sequence"] != body_b["sequence"]  # a new stream-begin identity each run
    verify_callback(body_a, SecretStr(LOCAL_CALLBACK_KEY), now=body_a["t"] - 1)
    created = sample_event("realtime", "run-c")
    assert created["headers"]["idempotency-key"] == "bench-run-c"
    naive_a, naive_b = sample_event(None, "run-d"), sample_event(None, "run-e")  # powertools keys on the body
    assert json.loads(naive_a["body"])["stream"] != json.loads(naive_b["body"])["stream"]


def _scenario(name: str, setting: str, kind: str, wall: float, rss: float = 30.0) -> Scenario:
    return Scenario(name, setting, kind, [], {}, walls=[wall, wall + 2, wall - 2], rss=[rss])


def test_the_cold_start_goals_take_the_slowest_of_ours_and_quote_the_framework_floor() -> None:
    chosen = [
        _scenario("naive stack, as deployed", "deployed", "naive", 1000, rss=120),
        _scenario("framework floor, as deployed", "deployed", "framework", 150),
        _scenario("realtime, in-process store, as deployed", "deployed", "ours", 200, rss=38),
        _scenario("webhooks, DynamoDB store, as deployed", "deployed", "ours", 300, rss=41),
        _scenario("realtime, in-process store, as deployed without bytecode", "bare", "ours", 900),
        _scenario("realtime, in-process store, dev venv", "venv", "ours", 250),
    ]
    ratio, floor, rss = cold_goals(chosen, "deployed")
    assert ratio.met is True  # 0.30x; the row without bytecode is not a deployed setting
    assert ratio.measured == "0.30x (webhooks: 300 vs 1000 ms; the framework floor alone is 0.15x)"
    assert floor.name == "cold start vs the framework floor, as deployed (realtime, in-process store)"
    assert floor.met is None and "not measured" in floor.measured  # from its own pairs only, none here
    assert rss.met is False and rss.measured == "41.0 MiB"  # the naive stack's RSS is not ours
    unmeasured, venv_rss = cold_goals(chosen, "venv")  # no naive stack in the dev venv here
    assert unmeasured.met is None and "not measured" in unmeasured.measured
    assert venv_rss.met is True
    table_rows = rows(chosen)
    assert [r[0] for r in table_rows][-1] == "realtime, in-process store, dev venv"
    assert table_rows[2][-1] == "0.20" and table_rows[-1][-1] == "—"  # wall / naive of its own setting


def _pairs(floor: list[float], ours: list[float]) -> list[Scenario]:
    return [
        Scenario("framework floor, as deployed", "pair", "framework", [], {}, walls=floor),
        Scenario("realtime, in-process store, as deployed", "pair", "ours", [], {}, walls=ours),
    ]


def test_the_floor_goal_is_the_median_of_the_pairs_ratios() -> None:
    # pair by pair: 1.20, 1.05, 1.08 (x10) -> 1.08, though the medians alone (216 vs 200) would say 1.10
    floor = framework_goal(_pairs([200.0, 180.0, 250.0] * 10, [240.0, 189.0, 270.0] * 10))
    assert floor.met is True and floor.measured.startswith("1.080x (95% interval 1.050-1.200, 30 pairs;")
    assert floor.measured.endswith("medians 240 vs 200 ms)")
    missed = framework_goal(_pairs([100.0] * 25, [112.0, 111.0, 90.0, 115.0, 111.5] * 5))
    assert missed.met is False and missed.measured.startswith("1.115x")  # one quick run does not pass it
    smoke = framework_goal(_pairs([100.0, 100.0], [130.0, 140.0]))
    assert smoke.met is None and smoke.measured.endswith("not judged under 25 pairs")


def test_the_median_interval_is_the_order_statistics_around_the_middle() -> None:
    ordered = [float(v) for v in range(101)]
    assert median_interval(ordered) == (40.0, 60.0)  # about 95 %: 50 -+ 1.96 * sqrt(101) / 2
    assert median_interval([1.0, 2.0]) == (1.0, 2.0)


def test_the_import_profile_sums_self_time_by_package() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:      1500 |       1500 |   pydantic._internal\n"
        "import time:       500 |       2000 | pydantic\n"
        "import time:      3000 |       3000 |     aws_lambda_powertools.event_handler.openapi.models\n"
        "import time:       250 |       3250 |   aws_lambda_powertools.event_handler.openapi\n"
        "unrelated line\n"
    )
    assert by_package(stderr) == {"pydantic": 2.0, "aws_lambda_powertools.event_handler.openapi": 3.25}


def test_the_warm_stages_add_up_to_the_request() -> None:
    timers = Timers()
    timers.marks |= {"enter": 1_000_000, "exit": 9_000_000}
    timers.spent |= {"idempotency": 1_000_000, "round_trip": 4_000_000}
    stages = timers.stages(start=0, end=10_000_000)
    assert stages["pre"] == 1.0 and stages["post"] == 1.0 and stages["service_rest"] == 3.0
    assert stages["plan"] == 0.0 and stages["signing"] == 0.0
    assert sum(stages.values()) == 10.0


def test_report_lists_every_goal_with_its_verdict() -> None:
    sections = [
        Section("warm", "Warm overhead", "body", [Goal("p50", "< 2 ms", "0.8 ms", True)]),
        Section(
            "cold", "Cold start", "body", [Goal("ratio", "<= 0.4x", "0.5x", False), Goal("x", "", "", None)]
        ),
    ]
    info = {
        "date": "d",
        "commit": "c",
        "cpu": "cpu",
        "cores": 2,
        "memory_gib": 24,
        "os": "Linux",
        "python": "3.11",
    }
    text = render(sections, info, 12.0, "")
    assert "| p50 | < 2 ms | 0.8 ms | met |" in text and "| ratio | <= 0.4x | 0.5x | **missed** |" in text
    assert "## Warm overhead" in text and "## Cold start" in text


def test_secrets_in_ssm_are_measured_beside_the_same_function_and_not_in_the_ratio() -> None:
    chosen = [
        _scenario("naive stack, as deployed", "deployed", "naive", 1000),
        _scenario("realtime, DynamoDB store, as deployed", "deployed", "ours", 200),
        _scenario("realtime, DynamoDB store, secrets in SSM, as deployed", "deployed", "secrets", 2000),
    ]
    chosen[1].firsts, chosen[2].firsts = [30.0], [45.0]
    ratio, floor, _, cost = cold_goals(chosen, "deployed")
    assert floor.met is None and "not measured" in floor.measured  # no framework floor in this run
    assert ratio.measured.startswith("0.20x (realtime: 200 vs 1000 ms")  # the slowest of ours, not secrets
    assert cost.met is None and cost.measured == "+15 ms first request, +1800 ms wall (realtime)"


def test_the_warm_get_benchmark_delivers_distinct_validly_signed_files() -> None:
    from bench.warm import file_callback
    from devtools.events import LOCAL_CALLBACK_KEY
    from shared.webhooks.inbound import verify_callback

    first, second = (json.loads(file_callback("task-9", n)["body"]) for n in (0, 1))
    assert first["task_id"] == second["task_id"] == "task-9"
    assert first["file_id"] != second["file_id"] and first["video_url"] != second["video_url"]
    for body in (first, second):
        verify_callback(body, SecretStr(LOCAL_CALLBACK_KEY), now=body["t"] - 1)


@pytest.mark.dates
def test_the_warm_programs_benchmark_runs_whatever_is_due_today() -> None:
    # the sample's weekday program has nothing due in the tick's day from Friday to Sunday evening (China
    # time): the benchmark then says so, and measures the routes all the same
    from bench.warm import measure_programs
    from devtools.events import load_event

    sample = json.loads(load_event("scheduled_program_put")["body"])

    def due() -> bool:
        when = [utils.now()]
        return bool(
            utils.windows(sample["cron"], sample["timezone"], sample["duration"], when, timedelta(days=1))
        )

    before = due()
    times, booked = measure_programs(requests=2, warmup=0)
    after = due()
    assert {kind: len(values) for kind, values in times.items()} == {"put": 2, "list": 2}
    if before == after:
        assert bool(booked) == before


def test_the_outbox_benchmark_delivers_its_backlog_once_and_says_how_fast() -> None:
    from bench.outbox import outbox_rate

    result = outbox_rate(40, store="memory")  # the in-process store: no moto server in a unit test
    assert set(result) == {"backlog", "delivered", "seconds", "per_minute", "duplicates"}
    assert result["backlog"] == result["delivered"] == 40 and result["duplicates"] == 0
    assert result["seconds"] > 0 and result["per_minute"] > 0


@pytest.mark.parametrize(
    "kind", ["Record", "NamedTuple", "dataclass(frozen, slots)", "dataclass(frozen)", "__slots__ class"]
)
def test_the_value_types_benchmark_defines_one_shape_in_each_kind(kind: str) -> None:
    from bench.value_types import CLASSES, KINDS, module_text

    namespace: dict[str, object] = {"__name__": "values"}
    exec(KINDS[kind][0], namespace)  # noqa: S102 - the kind's facility, imported as the process does
    code = compile(module_text(kind), "values", "exec", dont_inherit=True)  # as the process compiles it
    exec(code, namespace)  # noqa: S102 - the module the process runs
    classes = [namespace[f"C{i}"] for i in range(CLASSES)]
    assert len({id(c) for c in classes}) == CLASSES
    built = classes[0](task_id="t", stream="s", status="on")  # type: ignore[operator]
    assert (built.key(), built.domain, built.status) == ("s:t", None, "on")


def test_the_value_types_benchmark_replaces_its_own_section_of_the_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import value_types

    (tmp_path / "bench").mkdir()
    results = tmp_path / "bench" / "RESULTS.md"
    results.write_text("# Benchmarks\n\n## Cold start\n\ncold\n", encoding="utf-8")
    monkeypatch.setattr(value_types, "ROOT", tmp_path)
    info = {k: "x" for k in ("date", "commit", "cpu", "cores", "memory_gib", "os", "python")}
    for figure in ("first", "second"):
        value_types.write(Section("values", value_types.TITLE, figure, [], {"n": figure}), info)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\n## Cold start\n\ncold\n\n## Value types")
    assert text.count("## Value types") == 1 and "second" in text and "first" not in text
    raw = json.loads((tmp_path / "bench" / "results.json").read_text(encoding="utf-8"))
    assert raw["values"]["n"] == "second"


def test_the_committed_results_hold_no_placeholder_run() -> None:
    """Every section of bench/RESULTS.md and bench/results.json comes from a real run: a date, a commit, a
    machine (a test once wrote its placeholder run over the real value-types section)."""
    root = Path(__file__).resolve().parents[2] / "bench"
    written = [
        line
        for line in (root / "RESULTS.md").read_text(encoding="utf-8").splitlines()
        if "Written by" in line
    ]
    assert written
    for line in written:
        assert re.search(r" on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, commit [0-9a-f]{7,}", line), line
    for name, section in json.loads((root / "results.json").read_text(encoding="utf-8")).items():
        machine = section.get("machine") if isinstance(section, dict) else None
        assert not machine or "x" not in (machine.get("date"), machine.get("commit")), name
