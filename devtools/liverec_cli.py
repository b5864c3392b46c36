"""The operators' CLI (a dev/ops tool, never deployed): what the programs will record, what is recording, a
recording's files, and a timer tick with a progress line. It talks to a deployed API (``--url``) or the local
gateway of ``make run`` (the default), with the bearer token from ``LIVEREC_TOKEN`` (never printed).

    python -m devtools.liverec_cli programs          # the stored programs, what the next tick books
    python -m devtools.liverec_cli upcoming          # their occurrences in the next 24 h, soonest first
    python -m devtools.liverec_cli recording-now     # their occurrences recording now
    python -m devtools.liverec_cli files TASK_ID     # a recording's state and the files Tencent reported
    python -m devtools.liverec_cli tick              # the local gateway's timer tick, with progress
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from devtools.kit.invocations import eventbridge_event

DEFAULT_URL = "http://127.0.0.1:3000"


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        text = f"{error.get('code')}: {error.get('message')}" if isinstance(error, dict) else str(body)[:200]
        super().__init__(f"HTTP {status} {text}")
        self.status = status


class Client:
    def __init__(self, url: str, token: str | None, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise SystemExit(f"--url must be http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - http(s) only
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - the operator's URL
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            raise ApiError(exc.code, _json(raw)) from None
        return _json(raw)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def programs(client: Client) -> list[dict[str, Any]]:
    """Every stored program, page after page (``GET /programs``, 100 a page)."""
    found: list[dict[str, Any]] = []
    query = "limit=100"
    while True:
        page = client.call("GET", f"/programs?{query}")
        found += page["programs"]
        if not page.get("next"):
            return found
        query = urllib.parse.urlencode({"limit": 100, "next": page["next"]})


def occurrences(client: Client) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every stored program's occurrences in the horizon (as ``GET /programs/{name}`` shows them: at most 50
    each), soonest first."""
    found = []
    for summary in programs(client):
        view = client.call("GET", f"/programs/{urllib.parse.quote(summary['name'], safe='')}")
        found += [(view, o) for o in view["occurrences"]]
    return sorted(found, key=lambda po: (po[1]["start"], po[0]["name"]))


def _row(program: dict[str, Any], occurrence: dict[str, Any]) -> str:
    state = occurrence["state"] or "not booked yet"
    task = occurrence["task_id"] or "-"
    return (
        f"{occurrence['start']}  {occurrence['end']}  {program['name']:<20} "
        f"{program['program']['stream']:<16} {state:<14} {task}"
    )


def show_programs(client: Client, out: TextIO) -> int:
    stored = programs(client)
    for p in stored:
        body = p["program"]
        view = client.call("GET", f"/programs/{urllib.parse.quote(p['name'], safe='')}")
        print(
            f"{p['name']:<20} {body['stream']:<16} {body['cron']!r} {body.get('timezone', 'Asia/Shanghai')} "
            f"{body['duration']}s  due {p['due'] or 'never'}, next tick books {view['next_tick_books']}",
            file=out,
        )
    if not stored:
        print("no stored programs", file=out)
    return 0


def upcoming(client: Client, out: TextIO, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    rows = [(p, o) for p, o in occurrences(client) if now <= _time(o["start"]) <= now + timedelta(hours=24)]
    for program, occurrence in rows:
        print(_row(program, occurrence), file=out)
    if not rows:
        print("nothing in the next 24 h", file=out)
    return 0


def recording_now(client: Client, out: TextIO) -> int:
    rows = [(p, o) for p, o in occurrences(client) if o["state"] == "recording"]
    for program, occurrence in rows:
        print(_row(program, occurrence), file=out)
    if not rows:
        print("no program is recording now", file=out)
    return 0


def files(client: Client, task_id: str, out: TextIO) -> int:
    recording = client.call("GET", f"/recordings/{urllib.parse.quote(task_id, safe='')}")
    print(
        f"{recording['task_id']} {recording['stream']} {recording['state']} "
        f"{recording['start']} -> {recording['end']}",
        file=out,
    )
    for f in recording["files"]:
        print(f"  {f['end']}  {f['url']}", file=out)
    if not recording["files"]:
        print("  no files yet", file=out)
    return 0


def tick(client: Client, out: TextIO, interval: float = 0.5) -> int:
    """A timer tick through the local gateway (``POST /_tick``, a bare scheduled event: the stored and configured
    programs), with a progress line from the programs' booked occurrences while it runs."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["report"] = client.call("POST", "/_tick", eventbridge_event())
        except (ApiError, OSError) as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(interval)
        try:
            shown = [o for _, o in occurrences(client)]
        except (ApiError, OSError):
            continue
        booked = sum(1 for o in shown if o["booked"])
        print(f"\rbooking: {booked}/{len(shown)} occurrences booked", end="", file=out, flush=True)
    print(file=out)
    if "error" in result:
        print(f"tick failed: {result['error']}", file=out)
        return 1
    report = result["report"]
    if "error" in report:
        print(f"tick refused: {report['error']['code']}: {report['error']['message']}", file=out)
        return 1
    print(
        f"tick: {report['occurrences']} occurrences, {len(report['created'])} booked, "
        f"{report['existing']} already booked, {len(report['failed'])} failed, "
        f"{len(report['unresolved'])} unresolved, {len(report['deferred'])} deferred",
        file=out,
    )
    return 1 if report["failed"] else 0


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.liverec_cli", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--url", default=os.environ.get("LIVEREC_URL", DEFAULT_URL), help="the API's base URL"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("programs", help="the stored programs")
    commands.add_parser("upcoming", help="the programs' occurrences in the next 24 h")
    commands.add_parser("recording-now", help="the programs' occurrences recording now")
    files_cmd = commands.add_parser("files", help="a recording's state and files")
    files_cmd.add_argument("task_id")
    commands.add_parser("tick", help="a timer tick on the local gateway, with a progress line")
    args = parser.parse_args(argv)
    client = Client(args.url, os.environ.get("LIVEREC_TOKEN"))
    try:
        if args.command == "programs":
            return show_programs(client, out)
        if args.command == "upcoming":
            return upcoming(client, out)
        if args.command == "recording-now":
            return recording_now(client, out)
        if args.command == "files":
            return files(client, args.task_id, out)
        return tick(client, out)
    except ApiError as exc:
        hint = " (set LIVEREC_TOKEN)" if exc.status == 401 else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot reach {client.url}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
