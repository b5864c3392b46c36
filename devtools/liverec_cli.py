"""The operators' CLI (a dev/ops tool, never deployed): what the programs will record, what is recording, a
recording's files, and a timer tick with a progress line. It talks to a deployed API (``--url``) or the local
gateway of ``make run`` (the default), with the bearer token from ``LIVEREC_TOKEN`` (never printed).

The token goes only to ``--url``'s origin: a redirect to the same scheme, host and port is followed, one to
any other origin is refused and reported (never followed, with or without the token). Everything printed
that came from the server or a URL is shown with its control characters escaped (``\\x1b``, ``\\u202e``: an
answer cannot drive the terminal), URLs without their userinfo or query, messages redacted.

    liverec programs          # the stored programs, what the next tick books
    liverec upcoming          # their occurrences in the next 24 h, soonest first
    liverec recording-now     # their occurrences recording now
    liverec files TASK_ID     # a recording's status, its coverage and the files Tencent reported
    liverec coverage NAME     # what was recorded of a program's occurrences (--svg FILE: a timeline)
    liverec highlight STREAM --duration N [--wait S]   # a highlight now; or armed until the stream begins
    liverec waiting WAIT_ID   # an armed highlight: armed, started (its task), expired or refused
    liverec forecast          # the hours the programs go over the concurrent-recording limit (--days N)
    liverec tick              # the local gateway's timer tick, with progress
    liverec recordings STREAM # a stream's recordings, their status (devtools/liverec_tasks.py)
    liverec stop TASK_ID      # stop, delete: --stream only for a task liverec did not create
    liverec delete TASK_ID
    liverec import-ics FILE NAME --stream S   # an iCalendar file's recurring event, stored as program NAME

``liverec`` is the console command ``make venv`` installs (.venv/bin/liverec); ``python -m
devtools.liverec_cli`` is the same.
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

from devtools import liverec_tasks
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

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        accept: str | None = None,
        raw: bytes | None = None,
        media: str = "application/json",
    ) -> Any:
        """A request with ``body`` as JSON, or ``raw`` bytes of the ``media`` type."""
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - http(s) only
        request.add_header("Content-Type", media)
        if accept:
            request.add_header("Accept", accept)
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
    mark = f"  ({shown(occurrence['exception'])})" if occurrence.get("exception") else ""
    return (
        f"{shown(occurrence['start'])}  {shown(occurrence['end'])}  {shown(program['name']):<20} "
        f"{shown(program['program']['stream']):<16} {state:<14} {task}{mark}"
    )


def _exceptions(body: dict[str, Any]) -> str:
    """A program's calendar exceptions, counted (``, 2 skipped, 1 moved, until 2026-12-31T23:59``)."""
    counts = [
        f"{len(body[key])} {word}"
        for key, word in (("except", "skipped"), ("moved", "moved"), ("added", "added"))
        if body.get(key)
    ]
    counts += [f"{key} {shown(body[key])}" for key in ("since", "until") if body.get(key)]
    return "".join(f", {c}" for c in counts)


