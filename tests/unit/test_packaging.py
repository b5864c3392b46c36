"""The deployed dependency list is the project's runtime list, and neither mentions boto3."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_requirements_txt_matches_pyproject() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bundled = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(bundled) == sorted(declared)
    assert not any(dep.lower().startswith(("boto3", "botocore")) for dep in declared)


def test_serverless_pins_v3_and_the_npm_plugin() -> None:
    import json

    dev = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert dev["serverless"].startswith("3.") and "serverless-python-requirements" in dev
    text = (ROOT / "serverless.yml").read_text()
    assert 'frameworkVersion: "3"' in text and "runtime: python3.11" in text


def test_the_artifact_check_catches_what_must_not_ship(tmp_path: Path) -> None:
    import zipfile

    from devtools.check_package import HANDLERS, problems

    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        for name in (*HANDLERS, "shared/config.py", "pydantic/__init__.py"):
            z.writestr(name, "")
    assert problems(good)[0] == []
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        for name in (HANDLERS[0], "boto3/__init__.py", "tests/test_x.py", "node_modules/x.js"):
            z.writestr(name, "")
    found = " ".join(problems(bad)[0])
    for word in ("functions/realtime/handler.py", "boto3/", "tests/", "node_modules/"):
        assert word in found
