"""Check the ``serverless package`` artifact: what must ship does, what must not doesn't, and it runs.

``python -m devtools.check_package [.serverless/liverec.zip]`` exits non-zero with the reasons.

The run check unzips the artifact and serves one sample per function with ``python -S`` and nothing but the
artifact on the path (no site-packages: not the venv's SDK, not its boto3), against the emulator on
127.0.0.1. A runtime import of a development-only package would pass every test in the venv and fail in
Lambda; this is where it shows. :func:`serve_samples` also reports which modules each run imported, which
is what ``devtools.precompile`` compiles ahead of time.

Native code is checked against the function architecture the template beside the zip declares
(``Architectures``; serverless.yml's ``architecture`` param, x86_64 by default): every extension module
must be a Linux build for that CPU and for the runtime's CPython (devtools.runtime; a zip built on macOS or Windows without the
platform flags in ``pythonRequirements.pipCmdExtraArgs`` would carry the host's ``pydantic_core``). The
samples are served only where this machine can run that code (Linux, same CPU, the runtime's Python); elsewhere
(an arm64 zip on an x86_64 machine) the check says so and checks the contents alone.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from devtools import runtime

HANDLERS = (
    "functions/scheduled/handler.py",
    "functions/rollout/handler.py",
    "functions/realtime/handler.py",
    "functions/tasks/handler.py",
    "functions/webhooks/handler.py",
)
FORBIDDEN_TOPS = (
    *("tests", "devtools", "node_modules", "events", "bench", "boto3", "botocore", "s3transfer"),
    # the Tencent SDK's client stack: only tencentcloud.common.sign is deployed and imported
    *("requests", "urllib3", "certifi", "charset_normalizer", "idna"),
)
# Everything the zip may hold at its top: what is not here is refused, so a stray file (the requirements
# plugin's requirements.txt, a wheel's bin/ scripts) fails the check. A new runtime dependency adds its
# import names here, where the review sees them.
ALLOWED_TOPS = frozenset(
    {
        *("functions", "shared"),  # ours (serverless.yml package.patterns)
        *("aws_lambda_powertools", "jmespath"),  # powertools and its one dependency
        *("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions.py"),
        *("cronsim", "tencentcloud"),
        # the iCalendar import (loaded only for a text/calendar PUT) and its dependencies
        *("icalendar", "dateutil", "six.py", "tzdata"),
        "__pycache__",  # the top-level modules' hash-checked bytecode (devtools/precompile.py)
    }
)
RUNTIME_TAG = runtime.TAG  # provider.runtime: bytecode for any other version is dead weight


# ELF e_machine -> Lambda's name for the architecture
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}
# the CPU name in CPython's extension suffix (``.cpython-311-x86_64-linux-gnu.so``) -> Lambda's name
SUFFIX_MACHINES = {"x86_64": "x86_64", "aarch64": "arm64"}
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")


def native_platform(name: str, head: bytes) -> str:
    """Where an extension module or shared library can run, from its header: ``linux-x86_64``,
    ``linux-arm64``, ``macos``, ``windows``, or ``unknown`` (a Linux file name's tag decides where there is
    no header); `` for cpython-3XX`` is appended when the file
    name carries another Python's tag than the runtime's, `` (named ...)`` when the name's CPU is not the
    header's."""
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        order: Any = "little" if head[5] == 1 else "big"
        where = f"linux-{ELF_MACHINES.get(int.from_bytes(head[18:20], order), 'unknown')}"
    elif head[:4] in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe", b"\xce\xfa\xed\xfe"):
        where = "macos"
    elif head[:2] == b"MZ":
        where = "windows"
    else:
        where = "unknown"
    tag = re.search(r"\.cpython-(\d+)-([a-z0-9_]+)-linux", name)
    if tag and where == "unknown" and tag.group(2) in SUFFIX_MACHINES:
        where = f"linux-{SUFFIX_MACHINES[tag.group(2)]}"  # no header to read (a stub): its tag decides
    if tag and where.startswith("linux-") and SUFFIX_MACHINES.get(tag.group(2), where[6:]) != where[6:]:
        where += f" (named {tag.group(2)})"  # a file name and a header that disagree
    if tag and f"cpython-{tag.group(1)}" != RUNTIME_TAG:
        where += f" for cpython-{tag.group(1)}"
    return where


