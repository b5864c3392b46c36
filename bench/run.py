"""``make bench``: every benchmark, side by side in one run, written to bench/RESULTS.md (+ results.json).

    python -m bench.run                   # all nine, full size (~20 minutes), writes bench/RESULTS.md
    python -m bench.run --smoke           # tiny sizes, prints, writes nothing in the repo (CI)
    python -m bench.run --only cold,warm  # some of them, printed (RESULTS.md is written only with all nine)

Loopback only: each benchmark starts the servers it needs on 127.0.0.1 and stops them. Nothing asserts on
times; goals are reported as met or missed. The plain bundle's size is a recorded figure
(bench/baseline.json), re-measured only on demand: ``python -m bench.package_size --remeasure-baseline``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, Goal, Section, machine, table

# package first: it builds .serverless/liverec.zip, which the cold start runs "as deployed"
ORDER = ("package", "cold", "runtimes", "warm", "rollout", "week", "storm", "programs", "http", "values")


def benchmarks() -> dict[str, Callable[[bool], Section]]:
    from bench import (
        cold_start,
        http_client,
        package_size,
        programs,
        rollout,
        runtimes,
        storm,
        value_types,
        warm,
        week,
    )

    return {
        "cold": cold_start.run,
        "runtimes": runtimes.run,
        "warm": warm.run,
        "rollout": rollout.run,
        "week": week.run,
        "package": package_size.run,
        "storm": storm.run,
        "programs": programs.run,
        "http": http_client.run,
        "values": value_types.run,
    }


def mark(goal: Goal) -> str:
    return {True: "met", False: "**missed**", None: "—"}[goal.met]


def render(sections: list[Section], info: dict[str, object], seconds: float, preface: str) -> str:
    goals = [g for s in sections for g in s.goals]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run`) on {info['date']}, commit {info['commit']}, in "
        f"{seconds:.0f} s. Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"{info['os']}, Python {info['python']}. A shared, noisy machine: every time ratio below is measured "
        "side by side in this one run (scenarios interleaved), never against figures from another run; sizes "
        "are compared with the plain bundle's recorded size (bench/baseline.json).",
        "",
    ]
    if preface:
        lines += [preface.strip(), ""]
    lines += [
        "## Goals",
        "",
        table(["goal", "target", "measured", ""], [[g.name, g.target, g.measured, mark(g)] for g in goals]),
        "",
    ]
    for s in sections:
        lines += [f"## {s.title}", "", s.markdown.strip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; print, write nothing")
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(ORDER))
    args = parser.parse_args(argv)
    # powertools warns when an invocation published no metric; benchmarks run with metrics disabled
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    chosen = args.only.split(",") if args.only else list(ORDER)
    unknown = set(chosen) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    runners = benchmarks()
    started = time.monotonic()
    sections: list[Section] = []
    for key in ORDER:
        if key in chosen:
            t0 = time.monotonic()
            print(f"bench: {key} ...", flush=True)
            sections.append(runners[key](args.smoke))
            print(f"bench: {key} done in {time.monotonic() - t0:.0f} s", flush=True)
    seconds = time.monotonic() - started
    preface_file = ROOT / "bench" / "PREFACE.md"
    preface = preface_file.read_text(encoding="utf-8") if preface_file.exists() else ""
    report = render(sections, machine(), seconds, preface)
    if args.smoke or len(sections) != len(ORDER):
        print(report)
    else:
        Path(ROOT / "bench" / "RESULTS.md").write_text(report + "\n", encoding="utf-8")
        raw = {s.key: s.data for s in sections}
        Path(ROOT / "bench" / "results.json").write_text(
            json.dumps(raw, default=str) + "\n", encoding="utf-8"
        )
        print(f"bench: wrote bench/RESULTS.md and bench/results.json in {seconds:.0f} s")
    missed = [g.name for g in (g for s in sections for g in s.goals) if g.met is False]
    if missed:
        print("bench: goals missed: " + "; ".join(missed), file=sys.stderr)
    return 0  # goals are reported, not enforced: times are not asserted anywhere


if __name__ == "__main__":
    sys.exit(main())
