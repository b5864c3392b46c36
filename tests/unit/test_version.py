"""One release: pyproject.toml's [project] version is the source; the code declares it (``shared.__version__``,
on every log line), and the artifact check refuses a zip whose code declares another."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import shared
from devtools import check_package
from devtools.check_package import HANDLERS, problems

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_declares_pyprojects_version() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert shared.__version__ == declared == check_package.release()


def test_the_artifact_check_refuses_a_zip_of_another_release(tmp_path: Path) -> None:
    def artifact(name: str, version: str) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            for handler in HANDLERS:
                z.writestr(handler, "")
            z.writestr("shared/__init__.py", f'"""liverec."""\n\n__version__ = "{version}"\n')
        return path

    assert problems(artifact("same.zip", shared.__version__))[0] == []
    (found,) = problems(artifact("old.zip", "0.0.9"))[0]
    assert found == f"the zipped code is release 0.0.9, pyproject.toml's is {shared.__version__}"
