"""`make month`: a month of timer ticks in every generation, each tick a fresh container, crashes and faults
included; it fails on any duplicate, silent miss or leftover.

    .venv/bin/python -m devtools.month [--days 30] [--step-hours 3] [--seed 24] [--only live-record,fcgi]

Each generation runs in a worker process of its own (all four at once), with its own Tencent emulator (its
clock frozen at each tick's instant), its own moto server and ledger table, and two fork servers
(:mod:`devtools.forkserver`): one for the ticks, one for the operator's HTTP calls (``scheduled``).

Choices, and why:

- **A fork server, and a tick every 3 hours.** A Python start with the functions' imports costs about 0.5 s
  here; 30 days of half-hourly ticks in four generations would be 5760 of them. The fork server imports the
  modules and builds nothing, so each forked child builds its settings, ledger client, adapter and pools anew,
  as a cold container does, for a few milliseconds. Every 3 hours is 240 ticks a generation: the one-day
  horizon of live-record, v2 and fcgi gives each occurrence about 8 ticks to be booked at (record-task's six
  days, about 48), so a crash or a fault leaves several chances after it.
- **Time.** The month starts at a fixed instant (``--start``, 2027-03-01T00:00Z: both 2027 DST changes fall
  in it), never the real date. Each tick's wall clock is stopped at its instant and the emulator's clock is
  frozen there; waiting (pacing, backoff) moves only the child's monotonic clock, so the emulator's real-time
  rate windows are off and rate limiting comes as injected refusals.
- **Crashes and faults, seeded.** Each tick draws its fate from ``random.Random(f"{seed}/{generation}")``:
  about 15 % are killed with SIGKILL (after a random delay, or the moment the emulator has stored their
  create, its answer held back), about 15 % meet a Tencent fault (connection dropped before or after the
  create is stored, a 5xx without Tencent's body, a burst of rate-limit refusals, an answer slower than the
  client's timeout, a failing look-up) and about 10 % a DynamoDB fault (one request refused, one applied
  with its answer lost, or the store down from one request on). A killed or raising tick is retried as
  Lambda retries an asynchronous invocation, one and three minutes later. The same seed makes the same
  decisions; where a delay kill lands in the code depends on the machine's speed.
- **The operator**, over HTTP in fresh processes too: programs added on day 3 and 5, one replaced (a new
  cron) on day 10 and cancelled (``DELETE ?cancel=future``) on day 11.5, a copy of a configured program (same
  stream and window: one recording, two owners) added on day 3 and cancelled on day 16 while a tick runs,
  another cancelled while a tick runs on day 18; one-off ``POST /recordings/scheduled`` on the streams and
  windows of programs (one that the cancelled program asks for too: it must survive) and one overlapping a
  program's window; a program with a calendar (``calendar``) put on day 3 and replaced on day 13 by one
  skipping a day more, which record-task has booked by then: its booking must be taken back (the PUT's
  ``withdrawn``, or the next tick's). Days scale with ``--days``; the calendar's dates do not.
- **The configured programs** are in ``LIVEREC_PROGRAMS`` and the ticks are bare scheduled events, so the
  HTTP function knows them too (README: programs given only in the schedule's input are unknown to it);
  ``--configured input`` puts them in the schedule's input instead.
- **The verdict** (:mod:`devtools.month_verdict`) compares Tencent's tasks at the end with an oracle
  independent of the product's planner (``tests/utils.py``'s reading of cron, the generations' horizons and
  caps written here as Tencent states them). A one-off and a program's booking of the same window where the
  generation cannot look tasks up are two recordings by design (README, "What exactly once covers"): shown,
  not failed. ``--keep DIR`` keeps each generation's container log, Tencent's tasks and requests and the
  ledger's items, to find out why.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from devtools.month_verdict import Asked, Identity, Verdict, judge

if TYPE_CHECKING:
    from devtools.emulator import Emulator
    from devtools.forkserver import ForkServer

ROOT = Path(__file__).resolve().parent.parent
GENERATIONS = ("record-task", "live-record", "v2", "fcgi")
START = "2027-03-01T00:00:00Z"
SEED = 24
DAY = 86400
# as Tencent states them (the oracle does not read the product's capability table)
HORIZON = {"record-task": 6 * DAY, "live-record": DAY, "v2": DAY, "fcgi": DAY}  # record-task: its limit
CAP = {"record-task": DAY, "live-record": None, "v2": DAY, "fcgi": DAY}  # the longest scheduled task
NAME_ONLY = frozenset({"v2", "fcgi"})  # a stream is its name alone
CREATE = {
    "record-task": "CreateRecordTask",
    "live-record": "CreateLiveRecord",
    "v2": "CreateRecord",
    "fcgi": "Live_Tape_Start",
}
DESCRIBE = {"record-task": "DescribeRecordTask", "v2": "DescribeRecordList"}
DOMAIN, APP = "5000.live.push.com", "live"
SECRET_ID, SECRET_KEY, FCGI_APPID, FCGI_KEY = "AKIDmonthsecretid000", "month-secret-key", 1234, "month-fcgi"
TOKEN = "month-token-0123456789abcdef"  # noqa: S105 - the local functions' bearer token
TABLE = "liverec-month"
RETRIES = (60, 180)  # Lambda retries a failed asynchronous invocation twice, about 1 and 2 minutes apart
KILL, TENCENT, LEDGER = 0.15, 0.30, 0.40  # cumulative shares of a tick's fate; the rest run clean
KILL_WINDOW = 0.3  # seconds: a tick forked takes 0.1 to 0.3 s here (median, 90th percentile: its stats)

CONFIGURED: list[dict[str, Any]] = [  # the schedule's input, every tick
    {
        "name": "evening",
        "stream": "news",
        "cron": "0 20 * * *",
        "timezone": "Asia/Shanghai",
        "duration": 3600,
    },
    {"name": "six-hourly", "stream": "loop", "cron": "0 */6 * * *", "timezone": "UTC", "duration": 5400},
    {
        "name": "marathon",
        "stream": "marathon",
        "cron": "0 8 * * SAT",
        "timezone": "Asia/Shanghai",
        "duration": 30 * 3600,
    },
    {
        "name": "ny-morning",
        "stream": "wake",
        "cron": "0 9 * * MON-FRI",
        "timezone": "America/New_York",
        "duration": 1800,
    },
]
STORED: dict[str, dict[str, Any]] = {  # over HTTP, as PUT
    "evening-copy": {"stream": "news", "cron": "0 20 * * *", "timezone": "Asia/Shanghai", "duration": 3600},
    "late": {"stream": "late", "cron": "15 */4 * * *", "timezone": "UTC", "duration": 1200},
    "berlin": {"stream": "radio", "cron": "30 7 * * MON-FRI", "timezone": "Europe/Berlin", "duration": 1800},
    "ops": {"stream": "ops", "cron": "5 */3 * * *", "timezone": "UTC", "duration": 600},
}
LATE_AGAIN = STORED["late"] | {"cron": "45 */6 * * *"}  # the replacement
# a program with a calendar (README, "Calendars with exceptions"), its dates counted from the month's start
# (not scaled: one past the month does nothing): a day skipped, a start skipped, two moves (one to another
# length, on the day the UK's clocks go forward when the month starts on March 1st) and an added
# occurrence; replaced on day 13 by the same program skipping day 15 too, which record-task's horizon has
# booked by then: the PUT (or the next tick's sweep) must take that booking back
CALENDAR = {"stream": "show", "cron": "0 19 * * *", "timezone": "Europe/London", "duration": 1800}
SKIP_DAY, SKIP_START, MOVES, ADD, SKIP_AGAIN = 7, 9, ((11, "21:30", None), (27, "18:00", 3600)), 13, 15
# (day of a 30-day month, what): scaled to --days; each happens at a tick's instant, before it or with it
OPERATOR = (
    (3.0, "put evening-copy"),
    (3.0, "put late"),
    (3.0, "put berlin"),
    (5.0, "put ops"),
    (6.0, "one-off news"),
    (8.0, "one-off loop"),
    (3.0, "put holidays"),
    (10.0, "replace late"),
    (13.0, "replace holidays"),
    (11.5, "cancel late"),
    (16.0, "cancel evening-copy"),
    (18.0, "one-off ops"),
)


def identity(api: str, stream: str, start: int, end: int, domain: str | None = DOMAIN) -> Identity:
    if api in NAME_ONLY:
        return (None, None, stream, start, end)
    return (domain, APP, stream, start, end)


# --- the oracle ------------------------------------------------------------------------------------------


@dataclass
class Version:
    """A program as it was between ``since`` and ``until`` (UNIX seconds; replaced or cancelled then)."""

    name: str
    body: dict[str, Any]
    since: float
    until: float = float("inf")


def calendar(start: float, again: bool = False) -> dict[str, Any]:
    """The calendar program's body for a month starting at ``start`` (``again``: its replacement)."""

    def date(day: int) -> str:
        return (datetime.fromtimestamp(start, UTC) + timedelta(days=day)).date().isoformat()

    moved: list[dict[str, Any]] = []
    for day, to, length in MOVES:
        move = {"from": f"{date(day)}T19:00", "to": f"{date(day)}T{to}"}
        moved.append(move | ({"duration": length} if length else {}))
    skipped = [date(SKIP_DAY), f"{date(SKIP_START)}T19:00"] + ([date(SKIP_AGAIN)] if again else [])
    added = [{"start": f"{date(ADD)}T08:00", "duration": 900}]
    return CALENDAR | {"except": skipped, "moved": moved, "added": added}


