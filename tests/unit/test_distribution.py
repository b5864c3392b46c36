"""The Python distribution (the wheel, the editable install of a checkout) and the Makefile's lint, as a user
and a developer meet them: built offline with the venv's own setuptools, nothing downloaded."""

from __future__ import annotations

import shlex
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"),
            "--no-index",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("liverec-*.whl")
    with zipfile.ZipFile(built) as z:
        yield z


def test_the_wheel_holds_the_deployable_packages_and_py_typed(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "shared/py.typed" in names  # PEP 561: type checkers read the package's annotations
    tops = {name.split("/", 1)[0] for name in names}
    assert {"shared", "functions"} <= tops
    assert not tops & {"devtools", "tests", "bench", "events"}


def test_an_editable_install_builds_without_a_setuptools_warning(tmp_path: Path) -> None:
    # Given the PEP 660 hook pip calls for `pip install -e .` (make venv), every warning an error
    build = "import sys; from setuptools import build_meta; print(build_meta.build_editable(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", build, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then it builds (before: 'Editable installation... folders with the same name as your package')
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / done.stdout.strip().splitlines()[-1]) as z:
        pth = [z.read(n).decode() for n in z.namelist() if n.endswith(".pth")]
    assert [line.strip() for line in pth] == [str(ROOT)]  # the checkout's root on sys.path, nothing else


def lint_commands(venv: str) -> list[str]:
    """The ruff commands ``make lint`` runs for ``VENV=venv`` (make -n: printed, not run)."""
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", "lint", f"VENV={venv}", f"STAMP={ROOT / 'Makefile'}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [line for line in printed.splitlines() if " -m ruff " in line]


def test_make_lint_leaves_out_a_virtual_environment_of_any_name() -> None:
    # Given a virtual environment named otherwise than .venv, holding code that breaks every rule
    venv = ROOT / "lint-probe-env"
    (venv / "lib").mkdir(parents=True, exist_ok=True)
    try:
        (venv / "lib" / "site.py").write_text("import os,sys\nx=eval( '1' )\n", encoding="utf-8")
        commands = lint_commands(venv.name)
        assert len(commands) == 2
        for command in commands:
            ruff = command.replace(f"{venv.name}/bin/python", sys.executable, 1)
            # When make lint's ruff runs there, Then the environment is not linted
            ran = subprocess.run(
                shlex.split(ruff), check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
            )
            assert venv.name not in ran.stdout + ran.stderr
        # and the same ruff without the Makefile's exclusion would have failed on it (the probe is seen)
        bare = subprocess.run(
            [sys.executable, "-m", "ruff", "check", str(venv)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bare.returncode != 0
    finally:
        (venv / "lib" / "site.py").unlink(missing_ok=True)
        (venv / "lib").rmdir()
        venv.rmdir()


def test_the_cli_is_a_console_command_of_the_venv(tmp_path: Path) -> None:
    # Given the venv make venv built, When its `liverec` runs from anywhere (not the checkout)
    command = Path(sys.executable).parent / "liverec"
    done = subprocess.run(
        [str(command), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    # Then it is the operators' CLI, under its own name
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: liverec ") and "tick" in done.stdout and "upcoming" in done.stdout