def native_code(artifact: Path) -> dict[str, list[str]]:
    """The artifact's native files grouped by :func:`native_platform`."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(artifact) as z:
        for info in z.infolist():
            if info.filename.endswith(NATIVE_SUFFIXES) or ".so." in info.filename:
                with z.open(info) as f:
                    head = f.read(20)
                found.setdefault(native_platform(info.filename, head), []).append(info.filename)
    return found


def host_architecture() -> str | None:
    """This machine's CPU in Lambda's words, where it is Linux (the only place a Lambda zip's native code
    loads); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)


def why_not_runnable_here(architecture: str) -> str | None:
    """None when this machine can serve an artifact built for ``architecture``; otherwise why not."""
    host = host_architecture()
    if host is None:
        return f"this {sys.platform} machine cannot load a Lambda zip's Linux native code"
    if host != architecture:
        return f"an {architecture} artifact cannot run on this {host} machine"
    if sys.version_info[:2] != runtime.VERSION:
        here = f"{sys.version_info[0]}.{sys.version_info[1]}"
        return f"this is Python {here}, the artifact's native code is for {runtime.DOTTED}"
    return None


def declared_architecture(artifact: Path) -> str:
    """The functions' architecture in the template ``serverless package`` wrote beside the zip (x86_64
    when there is none, or it names none)."""
    template = artifact.parent / "cloudformation-template-update-stack.json"
    if not template.exists():
        return "x86_64"
    resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
    found = {
        arch
        for resource in resources.values()
        if resource.get("Type") == "AWS::Lambda::Function"
        for arch in resource.get("Properties", {}).get("Architectures", ["x86_64"])
    }
    return found.pop() if len(found) == 1 else "x86_64"


def native_problems(artifact: Path, architecture: str) -> list[str]:
    """Native code that is not a Linux build for ``architecture`` and the runtime's CPython, per platform."""
    return [
        f"native code for {where} in an {architecture} artifact (wheels for the wrong platform: "
        f"pythonRequirements.pipCmdExtraArgs): {', '.join(sorted(files)[:3])}"
        + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        for where, files in sorted(native_code(artifact).items())
        if where != f"linux-{architecture}"
    ]


def trimmed_modules(serverless_yml: str) -> list[str]:
    """The packages serverless.yml's ``slimPatterns`` leave out of the artifact (``**/pkg/sub/**`` ->
    ``pkg.sub``); patterns for single files (assets) are not modules."""
    found = re.findall(r'^\s*-\s*"\*\*/([A-Za-z0-9_/]+)/\*\*"\s*$', serverless_yml, flags=re.MULTILINE)
    return [path.replace("/", ".") for path in found]


def pyc_problem(name: str, data: bytes) -> str | None:
    """Bytecode may ship only as the runtime's hash-checked kind: Lambda's /var/task is read-only and
    serverless zips every file with one fixed mtime, so timestamp-checked .pyc never validate there."""
    if "/__pycache__/" not in f"/{name}" or f".{RUNTIME_TAG}." not in name:
        return f"must not ship: {name} (not {RUNTIME_TAG} bytecode in __pycache__)"
    flags = int.from_bytes(data[4:8], "little")
    if data[:4] != importlib.util.MAGIC_NUMBER and sys.version_info[:2] == runtime.VERSION:
        return f"must not ship: {name} (bytecode of another Python)"
    if flags & 0b11 != 0b11:
        return f"must not ship: {name} (timestamp-checked bytecode: stale once zipped)"
    return None


PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def release() -> str:
    """pyproject.toml's [project] version: the release, which the code and the artifact must declare."""
    return str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])


def shipped_release(z: zipfile.ZipFile) -> str | None:
    """The release the zipped code declares (``shared.__version__``); None when it declares none."""
    try:
        text = z.read("shared/__init__.py").decode("utf-8")
    except KeyError:
        return None
    found = re.search(r'^__version__ = "([^"]+)"$', text, flags=re.MULTILINE)
    return found.group(1) if found else None


