"""One cold start: ``python -m bench.cold_child MODULE EVENT_FILE``. Imports the handler module, serves the
one prepared event, and prints ``{"import_ms", "first_ms", "status", "peak_rss_kib"}``; with no arguments it
only reports its peak RSS (the floor). Kept to the stdlib so the runner adds the same small cost to every
stack it measures.

Peak RSS is ``VmHWM`` of this process's own memory map, read at the end. Not ``ru_maxrss``: Linux carries
the forking parent's high-water mark across exec into it, and the parent here is the benchmark itself."""

import importlib
import json
import os
import sys
import time


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


if len(sys.argv) < 2:
    done({"peak_rss_kib": peak_rss_kib()})

t0 = time.perf_counter()
module = importlib.import_module(sys.argv[1])
t1 = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as f:
    event = json.load(f)


class Context:
    function_name = "liverec-bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ap-east-1:000000000000:function:liverec-bench"
    aws_request_id = "bench"


t2 = time.perf_counter()
result = module.lambda_handler(event, Context())
t3 = time.perf_counter()
status = result.get("statusCode") if isinstance(result, dict) else None
done(
    {
        "import_ms": 1000 * (t1 - t0),
        "first_ms": 1000 * (t3 - t2),
        "status": status,
        "peak_rss_kib": peak_rss_kib(),
    }
)
