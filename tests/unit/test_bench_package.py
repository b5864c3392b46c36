"""The package-size benchmark's pure parts: grouping an artifact's files into contributors, the ratios and
goals, which artifact each function deploys, and the plain project it builds. No serverless runs here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bench.package_size import (
    GOAL_RATIO,
    PLAIN_PACKAGES,
    Entry,
    _load_yaml,
    aws_sdk_goal,
    contributor_key,
    function_artifacts,
    group,
    kinds,
    measure,
    plain_requirements,
    plain_serverless_yml,
    ratio,
    read_entries,
    size_goal,
)
from devtools.check_package import HANDLERS

ROOT = Path(__file__).resolve().parents[2]


def _zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return path


def _record(*paths: str) -> str:
    return "".join(f"{p},sha256=x,1\n" for p in paths)


def _synthetic(tmp_path: Path, extra: dict[str, bytes | str] | None = None) -> Path:
    files: dict[str, bytes | str] = {h: "def lambda_handler(e, c): ...\n" for h in HANDLERS}
    files |= {
        "shared/support/config.py": "x" * 300,
        "pydantic_core/__init__.py": "x" * 100,
        "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so": bytes(range(256)) * 40,  # 10240
        "pydantic_core-2.0.0.dist-info/METADATA": "m" * 50,
        "pydantic_core-2.0.0.dist-info/RECORD": _record(
            "pydantic_core/__init__.py",
            "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so",
            "pydantic_core-2.0.0.dist-info/METADATA",
        ),
        "tencentcloud/__init__.py": "",
        "tencentcloud/common/client.py": "c" * 700,
        "tencentcloud/live/v20180801/models.py": "m" * 5000,
        "tencentcloud/live/v20180801/__pycache__/models.cpython-311.pyc": "p" * 2000,
        "tencentcloud_sdk_python_live-3.1.0.dist-info/RECORD": _record(
            "tencentcloud/__init__.py",  # shared with -common: outvoted by the live files
            "tencentcloud/live/v20180801/models.py",
            "tencentcloud/live/v20180801/__pycache__/models.cpython-311.pyc",
        ),
        "jmespath/__init__.py": "j" * 10,
        "jmespath-1.0.dist-info/top_level.txt": "jmespath\n",  # no RECORD: top_level.txt
        "typing_extensions.py": "t" * 400,
        "typing_extensions-4.0.dist-info/METADATA": "m",  # neither: the normalized name
        "bin/normalizer": "#!python\n",
        "requirements.txt": "pydantic\n",
        "orphan_dist-1.0.dist-info/METADATA": "o",  # owns nothing shipped: stays itself
    }
    files |= extra or {}
    return _zip(tmp_path / "artifact.zip", files)


def test_contributor_keys() -> None:
    assert contributor_key("pydantic/main.py") == "pydantic"
    assert contributor_key("tencentcloud/live/v20180801/models.py") == "tencentcloud/live"
    assert contributor_key("tencentcloud/__init__.py") == "tencentcloud"
    assert contributor_key("typing_extensions.py") == "typing_extensions"
    assert contributor_key("_cffi_backend.cpython-311-x86_64-linux-gnu.so") == "_cffi_backend"
    assert contributor_key("requirements.txt") == "requirements.txt"


def test_files_group_into_contributors_with_dist_info_folded(tmp_path: Path) -> None:
    entries, metadata = read_entries(_synthetic(tmp_path))
    found = {c.name: c for c in group(entries, metadata)}
    assert "pydantic_core-2.0.0.dist-info" not in found
    assert found["pydantic_core"].files == 4  # two package files, METADATA and RECORD
    assert found["pydantic_core"].unzipped == sum(
        e.size for e in entries if e.name.startswith("pydantic_core")
    )
    assert found["tencentcloud/live"].files == 3  # models.py, its .pyc, the RECORD
    assert found["tencentcloud/common"].unzipped == 700
    assert found["tencentcloud"].files == 1  # the shared __init__.py
    assert found["jmespath"].files == 2
    assert found["typing_extensions"].unzipped == 401
    assert found["orphan_dist-1.0.dist-info"].files == 1
    assert {"functions", "shared", "bin", "requirements.txt"} <= set(found)
    assert sum(c.unzipped for c in found.values()) == sum(e.size for e in entries)
    assert sum(c.zipped for c in found.values()) == sum(e.compressed for e in entries)
    ordered = group(entries, metadata)
    assert ordered[0].name == "pydantic_core"
    assert [c.unzipped for c in ordered] == sorted((c.unzipped for c in ordered), reverse=True)


def test_measure_reports_sizes_largest_files_and_checks(tmp_path: Path) -> None:
    path = _synthetic(tmp_path)
    artifact = measure(path)
    assert artifact.zipped == path.stat().st_size
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    assert artifact.files == len(infos)
    assert artifact.unzipped == sum(i.file_size for i in infos)
    assert artifact.top_files[0].name.endswith("_pydantic_core.cpython-311-x86_64-linux-gnu.so")
    # devtools.check_package's verdict: only the bytecode the synthetic bundle carries
    assert artifact.problems == [
        "must not ship: tencentcloud/live/v20180801/__pycache__/models.cpython-311.pyc (bytecode of another Python)"
    ]
    assert artifact.kinds["bytecode (.pyc)"][0] == 2000
    assert artifact.kinds["native (.so)"][0] == 10240
    assert sum(u for u, _ in artifact.kinds.values()) == artifact.unzipped
    assert aws_sdk_goal([artifact]).met is True
    assert artifact.as_data()["unzipped_bytes"] == artifact.unzipped


def test_the_aws_sdk_and_dev_folders_are_reported_not_raised(tmp_path: Path) -> None:
    path = _synthetic(
        tmp_path,
        {
            "botocore/data.json": "{}",
            "s3transfer-0.10.dist-info/RECORD": _record("s3transfer/__init__.py"),
            "s3transfer/__init__.py": "",
            "tests/test_x.py": "",
        },
    )
    artifact = measure(path)
    text = " ".join(artifact.problems)
    assert "botocore/" in text and "s3transfer" in text and "tests/" in text
    goal = aws_sdk_goal([artifact])
    assert goal.met is False and "botocore" in goal.measured and "s3transfer" in goal.measured


def test_a_per_function_artifact_needs_only_its_own_handler(tmp_path: Path) -> None:
    path = _zip(tmp_path / "tasks.zip", {"functions/tasks/handler.py": "", "shared/x.py": ""})
    assert measure(path, handlers=("functions/tasks/handler.py",)).problems == []
    assert measure(path, handlers=("functions/realtime/handler.py",)).problems == [
        "handler missing: functions/realtime/handler.py"
    ]
    assert any(p.startswith("handler missing") for p in measure(path).problems)  # shared: all four


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


def test_ratios_and_goals() -> None:
    assert ratio(60, 100) == pytest.approx(0.6)
    assert ratio(60, None) is None and ratio(None, 100) is None and ratio(60, 0) is None
    at_limit = size_goal("zipped", 6_000_000, 10_000_000)
    assert at_limit.met is True and at_limit.name == "package zipped"
    assert "6.0 MB vs 10.0 MB plain = 0.60x" in at_limit.measured
    assert at_limit.target == f"<= {GOAL_RATIO}x plain"
    assert size_goal("unzipped", 6_000_001, 10_000_000).met is False
    smoke = size_goal("unzipped", 15_200_000, None)
    assert smoke.met is None and "15.2 MB" in smoke.measured


def test_the_repo_deploys_one_shared_artifact() -> None:
    found = function_artifacts((ROOT / "serverless.yml").read_text())  # !GetAtt and all
    assert {f.function for f in found} == {"scheduled", "rollout", "realtime", "tasks", "webhooks"}
    assert {f.artifact for f in found} == {Path(".serverless/liverec.zip")}
    assert sorted(f.handler_file for f in found) == sorted(HANDLERS)


SERVERLESS_YML = """
service: {service}
package:
  individually: {individually}
  patterns: ["!**"]
