"""The plain bundle: what ``serverless-python-requirements`` ships for the naive stack's four runtime
packages with the plugin's defaults (no ``slim``, no ``noDeploy``, nothing trimmed), beside a copy of our
``functions/`` and ``shared/``. Building it needs PyPI, so it is not rebuilt on every run:

- its size is a recorded figure, ``bench/baseline.json`` (the numbers, the method, the date, the versions),
  which the package benchmark compares with; ``python -m bench.package_size --remeasure-baseline``
  rebuilds and re-measures it (on demand, never in ``make bench``);
- the cold-start benchmark runs the naive stack on it "as deployed" (``naive_code``): the zip is kept in
  the user's cache (``BUNDLE``), built on first use and replaced by each re-measurement, so both describe
  one bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bench.artifact import Artifact, read, versions
from bench.common import ROOT, machine, sls_package
from devtools import runtime

# the naive stack's runtime packages, with the version ranges of the repo before it dropped any of them
REQUIREMENTS = (
    "tencentcloud-sdk-python-common>=3.1,<4",
    "tencentcloud-sdk-python-live>=3.1,<4",
    "pydantic>=2.7,<3",
    "aws-lambda-powertools>=3,<4",
)
# what the Lambda runtime provides beside the code: boto3 and what it needs (the naive stack imports it)
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# serverless.yml's provider.runtime (tests/unit/test_bench_package.py holds them equal)
RUNTIME = runtime.NAME
BASELINE = ROOT / "bench" / "baseline.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "liverec-bench"
BUNDLE = CACHE / f"liverec-plain-{RUNTIME}.zip"  # its native code is for that runtime
REMEASURE = "python -m bench.package_size --remeasure-baseline"
METHOD = (
    "In a temporary directory, a minimal Serverless v3 project: one function per handler of ours, a copy of "
    "`functions/` and `shared/`, `plugins: [serverless-python-requirements]` with the plugin's defaults "
    "(no `slim`, no `noDeploy`, no patterns but `!node_modules/**`; only `cacheLocation` is set, to a fresh "
    "temporary directory, so nothing of the repo's slimmed build is reused) and the requirements below; "
    "built with the same `npx serverless package` as ours, then read as ours is."
)


def project_yml(handlers: list[str], cache: Path) -> str:
    """The plain project's serverless.yml: one function per handler file, the plugin with its defaults."""
    functions = "".join(
        f"  {Path(h).parent.name}:\n    handler: {h.removesuffix('.py')}.lambda_handler\n" for h in handlers
    )
    return (
        'service: liverec-plain\nframeworkVersion: "4"\n'
        "plugins:\n  - serverless-python-requirements\n"
        f"custom:\n  pythonRequirements:\n    cacheLocation: {cache}\n"
        f"provider:\n  name: aws\n  runtime: {RUNTIME}\n  architecture: x86_64\n  region: ap-east-1\n"
        "package:\n  excludeDevDependencies: false\n  patterns:\n    - '!node_modules/**'\n"
        f"functions:\n{functions}"
    )


def build(into: Path = BUNDLE) -> Path:
    """Build the plain bundle (downloads from PyPI) and keep its zip at ``into``."""
    from devtools.check_package import HANDLERS

    with tempfile.TemporaryDirectory(prefix="liverec-plain-") as tmp:
        work = Path(tmp) / "project"  # the plugin's cache beside it, never inside the zipped service
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for code in ("functions", "shared"):
            shutil.copytree(ROOT / code, work / code, ignore=ignore)
        (work / "requirements.txt").write_text("\n".join(REQUIREMENTS) + "\n")
        (work / "serverless.yml").write_text(project_yml(list(HANDLERS), Path(tmp) / "cache"))
        (work / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
        sls_package(work)
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / ".serverless" / "liverec-plain.zip", into)
    return into


def bundle(offline: bool) -> Path | None:
    """The kept plain bundle, built first if there is none (unless ``offline``: then None)."""
    if BUNDLE.exists():
        return BUNDLE
    return None if offline else build()


def naive_code(bundle: Path, handler: Path, into: Path) -> list[Path]:
    """The naive stack as deployed, under ``into``: the bundle unzipped with ``handler`` beside it (as
    ``naive_handler``), and the Lambda runtime's boto3 linked from the dev venv (its bytecode cached, in the
    naive stack's favour). The directories to put on the path."""
    with zipfile.ZipFile(bundle) as z:
        z.extractall(into / "naive")
    shutil.copyfile(handler, into / "naive" / "naive_handler.py")
    (into / "runtime").mkdir()
    for name in RUNTIME_PACKAGES:
        spec = find_spec(name)
        if spec is not None and spec.origin is not None:
            origin = Path(spec.origin)
            source = origin.parent if origin.name == "__init__.py" else origin
            (into / "runtime" / source.name).symlink_to(source)
    return [into / "naive", into / "runtime"]


def _tool_versions() -> dict[str, str]:
    found = {"python": machine()["python"]}
    for package in ("serverless", "serverless-python-requirements"):
        manifest = ROOT / "node_modules" / package / "package.json"
        found[package] = json.loads(manifest.read_text())["version"] if manifest.exists() else "unknown"
    return found


def remeasure() -> dict[str, Any]:
    """Rebuild the plain bundle, measure it, and record it in ``BASELINE``."""
    artifact = read(build())
    info = machine()
    record = {
        "what": "the plain serverless-python-requirements bundle (the naive stack's package size)",
        "measured": info["date"],
        "commit": info["commit"],
        "command": REMEASURE,
        "method": METHOD,
        "requirements": list(REQUIREMENTS),
        "versions": versions(BUNDLE),
        "tools": _tool_versions(),
        "artifact": artifact.as_data(),
    }
    BASELINE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def baseline() -> tuple[Artifact, dict[str, Any]] | None:
    """The recorded plain bundle and its record, or None when none is recorded."""
    if not BASELINE.exists():
        return None
    record: dict[str, Any] = json.loads(BASELINE.read_text(encoding="utf-8"))
    return Artifact.from_data(record["artifact"]), record


def built_at(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
