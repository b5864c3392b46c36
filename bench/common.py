"""What every benchmark shares: the result shape, the machine's description, statistics and tables, the
loopback servers each benchmark starts and stops itself (the Tencent Live emulator in this process, moto's
DynamoDB server in its own; the warm benchmark runs the emulator in its own process with
``devtools.emulator.emulator_process``), the functions' environment, the Lambda context, and
``serverless package``."""

from __future__ import annotations

import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.kit import LambdaContext as FakeContext

__all__ = ["FakeContext"]  # the kit's Lambda context, under the name the benchmarks use

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Goal:
    """One goal, with the figure measured for it in this run."""

    name: str
    target: str
    measured: str
    met: bool | None  # None: informational, no pass/fail


@dataclass
class Section:
    key: str  # cold | warm | rollout | week | package | storm | programs | http | values
    title: str
    markdown: str  # the section body for RESULTS.md: method, table(s), notes
    goals: list[Goal] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # raw figures, written to results.json


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        git = shutil.which("git") or "git"
        commit = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "commit": commit or "unknown",
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return float(ordered[rank - 1])


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def emulator(**limits: Any) -> Iterator[Any]:
    """The Tencent Live emulator on 127.0.0.1 (a free port), with the local credentials; ``limits`` set
    EmulatorConfig attributes (e.g. ``rate_limits``, ``record_task_running_cap``)."""
    from devtools.emulator import Credentials, Emulator, EmulatorConfig

    config = EmulatorConfig(credentials=Credentials())
    for name, value in limits.items():
        setattr(config, name, value)
    emu = Emulator(config)
    with emu.running(host="127.0.0.1", port=0):
        yield emu


def function_env(emulator_url: str, **extra: str) -> dict[str, str]:
    """The environment the functions run with against the emulator (what `make run` configures)."""
    from devtools.events import emulator_settings, local_defaults

    env = local_defaults() | emulator_settings(emulator_url)
    env |= {"LIVE_API": "record-task", "POWERTOOLS_SERVICE_NAME": "liverec"}
    env |= {"POWERTOOLS_METRICS_NAMESPACE": "LiverecBench"}
    # the benchmarks' highlights record streams nobody pushes: no DescribeLiveStreamState look-up first
    env |= {"LIVEREC_LIVE_CHECK": "off"}
    return env | extra


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """Run the functions in this process with ``env`` (settings and the service rebuilt on entry and exit).
    The environment is set before anything of ours is imported: the logger takes its level from it."""
    saved = dict(os.environ)
    os.environ.update(env)
    from shared.app import reset
    from shared.support.config import get_settings

    get_settings.cache_clear()
    reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        reset()


@contextmanager
def moto_dynamodb(*tables: str) -> Iterator[dict[str, str]]:
    """moto's server in its own process (devtools.kit.moto) with ``tables`` shaped as serverless.yml declares
    them; yields the AWS environment variables that point a client at it. Stopped on exit."""
    from devtools.kit.moto import aws_env, ledger_table, moto_server

    with moto_server() as url:
        for name in tables:
            ledger_table(url, name)
        yield aws_env(url)


SLS_ENV = {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}


def sls_package(cwd: Path, python_bin: Path | None = None) -> float:
    """``npx serverless package`` in ``cwd``, as ``make package`` runs it (``python_bin``, by default this
    interpreter's venv, first on the PATH: make runs the benchmarks with the runtime's); the seconds it took."""
    env = dict(os.environ, **SLS_ENV)
    env["PATH"] = f"{python_bin or Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    start = time.perf_counter()
    argv = ["npx", "serverless", "package"]  # npx from PATH, as the Makefile runs it
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"`npx serverless package` failed in {cwd} (exit {proc.returncode}):\n{tail}")
    return time.perf_counter() - start


def write_section(section: Section, info: dict[str, Any], command: str, root: Path = ROOT) -> None:
    """Put one benchmark's section into bench/RESULTS.md (replacing its earlier one, with this run's machine
    and date) and its figures into results.json, leaving the rest as ``make bench`` wrote it: for the
    benchmarks run alone (``command``)."""
    import json
    import re

    results = root / "bench" / "RESULTS.md"
    text = results.read_text(encoding="utf-8")
    stamp = (
        f"Written by `{command}` on {info['date']}, commit {info['commit']}. Machine: "
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, {info['os']}, Python {info['python']}."
    )
    block = f"## {section.title}\n\n{stamp}\n\n{section.markdown.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section.title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: block + "\n", text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + block
    )
    results.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    raw_file = root / "bench" / "results.json"
    raw = json.loads(raw_file.read_text(encoding="utf-8")) if raw_file.exists() else {}
    raw[section.key] = section.data | {"machine": info}
    raw_file.write_text(json.dumps(raw, default=str) + "\n", encoding="utf-8")


def export_tree(into: Path) -> None:
    """This commit's tree (``git archive HEAD``) at ``into``: what a benchmark packages in a copy of its own."""
    git, tar = shutil.which("git") or "git", shutil.which("tar") or "tar"
    archive = subprocess.run([git, "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run([tar, "-x", "-C", str(into)], input=archive, check=True)
