"""The functions' Python is stated once (serverless.yml's provider.runtime) and the tools follow it; the
interpreter finder the Makefile and CI use finds a version or says how to get one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from devtools import check_package, precompile, runtime
from devtools.gateway import load_serverless

ROOT = Path(__file__).resolve().parents[2]
FIND = ROOT / "devtools" / "find_python.sh"
BASH = shutil.which("bash") or "/bin/bash"


def test_the_runtime_is_read_from_serverless_yml_and_the_tools_follow_it() -> None:
    doc = load_serverless(ROOT / "serverless.yml")
    assert doc["provider"]["runtime"] == runtime.NAME == f"python{runtime.DOTTED}"
    assert runtime.VERSION >= (3, 12), "SnapStart for Python needs 3.12 or later"
    assert check_package.RUNTIME_TAG == runtime.TAG == "cpython-{}{}".format(*runtime.VERSION)
    assert precompile.RUNTIME == runtime.VERSION
    args = " ".join(doc["custom"]["pythonRequirements"]["pipCmdExtraArgs"]).split()
    assert args[args.index("--python-version") + 1] == runtime.DOTTED
    # the requirements plugin's cache is one per runtime: a runtime change never reuses the last one's wheels
    assert doc["custom"]["pythonRequirements"]["cacheLocation"].endswith("/${self:provider.runtime}")


def test_a_declaration_without_a_python_runtime_is_an_error() -> None:
    try:
        runtime._declared("provider:\n  runtime: nodejs20.x\n")
    except RuntimeError as exc:
        assert "provider.runtime" in str(exc)
    else:
        raise AssertionError("no error for a runtime that is not pythonX.Y")


def test_the_finder_finds_this_interpreters_version() -> None:
    want = f"{sys.version_info[0]}.{sys.version_info[1]}"
    found = subprocess.run([BASH, str(FIND), want], capture_output=True, text=True, check=True).stdout.strip()
    said = subprocess.run(
        [found, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert said.stdout.strip() == want


def test_the_finder_says_how_to_get_a_python_it_cannot_find() -> None:
    proc = subprocess.run([BASH, str(FIND), "3.99"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "no Python 3.99" in proc.stderr and "RUNTIME_PYTHON" in proc.stderr
