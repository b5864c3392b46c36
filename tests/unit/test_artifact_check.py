"""The artifact check (run by every ``serverless package``/``deploy``) is independent of the deployer's
environment, and says what failed in one short line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from devtools.check_package import describe_failure, sample_event
from devtools.events import (
    LOCAL_CALLBACK_KEY,
    LOCAL_HOOK_SECRET,
    callback_sign,
    hook_signature,
    local_defaults,
)
from devtools.runtime import TAG

OTHER = "cpython-310" if TAG != "cpython-310" else "cpython-311"  # native code of another Python


def test_samples_are_signed_with_the_served_keys_not_the_deployers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a deployer who exported the real keys (as the README's deploy steps have them do)
    monkeypatch.setenv("LIVE_CALLBACK_KEY", "deployer-callback-key-0123456789")
    monkeypatch.setenv("LIVEREC_HOOK_SECRETS", "deployer-hook-secret-0123456789,older-hook-secret-0123")
    env = local_defaults()
    # When the check renders the signed samples for the artifact it serves with the local configuration
    callback = sample_event("webhooks_callback_stream_begin", env)
    hook = sample_event("webhooks_hook_highlight", env)
    # Then they are signed with the local keys, which the served artifact verifies
    body = json.loads(callback["body"])
    assert body["sign"] == callback_sign(LOCAL_CALLBACK_KEY, body["t"])
    header = hook["headers"]["liverec-signature"]
    t = int(header.split(",")[0].removeprefix("t="))
    assert header == hook_signature(LOCAL_HOOK_SECRET, t, hook["body"].encode())


def test_a_sample_that_fails_is_one_short_line() -> None:
    files = [f"task/pydantic/module_{i}.py" for i in range(400)]  # what a served sample imported
    refused = {"function": "webhooks", "sample": "webhooks_hook_highlight", "expected": 201}
    line = describe_failure(refused | {"status": 401, "failed": None, "heavy": [], "files": files})
    assert line == "webhooks webhooks_hook_highlight: status 401 (expected 201)"
    crashed = describe_failure(refused | {"error": "ModuleNotFoundError: No module named 'x'" * 50})
    assert crashed.startswith("webhooks webhooks_hook_highlight: ModuleNotFoundError") and len(crashed) < 400


def _elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\0" * 11 + machine.to_bytes(2, "little") + b"\0" * 40


MACHO = b"\xcf\xfa\xed\xfe" + b"\0" * 60


def _artifact(tmp_path: Path, native: dict[str, bytes], architecture: str | None = None) -> Path:
    from devtools.check_package import HANDLERS

    out = tmp_path / "out"
    out.mkdir(parents=True)
    artifact = out / "liverec.zip"
    with zipfile.ZipFile(artifact, "w") as z:
        for name in HANDLERS:
            z.writestr(name, "")
        for name, data in native.items():
            z.writestr(name, data)
    if architecture:
        function = {"Type": "AWS::Lambda::Function", "Properties": {"Architectures": [architecture]}}
        (out / "cloudformation-template-update-stack.json").write_text(
            json.dumps({"Resources": {"ScheduledLambdaFunction": function}})
        )
    return artifact


def test_native_code_is_told_apart_by_its_header_and_its_tag() -> None:
    from devtools.check_package import native_platform

    so = f"pydantic_core/_pydantic_core.{TAG}-{{}}-linux-gnu.so"
    assert native_platform(so.format("x86_64"), _elf(0x3E)) == "linux-x86_64"
    assert native_platform(so.format("aarch64"), _elf(0xB7)) == "linux-arm64"
    assert native_platform(f"pydantic_core/_pydantic_core.{TAG}-darwin.so", MACHO) == "macos"
    assert (
        native_platform("pydantic_core/_pydantic_core.cp311-win_amd64.pyd", b"MZ" + b"\0" * 62) == "windows"
    )
    assert native_platform(so.format("x86_64").replace(TAG, OTHER), _elf(0x3E)).endswith(f"for {OTHER}")
    assert "(named aarch64)" in native_platform(so.format("aarch64"), _elf(0x3E))
    assert native_platform(so.format("aarch64"), b"stub") == "linux-arm64"  # no header: the tag decides
    assert native_platform("lib/libfoo.so", b"stub") == "unknown"


def test_a_zip_with_the_hosts_wheels_fails_the_check(tmp_path: Path) -> None:
    from devtools.check_package import problems

    # Given a zip packaged on a Mac without the platform flags (the host's pydantic_core went in)
    artifact = _artifact(tmp_path, {f"pydantic_core/_pydantic_core.{TAG}-darwin.so": MACHO})
    found = " ".join(problems(artifact, "x86_64")[0])
    assert "native code for macos in an x86_64 artifact" in found and "pipCmdExtraArgs" in found
    # and an x86_64 wheel in a zip deployed as arm64 is refused as well
    x86 = _artifact(tmp_path / "b", {f"pydantic_core/_x.{TAG}-x86_64-linux-gnu.so": _elf(0x3E)})
    assert problems(x86, "x86_64")[0] == []
    assert "native code for linux-x86_64 in an arm64 artifact" in " ".join(problems(x86, "arm64")[0])


def test_an_artifact_this_machine_cannot_run_is_checked_and_said_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from devtools import check_package

    # Given an arm64 artifact (its template says arm64, its wheels are aarch64) on an x86_64 Linux machine
    artifact = _artifact(
        tmp_path / "b", {f"pydantic_core/_x.{TAG}-aarch64-linux-gnu.so": _elf(0xB7)}, "arm64"
    )
    monkeypatch.setattr(check_package, "host_architecture", lambda: "x86_64")
    monkeypatch.setattr(check_package, "run_artifact", lambda artifact: pytest.fail("served"))
    # When it is checked, Then it passes on its contents and says plainly that nothing was served
    assert check_package.main([str(artifact)]) == 0
    out = capsys.readouterr().out
    assert "arm64" in out.splitlines()[0]
    assert "NOT SERVED: an arm64 artifact cannot run on this x86_64 machine" in out
