"""The operators' CLI (a dev/ops tool, never deployed): what the programs will record, what is recording, a
recording's files, and a timer tick with a progress line. It talks to a deployed API (``--url``) or the local
gateway of ``make run`` (the default), with the bearer token from ``LIVEREC_TOKEN`` (never printed).

The token goes only to ``--url``'s origin: a redirect to the same scheme, host and port is followed, one to
any other origin is refused and reported (never followed, with or without the token). Everything printed
that came from the server or a URL is shown with its control characters escaped (``\\x1b``, ``\\u202e``: an
answer cannot drive the terminal), URLs without their userinfo or query, messages redacted.

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
from shared.support.redact import redact_text, redact_url

DEFAULT_URL = "http://127.0.0.1:3000"


def shown(value: object) -> str:
    """``value`` as text safe to print: every character that is not printable (ESC, CR, BEL, C1 controls,
    bidi overrides, line separators) escaped as ``repr`` escapes it."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def shown_url(url: object) -> str:
    """A URL as it may be printed: no userinfo, query or fragment, control characters escaped."""
    return shown(redact_url(str(url), limit=300))


def shown_text(text: object) -> str:
    """A message from the server as it may be printed: redacted (URLs, credentials), bounded, escaped."""
    return shown(redact_text(str(text), limit=500))


class CliError(Exception):
    """What the CLI reports and exits 2 on; its text is already fit to print."""


class ApiError(CliError):
    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        text = f"{error.get('code')}: {error.get('message')}" if isinstance(error, dict) else str(body)[:200]
        super().__init__(f"HTTP {status} {shown_text(text)}")
        self.status = status


class CrossOriginRedirect(CliError):
    """The API redirected to another scheme, host or port: not followed, so the token never goes there."""


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects followed within the request's origin only (the token with them); any other is refused."""

    def redirect_request(  # noqa: PLR0917 - urllib calls it with these six
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if origin(newurl) != origin(req.full_url):
            raise CrossOriginRedirect(
                f"HTTP {code}: {shown_url(req.full_url)} redirects to {shown_url(newurl)}, another origin; "
                "not followed (the token goes only to --url's scheme, host and port): fix --url"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Client:
    def __init__(self, url: str, token: str | None, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise SystemExit(f"--url must be http:// or https://, not {shown_url(url)!r}")
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(SameOriginRedirects())

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - http(s) only
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
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
    state = shown(occurrence["state"] or "not booked yet")
    task = shown(occurrence["task_id"] or "-")
    return (
        f"{shown(occurrence['start'])}  {shown(occurrence['end'])}  {shown(program['name']):<20} "
        f"{shown(program['program']['stream']):<16} {state:<14} {task}"
    )


def show_programs(client: Client, out: TextIO) -> int:
    stored = programs(client)
    for p in stored:
        body = p["program"]
        view = client.call("GET", f"/programs/{urllib.parse.quote(p['name'], safe='')}")
        print(
            f"{shown(p['name']):<20} {shown(body['stream']):<16} {body['cron']!r} "
            f"{shown(body.get('timezone', 'Asia/Shanghai'))} {shown(body['duration'])}s  "
            f"due {shown(p['due'] or 'never')}, next tick books {shown(view['next_tick_books'])}",
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


FILE_PAGES = 200


def files(client: Client, task_id: str, out: TextIO) -> int:
    """A recording's state and every file, page after page (``next``)."""
    path = f"/recordings/{urllib.parse.quote(task_id, safe='')}"
    recording = client.call("GET", path)
    print(
        f"{shown(recording['task_id'])} {shown(recording['stream'])} {shown(recording['state'])} "
        f"{shown(recording['start'])} -> {shown(recording['end'])}",
        file=out,
    )
    if not recording["files"]:
        print("  no files yet", file=out)
    for _ in range(FILE_PAGES):  # a recording holds at most 10,000 files, 100 an answer
        for f in recording["files"]:
            print(f"  {shown(f['end'])}  {shown_url(f['url'])}", file=out)
        if not recording.get("next"):
            return 0
        recording = client.call("GET", f"{path}?next={urllib.parse.quote(str(recording['next']), safe='')}")
    print(f"  ... more than {FILE_PAGES} pages of files: stopped", file=out)
    return 1


def tick(client: Client, out: TextIO, interval: float = 0.5) -> int:
    """A timer tick through the local gateway (``POST /_tick``, a bare scheduled event: the stored and configured
    programs), with a progress line from the programs' booked occurrences while it runs."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["report"] = client.call("POST", "/_tick", eventbridge_event())
        except (CliError, OSError) as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(interval)
        try:
            listed = [o for _, o in occurrences(client)]
        except (CliError, OSError):
            continue
        booked = sum(1 for o in listed if o["booked"])
        print(f"\rbooking: {booked}/{len(listed)} occurrences booked", end="", file=out, flush=True)
    print(file=out)
    if "error" in result:
        print(f"tick failed: {shown_text(result['error'])}", file=out)
        return 1
    report = result["report"]
    if "error" in report:
        refusal = f"{report['error']['code']}: {report['error']['message']}"
        print(f"tick refused: {shown_text(refusal)}", file=out)
        return 1
    print(
        f"tick: {shown(report['occurrences'])} occurrences, {len(report['created'])} booked, "
        f"{shown(report['existing'])} already booked, {len(report['failed'])} failed, "
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
    except CliError as exc:
        hint = " (set LIVEREC_TOKEN)" if isinstance(exc, ApiError) and exc.status == 401 else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot reach {shown_url(client.url)}: {shown_text(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
