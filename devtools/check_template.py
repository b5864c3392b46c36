"""Package the service with every secret exported and prove none of their values reaches the template.

``python -m devtools.check_template [--cfn-lint PATH]`` (``make check-template``; CI runs it after
``make package``). Exit 0 when clean, 1 with the reasons.

It copies what ``serverless package`` reads into a temporary directory (node_modules linked, so the repo's
own ``.serverless/`` is left alone) and runs ``npx serverless package --stage prod`` there with:

- each secret variable (TENCENTCLOUD_SECRET_KEY, LIVE_FCGI_KEY, LIVE_CALLBACK_KEY, LIVEREC_API_TOKENS,
  LIVEREC_HOOK_SECRETS, LIVEREC_WEBHOOK_SECRET) exported with a recognisable value, as a deployer who
  followed the old README would have them;
- each secret's reference variable (``<NAME>_REF``) exported where prod's params do not set one;
- every optional part on (the JWT authorizer, CORS, the alarm topic, SnapStart), so all of the template is
  checked; with SnapStart on, each function is published with ``SnapStart: ApplyOn: PublishedVersions``
  behind its alias ``snapstart``, and whatever invokes it (the HTTP API integrations and their permissions,
  the EventBridge targets and theirs, the asynchronous settings) names that alias, never ``$LATEST``.

It also runs the README deploy section's other offline step, ``serverless print --stage prod`` (it must
resolve without AWS and show references only), and packages for arm64 (aarch64 wheels, checked as such on any machine).

Then it searches the template, the service state, every file in the zip and the command's own output for
those values (none may appear), checks each function's secret variables are references to this stage's
prefixes, and runs cfn-lint on the template when given one. The package step itself serves the samples from
the artifact (devtools/precompile.py): that it passes with the secrets exported is part of the check.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from devtools.check_package import main as check_package_main
from devtools.check_package import native_code

ROOT = Path(__file__).resolve().parent.parent
STAGE = "prod"
SECRETS = (
    "TENCENTCLOUD_SECRET_KEY",
    "LIVE_FCGI_KEY",
    "LIVE_CALLBACK_KEY",
    "LIVEREC_API_TOKENS",
    "LIVEREC_HOOK_SECRETS",
    "LIVEREC_WEBHOOK_SECRET",
)
# the references prod's params do not set themselves (tencent-secret-key and api-tokens they do)
REFERENCES = {
    "LIVE_FCGI_KEY_REF": f"ssm:/liverec/{STAGE}/fcgi-key",
    "LIVE_CALLBACK_KEY_REF": f"ssm:/liverec/{STAGE}/callback-key",
    "LIVEREC_HOOK_SECRETS_REF": f"secretsmanager:liverec/{STAGE}/hook-secrets",
    "LIVEREC_WEBHOOK_SECRET_REF": f"secretsmanager:liverec/{STAGE}/webhook-secret",
}
PARAMS = (
    "jwtIssuer=https://auth.example.com/",
    "corsOrigins=https://console.example.com",
    "alarmEmail=ops@example.com",
    "snapStart=true",
)
# the alias osls makes for a SnapStart function (its naming: getLambdaSnapStartEnabledAliasName)
ALIAS = "snapstart"
REFERENCE = re.compile(rf"^(ssm:/liverec/{STAGE}/|secretsmanager:liverec/{STAGE}/)[A-Za-z0-9_./-]+$")
COPIED = ("serverless.yml", "package.json", "requirements", "functions", "shared", "devtools", "events")


def canaries() -> dict[str, str]:
    """A recognisable, valid-looking value per secret (16+ characters, as the settings require)."""
    return {name: f"LEAK-{name}-{secrets.token_hex(8)}" for name in SECRETS}


def leaks(values: dict[str, str], where: dict[str, bytes]) -> list[str]:
    """Which secret's value appears in which of ``where`` (name -> content)."""
    return [
        f"{name}'s value is in {place}"
        for place, content in where.items()
        for name, value in values.items()
        if value.encode() in content
    ]


def reference_problems(template: dict[str, Any]) -> list[str]:
    """Secret variables of the template's functions that are set to anything but a reference."""
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name in SECRETS:
            value = variables.get(name)
            if value not in (None, "") and not (isinstance(value, str) and REFERENCE.match(value)):
                found.append(
                    f"{logical_id} {name} is not a reference to /liverec/{STAGE}/ (ssm: or secretsmanager:)"
                )
    return found


def _alias_target(value: Any) -> str | None:
    """The function whose alias ``value`` names (``Fn::Join`` of its ARN and ``snapstart``), or None."""
    match value:
        case {"Fn::Join": [":", [{"Fn::GetAtt": [str(function), "Arn"]}, str(alias)]]} if alias == ALIAS:
            return function
    return None


