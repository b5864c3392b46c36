"""Cold start on Lambda's python3.11 and on the runtime liverec now ships for (serverless.yml, python3.13),
side by side in one run (issue #28). The same commit is packaged once per runtime (a copy of the tree whose
serverless.yml names that runtime: its wheels, its bytecode), then each function's first request is served
from the unzipped artifact with that Python (``python -S``, nothing else on the path, as deployed; the
in-process store, against the emulator on loopback), beside that runtime's framework floor (bench/naive:
powertools' resolver with validation and one model, on the same artifact's packages). Rounds interleave every
scenario of both runtimes, so the machine's drift falls on all alike; medians of the wall time, spawn to answer.

    python -m bench.runtimes [--runs 15] [--write]    # --write: its section of bench/RESULTS.md and results.json

Needs both interpreters (devtools/find_python.sh) with a venv each: the dev venv for 3.11 (.venv) and the
runtime's (.venv-3.13, ``make runtime-venv``), whose bin/ goes first on the PATH while packaging.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from bench.cold_start import CHILD, NAIVE, SAMPLES, Scenario, _spawn, sample_event
from bench.common import (
    ROOT,
    Goal,
    Section,
    emulator,
    export_tree,
    function_env,
    machine,
    median,
    sls_package,
    table,
    write_section,
)
from devtools import runtime

BEFORE = "3.11"
FUNCTIONS = tuple(SAMPLES)
TITLE = "Cold start by runtime (python3.11 and the shipped runtime)"


def venv_bin(version: str) -> Path:
    return ROOT / (".venv" if version == BEFORE else f".venv-{version}") / "bin"


def package(version: str, into: Path) -> Path:
    """This commit packaged for ``python{version}``: its artifact, unzipped at ``into``/code."""
    tree = into / "tree"
    tree.mkdir(parents=True)
    export_tree(tree)
    (tree / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    yml = tree / "serverless.yml"
    text = re.sub(r"^  runtime: python\d+\.\d+", f"  runtime: python{version}", yml.read_text(), flags=re.M)
    yml.write_text(re.sub(r"--python-version \d+\.\d+", f"--python-version {version}", text))
    try:
        sls_package(tree, venv_bin(version))
    except RuntimeError as exc:
        raise RuntimeError(f"packaging for python{version} failed: {exc}") from None
    code = into / "code"
    with zipfile.ZipFile(tree / ".serverless" / "liverec.zip") as z:
        z.extractall(code)
    floor = into / "floor"
    floor.mkdir()
    shutil.copyfile(NAIVE / "framework_floor.py", floor / "framework_floor.py")
    return code


def scenarios(version: str, code: Path, base: dict[str, str]) -> list[Scenario]:
    python = str(venv_bin(version) / "python")
    compile_floor(python, code.parent / "floor" / "framework_floor.py")
    deployed = {"PYTHONDONTWRITEBYTECODE": "1"}
    floor_path = os.pathsep.join([str(code.parent / "floor"), str(code)])
    argv = [python, "-S", str(CHILD)]
    found = [
        Scenario(f"framework floor, python{version}", version, "framework",
                 [*argv, "framework_floor"], base | deployed | {"PYTHONPATH": floor_path}, None, 200),
    ]  # fmt: skip
    for function in FUNCTIONS:
        env = base | deployed | {"PYTHONPATH": str(code)}
        module = f"functions.{function}.handler"
        found.append(Scenario(f"{function}, python{version}", version, "ours", [*argv, module], env, function, SAMPLES[function][1]))  # fmt: skip
    return found


def compile_floor(python: str, module: Path) -> None:
    """The floor's module with hash-checked bytecode, as the artifact's modules have (by that Python)."""
    code = f"import py_compile; py_compile.compile({str(module)!r}, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)"
    subprocess.run([python, "-c", code], check=True)


def measure(runs: int) -> dict[str, list[Scenario]]:
    versions = [BEFORE, runtime.DOTTED]
    with emulator(rate_limits={}) as emu, tempfile.TemporaryDirectory(prefix="liverec-runtimes-") as tmp:
        base = function_env(emu.base_url)
        chosen = {v: scenarios(v, package(v, Path(tmp) / v), base) for v in versions}
        everything = [s for v in versions for s in chosen[v]]
        for i in range(runs):
            for scenario in everything if i % 2 == 0 else everything[::-1]:
                event = sample_event(scenario.function, f"rt-{i}-{uuid.uuid4().hex[:8]}")
                event_file = Path(tmp) / "event.json"
                event_file.write_text(json.dumps(event))
                _spawn(scenario, event_file)
    return chosen


def render(chosen: dict[str, list[Scenario]], runs: int) -> tuple[str, dict[str, Any]]:
    before, after = chosen[BEFORE], chosen[runtime.DOTTED]
    floor = {v: median(s[0].walls) for v, s in chosen.items()}
    rows, data = [], {}
    for old, new in zip(before, after, strict=True):
        a, b = median(old.walls), median(new.walls)
        name = old.name.split(",")[0]
        rows.append([name, f"{a:.0f}", f"{b:.0f}", f"{b / a:.2f}", f"{a / floor[BEFORE]:.2f}", f"{b / floor[runtime.DOTTED]:.2f}"])  # fmt: skip
        data[name] = {BEFORE: old.walls, runtime.DOTTED: new.walls}
    head = ["stack", f"{BEFORE} ms", f"{runtime.DOTTED} ms", f"{runtime.DOTTED}/{BEFORE}"]
    markdown = "\n\n".join(
        [
            "**Method.** `python -m bench.runtimes`: this commit packaged once per runtime (its wheels and "
            "bytecode), each function's first request served from the unzipped artifact with that Python "
            "(`python -S`, as deployed; the in-process store, the emulator on loopback), beside that runtime's "
            f"framework floor on the same packages. {runs} rounds, every scenario of both runtimes in each, the "
            "order reversed every other round; medians of the wall time, spawn to answer.",
            table([*head, f"/ floor {BEFORE}", f"/ floor {runtime.DOTTED}"], rows),
        ]
    )
    return markdown, {"runs": runs, "walls_ms": data}


def run(smoke: bool) -> Section:
    """In make bench (its table beside the others) and, with 2 rounds, in bench-smoke so it cannot rot."""
    runs = 2 if smoke else 15
    chosen = measure(runs)
    markdown, data = render(chosen, runs)
    ours = [s for s in chosen[runtime.DOTTED] if s.kind == "ours"]
    slowest = max(ours, key=lambda s: median(s.walls))
    before = next(s for s in chosen[BEFORE] if s.function == slowest.function)
    ratio = median(slowest.walls) / median(before.walls)
    goal = Goal(f"cold start on python{runtime.DOTTED} against python{BEFORE} (slowest function)", "measured",
                f"{slowest.function}: {ratio:.2f}x", None)  # fmt: skip
    return Section("runtimes", TITLE, markdown, [goal], data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runtimes", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    markdown, data = render(measure(args.runs), args.runs)
    sys.stdout.write(markdown + f"\n\n({time.perf_counter() - started:.0f} s)\n")
    if args.write:
        write_section(
            Section("runtimes", TITLE, markdown, [], data), machine(), "python -m bench.runtimes --write"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