functions:
  one:
    handler: functions/one/handler.lambda_handler
  two:
    handler: functions/two/handler.lambda_handler
    package:
      individually: true
  three:
    handler: functions/three/handler.lambda_handler
    package:
      artifact: build/three.zip
  boxed:
    image: 000000000000.dkr.ecr.ap-east-1.amazonaws.com/x:latest
resources:
  Resources:
    T:
      Properties:
        Arn: !GetAtt Table.Arn
        Joined: !Join [",", [a, b]]
"""


def test_per_function_artifacts_with_and_without_individually() -> None:
    shared = {
        f.function: f.artifact
        for f in function_artifacts(SERVERLESS_YML.format(service="svc", individually="false"))
    }
    assert shared == {
        "one": Path(".serverless/svc.zip"),
        "two": Path(".serverless/two.zip"),  # function-level individually
        "three": Path("build/three.zip"),
    }
    each = function_artifacts(SERVERLESS_YML.format(service="{name: svc}", individually="true"))
    assert {f.function: f.artifact for f in each} == {
        "one": Path(".serverless/one.zip"),
        "two": Path(".serverless/two.zip"),
        "three": Path("build/three.zip"),
    }
    assert each[0].handler_file == "functions/one/handler.py"


def test_plain_requirements_are_the_four_with_the_repos_ranges() -> None:
    reqs = plain_requirements((ROOT / "requirements.txt").read_text())
    assert [r.split(">")[0].split("=")[0].split("<")[0] for r in reqs] == list(PLAIN_PACKAGES)
    repo_lines = {line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()}
    assert all(
        r in repo_lines or r == f"{n}{s}" for r, (n, s) in zip(reqs, PLAIN_PACKAGES.items(), strict=True)
    )
    trimmed = "# comment\nTencentcloud_SDK_Python_Common>=3.1.100,<4\npydantic[email]>=2.8\ncronsim>=2.6\n"
    assert plain_requirements(trimmed) == [
        "Tencentcloud_SDK_Python_Common>=3.1.100,<4",
        "tencentcloud-sdk-python-live>=3.1,<4",  # dropped by the repo: the range
        "pydantic[email]>=2.8",
        "aws-lambda-powertools>=3,<4",
    ]


def test_the_plain_project_uses_the_plugin_defaults(tmp_path: Path) -> None:
    repo_yml = (ROOT / "serverless.yml").read_text()
    doc = _load_yaml(plain_serverless_yml(repo_yml, tmp_path / "cache"))
    assert doc["plugins"] == ["serverless-python-requirements"]
    assert doc["custom"]["pythonRequirements"] == {"cacheLocation": str(tmp_path / "cache")}
    assert doc["package"]["patterns"] == ["!node_modules/**"]
    repo = _load_yaml(repo_yml)
    assert {n: f["handler"] for n, f in doc["functions"].items()} == {
        n: f["handler"] for n, f in repo["functions"].items()
    }
    assert doc["provider"]["runtime"] == repo["provider"]["runtime"]
    assert doc["provider"]["architecture"] == repo["provider"].get("architecture", "x86_64")


def test_the_contributors_table_ranks_both_sides_and_sums_the_rest(tmp_path: Path) -> None:
    from bench.package_size import contributors_table

    ours = measure(
        _zip(tmp_path / "ours.zip", {"a/x.py": "a" * 500, "b/x.py": "b" * 100, "c/x.py": "c" * 10})
    )
    plain = measure(
        _zip(tmp_path / "plain.zip", {"a/x.py": "a" * 600, "d/x.py": "d" * 900, "c/x.py": "c" * 5})
    )
    lines = contributors_table(ours, plain, top=2).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| `d`", "| `a`", "| everything else"]
    assert lines[2].split(" | ")[1:4] == ["0.0", "0%", "0.0"]  # d: absent in ours
    assert lines[-1].split(" | ")[1] == f"{110 / 1e6:.1f}"
    smoke = contributors_table(ours, None, top=2).splitlines()
    assert [line.split(" | ")[0] for line in smoke[2:]] == ["| `a`", "| `b`", "| everything else"]
    assert smoke[2].endswith("| – | – | – |")