def occurrences(body: dict[str, Any], lo: float, hi: float) -> list[tuple[int, int]]:
    """The program's (start, duration) starting in [lo, hi): the cron's (tests/utils.py's reading), with
    the calendar's exceptions applied here, independently of shared/recordings/calendars.py."""
    from tests.utils import cron_starts

    zone, length = ZoneInfo(body["timezone"]), int(body["duration"])

    def local(text: str) -> int:
        moment = datetime.fromisoformat(text)
        return int((moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp())

    skipped = body.get("except", [])
    days, starts = {s for s in skipped if "T" not in s}, {local(s) for s in skipped if "T" in s}
    moves = {local(m["from"]): (local(m["to"]), m.get("duration", length)) for m in body.get("moved", [])}
    found = [(local(a["start"]), a.get("duration", length)) for a in body.get("added", [])]
    margin = DAY if body.get("moved") else 0  # a move here is hours: a day either side finds its origin
    first, last = (datetime.fromtimestamp(t, UTC) for t in (lo - margin, hi + margin))
    for start in cron_starts(body["cron"], body["timezone"], first, last):
        begin = int(start.timestamp())
        if begin not in starts and start.astimezone(zone).date().isoformat() not in days:
            found.append(moves.get(begin, (begin, length)))
    return sorted(o for o in found if lo <= o[0] < hi)


def pieces(api: str, body: dict[str, Any], lo: float, hi: float) -> list[tuple[int, int]]:
    """The program's windows starting in [lo, hi), split at the generation's cap."""
    found = []
    cap = CAP[api]
    for start, length in occurrences(body, lo, hi):
        begin, end = start, start + int(length)
        while begin < end:
            piece_end = min(end, begin + cap) if cap else end
            found.append((begin, piece_end))
            begin = piece_end
    return found


def due(piece: tuple[int, int], at: float, horizon: int) -> bool:
    """A tick at ``at`` asks for the piece: it starts within the horizon and has not ended."""
    return piece[0] <= at + horizon and piece[1] > at


# --- one generation's month --------------------------------------------------------------------------------


@dataclass
class Run:
    """One invocation of the rollout (a tick, or Lambda's retry of one) and what its report said."""

    at: float
    clean: bool  # no fault, no kill, and it answered
    pending: set[Identity] = field(default_factory=set)  # another booking held it: not a chance
    unresolved: set[Identity] = field(default_factory=set)


@dataclass
class Fate:
    kind: str = "clean"  # clean, kill, tencent, ledger
    detail: str = ""
    delay: float = 0.0  # a delay kill: seconds after the fork
    ledger_fault: dict[str, Any] | None = None


def draw(rng: random.Random, api: str) -> Fate:
    """A tick's fate: killed, a Tencent fault, a DynamoDB fault, or clean."""
    roll = rng.random()
    if roll < KILL:
        mode = rng.choice(["delay", "after-create"])
        return Fate("kill", mode, delay=rng.uniform(0.0, KILL_WINDOW))
    if roll < TENCENT:
        kinds = ["drop_after_store", "drop_before_store", "http_5xx", "rate_limit", "slow_answer"]
        if api in DESCRIBE:
            kinds.append("failing_lookup")
        return Fate("tencent", rng.choice(kinds), delay=rng.choice([2, 6]))
    if roll < LEDGER:
        mode = rng.choice(["before", "after", "outage"])
        return Fate("ledger", mode, ledger_fault={"nth": rng.randint(1, 12), "mode": mode})
    return Fate()


def inject(emulator: Emulator, api: str, fate: Fate) -> None:
    """Arm the emulator for a Tencent fault (cleared after the tick if it never hit)."""
    faults, create, kind = emulator.faults, CREATE[api], fate.detail
    if kind == "drop_after_store":
        faults.drop_after_store(count=1, action=create)
    elif kind == "drop_before_store":
        faults.drop_before_store(count=1, action=create)
    elif kind == "http_5xx":
        faults.http_error(status=random.Random(fate.delay).choice([500, 502, 503]), count=1, action=create)
    elif kind == "rate_limit":  # 6 outlasts the client's backoff: that create fails this tick
        faults.rate_limit(count=int(fate.delay), action=create)
    elif kind == "slow_answer":  # past the client's timeout (LIVE_TIMEOUT): stored, no answer in time
        faults.latency(TIMEOUT + 0.5, count=1, action=create)
    else:
        faults.http_error(status=503, count=1, action=DESCRIBE[api])


TIMEOUT = 4.0  # LIVE_TIMEOUT in the month (the least Tencent allows is above 3 s): a slow answer costs 4.5 s


def child_env(api: str, emulator_url: str, moto_url: str, configured: str) -> dict[str, str]:
    from devtools.kit.moto import aws_env

    programs = {"LIVEREC_PROGRAMS": json.dumps(CONFIGURED)} if configured == "env" else {}
    return {
        **programs,
        **os.environ,
        **aws_env(moto_url),
        "LIVE_API": api,
        "LIVE_ENDPOINT": emulator_url,
        "LIVE_TIMEOUT": str(TIMEOUT),
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "LIVE_FCGI_APPID": str(FCGI_APPID),
        "LIVE_FCGI_KEY": FCGI_KEY,
        "LIVE_DOMAIN": DOMAIN,
        "LIVE_APP": APP,
        "LIVEREC_API_TOKENS": TOKEN,
        "LIVEREC_IDEMPOTENCY_TABLE": TABLE,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "LiverecMonth",
        "PYTHONWARNINGS": "ignore::UserWarning",  # powertools: "no application metrics to publish"
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def world(api: str, workdir: str, configured: str) -> Iterator[tuple[Emulator, ForkServer, ForkServer, Any]]:
    """The emulator, the two fork servers (ticks, HTTP), and a client of the ledger's table on moto's
    server."""
    from devtools.emulator import Credentials, Emulator, EmulatorConfig
    from devtools.forkserver import ForkServer
    from devtools.kit.moto import ledger_table, moto_server

    credentials = Credentials(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, fcgi_appid=FCGI_APPID, fcgi_key=FCGI_KEY
    )
    emulator = Emulator(EmulatorConfig(credentials=credentials))
    emulator.config.rate_limits.clear()  # real-time windows; the month's time is simulated
    with moto_server() as moto_url, emulator.running(host="127.0.0.1", port=0) as emulator_url:
        table = ledger_table(moto_url, TABLE)
        env = child_env(api, emulator_url, moto_url, configured)
        log = os.path.join(workdir, f"{api}.log")
        ticks = ForkServer(env, log)
        http = ForkServer(env, log)
        try:
            yield emulator, ticks, http, table
        finally:
            ticks.close()
            http.close()


@dataclass
class Month:
    """One generation's month under way: the instants, the operator's plan, the runs and what they said."""

    api: str
    start: float
    days: int
    step: int  # seconds between ticks
    rng: random.Random
    emulator: Emulator
    ticks: ForkServer
    http: ForkServer
    workdir: str
    configured: str = "env"  # where the configured programs are: LIVEREC_PROGRAMS, or the schedule's input
    versions: list[Version] = field(default_factory=list)
    cancels: dict[str, float] = field(default_factory=dict)  # program -> the instant of its cancel=future
    oneoffs: set[Identity] = field(default_factory=set)
    not_cancelled: set[Identity] = field(default_factory=set)  # reported so by a DELETE's answer
    runs: list[Run] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    sequence: int = 0
    durations: list[float] = field(default_factory=list)  # of the ticks not fated to die, seconds

    @property
    def end(self) -> float:
        return self.start + self.days * DAY

    def instant(self, day: float) -> int:
        """The tick index a day of a 30-day month falls on, in this month."""
        return round(day / 30 * self.days * DAY / self.step)

    def invoke(self, server: Any, function: str, at: float, event: dict[str, Any], **extra: Any) -> int:
        """Start one invocation in a fresh child; the path its answer will be written to is ``self.out``."""
        self.sequence += 1
        self.out = os.path.join(self.workdir, f"{self.api}-{self.sequence}.json")
        request = {"function": function, "at": at, "event": event, "out": self.out, **extra}
        return int(server.start(request))

    def answer(self, path: str) -> dict[str, Any] | None:
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as found:
            result: dict[str, Any] = json.load(found)
        os.remove(path)
        return result

    # --- the operator -----------------------------------------------------------------------------------

    def plan(self) -> dict[int, list[tuple[str, str, Any]]]:
        """What the operator does at which tick: (what, program or stream, body or window)."""
        actions: dict[int, list[tuple[str, str, Any]]] = {}
        for day, what in OPERATOR:
            verb, name = what.split()
            index = self.instant(day)
            if verb == "put":
                body = calendar(self.start) if name == "holidays" else STORED[name]
                actions.setdefault(index, []).append(("put", name, body))
            elif verb == "replace":
                body = calendar(self.start, again=True) if name == "holidays" else LATE_AGAIN
                actions.setdefault(index, []).append(("replace", name, body))
            elif verb == "cancel":
                actions.setdefault(index, []).append(("cancel", name, name == "evening-copy"))
            else:
                found = self.oneoff_window(name, index)
                if found is None:  # a month too short for it
                    self.stats[f"one-off {name}: no window"] += 1
                    continue
                index, window = found
                actions.setdefault(index, []).append(("one-off", name, window))
                if name == "ops":  # the program that asks for it too is cancelled at the next tick
                    actions.setdefault(index + 1, []).append(("cancel", "ops", True))
        return actions

    def oneoff_window(self, stream: str, index: int) -> tuple[int, tuple[int, int]] | None:
        """A one-off's tick and window. ``news``: overlapping an evening's window a day or two ahead (another
        recording). ``loop``, ``ops``: exactly a program's window, the first to enter the horizon at that tick
        (the one-off comes first, so a generation that lists finds it and adopts it)."""
        horizon, ticks = HORIZON[self.api], self.days * DAY // self.step
        body = {"news": CONFIGURED[0], "loop": CONFIGURED[1], "ops": STORED["ops"]}[stream]
        for j in range(index, ticks):
            at = self.start + j * self.step
            if stream == "news":
                starts = [s for s, _ in pieces(self.api, body, at + DAY, at + 2 * DAY)]
                if starts:
                    return j, (starts[0] - 1800, starts[0] + 1800)
                continue
            low, high = at - self.step + horizon + RETRIES[-1], at + horizon + 1
            found = [p for p in pieces(self.api, body, low, high) if p[0] > low]
            if found:
                return j, found[0]
        return None

    def operate(self, at: float, action: tuple[str, str, Any]) -> dict[str, Any] | None:
        """One of the operator's calls, or (a concurrent cancel) its event, to run with the tick."""
        from devtools.kit import http_event

        verb, name, arg = action
        if verb in ("put", "replace"):
            self.call(
                at,
                http_event("PUT", f"/programs/{name}", arg, token=TOKEN),
                200 if verb == "replace" else 201,
            )
            for version in self.versions:
                if version.name == name and version.until > at:
                    version.until = at
            self.versions.append(Version(name, arg, since=at))
            return None
        if verb == "one-off":
            body = {"stream": name, "start": arg[0], "end": arg[1]}
            headers = {"Idempotency-Key": f"one-off-{name}-{arg[0]}"}
            self.call(
                at, http_event("POST", "/recordings/scheduled", body, headers=headers, token=TOKEN), 201
            )
            self.oneoffs.add(identity(self.api, name, *arg))
            return None
        for version in self.versions:
            if version.name == name and version.until > at:
                version.until = at
        self.cancels[name] = at
        event = http_event("DELETE", f"/programs/{name}", query={"cancel": "future"}, token=TOKEN)
        if arg:  # with the tick
            return event
        self.call(at, event, 200)
        return None

    def call(self, at: float, event: dict[str, Any], expected: int) -> None:
        self.emulator.clock.freeze(at)
        self.invoke(self.http, "scheduled", at, event)
        out = self.out
        self.http.join()
        self.check(event, self.answer(out), expected)

    def check(self, event: dict[str, Any], result: dict[str, Any] | None, expected: int) -> None:
        method, path = event["requestContext"]["http"]["method"], event["rawPath"]
        what = f"{method} {path}"
        if result is None or result.get("statusCode") != expected:
            self.errors.append(f"{what}: answered {result}")
            return
        self.stats["operator calls"] += 1
        body = json.loads(result["body"])
        for kind in ("cancelled", "kept", "not_cancelled"):
            self.stats[f"{kind} at DELETE"] += len(body.get(kind, ()))
        if method == "DELETE":  # what the operator was told could not be cancelled: in doubt, or refused
            stream = next(v.body["stream"] for v in self.versions if v.name == body["name"])
            self.not_cancelled |= {
                self.reported(o | {"stream": stream, "domain": DOMAIN}) for o in body["not_cancelled"]
            }
        elif method == "PUT":  # what new exceptions took back, or were told they could not
            self.withdrawn(body["name"], body.get("withdrawn", []))

    def withdrawn(self, name: str, entries: list[dict[str, Any]]) -> None:
        """A PUT's or a tick's ``withdrawn``: those kept (with a reason) are the operator's to check."""
        if not entries:
            return
        stream = next(v.body["stream"] for v in self.versions if v.name == name)
        self.stats["withdrawn"] += sum(1 for o in entries if o.get("action"))
        kept = [o for o in entries if not o.get("action")]
        self.stats["withdrawn: kept"] += len(kept)
        self.not_cancelled |= {self.reported(o | {"stream": stream, "domain": DOMAIN}) for o in kept}

    # --- the ticks --------------------------------------------------------------------------------------

    def tick(self, at: float, fate: Fate, concurrent: dict[str, Any] | None = None) -> None:
        """A tick, and Lambda's retries of it when it was killed or raised."""
        self.stats["ticks"] += 1
        if fate.kind != "clean":
            self.stats[f"{fate.kind}: {fate.detail}"] += 1
        if self.rollout(at, fate, concurrent):
            return
        for delay in RETRIES:
            self.stats["retries"] += 1
            if self.rollout(at + delay, Fate(), None):
                return

    def rollout(self, at: float, fate: Fate, concurrent: dict[str, Any] | None) -> bool:
        """One invocation of the rollout in a fresh child; whether it answered (Lambda retries it if not)."""
        emulator = self.emulator
        emulator.clock.freeze(at)
        if fate.kind == "tencent":
            inject(emulator, self.api, fate)
        elif fate.detail == "after-create":  # stored, its answer held back a second: killed meanwhile
            emulator.faults.latency(1.0, count=1, action=CREATE[self.api])
        mark = len(emulator.requests())
        event = self.tick_event(at)
        self.invoke(self.ticks, "rollout", at, event, remaining_ms=300_000, ledger_fault=fate.ledger_fault)
        out = self.out
        if concurrent is not None:
            self.invoke(self.http, "scheduled", at, concurrent)
            operator = self.out
        status = self.finish(fate, mark)
        if concurrent is not None:
            self.http.join()
            self.check(concurrent, self.answer(operator), 200)
        emulator.faults.clear()  # a fault the tick never met is not left for the next
        emulator.wait_idle(timeout=10.0)
        return self.record(at, fate, status, self.answer(out))

    def finish(self, fate: Fate, mark: int) -> int:
        """The tick's exit status; a tick fated to die is killed (after its delay, or once its create is in)."""
        ticks = self.ticks
        if fate.kind != "kill":
            began = time.monotonic()
            code = ticks.join()
            self.durations.append(time.monotonic() - began)
            return code
        status: int | None = None
        if fate.detail == "delay":
            status = ticks.wait(timeout=fate.delay)
        else:
            while status is None and not any(
                r.action == CREATE[self.api] for r in self.emulator.requests()[mark:]
            ):
                status = ticks.wait(timeout=0.01)
        if status is not None:  # it ended first: no kill
            self.stats["kill came too late"] += 1
            return int(status)
        ticks.kill()
        self.stats["killed"] += 1
        return ticks.join()

    def record(self, at: float, fate: Fate, status: int, result: dict[str, Any] | None) -> bool:
        answered = status == 0 and result is not None and "raised" not in result
        if result is not None and "raised" in result:
            self.stats["raised"] += 1
        if answered and result is not None and "error" in result:
            self.errors.append(f"tick at {at}: refused: {result['error']}")
        report = result if answered and result is not None and "error" not in result else {}
        run = Run(at, clean=fate.kind == "clean" and bool(report))
        run.pending = {self.reported(o) for o in report.get("pending", []) + report.get("deferred", [])}
        run.unresolved = {self.reported(o) for o in report.get("unresolved", [])}
        for key in ("created", "failed", "unresolved", "pending", "deferred", "revoked"):
            self.stats[f"report: {key}"] += len(report.get(key, []))
        for entry in report.get("withdrawn", []):
            self.withdrawn(entry["program"], [entry])
        self.runs.append(run)
        return answered

    def tick_event(self, at: float) -> dict[str, Any]:
        """EventBridge's scheduled event (the programs in LIVEREC_PROGRAMS), or the schedule's input."""
        if self.configured == "input":
            return {"programs": CONFIGURED}
        return {
            "version": "0",
            "id": f"month-{self.sequence}",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
            "region": "ap-east-1",
            "resources": ["arn:aws:events:ap-east-1:123456789012:rule/liverec-rollout"],
            "detail": {},
        }

    def reported(self, occurrence: dict[str, Any]) -> Identity:
        start, end = (int(datetime.fromisoformat(occurrence[k]).timestamp()) for k in ("start", "end"))
        return identity(self.api, occurrence["stream"], start, end, occurrence["domain"])

    def run(self) -> None:
        actions = self.plan()
        self.versions = [Version(p["name"], p, since=self.start) for p in CONFIGURED]
        for index in range(self.days * DAY // self.step):
            at = self.start + index * self.step
            fate = draw(self.rng, self.api)
            concurrent = None
            for action in actions.get(index, []):
                event = self.operate(at, action)
                if event is not None:
                    concurrent, fate = event, Fate()  # the tick a cancel races with runs clean
            self.tick(at, fate, concurrent)

    # --- the verdict ------------------------------------------------------------------------------------

    def asked(self) -> Asked:
        """What the programs asked for, by the oracle, and what the ticks reported."""
        asked, cancellable = Asked(oneoffs=set(self.oneoffs)), set()
        horizon = HORIZON[self.api]
        for version in self.versions:
            active = [r for r in self.runs if version.since <= r.at < version.until]
            cancel = self.cancels.get(version.name)
            taken_back = self.taken_back(version)
            for piece in pieces(self.api, version.body, self.start - 2 * DAY, self.end + horizon + DAY):
                runs = [r for r in active if due(piece, r.at, horizon)]
                if not runs:
                    continue
                wanted = identity(self.api, version.body["stream"], *piece)
                if (cancel is not None and piece[0] > cancel) or piece in taken_back:
                    cancellable.add(wanted)
                elif version.since <= piece[0] < min(version.until, self.end):
                    asked.expected.add(wanted)
                    asked.chances[wanted] += sum(1 for r in runs if r.clean and wanted not in r.pending)
                else:
                    asked.allowed.add(wanted)
        asked.allowed -= asked.expected
        asked.cancelled = cancellable - asked.expected - asked.allowed - asked.oneoffs
        for run in self.runs:
            asked.unresolved |= run.unresolved
        asked.not_cancelled = set(self.not_cancelled)
        asked.lists = self.api in DESCRIBE
        return asked

    def taken_back(self, version: Version) -> set[tuple[int, int]]:
        """The occurrences a version asked for that its replacement's exceptions skip or move away, not
        started at the replacement (README: such a PUT cancels their bookings; a changed cron or duration
        leaves them be)."""
        after = [v for v in self.versions if v.name == version.name and v.since >= version.until]
        same = ("stream", "cron", "timezone", "duration")
        if not after or any(after[0].body[k] != version.body[k] for k in same):
            return set()
        hi = self.end + HORIZON[self.api] + DAY
        kept = set(pieces(self.api, after[0].body, version.until, hi))
        return {p for p in pieces(self.api, version.body, version.until, hi) if p not in kept}

    def tasks(self) -> list[tuple[Identity, bool]]:
        found = []
        for task in self.emulator.tasks():
            live = not task.deleted and task.stopped_at is None
            found.append((identity(self.api, task.stream, int(task.start), int(task.end), task.domain), live))
        return found


def scan(table: Any) -> list[dict[str, Any]]:
    """Every item of the ledger's table, as DynamoDB holds it."""
    items: list[dict[str, Any]] = []
    start: dict[str, Any] = {}
    while True:
        page = table.call("Scan", TableName=TABLE, **start)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def keep_evidence(state: Month, log: Path, keep: Path, table: Any) -> None:
    """The containers' log, Tencent's tasks and requests, and the runs, for a look after the month."""
    from dataclasses import asdict

    keep.mkdir(parents=True, exist_ok=True)
    if log.exists():
        (keep / log.name).write_bytes(log.read_bytes())
    evidence = {
        "tasks": [asdict(t) for t in state.emulator.tasks()],
        "requests": [
            {k: v for k, v in asdict(r).items() if k not in ("headers", "raw")}
            for r in state.emulator.requests()
        ],
        "runs": [{"at": r.at, "clean": r.clean} for r in state.runs],
        "oneoffs": sorted(state.oneoffs, key=str),
        "cancels": state.cancels,
        "stats": dict(state.stats),
        "ledger": scan(table),
    }
    (keep / f"{state.api}.json").write_text(json.dumps(evidence, default=str), encoding="utf-8")


def month(api: str, args: argparse.Namespace) -> dict[str, Any]:
    """One generation's month, its verdict and what happened, as JSON."""
    began, keep = time.monotonic(), args.keep
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00")).timestamp()
    with (
        tempfile.TemporaryDirectory(prefix=f"month-{api}-") as workdir,
        world(api, workdir, args.configured) as (emu, ticks, http, table),
    ):
        rng = random.Random(f"{args.seed}/{api}")
        step = int(args.step_hours * 3600)
        state = Month(api, start, args.days, step, rng, emu, ticks, http, workdir, args.configured)
        try:
            state.run()
        finally:
            tail = errors_logged(Path(workdir, f"{api}.log"))
            if keep:
                keep_evidence(state, Path(workdir, f"{api}.log"), Path(keep), table)
        verdict = judge(state.asked(), state.tasks())
        durations = sorted(state.durations) or [0.0]
        state.stats["tick ms, median"] = round(1000 * durations[len(durations) // 2])
        state.stats["tick ms, 90th percentile"] = round(1000 * durations[len(durations) * 9 // 10])
    return {
        "api": api,
        "verdict": summary(verdict),
        "failures": {k: [shown(i) for i in v[:10]] for k, v in verdict.failures.items()},
        "errors": state.errors[:20],
        "stats": dict(state.stats),
        "seconds": round(time.monotonic() - began, 1),
        "log_tail": tail if verdict.failures or state.errors else [],
    }


def shown(recording: Identity) -> str:
    """A recording as the report names it: stream (domain) and window, UTC."""
    domain, _, stream, start, end = recording
    begin, finish = (datetime.fromtimestamp(t, UTC).strftime("%m-%d %H:%M") for t in (start, end))
    return f"{stream}{f' ({domain})' if domain else ''} {begin}..{finish}"


def errors_logged(log: Path) -> list[str]:
    """The containers' ERROR records, each message and error code once, with how often (the log holds
    WARNING and above)."""
    found: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []:
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("level") == "ERROR":
            error = record.get("error") or {}
            found[f"{record.get('message')} ({error.get('code')})"] += 1
    return [f"{n} x {message}" for message, n in found.most_common()]


def summary(verdict: Verdict) -> dict[str, int]:
    return {
        "expected": verdict.expected,
        "booked": verdict.booked,
        "duplicated": len(verdict.duplicated),
        "missed": verdict.missed,
        "in doubt": len(verdict.in_doubt),
        "no chance": len(verdict.no_chance),
        "silent": len(verdict.silent),
        "left behind": len(verdict.left_behind),
        "left, reported": len(verdict.left_reported),
        "one-offs lost": len(verdict.oneoffs_lost),
        "one-off twice": len(verdict.oneoff_twice),
        "stray": len(verdict.stray),
    }


# --- the command ---------------------------------------------------------------------------------------

# the verdict's counts, as the table heads them
COLUMNS = {
    "expected": "expected",
    "booked": "booked",
    "duplicated": "duplicated",
    "missed": "missed",
    "in doubt": "in doubt",
    "no chance": "no chance",
    "silent": "silent",
    "left behind": "left behind",
    "left, reported": "left, told",
}


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'generation':<12}"
        + "".join(f"{c:>12}" for c in COLUMNS.values())
        + f"{'one-offs':>16}{'verdict':>9}"
    )
    lines = [head, "-" * len(head)]
    for result in results:
        counts = result["verdict"]
        lost, twice = counts["one-offs lost"], counts["one-off twice"]
        oneoffs = f"lost {lost}" if lost else f"kept, {twice} twice" if twice else "kept"
        ok = "pass" if not result["failures"] and not result["errors"] else "FAIL"
        lines.append(
            f"{result['api']:<12}" + "".join(f"{counts[c]:>12}" for c in COLUMNS) + f"{oneoffs:>16}{ok:>9}"
        )
    return "\n".join(lines)


def details(result: dict[str, Any]) -> str:
    stats = result["stats"]
    lines = [
        f"{result['api']}: {result['seconds']} s; " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items()))
    ]
    for kind, ids in result["failures"].items():
        lines.append(f"  {kind}: {ids}")
    lines += [f"  error: {e}" for e in result["errors"]]
    lines += [f"  logged: {e}" for e in result["log_tail"]]
    return "\n".join(lines)


def worker(api: str, args: argparse.Namespace, workdir: str) -> subprocess.Popen[bytes]:
    out = os.path.join(workdir, f"{api}.json")
    command = [sys.executable, "-m", "devtools.month", "--worker", api, "--out", out]
    command += ["--days", str(args.days), "--step-hours", str(args.step_hours), "--seed", str(args.seed)]
    command += ["--start", args.start, "--configured", args.configured]
    command += ["--keep", args.keep] if args.keep else []
    return subprocess.Popen(command, cwd=str(ROOT))  # noqa: S603 - this interpreter, this module


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devtools.month", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--step-hours", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--start", default=START, help="the month's first instant (ISO 8601)")
    parser.add_argument("--only", default=",".join(GENERATIONS), help="generations, comma-separated")
    parser.add_argument(
        "--configured",
        choices=["env", "input"],
        default="env",
        help="the configured programs in LIVEREC_PROGRAMS (a bare scheduled event), or in the schedule's input",
    )
    parser.add_argument("--keep", help="a directory to keep each generation's log, tasks and requests in")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.apis = [a for a in args.only.split(",") if a]
    if unknown := set(args.apis) - set(GENERATIONS):
        parser.error(f"unknown generations: {', '.join(sorted(unknown))}")
    return args


def run_workers(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """Every generation's month at once, each in its worker process; their results, and those that broke."""
    with tempfile.TemporaryDirectory(prefix="month-") as workdir:
        workers = {api: worker(api, args, workdir) for api in args.apis}
        results, broken = [], []
        for api, process in workers.items():
            path = Path(workdir, f"{api}.json")
            if process.wait() != 0 or not path.exists():
                broken.append(api)
                continue
            results.append(json.loads(path.read_text(encoding="utf-8")))
    return results, broken


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.worker:
        Path(args.out).write_text(json.dumps(month(args.worker, args)), encoding="utf-8")
        return 0
    print(
        f"month: {args.days} days from {args.start}, a tick every {args.step_hours} h, seed {args.seed}, "
        f"programs configured in {'LIVEREC_PROGRAMS' if args.configured == 'env' else 'the schedule input'}",
        flush=True,
    )
    began = time.monotonic()
    results, broken = run_workers(args)
    for result in results:
        print(details(result))
    print(table(results))
    print(f"wall time {time.monotonic() - began:.0f} s; the same decisions again: --seed {args.seed}")
    if broken:
        print(f"workers that did not finish: {', '.join(broken)}")
    return 1 if broken or any(r["failures"] or r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
