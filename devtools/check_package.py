"""Check the ``serverless package`` artifact: what must ship does, what must not doesn't, and it runs.

``python -m devtools.check_package [.serverless/liverec.zip]`` exits non-zero with the reasons.

The run check unzips the artifact and serves one sample per function with ``python -S`` and nothing but the
artifact on the path (no site-packages: not the venv's SDK, not its boto3), against the emulator on
127.0.0.1. A runtime import of a development-only package would pass every test in the venv and fail in
Lambda; this is where it shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

HANDLERS = (
    "functions/scheduled/handler.py",
    "functions/realtime/handler.py",
    "functions/tasks/handler.py",
    "functions/webhooks/handler.py",
)
FORBIDDEN_TOPS = ("tests", "devtools", "node_modules", "events", "bench", "boto3", "botocore", "s3transfer")


def problems(artifact: Path) -> tuple[list[str], dict[str, float]]:
    with zipfile.ZipFile(artifact) as z:
        infos = z.infolist()
    names = {i.filename for i in infos}
    found: list[str] = [f"handler missing: {h}" for h in HANDLERS if h not in names]
    tops = Counter(i.filename.split("/", 1)[0] for i in infos)
    found += [
        f"must not ship: {top}/ ({n} files)"
        for top, n in tops.items()
        if top in FORBIDDEN_TOPS or top.startswith(("boto3-", "botocore-"))
    ]
    found += [f"must not ship: {n}" for n in names if n.endswith(".pyc") and "/__pycache__/" in n][:5]
    sizes = {"zipped_mb": artifact.stat().st_size / 1e6, "unzipped_mb": sum(i.file_size for i in infos) / 1e6}
    return found, sizes


# function -> (sample, status) served from the unzipped artifact; the timer ticks answer without a status
SAMPLES: dict[str, list[tuple[str, int | None]]] = {
    "realtime": [("realtime_create", 201)],
    "scheduled": [("scheduled_create", 201), ("scheduled_timer_programs", None)],
    "tasks": [("tasks_list", 200)],
    "webhooks": [("webhooks_callback_stream_begin", 200), ("webhooks_hook_highlight", 201)],
}
RUNNER = """
import importlib, json, sys
event = json.load(open(sys.argv[2], encoding="utf-8"))
class Context:
    function_name = "liverec-artifact"; memory_limit_in_mb = 256; aws_request_id = "artifact"
    invoked_function_arn = "arn:aws:lambda:ap-east-1:000000000000:function:liverec-artifact"
result = importlib.import_module(sys.argv[1]).lambda_handler(event, Context())
heavy = [m for m in ("boto3", "botocore.client", "tencentcloud", "requests") if m in sys.modules]
print(json.dumps({"status": result.get("statusCode"), "failed": result.get("failed"), "heavy": heavy}))
"""


def run_artifact(artifact: Path) -> list[str]:
    """Serve each function's samples from the unzipped artifact; the problems found."""
    from devtools.emulator import Credentials
    from devtools.events import LOCAL_CALLBACK_KEY, LOCAL_CALLBACK_RULES, LOCAL_HOOK_SECRET, load_event

    found: list[str] = []
    creds = Credentials()
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "task"
        with zipfile.ZipFile(artifact) as z:
            z.extractall(code)
        emulator = subprocess.Popen(
            [sys.executable, "-m", "devtools.emulator", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith(("LIVE", "TENCENTCLOUD"))},
        )
        try:
            line = emulator.stdout.readline() if emulator.stdout else ""
            if "listening on" not in line:
                return [f"the emulator did not start: {line!r}"]
            url = line.rsplit(" ", 1)[-1].strip()
            env = {
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": str(code),
                "PYTHONDONTWRITEBYTECODE": "1",
                "LIVE_ENDPOINT": url,
                "TENCENTCLOUD_SECRET_ID": creds.secret_id,
                "TENCENTCLOUD_SECRET_KEY": creds.secret_key,
                "LIVE_DOMAIN": "5000.live.push.com",
                "LIVE_APP": "live",
                "LIVEREC_API_TOKENS": "local-dev-token-0123456789",
                "LIVE_CALLBACK_KEY": LOCAL_CALLBACK_KEY,
                "LIVEREC_CALLBACK_RULES": LOCAL_CALLBACK_RULES,
                "LIVEREC_HOOK_SECRETS": LOCAL_HOOK_SECRET,
                "POWERTOOLS_LOG_LEVEL": "ERROR",
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
            for function, samples in SAMPLES.items():
                for sample, status in samples:
                    event_file = Path(tmp) / f"{sample}.json"
                    event_file.write_text(json.dumps(load_event(sample)), encoding="utf-8")
                    out = subprocess.run(  # noqa: S603 - this interpreter, our runner, our files
                        [
                            sys.executable,
                            "-S",
                            "-c",
                            RUNNER,
                            f"functions.{function}.handler",
                            str(event_file),
                        ],
                        cwd=tmp,
                        env=env,
                        capture_output=True,
                        text=True,
                        timeout=60,
                        check=False,
                    )
                    if out.returncode != 0:
                        found.append(f"{function} {sample}: {out.stderr.strip().splitlines()[-1:]}")
                        continue
                    got = json.loads(out.stdout.strip().splitlines()[-1])
                    if got["status"] != status or got["failed"] or got["heavy"]:
                        found.append(f"{function} {sample} from the artifact: {got}")
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    return found


def main(argv: list[str]) -> int:
    artifact = Path(argv[0] if argv else ".serverless/liverec.zip")
    if not artifact.exists():
        sys.stderr.write(f"no artifact at {artifact}: run `npx serverless package` first\n")
        return 2
    found, sizes = problems(artifact)
    sys.stdout.write(
        f"{artifact}: {sizes['zipped_mb']:.1f} MB zipped, {sizes['unzipped_mb']:.1f} MB unzipped\n"
    )
    if not found:
        ran = run_artifact(artifact)
        served = sum(len(samples) for samples in SAMPLES.values())
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
