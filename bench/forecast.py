"""The programs' forecast at scale: CPU a ``GET /programs/forecast`` (7 and 31 days) and a ``PUT
/programs/{name}`` (replacing one) take with 10, 1,000 and 10,000 stored programs, through the scheduled
function's handler in this process (the in-process store: the reads a DynamoDB store adds, one query per 500
programs, are not in these figures), against the emulator. The PUT is measured without a limit (record-task:
nothing is read, nothing counted) and with one (live-record, 400: every stored program read and its next 7 days
counted). Programs are daily, an hour long, at one of 24 hours (so a peak of about programs / 24). A forecast
of more than 100,000 recordings is refused (422, naming days): shown as such, with the CPU it took to say so.

    python -m bench.forecast            # writes bench/FORECAST.md (machine, method, figures)
    python -m bench.forecast --smoke    # 10 and 200 programs, printed
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, emulator, environment, function_env, machine, median, table

TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 - a local bearer token for the local routes
SIZES = (10, 1000, 10_000)
SMOKE_SIZES = (10, 200)
ROUNDS = 5


def body(i: int) -> dict[str, Any]:
    return {"stream": f"s{i}", "cron": f"0 {i % 24} * * *", "timezone": "UTC", "duration": 3600}


def cpu_ms(call: Any) -> str:
    """The median CPU of ``ROUNDS`` calls (each must answer 200 or 201; a 422 is shown as such)."""
    spent = []
    for _ in range(ROUNDS):
        c0 = time.process_time()
        answer = call()
        spent.append((time.process_time() - c0) * 1000)
        if answer["statusCode"] == 422:
            return f"422 ({median(spent):.0f} ms)"
        if answer["statusCode"] not in (200, 201):
            raise RuntimeError(f"answered {answer['statusCode']}: {answer.get('body', '')[:300]}")
    return f"{median(spent):.1f} ms"


def measure(total: int) -> dict[str, str]:
    from devtools.gateway import Routes
    from devtools.kit import LambdaContext, http_event
    from shared.app import program_store
    from shared.recordings.catalog import to_json
    from shared.recordings.programs import Program

    routes = Routes.from_serverless()
    store = program_store()
    for i in range(total):  # stored directly: what is measured is the read and the count
        program = Program.model_validate(body(i) | {"name": f"p{i:05d}"})
        store.put(f"p{i:05d}", to_json(program), time.time(), due=0.0)

    def get(days: int) -> Any:
        event = http_event("GET", "/programs/forecast", query={"days": str(days)}, token=TOKEN)
        return routes.dispatch(event, LambdaContext())

    def put() -> Any:
        return routes.dispatch(http_event("PUT", "/programs/p00000", body(0), token=TOKEN), LambdaContext())

    return {"get7": cpu_ms(lambda: get(7)), "get31": cpu_ms(lambda: get(31)), "put": cpu_ms(put)}


def run(smoke: bool = False) -> str:
    rows = []
    for total in SMOKE_SIZES if smoke else SIZES:
        found = {}
        for api in ("record-task", "live-record"):
            with (
                emulator() as emu,
                environment(function_env(emu.base_url, LIVE_API=api, LIVEREC_API_TOKENS=TOKEN)),
            ):
                found[api] = measure(total)
        live = found["live-record"]
        rows.append(
            [
                f"{total:,}",
                live["get7"],
                live["get31"],
                found["record-task"]["put"],
                live["put"],
            ]
        )
    figures = table(
        ["programs", "GET forecast, 7 days", "GET forecast, 31 days", "PUT, no limit", "PUT, limit 400"], rows
    )
    where = machine()
    load = os.getloadavg()[0]
    return (
        f"# The programs' forecast\n\nWritten by `python -m bench.forecast` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {where.get('cpu')}, {where.get('cores')} cores, "
        f"Python {sys.version.split()[0]}, commit {where.get('commit')}, load average {load:.1f} at the end (other "
        f"work on the machine slows CPU time too). CPU time (`time.process_time`), median of {ROUNDS} requests "
        "each.\n\n" + __doc__.split("\n\n")[0].replace("\n", " ") + "\n\n" + figures + "\n"
    )


if __name__ == "__main__":
    smoke = "--smoke" in sys.argv
    report = run(smoke)
    if smoke:
        print(report)
    else:
        (ROOT / "bench" / "FORECAST.md").write_text(report, encoding="utf-8")
        print(report)
