"""``make run``'s programs loop, end to end over HTTP through the local gateway: a program stored with
``PUT /programs/{name}``, a timer tick books it, the forecast counts it, a highlight is created on its stream,
the stream's push ends so the emulator sends Tencent's record-file callback, and ``GET /recordings/{task_id}``
shows the file's URL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from devtools.emulator import Emulator
from devtools.events import LOCAL_TOKEN
from devtools.kit import poll_until
from devtools.kit.invocations import eventbridge_event

PROGRAM = "demo-show"
# not a live* stream: the local callback rule records those on push; this one is the program's
DOMAIN, APP, STREAM = "5000.live.push.com", "live", "demoshow"
BODY = {"stream": STREAM, "cron": "0 12 * * *", "timezone": "UTC", "duration": 3600}


def call(gateway: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local gateway
        gateway + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {LOCAL_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def forecast_step(gateway: str) -> tuple[bool, str]:
    """The stored programs' recordings at once over the next day: the program's 12:00 UTC hour is in it."""
    status, found = call(gateway, "GET", "/programs/forecast?days=1")
    if status != 200 or not isinstance(found, dict):
        return False, f"GET /programs/forecast?days=1 -> {status}"
    limit = f"limit {found['limit']}" if found["limit"] is not None else "no limit: LIVEREC_CONCURRENT_LIMIT"
    return (
        found["peak"] >= 1,
        f"GET /programs/forecast?days=1 -> {status}, peak {found['peak']} at {found['peak_hour']}, "
        f"{len(found['over'])} hour(s) over ({limit})",
    )


def program_loop(gateway: str, emulator: Emulator, timeout: float = 20.0) -> bool:
    """Each step printed with ok/BAD; True when the file's URL came back from GET /recordings/{task_id}."""
    print(f"the programs loop: program {PROGRAM} on {STREAM}, over HTTP")
    steps: list[tuple[bool, str]] = []
    status, program = call(gateway, "PUT", f"/programs/{PROGRAM}", BODY)
    steps.append(
        (
            status in (200, 201),
            f"PUT /programs/{PROGRAM} -> {status}, the next tick books "
            f"{program.get('next_tick_books') if isinstance(program, dict) else '?'}",
        )
    )
    status, report = call(gateway, "POST", "/_tick", eventbridge_event())  # a bare timer tick
    booked = (
        [c for c in report.get("created", []) if c["stream"] == STREAM] if isinstance(report, dict) else []
    )
    _, shown = call(gateway, "GET", f"/programs/{PROGRAM}")
    all_booked = isinstance(shown, dict) and all(o["booked"] for o in shown.get("occurrences", []))
    steps.append((bool(booked) and all_booked, f"a timer tick booked {len(booked)} of its occurrences"))
    steps.append(forecast_step(gateway))
    emulator.callbacks.push_begin(DOMAIN, APP, STREAM)
    status, highlight = call(gateway, "POST", "/recordings/realtime", {"stream": STREAM, "duration": 120})
    task_id = highlight.get("task_id") if isinstance(highlight, dict) else None
    steps.append(
        (status == 201 and task_id is not None, f"a highlight on {STREAM} -> {status} task {task_id}")
    )
    started = poll_until(
        lambda: any(d.body.get("session_id") == task_id for d in emulator.callbacks.deliveries(332)),
        timeout,
    )
    emulator.callbacks.push_end(DOMAIN, APP, STREAM)

    def file_url() -> str | None:
        code, recording = call(gateway, "GET", f"/recordings/{task_id}")
        files = recording.get("files") if code == 200 and isinstance(recording, dict) else None
        return str(files[-1]["url"]) if files else None

    url = poll_until(file_url, timeout) if started and task_id else None
    steps.append((url is not None, "push ended -> Tencent's record-file callback -> kept in the ledger"))
    steps.append((url is not None, f"GET /recordings/{task_id} shows the file: {url}"))
    status, _ = call(gateway, "DELETE", f"/programs/{PROGRAM}?cancel=future")
    steps.append((status == 200, f"DELETE /programs/{PROGRAM}?cancel=future -> {status}"))
    for ok, step in steps:
        print(f"  {'ok ' if ok else 'BAD'} {step}")
    return all(ok for ok, _ in steps)
