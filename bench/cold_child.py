"""One cold start: ``python bench/cold_child.py MODULE EVENT_FILE`` imports the handler module, serves the
one prepared event, and prints ``{"import_ms", "first_ms", "status", "peak_rss_kib"}``; with the module
only, it reports ``{"import_ms", "peak_rss_kib"}`` right after the import (bench/instructions.py counts the
import apart from the first request so); with no arguments it only reports its peak RSS (the runner's own
floor). Run as a script with nothing of ours on the path (as
deployed, only the artifact is), so it is stdlib only and adds the same small cost to every stack measured.
With ``--cold-path`` first (bench/cold_path.py), the report also has ``"cpu_ms"``, the CPU time of the import
and the first request together, ``"modules"``, every module they loaded (those not loaded before), and
``"answer"``, what the handler returned.
The Lambda context is the kit's (devtools/kit/context.py, standard library only), loaded by its path before
the clock starts.

Peak RSS is ``VmHWM`` of this process's own memory map, read at the end. Not ``ru_maxrss``: Linux carries
the forking parent's high-water mark across exec into it, and the parent here is the benchmark itself."""

import importlib
import importlib.util
import json
import os
import sys
import time
from typing import Any

KIT_CONTEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "devtools", "kit", "context.py")


def lambda_context() -> Any:
    spec = importlib.util.spec_from_file_location("liverec_kit_context", KIT_CONTEXT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolves the class's module by name
    spec.loader.exec_module(module)
    return module.LambdaContext(function_name="liverec-bench", aws_request_id="bench")


def peak_rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def done(report: dict[str, object]) -> None:
    """Report and leave at once: a Lambda cold start ends when the answer is out, with no interpreter
    teardown; skipping it keeps finalisation time out of every stack's wall time alike."""
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    os._exit(0)


def main(argv: list[str]) -> None:
    if not argv:
        done({"peak_rss_kib": peak_rss_kib()})
    path = argv[0] == "--cold-path"
    argv = argv[1:] if path else argv
    context = lambda_context()
    before = set(sys.modules)
    c0, t0 = time.process_time(), time.perf_counter()
    module = importlib.import_module(argv[0])
    t1, c1 = time.perf_counter(), time.process_time()
    if len(argv) == 1:
        done({"import_ms": 1000 * (t1 - t0), "peak_rss_kib": peak_rss_kib()})
    with open(argv[1], encoding="utf-8") as f:
        event = json.load(f)
    c2, t2 = time.process_time(), time.perf_counter()
    result = module.lambda_handler(event, context)
    t3, c3 = time.perf_counter(), time.process_time()
    report: dict[str, object] = {
        "import_ms": 1000 * (t1 - t0),
        "first_ms": 1000 * (t3 - t2),
        "status": result.get("statusCode") if isinstance(result, dict) else None,
        "peak_rss_kib": peak_rss_kib(),
    }
    if path:
        report["cpu_ms"] = 1000 * (c1 - c0 + c3 - c2)
        report["modules"] = sorted(set(sys.modules) - before)
        report["answer"] = result
    done(report)


if __name__ == "__main__":
    main(sys.argv[1:])
