"""The package-size benchmark's pure parts: grouping an artifact's files into contributors and kinds, the
ratios and goals against the recorded plain baseline, the tables, and the plain project it re-measures
from. No serverless runs here."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from bench import plain
from bench.artifact import METADATA, Artifact, Entry, contributor_key, group, kinds, read, versions
from bench.package_size import GOAL_RATIO, aws_sdk_goal, contributors_table, ratio, size_goal
from devtools.check_package import HANDLERS

ROOT = Path(__file__).resolve().parents[2]


def _zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return path


def _synthetic(tmp_path: Path, extra: dict[str, bytes | str] | None = None) -> Path:
    files: dict[str, bytes | str] = {h: "def lambda_handler(e, c): ...\n" for h in HANDLERS}
    files |= {
        "shared/support/config.py": "x" * 300,
        "pydantic_core/__init__.py": "x" * 100,
        "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so": bytes(range(256)) * 40,  # 10240
        "pydantic_core-2.0.0.dist-info/METADATA": "m" * 50,
        "pydantic_core-2.0.0.dist-info/RECORD": "r" * 70,
        "tencentcloud/__init__.py": "",
        "tencentcloud/__pycache__/__init__.cpython-311.pyc": "p" * 30,
        "tencentcloud/common/client.py": "c" * 700,
        "tencentcloud/live/v20180801/models.py": "m" * 5000,
        "tencentcloud/live/v20180801/__pycache__/models.cpython-311.pyc": "p" * 2000,
        "tencentcloud_sdk_python_live-3.1.0.dist-info/RECORD": "r" * 20,
        "typing_extensions.py": "t" * 400,
        "bin/normalizer": "#!python\n",
    }
    return _zip(tmp_path / "artifact.zip", files | (extra or {}))


def test_contributor_keys() -> None:
    assert contributor_key("pydantic/main.py") == "pydantic"
    assert contributor_key("tencentcloud/live/v20180801/models.py") == "tencentcloud/live"
    assert contributor_key("tencentcloud/__init__.py") == "tencentcloud"
    assert contributor_key("tencentcloud/__pycache__/__init__.cpython-311.pyc") == "tencentcloud"
    assert contributor_key("typing_extensions.py") == "typing_extensions"
    assert contributor_key("_cffi_backend.cpython-311-x86_64-linux-gnu.so") == "_cffi_backend"
    assert contributor_key("pydantic-2.0.dist-info/RECORD") == METADATA
    assert contributor_key("requirements.txt") == "requirements.txt"


def test_an_artifact_is_read_into_contributors_kinds_and_largest_files(tmp_path: Path) -> None:
    path = _synthetic(tmp_path)
    artifact = read(path)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    assert artifact.zipped == path.stat().st_size
    assert artifact.files == len(infos) and artifact.unzipped == sum(i.file_size for i in infos)
    found = {c.name: c for c in artifact.contributors}
    assert found["pydantic_core"].files == 2 and found["pydantic_core"].unzipped == 10340
    assert found[METADATA].files == 3 and found[METADATA].unzipped == 140
    assert found["tencentcloud/live"].unzipped == 7000 and found["tencentcloud/common"].unzipped == 700
    assert found["tencentcloud"].files == 2  # the shared __init__.py and its bytecode
    assert {"functions", "shared", "bin", "typing_extensions"} <= set(found)
    assert sum(c.unzipped for c in found.values()) == artifact.unzipped
    assert sum(c.zipped for c in found.values()) == sum(i.compress_size for i in infos)
    assert [c.unzipped for c in artifact.contributors] == sorted(found[n].unzipped for n in found)[::-1]
    assert artifact.contributors[0].name == "pydantic_core"
    assert artifact.top_files[0].name.endswith("_pydantic_core.cpython-311-x86_64-linux-gnu.so")
    assert artifact.kinds["bytecode (.pyc)"][0] == 2030 and artifact.kinds["metadata (*.dist-info)"][0] == 140
    assert sum(u for u, _ in artifact.kinds.values()) == artifact.unzipped
    assert Artifact.from_data(json.loads(json.dumps(artifact.as_data()))) == artifact  # as recorded


def test_kinds() -> None:
    entries = [
        Entry("a/x.py", 10, 5),
        Entry("a/__pycache__/x.cpython-311.pyc", 20, 6),
        Entry("a/_x.cpython-311-x86_64-linux-gnu.so", 30, 7),
        Entry("a.libs/libz.so.1.2", 1, 1),
        Entry("a-1.dist-info/RECORD", 40, 8),
        Entry("a/data.json", 50, 9),
    ]
    assert kinds(entries) == {
        "bytecode (.pyc)": (20, 6),
        "native (.so)": (31, 8),
        "Python source (.py)": (10, 5),
        "metadata (*.dist-info)": (40, 8),
        "other": (50, 9),
    }
    assert [(c.name, c.unzipped) for c in group(entries)] == [("a", 110), (METADATA, 40), ("a.libs", 1)]


def test_the_aws_sdk_is_a_missed_goal_not_an_error(tmp_path: Path) -> None:
    assert aws_sdk_goal(read(_synthetic(tmp_path))).met is True
    with_sdk = read(_synthetic(tmp_path, {"botocore/data.json": "{}", "s3transfer/__init__.py": ""}))
    goal = aws_sdk_goal(with_sdk)
    assert goal.met is False and goal.measured == "present: botocore, s3transfer"


def test_ratios_and_goals() -> None:
    assert ratio(60, 100) == pytest.approx(0.6)
    assert ratio(60, None) is None and ratio(60, 0) is None
    at_limit = size_goal("zipped", 6_000_000, 10_000_000)
    assert at_limit.met is True and at_limit.name == "package zipped"
    assert at_limit.measured == "6.0 MB vs 10.0 MB plain = 0.60x"
    assert at_limit.target == f"<= {GOAL_RATIO}x plain"
    assert size_goal("unzipped", 6_000_001, 10_000_000).met is False
    unrecorded = size_goal("unzipped", 15_200_000, None)
    assert unrecorded.met is None and "15.2 MB" in unrecorded.measured


def test_the_contributors_table_ranks_both_sides_and_sums_the_rest(tmp_path: Path) -> None:
    ours = read(_zip(tmp_path / "ours.zip", {"a/x.py": "a" * 500, "b/x.py": "b" * 100, "c/x.py": "c" * 10}))
    plain_side = read(
        _zip(tmp_path / "plain.zip", {"a/x.py": "a" * 600, "d/x.py": "d" * 900, "c/x.py": "c" * 5})
    )
    lines = contributors_table(ours, plain_side, top=2).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| `d`", "| `a`", "| everything else"]
    assert lines[2].split(" | ")[1:4] == ["0.0", "0%", "0.0"]  # d: absent in ours
    assert lines[-1].split(" | ")[1] == f"{110 / 1e6:.1f}"  # ours' rest: b and c
    alone = contributors_table(ours, None, top=2).splitlines()
    assert [line.split(" | ")[0] for line in alone[2:]] == ["| `a`", "| `b`", "| everything else"]
    assert alone[2].endswith("| – | – | – |")


def test_the_plain_project_uses_the_plugin_defaults_and_our_runtime(tmp_path: Path) -> None:
    doc = yaml.safe_load(plain.project_yml(list(HANDLERS), tmp_path / "cache"))
    assert doc["plugins"] == ["serverless-python-requirements"]
    assert doc["custom"]["pythonRequirements"] == {"cacheLocation": str(tmp_path / "cache")}
    assert doc["package"]["patterns"] == ["!node_modules/**"]
    assert sorted(f["handler"] for f in doc["functions"].values()) == sorted(
        h.removesuffix(".py") + ".lambda_handler" for h in HANDLERS
    )
    repo = (ROOT / "serverless.yml").read_text()
    assert re.search(rf"^  runtime: {plain.RUNTIME}$", repo, flags=re.MULTILINE)
    from tests.unit.test_packaging import serverless_yml

    # the plain bundle is built for the architecture the repo deploys by default
    assert serverless_yml()["params"]["default"]["architecture"] == doc["provider"]["architecture"]


def test_versions_are_read_from_the_shipped_metadata(tmp_path: Path) -> None:
    path = _zip(tmp_path / "b.zip", {"pydantic-2.9.1.dist-info/RECORD": "", "x/pydantic-9.dist-info": ""})
    assert versions(path) == ["pydantic==2.9.1"]


def test_the_recorded_baseline_is_whole_and_describes_what_the_code_builds() -> None:
    recorded = plain.baseline()
    assert recorded is not None, f"bench/baseline.json is missing: {plain.REMEASURE}"
    artifact, record = recorded
    assert record["command"] == plain.REMEASURE and record["method"] == plain.METHOD
    assert record["requirements"] == list(plain.REQUIREMENTS)
    assert record["measured"] and record["tools"]["serverless-python-requirements"]
    assert {v.split("==")[0] for v in record["versions"]} >= {
        "pydantic",
        "aws_lambda_powertools",
        "tencentcloud_sdk_python_common",
        "tencentcloud_sdk_python_live",
    }
    assert sum(c.unzipped for c in artifact.contributors) == artifact.unzipped
    assert sum(c.files for c in artifact.contributors) == artifact.files
    assert sum(u for u, _ in artifact.kinds.values()) == artifact.unzipped
    assert 0 < artifact.zipped < artifact.unzipped