def snapstart_problems(template: dict[str, Any]) -> list[str]:
    """With SnapStart on: each function published with SnapStart behind its alias, and every invoker (HTTP
    API integrations, EventBridge targets, permissions, asynchronous settings) naming that alias."""
    resources: dict[str, Any] = template.get("Resources", {})
    by_type: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        by_type.setdefault(resource.get("Type", ""), {})[logical_id] = resource.get("Properties", {})
    functions = set(by_type.get("AWS::Lambda::Function", {}))
    found = [
        f"{f} has no SnapStart ApplyOn PublishedVersions"
        for f, props in by_type.get("AWS::Lambda::Function", {}).items()
        if props.get("SnapStart") != {"ApplyOn": "PublishedVersions"}
    ]
    aliased = {
        props.get("FunctionName", {}).get("Ref")
        for props in by_type.get("AWS::Lambda::Alias", {}).values()
        if props.get("Name") == ALIAS and "Fn::GetAtt" in props.get("FunctionVersion", {})
    }
    found += [f"{f} has no alias {ALIAS} on a published version" for f in sorted(functions - aliased)]
    invokers = [
        *(
            (i, "IntegrationUri", p.get("IntegrationUri"))
            for i, p in by_type.get("AWS::ApiGatewayV2::Integration", {}).items()
        ),
        *(
            (i, "FunctionName", p.get("FunctionName"))
            for i, p in by_type.get("AWS::Lambda::Permission", {}).items()
        ),
        *(
            (i, "Targets", target.get("Arn"))
            for i, p in by_type.get("AWS::Events::Rule", {}).items()
            for target in p.get("Targets", [])
        ),
    ]
    found += [
        f"{i} {field} does not name a function's alias {ALIAS}"
        for i, field, v in invokers
        if _alias_target(v) not in functions
    ]
    found += [
        f"{i} (asynchronous settings) is not on the alias {ALIAS}"
        for i, p in by_type.get("AWS::Lambda::EventInvokeConfig", {}).items()
        if p.get("Qualifier") != ALIAS
    ]
    return found


def copy_service(workdir: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, workdir / name)
    (workdir / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)


def serverless(workdir: Path, values: dict[str, str], *args: str) -> tuple[int, str]:
    """``npx serverless ARGS --stage prod`` in ``workdir`` with the secrets (and references) exported."""
    env = {
        **os.environ,
        **values,
        **REFERENCES,
        # this interpreter's venv first: make runs this with the runtime's (python3.13 for the precompile step)
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
    }
    command = ["npx", "serverless", *args, "--stage", STAGE, *(f"--param={p}" for p in PARAMS)]
    proc = subprocess.run(  # noqa: S603 - npx from PATH, as the Makefile runs it
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


def check(cfn_lint: str | None) -> list[str]:
    values = canaries()
    with tempfile.TemporaryDirectory(prefix="liverec-check-template-") as tmp:
        workdir, out = Path(tmp) / "service", Path(tmp) / "out"
        workdir.mkdir()
        copy_service(workdir)
        code, output = serverless(workdir, values, "package", "--package", str(out))
        found = leaks(values, {"the output of serverless package": output.encode()})
        if code != 0:
            tail = "\n    ".join(output.strip().splitlines()[-15:])
            return [
                *found,
                f"serverless package failed with every secret exported (exit {code}):\n    {tail}",
            ]
        template_path = out / "cloudformation-template-update-stack.json"
        where = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"}
        with zipfile.ZipFile(out / "liverec.zip") as z:
            files = {f"liverec.zip:{i.filename}": z.read(i) for i in z.infolist()}
        where |= files
        found += leaks(values, where)
        template = json.loads(template_path.read_text())
        found += reference_problems(template) + snapstart_problems(template)
        if cfn_lint:
            lint = subprocess.run(  # noqa: S603 - the linter make installed
                [cfn_lint, "--", str(template_path)], cwd=ROOT, capture_output=True, text=True, check=False
            )
            if lint.returncode != 0:
                found.append(f"cfn-lint on the prod template with every option on:\n{lint.stdout.strip()}")
        # the README deploy section's offline steps: `serverless print` resolves offline, and shows references only
        code, printed = serverless(workdir, values, "print")
        found += leaks(values, {"the output of serverless print": printed.encode()})
        if code != 0 or f"ssm:/liverec/{STAGE}/tencent-secret-key" not in printed:
            found.append(f"serverless print --stage {STAGE} failed offline (exit {code}): {printed[-500:]}")
        # arm64, as offered: packaged with aarch64 wheels on any machine, and checked
        arm = Path(tmp) / "arm64"
        code, output = serverless(workdir, {}, "package", "--package", str(arm), "--param=architecture=arm64")
        native = set(native_code(arm / "liverec.zip")) if code == 0 else set()
        if native != {"linux-arm64"} or check_package_main([str(arm / "liverec.zip")]) != 0:
            found.append(f"arm64 package: exit {code}, native code {sorted(native)}: {output[-500:]}")
        sys.stdout.write(
            f"check-template: packaged --stage {STAGE} with {len(values)} secrets exported; searched the "
            f"templates and the service state, the {len(files)} files of the zip and the output: "
            f"{'no secret value' if not found else 'FAIL'}{'; cfn-lint clean' if cfn_lint and not found else ''}\n"
        )
    return found


def main(argv: list[str]) -> int:
    cfn_lint = argv[argv.index("--cfn-lint") + 1] if "--cfn-lint" in argv else None
    found = check(cfn_lint)
    for line in found:
        sys.stdout.write(f"  FAIL {line}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
