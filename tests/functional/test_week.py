"""Exactly once over time: a simulated week of timer ticks, in every generation.

The emulator's clock and ours are one simulated clock (pacing and backoff advance it); the ledger is
DynamoDB on moto's server; every other tick runs in a fresh container (settings, ledger client, adapter and
connection pools built anew); faults hit random ticks (a connection dropped after the task was stored or
before, HTTP 5xx, a burst of rate-limit refusals, a failing look-up); mid-week an operator stops a booked
occurrence. Programs are also managed over HTTP (``PUT/DELETE /programs/{name}``, stored in the same table):
one is stored from the start and deleted on the fourth day, another added on the second. Ticks come every
30 min, every 5 min, or 2 h apart.

At the end: no recording exists twice, and every occurrence the programs asked for exists exactly once,
or, where the generation cannot look tasks up, was reported unresolved (``LIVEREC_UNKNOWN_OUTCOME=report``);
the deleted program booked nothing after its deletion, and the added one was booked from the tick after its PUT.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.rollout import handler as rollout
from functions.scheduled import handler as scheduled
from functions.tasks import handler as tasks
from shared.recordings.planning import plan_chunks
from shared.recordings.programs import Program
from shared.support.config import LiveApi, get_settings
from shared.tencent.generations import RECORD_TASK
from tests import utils
from tests.functional.conftest import TABLE, http_event

# The simulated week starts at the run's instant (the wall clock at collection; `make test-dates` chooses it)
# and lasts LIVEREC_WEEK_DAYS days (7; `make test-dates` runs a shortened one). What happens on which day
# scales with it: on a week, the early program is stored at once, the late one on day 2, the operator stops an
# occurrence on day 3, the early program is deleted on day 4.
START = utils.now()
DAYS = int(os.environ.get("LIVEREC_WEEK_DAYS", "7"))
WEEK = timedelta(days=DAYS)
PROGRAMS: list[dict[str, Any]] = [
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
        "name": "morning",
        "stream": "radio",
        "cron": "30 7 * * MON-FRI",
        "timezone": "Europe/Berlin",
        "duration": 1800,
    },
    # one stream name in two push domains: two streams where the generation has domains, one where it does not
    {
        "stream": "shared",
        "domain": "a.push.example",
        "cron": "0 12 * * *",
        "timezone": "UTC",
        "duration": 900,
    },
    {
        "stream": "shared",
        "domain": "b.push.example",
        "cron": "0 12 * * *",
        "timezone": "UTC",
        "duration": 900,
    },
]
# managed over HTTP: stored from the first tick and deleted on day 4; added on day 2
EARLY = {"stream": "early", "cron": "45 9 * * *", "timezone": "Asia/Shanghai", "duration": 2700}
LATE = {"stream": "late", "cron": "15 */4 * * *", "timezone": "UTC", "duration": 1200}
ADD_EARLY, ADD_LATE, STOP, DELETE_EARLY = (WEEK * part / 7 for part in (0, 2, 3, 4))
CREATE = {
    "record-task": "CreateRecordTask",
    "live-record": "CreateLiveRecord",
    "v2": "CreateRecord",
    "fcgi": "Live_Tape_Start",
}
DESCRIBE = {"record-task": "DescribeRecordTask", "v2": "DescribeRecordList"}
# the longest runs first: on two cores (make week) they start at once, the short ones fill in after
CADENCES = {
    "every-5-min": timedelta(minutes=5),
    "every-30-min": timedelta(minutes=30),
    "2-h-gaps": timedelta(hours=2),
}
FAULTS = max(4, 16 * DAYS // 7)

Identity = tuple[str | None, str | None, str, int, int]


@dataclass
class Week:
    """What the ticks reported, and the operator's stop."""

    expected: set[Identity] = field(default_factory=set)
    # ticks at which an occurrence was due with no fault in the way (none injected, none left over)
    chances: Counter[Identity] = field(default_factory=Counter)
    reported: set[Identity] = field(default_factory=set)  # failed or unresolved in some tick's report
    unresolved: set[Identity] = field(default_factory=set)
    failures: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    stopped: Identity | None = None
    created: int = 0
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> program, as PUT
    deleted_at: datetime | None = None
    early_before_delete: set[Identity] = field(default_factory=set)  # what the deleted program had booked


def identity_of(
    api: str, domain: str | None, app: str | None, stream: str, start: float, end: float
) -> Identity:
    if api in ("v2", "fcgi"):  # a stream is its name alone
        domain = app = None
    return (domain, app, stream, int(start), int(end))


