"""The runtime dependencies leave boto3 out; the artifact holds what it must (the locks: test_locks.py)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from devtools.runtime import TAG

OTHER = "cpython-310" if TAG != "cpython-310" else "cpython-311"  # bytecode of another Python

ROOT = Path(__file__).resolve().parents[2]


def test_the_runtime_dependencies_leave_boto3_out() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(dep.lower().startswith(("boto3", "botocore")) for dep in declared)


def test_the_tooling_is_osls_4_under_the_name_the_plugins_know_with_its_offline_line() -> None:
    import json

    dev = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    # osls installed as `serverless`: serverless-offline 14 declares serverless ^4 as its peer, and npm would
    # otherwise add the unsupported Serverless Framework beside it to satisfy that peer
    assert dev["serverless"].startswith("npm:osls@4.") and dev["serverless-offline"].startswith("14.")
    assert "serverless-python-requirements" in dev
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    installed = lock["node_modules/serverless"]
    assert installed["name"] == "osls" and installed["version"].startswith("4.")
    assert "node_modules/aws-sdk" not in lock  # the AWS SDK for JavaScript v2 (past its support) is gone
    assert 'frameworkVersion: "4"' in (ROOT / "serverless.yml").read_text()


def test_the_artifact_check_catches_what_must_not_ship(tmp_path: Path) -> None:
    import zipfile

    from devtools.check_package import HANDLERS, problems

    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        for name in (*HANDLERS, "shared/support/config.py", "pydantic/__init__.py"):
            z.writestr(name, "")
    assert problems(good)[0] == []
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        for name in (HANDLERS[0], "boto3/__init__.py", "tests/test_x.py", "node_modules/x.js"):
            z.writestr(name, "")
    found = " ".join(problems(bad)[0])
    for word in ("functions/realtime/handler.py", "boto3/", "tests/", "node_modules/"):
        assert word in found


def test_the_artifact_holds_only_what_its_list_names(tmp_path: Path) -> None:
    import zipfile

    from devtools.check_package import ALLOWED_TOPS, HANDLERS, problems

    # Given a zip with what `make package` builds today: our code, the runtime dependencies, root bytecode
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        for name in (*HANDLERS, "jmespath/parser.py", "typing_extensions.py", "tencentcloud/common/sign.py"):
            z.writestr(name, "")
    assert problems(good)[0] == []
    # When the requirements plugin's stray files come along (before #28: bin/ scripts, requirements.txt)
    stray = tmp_path / "stray.zip"
    with zipfile.ZipFile(stray, "w") as z:
        for name in (*HANDLERS, "bin/jp.py", "bin/idna", "requirements.txt", ".completed_requirements"):
            z.writestr(name, "")
    found = problems(stray)[0]
    # Then each is refused by name, and nothing else
    assert len(found) == 3
    assert [f.split(" (")[0] for f in found] == [
        "must not ship: .completed_requirements",
        "must not ship: bin/",
        "must not ship: requirements.txt",
    ]
    # and serverless.yml keeps them out: the plugin's noDeploy matches an injected path's first part
    block = (
        (ROOT / "serverless.yml").read_text().split("    noDeploy:\n", 1)[1].split("\n  idempotencyTable:")[0]
    )
    no_deploy = set(re.findall(r"^      - (\S+)$", block, flags=re.MULTILINE))
    assert {"bin", "requirements.txt", ".completed_requirements", "boto3"} <= no_deploy
    assert not ALLOWED_TOPS & no_deploy


def _pyc(tmp_path: Path, mode: str) -> bytes:
    import py_compile

    source = tmp_path / "m.py"
    source.write_text("x = 1\n")
    target = tmp_path / "m.pyc"
    py_compile.compile(
        str(source), cfile=str(target), doraise=True, invalidation_mode=py_compile.PycInvalidationMode[mode]
    )
    return target.read_bytes()


def test_only_hash_checked_runtime_bytecode_may_ship(tmp_path: Path) -> None:
    import zipfile

    from devtools.check_package import HANDLERS, problems

    artifact = tmp_path / "a.zip"
    with zipfile.ZipFile(artifact, "w") as z:
        for name in HANDLERS:
            z.writestr(name, "")
        z.writestr(f"shared/__pycache__/ok.{TAG}.pyc", _pyc(tmp_path, "CHECKED_HASH"))
        z.writestr(f"shared/__pycache__/stale.{TAG}.pyc", _pyc(tmp_path, "TIMESTAMP"))
        z.writestr(f"shared/__pycache__/other.{OTHER}.pyc", _pyc(tmp_path, "CHECKED_HASH"))
        z.writestr("shared/loose.pyc", _pyc(tmp_path, "CHECKED_HASH"))
    found = " ".join(problems(artifact)[0])
    assert f"ok.{TAG}" not in found
    assert f"stale.{TAG}.pyc (timestamp-checked" in found
    assert f"other.{OTHER}.pyc" in found and "shared/loose.pyc" in found


def test_precompile_adds_hash_checked_bytecode_and_keeps_everything_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import zipfile

    from devtools import precompile

    artifact = tmp_path / "liverec.zip"
    with zipfile.ZipFile(artifact, "w") as z:
        z.writestr("shared/a.py", "A = 1\n")
        z.writestr("pydantic/b.py", "B = 2\n")
        z.writestr("pydantic/unused.py", "C = 3\n")
        z.writestr("pydantic_core/x.so", b"\x7fELF")
    # Given that serving the samples imports shared/a.py and pydantic/b.py (not unused.py)
    monkeypatch.setattr(
        precompile,
        "modules_to_compile",
        lambda code: {code / "shared" / "a.py", code / "pydantic" / "b.py"},
    )
    if sys.version_info[:2] != precompile.RUNTIME:  # bytecode is the runtime's: any other Python must refuse
        with pytest.raises(RuntimeError, match=r"run this with python3\.\d+ \(the Lambda runtime\)"):
            precompile.precompile(artifact)
        return
    # When the artifact is precompiled (twice: the second run replaces, not duplicates)
    precompile.precompile(artifact)
    count, _ = precompile.precompile(artifact)
    # Then exactly those two gain hash-checked bytecode, and every original file is still there
    with zipfile.ZipFile(artifact) as z:
        names = z.namelist()
        pyc = z.read(f"shared/__pycache__/a.{TAG}.pyc")
    assert count == 2 and len(names) == len(set(names))
    assert {"shared/a.py", "pydantic/b.py", "pydantic/unused.py", "pydantic_core/x.so"} <= set(names)
    assert f"pydantic/__pycache__/b.{TAG}.pyc" in names
    assert not any("unused" in n and n.endswith(".pyc") for n in names)
    assert pyc[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(pyc[4:8], "little") == 0b11


def test_modules_left_out_of_the_artifact_cannot_be_imported_by_any_test() -> None:
    import importlib

    from tests.conftest import NOT_DEPLOYED

    assert "pydantic.v1" in NOT_DEPLOYED and "aws_lambda_powertools.utilities.idempotency" in NOT_DEPLOYED
    for name in NOT_DEPLOYED:
        with pytest.raises(ModuleNotFoundError, match="not deployed"):
            importlib.import_module(name)


def serverless_yml() -> dict[str, Any]:
    """serverless.yml as data (CloudFormation's short tags, e.g. !GetAtt, read as plain values)."""
    from devtools.gateway import load_serverless

    return load_serverless()


def test_every_function_outlasts_live_timeout_and_http_fits_the_gateway() -> None:
    from shared.support.config import Settings
    from shared.support.timeutil import RESERVE

    doc = serverless_yml()
    live_timeout = Settings().timeout  # serverless.yml leaves LIVE_TIMEOUT at its default
    assert "LIVE_TIMEOUT" not in doc["provider"]["environment"]
    for name, function in doc["functions"].items():
        timeout = function.get("timeout", doc["provider"]["timeout"])
        events = function.get("events") or []
        # a create is refused (ConfigError) where LIVE_TIMEOUT and the ledger's writes cannot fit
        assert timeout >= live_timeout + RESERVE, name
        if any("httpApi" in e for e in events):  # HTTP API waits 30 s for an integration
            assert timeout <= 29, name
        if any("schedule" in e for e in events) and name == "rollout":
            assert timeout > 29 and not any("httpApi" in e for e in events)


def _deploy_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Deploying") : readme.index("## Pointing at real Tencent Cloud")]


def _table_rows(section: str, header: str) -> list[list[str]]:
    """The rows of the markdown table whose header line starts with ``header``, as stripped cells."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_deploy_section_names_the_params_and_references_serverless_yml_reads() -> None:
    import re

    from devtools.check_template import SECRETS, STAGE

    params = serverless_yml()["params"]
    section = _deploy_section()
    # every stage param the table documents exists, with the defaults it states for prod
    documented = {
        name for row in _table_rows(section, "| param |") for name in re.findall(r"`([A-Za-z0-9]+)`", row[0])
    }
    assert documented and documented <= set(params["default"])
    # every secret variable has a param and a _REF variable, and the table covers every secret
    secret_rows = _table_rows(section, "| secret variable |")
    assert {row[0].strip("`") for row in secret_rows} == set(SECRETS)
    for variable, _, param, ref in secret_rows:
        assert params["default"][param.strip("`")] == f"${{env:{ref.strip('`')}, ''}}", variable
    # the parameters the walkthrough creates are the ones prod's params point at
    for param in ("tencentSecretKeyRef", "apiTokensRef"):
        name = re.search(r"ssm:(/liverec/prod/[a-z-]+)", params["prod"][param])
        assert name and f"aws ssm put-parameter --name {name.group(1)} " in section
    # the offline commands are the ones the template check runs, at its stage
    assert STAGE == "prod"
    for command in (f"npx serverless print --stage {STAGE}", f"npx serverless package --stage {STAGE}"):
        assert command in section
    # no step puts a secret's value in the environment serverless reads, or deploys to an opt-in region
    commands = "".join(re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL))
    assert "export TENCENTCLOUD_SECRET_KEY=" not in commands and "ap-east-1" not in section