def problems(artifact: Path, architecture: str = "x86_64") -> tuple[list[str], dict[str, float]]:
    with zipfile.ZipFile(artifact) as z:
        infos = z.infolist()
        pycs = [(i.filename, z.read(i.filename)[:16]) for i in infos if i.filename.endswith(".pyc")]
        shipped = shipped_release(z)
    names = {i.filename for i in infos}
    found: list[str] = [f"handler missing: {h}" for h in HANDLERS if h not in names]
    if "shared/__init__.py" in names and shipped != release():
        found.append(f"the zipped code is release {shipped}, pyproject.toml's is {release()}")
    tops = Counter(i.filename.split("/", 1)[0] for i in infos)
    found += [
        f"must not ship: {top}/ ({n} files)"
        for top, n in tops.items()
        if top in FORBIDDEN_TOPS or top.startswith(("boto3-", "botocore-"))
    ]
    folders = {name.split("/", 1)[0] for name in names if "/" in name}
    found += [
        f"must not ship: {top}{'/' if top in folders else ''} ({n} files): not in the artifact's list "
        "(devtools/check_package.py ALLOWED_TOPS)"
        for top, n in sorted(tops.items())
        if top not in ALLOWED_TOPS
        and top not in FORBIDDEN_TOPS
        and not top.startswith(("boto3-", "botocore-"))
    ]
    found += [p for p in (pyc_problem(name, head) for name, head in pycs) if p][:5]
    found += native_problems(artifact, architecture)
    sizes = {"zipped_mb": artifact.stat().st_size / 1e6, "unzipped_mb": sum(i.file_size for i in infos) / 1e6}
    return found, sizes


# function -> (sample, status) served from the unzipped artifact; the timer ticks answer without a status
SAMPLES: dict[str, list[tuple[str, int | None]]] = {
    "realtime": [("realtime_create", 201)],
    "scheduled": [("scheduled_create", 201), ("scheduled_program_put", 201)],
    "rollout": [("rollout_timer_programs", None)],
    "tasks": [("tasks_list", 200), ("tasks_get_unknown", 404)],
    "webhooks": [("webhooks_callback_stream_begin", 200), ("webhooks_hook_highlight", 201)],
}
KIT_CONTEXT = Path(__file__).resolve().parent / "kit" / "context.py"  # standard library only
RUNNER = """
import importlib, importlib.util, json, sys
event = json.load(open(sys.argv[2], encoding="utf-8"))
spec = importlib.util.spec_from_file_location("liverec_kit_context", sys.argv[4])  # the kit's, by its path
kit = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kit)
context = kit.LambdaContext(function_name="liverec-artifact", aws_request_id="artifact")
result = importlib.import_module(sys.argv[1]).lambda_handler(event, context)
heavy = [m for m in ("boto3", "botocore.client", "tencentcloud.common.abstract_client", "tencentcloud.live", "requests") if m in sys.modules]
files = sorted({f for m in list(sys.modules.values()) if (f := getattr(m, "__file__", None) or "").startswith(sys.argv[3])})
print(json.dumps({"status": result.get("statusCode"), "failed": result.get("failed"), "heavy": heavy, "files": files}))
"""


def sample_event(sample: str, env: dict[str, str]) -> dict[str, Any]:
    """``sample`` rendered and signed with the keys in ``env``, the environment the artifact is served with.

    Never with the caller's own: a deployer who exported ``LIVE_CALLBACK_KEY`` or ``LIVEREC_HOOK_SECRETS``
    (``serverless deploy`` runs this check) would otherwise sign the samples with the real key while the
    artifact verifies them with the local one, and every signed sample would be refused (401)."""
    from devtools.events import load_event

    secrets = [s.strip() for s in env["LIVEREC_HOOK_SECRETS"].split(",") if s.strip()]
    return load_event(sample, callback_key=env["LIVE_CALLBACK_KEY"], hook_secret=secrets[0])


