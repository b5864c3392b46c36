"""Where a module's import time goes: ``python -X importtime`` in the dev venv, self time summed by
package (three levels for powertools, whose event handler is most of it)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.common import ROOT, median


def by_package(stderr: str) -> dict[str, float]:
    """``-X importtime``'s report (stderr) summed by package, in ms."""
    per: dict[str, float] = {}
    for line in stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].startswith("import time:") or "self" in parts[0]:
            continue
        top = parts[2].strip().split(".")
        key = ".".join(top[:3]) if top[0] == "aws_lambda_powertools" else top[0]
        per[key] = per.get(key, 0.0) + int(parts[0].split(":")[1]) / 1000
    return per


def import_profile(module: str, runs: int) -> list[tuple[str, float]]:
    """Self time by package, median of ``runs`` fresh processes, in ms, largest first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    totals: dict[str, list[float]] = {}
    for _ in range(runs):
        stderr = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stderr
        for key, value in by_package(stderr).items():
            totals.setdefault(key, []).append(value)
    return sorted(((k, median(v)) for k, v in totals.items()), key=lambda kv: -kv[1])