def occurrence_of(expected: set[Identity], api: str, task: Any) -> Identity:
    """The occurrence a task records: its own window, or (an occurrence already under way when it was
    booked, recorded from then on: shortened) the expected one it ends with and started before it."""
    return window_of(expected, identity_of(api, task.domain, task.app, task.stream, task.start, task.end))


def window_of(expected: set[Identity], mine: Identity) -> Identity:
    late = [i for i in expected if i[:3] == mine[:3] and i[4] == mine[4] and i[3] < mine[3]]
    return mine if mine in expected or len(late) != 1 else late[0]


def inject(emulator: Emulator, api: str, rng: random.Random, week: Week) -> None:
    kinds = ["drop_after_store", "drop_before_store", "http_5xx", "rate_limit_burst"]
    if api in DESCRIBE:
        kinds.append("failing_lookup")
    kind = rng.choice(kinds)
    week.faults[kind] += 1
    faults, create = emulator.faults, CREATE[api]
    if kind == "drop_after_store":
        faults.drop_after_store(count=1, action=create)
    elif kind == "drop_before_store":
        faults.drop_before_store(count=1, action=create)
    elif kind == "http_5xx":
        faults.http_error(status=rng.choice([500, 502, 503]), count=1, action=create)
    elif kind == "rate_limit_burst":
        faults.rate_limit(count=rng.choice([2, 6]), action=create)  # 6 outlasts the backoff: fails this tick
    else:
        faults.http_error(status=503, count=1, action=DESCRIBE[api])


def manage(method: str, name: str, body: dict[str, Any] | None = None) -> Any:
    """An operator's call to ``/programs/{name}`` on the scheduled function."""
    status, answer = parse(
        scheduled.lambda_handler(http_event(method, f"/programs/{name}", body), LambdaContext())
    )
    assert status == {"PUT": 201, "DELETE": 200}[method], answer
    return answer