def describe_failure(result: dict[str, Any]) -> str:
    """One short line for a sample that could not be served (never the list of files it imported)."""
    where = f"{result['function']} {result['sample']}"
    if "error" in result:
        return f"{where}: {result['error'][:300]}"
    detail = f"status {result.get('status')} (expected {result['expected']})"
    if result.get("failed"):
        detail += f", failed {str(result['failed'])[:200]}"
    if result.get("heavy"):
        detail += f", loaded {', '.join(result['heavy'])}"
    return f"{where}: {detail}"


def serve_samples(code: Path) -> list[dict[str, Any]]:
    """Serve every sample from the unzipped artifact in ``code`` with ``python -S`` (nothing else on the
    path, no bytecode written). One result per sample: expected and actual status, errors, heavy modules
    loaded, and the files under ``code`` it imported."""
    from devtools.emulator import emulator_process
    from devtools.events import emulator_settings, local_defaults
    from devtools.fakenow import carried

    results: list[dict[str, Any]] = []
    with emulator_process() as url, tempfile.TemporaryDirectory() as tmp:
        env = (
            local_defaults()
            | emulator_settings(url)
            | {
                "PATH": os.environ.get("PATH", ""),
                **carried(),  # a run at a chosen instant (devtools.fakenow): the functions read it too
                "PYTHONPATH": str(code),
                "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's /var/task is read-only
                "POWERTOOLS_LOG_LEVEL": "ERROR",
            }
        )
        for function, samples in SAMPLES.items():
            for sample, status in samples:
                event_file = Path(tmp) / f"{sample}.json"
                event_file.write_text(json.dumps(sample_event(sample, env)), encoding="utf-8")
                out = subprocess.run(  # noqa: S603 - this interpreter, our runner, our files
                    [
                        sys.executable,
                        "-S",
                        "-c",
                        RUNNER,
                        f"functions.{function}.handler",
                        str(event_file),
                        str(code),
                        str(KIT_CONTEXT),
                    ],
                    cwd=tmp,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                result: dict[str, Any] = {"function": function, "sample": sample, "expected": status}
                if out.returncode != 0:
                    result["error"] = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
                else:
                    result |= json.loads(out.stdout.strip().splitlines()[-1])
                results.append(result)
    return results


def run_artifact(artifact: Path) -> list[str]:
    """Serve each function's samples from the unzipped artifact; the problems found."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "task"
        with zipfile.ZipFile(artifact) as z:
            z.extractall(code)
        for r in serve_samples(code):
            if "error" in r or r["status"] != r["expected"] or r["failed"] or r["heavy"]:
                found.append(f"from the artifact: {describe_failure(r)}")
    return found


def main(argv: list[str]) -> int:
    """``python -m devtools.check_package [ZIP] [--architecture x86_64|arm64]`` (the architecture defaults
    to the one the template beside the zip declares)."""
    args = list(argv)
    architecture = None
    if "--architecture" in args:
        at = args.index("--architecture")
        architecture = args[at + 1]
        del args[at : at + 2]
    artifact = Path(args[0] if args else ".serverless/liverec.zip")
    if not artifact.exists():
        sys.stderr.write(f"no artifact at {artifact}: run `npx serverless package` first\n")
        return 2
    architecture = architecture or declared_architecture(artifact)
    found, sizes = problems(artifact, architecture)
    with zipfile.ZipFile(artifact) as z:
        shipped = shipped_release(z)
    sys.stdout.write(
        f"{artifact}: liverec {shipped}, {architecture}, {sizes['zipped_mb']:.1f} MB zipped, {sizes['unzipped_mb']:.1f} MB unzipped\n"
    )
    if not found:
        served = sum(len(samples) for samples in SAMPLES.values())
        reason = why_not_runnable_here(architecture)
        if reason:
            sys.stdout.write(
                f"  NOT SERVED: {reason}, so the {served} samples were not run from it; its contents and "
                f"native code were checked (linux-{architecture}, {RUNTIME_TAG}). Serve them on a "
                f"Linux {architecture} machine to check it runs.\n"
            )
        else:
            ran = run_artifact(artifact)
            sys.stdout.write(
                f"  ran {served} samples from the unzipped artifact with python -S: "
                f"{'ok' if not ran else 'FAIL'}\n"
            )
            found += ran
    for line in found:
        sys.stdout.write(f"  FAIL {line}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