def show_programs(client: Client, out: TextIO) -> int:
    stored = programs(client)
    for p in stored:
        body = p["program"]
        view = client.call("GET", f"/programs/{urllib.parse.quote(p['name'], safe='')}")
        print(
            f"{shown(p['name']):<20} {shown(body['stream']):<16} {body['cron']!r} "
            f"{shown(body.get('timezone', 'Asia/Shanghai'))} {shown(body['duration'])}s  "
            f"due {shown(p['due'] or 'never')}, next tick books {shown(view['next_tick_books'])}"
            f"{_exceptions(body)}",
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


MAX_ICS = 64 * 1024  # what PUT /programs/{name} reads of an iCalendar file


def import_ics(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    """An iCalendar file's recurring event stored as a program (``PUT /programs/{name}``, text/calendar):
    the program as stored, its occurrences with the exceptions applied, and what its exceptions took back."""
    try:
        with open(args.file, "rb") as handle:
            raw = handle.read(MAX_ICS + 1)
    except OSError as exc:
        raise CliError(f"cannot read {shown(args.file)}: {shown_text(exc.strerror)}") from None
    if len(raw) > MAX_ICS:
        raise CliError(f"{shown(args.file)} is over {MAX_ICS} bytes")
    query = urllib.parse.urlencode(
        {k: v for k, v in (("stream", args.stream), ("domain", args.domain), ("app", args.app)) if v}
    )
    view = client.call(
        "PUT", f"/programs/{urllib.parse.quote(args.name, safe='')}?{query}", raw=raw, media="text/calendar"
    )
    body = view["program"]
    print(
        f"stored {shown(view['name'])}: {body['cron']!r} {shown(body['timezone'])} {shown(body['duration'])}s"
        f"{_exceptions(body)}",
        file=out,
    )
    for occurrence in view["occurrences"]:
        print(_row(view, occurrence), file=out)
    for gone in view.get("withdrawn", []):
        what = gone.get("action") or f"kept: {gone.get('reason')}"
        print(f"withdrawn {shown(gone['start'])}: {shown_text(what)}", file=out)
    return 0


def highlight(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    """``POST /recordings/realtime``: recorded now (201), or armed with ``--wait`` until the stream begins
    (202; ``liverec waiting WAIT_ID`` follows it). A stream that is not live is refused (409 StreamNotLive)
    where the generation can tell."""
    body: dict[str, Any] = {"stream": args.stream, "duration": args.duration}
    body |= {
        k: v for k, v in (("wait", args.wait), ("domain", args.domain), ("app", args.app)) if v is not None
    }
    answer = client.call("POST", "/recordings/realtime", body)
    if "wait_id" in answer:
        return waiting_shown(answer, out)
    print(
        f"recording {shown(answer['task_id'])} {shown(answer['stream'])} "
        f"{shown(answer['start'])} -> {shown(answer['end'])}",
        file=out,
    )
    for warning in answer.get("warnings", []):
        print(f"  warning: {shown(warning)}", file=out)
    return 0


def waiting_shown(answer: dict[str, Any], out: TextIO) -> int:
    state = answer["state"]
    line = f"{shown(answer['wait_id'])} {shown(answer['stream'])} {shown(state)}"
    if state == "armed":
        line += f" until {shown(answer['expires_at'])}"
    elif state == "started":
        line += f" task {shown(answer['task_id'])} at {shown(answer['started_at'])}"
    elif state in ("refused", "unknown") and answer.get("error"):
        line += f" {shown(answer['error'].get('code'))}: {shown_text(answer['error'].get('message'))}"
    print(line, file=out)
    return 0


def waiting(client: Client, wait_id: str, out: TextIO) -> int:
    return waiting_shown(
        client.call("GET", f"/recordings/realtime/{urllib.parse.quote(wait_id, safe='')}"), out
    )


def forecast(client: Client, days: int | None, out: TextIO) -> int:
    """The hours of the next ``days`` (the API's default: 7) whose peak of recordings running at once is over
    the concurrent-recording limit (``GET /programs/forecast``), with the programs running at each peak."""
    found = client.call("GET", "/programs/forecast" + (f"?days={days}" if days is not None else ""))
    limit = found["limit"]
    where = f"limit {limit} ({shown(found['limit_source'])})" if limit is not None else "no limit known"
    peak = f"peak {found['peak']}" + (f" at {shown(found['peak_hour'])}" if found["peak_hour"] else "")
    print(f"{found['days']} days from {shown(found['from'])}: {where}, {peak}", file=out)
    if limit is None:
        print("set LIVEREC_CONCURRENT_LIMIT to hold the programs to your account's limit", file=out)
    elif not found["over"]:
        print("no hour over the limit", file=out)
    for hour in found["over"]:
        names = ", ".join(shown(n) for n in hour["programs"])
        more = hour["programs_total"] - len(hour["programs"])
        print(
            f"{shown(hour['hour'])}  peak {hour['peak']} (over by {hour['peak'] - limit})  {names}"
            + (f" and {more} more" if more > 0 else ""),
            file=out,
        )
    return 0


FILE_PAGES = 200


def files(client: Client, task_id: str, out: TextIO) -> int:
    """A recording's state and every file, page after page (``next``)."""
    path = f"/recordings/{urllib.parse.quote(task_id, safe='')}"
    recording = client.call("GET", path)
    print(
        f"{shown(recording['task_id'])} {shown(recording['stream'])} "
        f"{shown(recording.get('status') or recording.get('state'))} "
        f"{shown(recording['start'])} -> {shown(recording['end'])}",
        file=out,
    )
    if recording.get("coverage"):
        print(f"  coverage: {coverage_text(recording['coverage'])}", file=out)
    if not recording["files"]:
        print("  no files yet", file=out)
    for _ in range(FILE_PAGES):  # a recording holds at most 10,000 files, 100 an answer
        for f in recording["files"]:
            source = "  (reconciled)" if f.get("source") == "reconciled" else ""
            print(f"  {shown(f['end'])}  {shown_url(f['url'])}{source}", file=out)
        if not recording.get("next"):
            return 0
        recording = client.call("GET", f"{path}?next={urllib.parse.quote(str(recording['next']), safe='')}")
    print(f"  ... more than {FILE_PAGES} pages of files: stopped", file=out)
    return 1


GAPS_SHOWN = 3


def coverage_text(cover: dict[str, Any]) -> str:
    """A coverage (CoverageView) on one line: recorded of asked, the ratio, the first gaps."""
    text = f"{cover['recorded_seconds']} of {cover['asked_seconds']} s ({cover['ratio'] * 100:.1f}%)"
    if cover["short"]:
        text += " SHORT"
    gaps = [f"{shown(a)}-{shown(b)}" for a, b in cover["gaps"][:GAPS_SHOWN]]
    if gaps:
        more = f" and {cover['gap_count'] - GAPS_SHOWN} more" if cover["gap_count"] > GAPS_SHOWN else ""
        text += f", {cover['gap_count']} gaps: {', '.join(gaps)}{more}"
    if cover["reconciled_files"]:
        text += f", {cover['reconciled_files']} files reconciled"
    return text


def coverage(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    """``GET /programs/{name}/coverage``: the occurrences and their coverage, or (``--svg``) the timeline
    written to a file. Exits 1 when an ended occurrence is short."""
    query = {k: v for k, v in (("from", args.from_), ("to", args.to)) if v}
    if args.reconcile:
        query["reconcile"] = "true"
    path = f"/programs/{urllib.parse.quote(args.name, safe='')}/coverage"
    path += f"?{urllib.parse.urlencode(query)}" if query else ""
    if args.svg:
        svg = client.call("GET", path, accept="image/svg+xml")
        if not isinstance(svg, str) or not svg.startswith("<svg"):
            raise CliError("the API did not answer an SVG document")
        with open(args.svg, "w", encoding="utf-8") as target:
            target.write(svg)
        print(f"wrote {shown(args.svg)}", file=out)
        return 0
    found = client.call("GET", path)
    print(
        f"{shown(found['name'])} {shown(found['from'])} -> {shown(found['to'])}: {found['recorded_seconds']} "
        f"of {found['asked_seconds']} s ({found['ratio'] * 100:.1f}%), {found['short']} short",
        file=out,
    )
    if found.get("reconciliation"):
        print(f"  {shown_text(found['reconciliation'])}", file=out)
    for o in found["occurrences"]:
        cover = coverage_text(o["coverage"]) if o["coverage"] else "-"
        print(f"  {shown(o['start'])}  {shown(o['state'] or 'not booked')}  {cover}", file=out)
    return 1 if found["short"] else 0


class Progress:
    """The tick's progress line. On a terminal, one line rewritten in place and cleared to its end (a shorter
    line leaves nothing of the longer one); anywhere else (a pipe, a file, a CI log) a line per change, with
    no carriage returns. The same figures are never shown twice, and nothing is shown when nothing was."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        isatty = getattr(out, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.last: str | None = None

    def show(self, text: str) -> None:
        if text == self.last:
            return
        self.out.write(f"\r{text}\x1b[K" if self.tty else f"{text}\n")
        self.out.flush()
        self.last = text

    def end(self) -> None:
        if self.tty and self.last is not None:
            self.out.write("\n")


def tick(client: Client, out: TextIO, interval: float = 0.5) -> int:
    """A timer tick through the local gateway (``POST /_tick``, a bare scheduled event: the stored and configured
    programs), with a progress line while it runs: of the stored programs' occurrences shown (``GET
    /programs/{name}``, at most 50 each) that were not booked when it began, how many are booked now. The
    tick's own report, printed at the end, counts every occurrence it saw."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["report"] = client.call("POST", "/_tick", eventbridge_event())
        except (CliError, OSError) as exc:
            result["error"] = exc

    def key(program: dict[str, Any], occurrence: dict[str, Any]) -> tuple[str, str]:
        return program["name"], occurrence["start"]

    try:
        todo = {key(p, o) for p, o in occurrences(client) if not o["booked"]}
    except (CliError, OSError):
        todo = set()
    progress = Progress(out)
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(interval)
        if not todo:
            continue
        try:
            done = sum(1 for p, o in occurrences(client) if o["booked"] and key(p, o) in todo)
        except (CliError, OSError):
            continue
        progress.show(f"booking: {done}/{len(todo)} occurrences booked")
    progress.end()
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
    parser = argparse.ArgumentParser(prog="liverec", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default=os.environ.get("LIVEREC_URL", DEFAULT_URL), help="the API's base URL"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("programs", help="the stored programs")
    commands.add_parser("upcoming", help="the programs' occurrences in the next 24 h")
    commands.add_parser("recording-now", help="the programs' occurrences recording now")
    files_cmd = commands.add_parser("files", help="a recording's state and files")
    files_cmd.add_argument("task_id")
    cover_cmd = commands.add_parser("coverage", help="what was recorded of a program's occurrences")
    cover_cmd.add_argument("name")
    cover_cmd.add_argument(
        "--from", dest="from_", help="the period's start (ISO 8601; default: a day before --to)"
    )
    cover_cmd.add_argument("--to", help="the period's end (ISO 8601; default: now)")
    cover_cmd.add_argument("--reconcile", action="store_true", help="first look for lost callbacks (API 3.0)")
    cover_cmd.add_argument("--svg", metavar="FILE", help="write the timeline (SVG) to FILE instead")
    hl = commands.add_parser("highlight", help="a highlight now, or armed (--wait) until its stream begins")
    hl.add_argument("stream")
    hl.add_argument("--duration", type=int, default=300, help="seconds to record (default 300)")
    hl.add_argument("--wait", type=int, help="seconds to wait for the stream to begin (1..86400)")
    hl.add_argument("--domain")
    hl.add_argument("--app")
    commands.add_parser("waiting", help="an armed highlight's state").add_argument("wait_id")
    commands.add_parser("tick", help="a timer tick on the local gateway, with a progress line")
    ics_cmd = commands.add_parser("import-ics", help="store an iCalendar file's recurring event as a program")
    ics_cmd.add_argument("file", help="the .ics file: one recurring VEVENT (and its overrides)")
    ics_cmd.add_argument("name", help="the program's name")
    ics_cmd.add_argument("--stream", required=True, help="the stream it records")
    ics_cmd.add_argument("--domain", help="the stream's push domain (default: LIVE_DOMAIN)")
    ics_cmd.add_argument("--app", help="the stream's app (default: LIVE_APP)")
    liverec_tasks.add_commands(commands)
    forecast_cmd = commands.add_parser("forecast", help="the hours over the concurrent-recording limit")
    forecast_cmd.add_argument("--days", type=int, help="days ahead, 1 to 31 (default 7)")
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
        if args.command == "forecast":
            return forecast(client, args.days, out)
        if args.command == "coverage":
            return coverage(client, args, out)
        if args.command == "import-ics":
            return import_ics(client, args, out)
        if args.command == "highlight":
            return highlight(client, args, out)
        if args.command == "waiting":
            return waiting(client, args.wait_id, out)
        done = liverec_tasks.run(client, args, out)
        return tick(client, out) if done is None else done
    except CliError as exc:
        hint = " (set LIVEREC_TOKEN)" if isinstance(exc, ApiError) and exc.status == 401 else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot reach {shown_url(client.url)}: {shown_text(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