def run_week(
    api: str,
    step: timedelta,
    emulator: Emulator,
    new_container: Callable[[], None],
    configure: Callable[..., None],
) -> Week:
    configure(api, LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    rng = random.Random(f"{api}/{step}")
    ticks = int(WEEK / step)
    fault_ticks = set(rng.sample(range(ticks - 6), FAULTS))  # the last ticks run clean
    settings = get_settings()
    horizon = (
        RECORD_TASK.start_horizon if api == "record-task" else timedelta(seconds=settings.rollout_horizon)
    )
    programs = [Program.model_validate(p) for p in PROGRAMS]
    context = LambdaContext(function_name="liverec-rollout", remaining_ms=300_000)
    week = Week()
    for i in range(ticks):
        now = START + i * step
        emulator.clock.freeze(now.timestamp())
        if i % 2 == 0:
            new_container()
        # stored on a tick without a fault, none left over from an earlier tick either (a fault waits for a
        # request to hit): its first occurrences may start before the next tick could retry
        clean = i not in fault_ticks and not emulator.faults.pending()
        if clean and "early" not in week.stored and week.deleted_at is None and now >= START + ADD_EARLY:
            week.stored["early"] = manage("PUT", "early", EARLY)["program"]
        if clean and "late" not in week.stored and now >= START + ADD_LATE:
            week.stored["late"] = manage("PUT", "late", LATE)["program"]
        # deleted on a tick whose recent ticks ran clean: an occurrence that failed just before would never
        # be retried, and the check below could not tell that from a missed booking
        recent = fault_ticks & {i, i - 1, i - 2}
        if (
            "early" in week.stored
            and now >= START + DELETE_EARLY
            and not recent
            and not emulator.faults.pending()
        ):
            manage("DELETE", "early")
            del week.stored["early"]
            week.deleted_at = now
            week.early_before_delete = {
                identity_of(api, t.domain, t.app, t.stream, t.start, t.end)
                for t in emulator.tasks()
                if t.stream == "early"
            }
        if i in fault_ticks:
            inject(emulator, api, rng, week)
        current = programs + [Program.model_validate(p) for p in week.stored.values()]
        for chunk in plan_chunks(
            current, LiveApi(api), now, horizon, default_domain=settings.domain, default_app=settings.app
        ):
            due = identity_of(api, chunk.domain, chunk.app, chunk.program.stream, *chunk.span)
            week.expected.add(due)
            week.chances[due] += int(clean)
        report = rollout.lambda_handler({"programs": PROGRAMS}, context)
        assert "error" not in report, report
        week.created += len(report["created"])
        for failure in report["failed"]:
            week.failures[failure["error"]["code"]] += 1
            start, end = (datetime.fromisoformat(failure[k]).timestamp() for k in ("start", "end"))
            week.reported.add(
                identity_of(api, failure["domain"], failure["app"], failure["stream"], start, end)
            )
        for doubt in report["unresolved"]:
            start, end = (datetime.fromisoformat(doubt[k]).timestamp() for k in ("start", "end"))
            week.unresolved.add(identity_of(api, doubt["domain"], doubt["app"], doubt["stream"], start, end))
            week.reported.add(identity_of(api, doubt["domain"], doubt["app"], doubt["stream"], start, end))
        assert report["pending"] == [] and report["deferred"] == []
        if week.stopped is None and now >= START + STOP:
            week.stopped = operator_stops_a_future_occurrence(api, emulator, now)
    return week


def operator_stops_a_future_occurrence(api: str, emulator: Emulator, now: datetime) -> Identity:
    """Through the tasks function, as an operator would: the first booked occurrence an hour or more ahead."""
    task = min(
        (t for t in emulator.tasks() if t.start >= now.timestamp() + 3600 and t.stopped_at is None),
        key=lambda t: (t.start, t.task_id),
    )
    event = http_event("POST", f"/recordings/{task.task_id}/stop", query={"stream": task.stream})
    status, body = parse(tasks.lambda_handler(event, LambdaContext()))
    assert status == 204, body
    return identity_of(api, task.domain, task.app, task.stream, task.start, task.end)


@pytest.mark.dates
@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
@pytest.mark.parametrize("cadence", list(CADENCES))
def test_a_week_of_ticks_books_every_occurrence_once(
    api: str,
    cadence: str,
    dynamodb: Any,
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    simulated: Callable[[], None],
) -> None:
    week = run_week(api, CADENCES[cadence], fresh_emulator, simulated, configure)

    booked = Counter(occurrence_of(week.expected, api, t) for t in fresh_emulator.tasks())
    # no recording twice, and nothing recorded that no program asked for
    assert [i for i, n in booked.items() if n > 1] == []
    assert set(booked) <= week.expected
    # every occurrence once; where the generation cannot look tasks up, a missing one was reported unresolved
    missing = week.expected - set(booked)
    # a miss is never silent: each was reported, failed or in doubt, by the ticks that could have booked it
    assert missing <= week.reported
    # and only faults cause one: a miss had no tick without a fault in the way, or (where the generation cannot
    # look tasks up) was left in doubt by one
    doubts = set() if api in DESCRIBE else week.unresolved
    assert {m for m in missing if week.chances[m]} <= doubts
    if api in DESCRIBE:
        assert week.unresolved == set()
    # the faults bit: at least one create went unanswered, so reconciliation (or the report) was exercised
    assert (
        week.faults
        and sum(1 for r in fresh_emulator.requests() if r.action == CREATE[api] and r.status != 200) > 0
    )
    # the operator's stop held: that occurrence was never booked again
    assert week.stopped is not None and booked[week.stopped] == 1
    (stopped,) = [
        t
        for t in fresh_emulator.tasks()
        if identity_of(api, t.domain, t.app, t.stream, t.start, t.end) == week.stopped
    ]
    assert stopped.stopped_at is not None
    # programs over HTTP: the added one booked from its PUT on; the deleted one booked nothing after its DELETE,
    # though its later occurrences entered the horizon
    assert {i for i in booked if i[2] == "late"} and week.deleted_at is not None
    early = {i for i in booked if i[2] == "early"}
    assert early and early == {window_of(week.expected, i) for i in week.early_before_delete}
    last = START + WEEK - CADENCES[cadence]
    reach = RECORD_TASK.start_horizon if api == "record-task" else timedelta(days=1)
    after = {  # its occurrences that entered the horizon only after the DELETE
        identity_of(api, c.domain, c.app, c.program.stream, *c.span)
        for c in plan_chunks([Program.model_validate(EARLY | {"name": "early"})], LiveApi(api), last, reach)
        if c.start > week.deleted_at + reach
    }
    # (a daily program: a week that goes on a day past the deletion's horizon has such occurrences)
    assert not after & early and (after or last < week.deleted_at + reach + timedelta(days=1))
    # both programs on the shared stream name were booked: as two streams, or as one where domains do not exist
    shared = {(i[0], i[3]) for i in booked if i[2] == "shared"}
    assert len({d for d, _ in shared}) == (1 if api in ("v2", "fcgi") else 2)
