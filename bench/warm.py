"""Warm overhead: per-request latency of a create through the ``realtime`` handler (event parsing, auth,
validation, idempotency, planning, signing, the emulator round trip on loopback, the response), p50 and p99
over thousands of requests, and the share of each stage. Then the same for ``GET /recordings/{task_id}``
through the ``tasks`` handler on a recording with its files: where the generation describes the task
(``record-task``: the ledger and a ``DescribeRecordTask`` round trip) and where it cannot (``live-record``:
the ledger alone).

The emulator runs in its own process (``devtools.emulator.emulator_process``, ``--no-limits``) so the round
trip is a real loopback exchange, not a thread switch; the handler runs in this process, warm (the first
requests are discarded). Stages are timed by thin wrappers around the functions that do them."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import FakeContext, Goal, Section, environment, function_env, median, percentile, table

GOAL_P50_MS = 2.0
GOAL_P99_MS = 5.0
GET_APIS = ("record-task", "live-record")  # describes the task at Tencent / the ledger alone
GET_FILES = 3  # files on the recording read back
STAGES = (
    ("pre", "event parsing, auth, validation, routing"),
    ("idempotency", "idempotency check and record (in-process store)"),
    ("plan", "rules and planning"),
    ("signing", "TC3 signing and headers"),
    ("round_trip", "emulator round trip on loopback (its processing included)"),
    ("service_rest", "the rest of the create (result, JSON)"),
    ("post", "response, log line, metrics"),
)
WRAPPED = ("idempotency", "plan", "signing", "round_trip")


class Timers:
    """One request's stage durations (ns), summed by wrappers, and the service create's entry and exit."""

    def __init__(self) -> None:
        self.spent: dict[str, int] = defaultdict(int)
        self.marks: dict[str, int] = {}

    def wrap(self, owner: Any, name: str, stage: str | None = None) -> Callable[[], None]:
        """Time ``owner.name`` into ``stage``; with no stage, mark its entry and exit. Returns the undo."""
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            if stage is None:
                self.marks["enter"] = start
            try:
                return original(*args, **kwargs)
            finally:
                end = time.perf_counter_ns()
                if stage is None:
                    self.marks["exit"] = end
                else:
                    self.spent[stage] += end - start

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)

    def stages(self, start: int, end: int) -> dict[str, float]:
        """The request's stages in ms, given when the handler was entered and left."""
        enter, exit_ = self.marks["enter"], self.marks["exit"]
        found = {stage: self.spent[stage] / 1e6 for stage in WRAPPED}
        found["pre"], found["post"] = (enter - start) / 1e6, (end - exit_) / 1e6
        found["service_rest"] = (exit_ - enter - sum(self.spent.values())) / 1e6
        return found


@contextmanager
def instrumented(timers: Timers) -> Iterator[None]:
    from shared.recordings import creating
    from shared.storage.memory import MemoryLedger
    from shared.tencent.api3 import Api3Client
    from shared.tencent.transport import Transport

    undo = [
        timers.wrap(creating.CreateOnce, "create"),
        timers.wrap(creating, "wait_for_claim", "idempotency"),
        timers.wrap(MemoryLedger, "settle", "idempotency"),
        timers.wrap(creating.CreateOnce, "plan", "plan"),
        timers.wrap(Api3Client, "headers", "signing"),
        timers.wrap(Transport, "exchange", "round_trip"),
    ]
    try:
        yield
    finally:
        for restore in undo:
            restore()


def measure(requests: int, warmup: int) -> tuple[list[float], dict[str, list[float]]]:
    from devtools.emulator import emulator_process
    from devtools.events import load_event

    template = json.dumps(load_event("realtime_create"))
    totals: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    timers = Timers()
    with emulator_process("--no-limits") as url, environment(function_env(url)), instrumented(timers):
        from functions.realtime import handler
        from shared.app import ledger
        from shared.storage.memory import MemoryLedger

        for i in range(warmup + requests):
            event = json.loads(template)
            event["headers"]["idempotency-key"] = f"warm-{i}"
            timers.spent.clear()
            timers.marks.clear()
            start = time.perf_counter_ns()
            result = handler.lambda_handler(event, FakeContext())
            end = time.perf_counter_ns()
            if result["statusCode"] != 201:
                raise RuntimeError(f"request {i} answered {result['statusCode']}: {result.get('body')}")
            if i >= warmup:
                totals.append((end - start) / 1e6)
                for stage, ms in timers.stages(start, end).items():
                    stages[stage].append(ms)
        assert isinstance(ledger(), MemoryLedger)  # the in-process ledger was used
    return totals, stages


def file_callback(task_id: str, n: int) -> dict[str, Any]:
    """The record-file sample for ``task_id``, as its ``n``-th file (its own file id and URL), signed."""
    from devtools.events import load_event

    event = load_event("webhooks_callback_record_file", task_id=task_id)
    body = json.loads(event["body"])
    body |= {
        "file_id": f"bench-{n}",
        "record_file_id": f"bench-{n}",
        "video_url": f"http://1234567890.vod2.myqcloud.com/bench/{n}.mp4",
    }
    event["body"] = json.dumps(body)  # Tencent's sign covers the key and t, not the body
    return event


def measure_get(api: str, requests: int, warmup: int) -> tuple[list[float], list[float]]:
    """Per request (ms): ``GET /recordings/{task_id}`` in all, and its Tencent round trips."""
    from devtools.emulator import emulator_process
    from devtools.events import load_event
    from shared.tencent.transport import Transport

    totals: list[float] = []
    trips: list[float] = []
    timers = Timers()
    with emulator_process("--no-limits") as url, environment(function_env(url, LIVE_API=api)):
        from functions.realtime import handler as realtime
        from functions.tasks import handler as tasks
        from functions.webhooks import handler as webhooks

        created = realtime.lambda_handler(load_event("realtime_create"), FakeContext())
        task_id = json.loads(created["body"])["task_id"]
        for n in range(GET_FILES):
            answer = webhooks.lambda_handler(file_callback(task_id, n), FakeContext())
            if answer["statusCode"] != 200:
                raise RuntimeError(f"the record-file callback answered {answer['statusCode']}: {answer}")
        template = json.dumps(load_event("tasks_get", task_id=task_id))
        undo = timers.wrap(Transport, "exchange", "round_trip")
        try:
            for i in range(warmup + requests):
                event = json.loads(template)
                timers.spent.clear()
                start = time.perf_counter_ns()
                result = tasks.lambda_handler(event, FakeContext())
                end = time.perf_counter_ns()
                if result["statusCode"] != 200 or len(json.loads(result["body"])["files"]) != GET_FILES:
                    raise RuntimeError(f"GET {i} answered {result['statusCode']}: {result.get('body')}")
                if i >= warmup:
                    totals.append((end - start) / 1e6)
                    trips.append(timers.spent["round_trip"] / 1e6)
        finally:
            undo()
    return totals, trips


PROGRAMS_STORED = 10  # stored programs GET /programs answers (each with its occurrences and bookings)


def measure_programs(requests: int, warmup: int) -> tuple[dict[str, list[float]], int]:
    """Per request (ms): ``PUT /programs/{name}`` (replacing one) and ``GET /programs`` (every stored program
    with its occurrences in the horizon and what the ledger holds for them), through the scheduled handler;
    the stored programs booked by one tick first, so the look-ups find entries. The sample is a weekday
    program: from Friday evening to Sunday evening (China time) nothing is due within the tick's day, and the
    look-ups find no booking. Returns the times and how many recordings the tick booked (0 then)."""
    from devtools.events import load_event

    found: dict[str, list[float]] = {"put": [], "list": []}
    with emulator_process_env("live-record") as _:
        from functions.rollout import handler as rollout
        from functions.scheduled import handler as scheduled

        put = load_event("scheduled_program_put")
        for n in range(PROGRAMS_STORED):
            event = json.loads(json.dumps(put).replace("evening-news", f"program-{n}"))
            if scheduled.lambda_handler(event, FakeContext())["statusCode"] != 201:
                raise RuntimeError("PUT /programs did not store a program")
        report = rollout.lambda_handler(load_event("rollout_timer_bare"), FakeContext())
        if "error" in report or report.get("failed") or report.get("unresolved"):
            raise RuntimeError(f"the tick did not book the stored programs: {report}")
        booked = len(report["created"])
        templates = {
            "put": (json.dumps(put), 200),
            "list": (json.dumps(load_event("scheduled_programs_list")), 200),
        }
        for kind, (template, expected) in templates.items():
            for i in range(warmup + requests):
                event = json.loads(template)
                start = time.perf_counter_ns()
                result = scheduled.lambda_handler(event, FakeContext())
                end = time.perf_counter_ns()
                if result["statusCode"] not in (expected, 201):
                    raise RuntimeError(f"{kind} {i} answered {result['statusCode']}: {result.get('body')}")
                if i >= warmup:
                    found[kind].append((end - start) / 1e6)
    return found, booked


@contextmanager
def emulator_process_env(api: str) -> Iterator[str]:
    from devtools.emulator import emulator_process

    with emulator_process("--no-limits") as url, environment(function_env(url, LIVE_API=api)):
        yield url


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "mean": sum(values) / len(values),
        "p50": median(values),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values),
    }


def run(smoke: bool) -> Section:
    requests, warmup = (200, 20) if smoke else (5000, 200)
    totals, stages = measure(requests, warmup)
    p50, p99 = median(totals), percentile(totals, 99)
    mean_total = sum(totals) / len(totals)
    rows = [["total (handler in to handler out)", f"{p50:.3f}", f"{p99:.3f}", "100%"]]
    for key, label in STAGES:
        values = stages[key]
        share = (sum(values) / len(values)) / mean_total
        rows.append([label, f"{median(values):.3f}", f"{percentile(values, 99):.3f}", f"{share:.0%}"])
    goals = [
        Goal("warm create p50 (loopback)", f"< {GOAL_P50_MS} ms", f"{p50:.2f} ms", p50 < GOAL_P50_MS),
        Goal("warm create p99 (loopback)", f"< {GOAL_P99_MS} ms", f"{p99:.2f} ms", p99 < GOAL_P99_MS),
    ]
    markdown = (
        f"{requests} creates (`POST /recordings/realtime`, each with its own `Idempotency-Key`) through "
        f"`functions/realtime/handler.lambda_handler`, after {warmup} discarded warm-up requests, one at a "
        "time, against the emulator in its own process (`--no-limits`) on 127.0.0.1 over one kept-alive "
        "connection. Stage times come from wrappers around the service's create (its entry and exit split "
        "*pre* and *post*), the idempotency calls, planning, `Api3Client.headers` and `Transport.exchange`; "
        "shares are of the mean.\n\n" + table(["stage", "p50 ms", "p99 ms", "share"], rows)
    )
    data: dict[str, Any] = {
        "total_ms": summary(totals),
        "stages_ms": {k: summary(v) for k, v in stages.items()},
    }
    get_rows = []
    for api in GET_APIS:
        get_totals, get_trips = measure_get(api, requests, warmup)
        g50, g99 = median(get_totals), percentile(get_totals, 99)
        trip_share = sum(get_trips) / sum(get_totals)
        get_rows.append([f"`LIVE_API={api}`", f"{g50:.3f}", f"{g99:.3f}", f"{trip_share:.0%}"])
        goals += [
            Goal(
                f"warm GET /recordings/{{id}} p50 ({api})",
                f"< {GOAL_P50_MS} ms",
                f"{g50:.2f} ms",
                g50 < GOAL_P50_MS,
            ),
            Goal(
                f"warm GET /recordings/{{id}} p99 ({api})",
                f"< {GOAL_P99_MS} ms",
                f"{g99:.2f} ms",
                g99 < GOAL_P99_MS,
            ),
        ]
        data[f"get_{api}_ms"] = {"total": summary(get_totals), "tencent_round_trips": summary(get_trips)}
    markdown += (
        f"\n\n`GET /recordings/{{task_id}}` ({requests} requests after {warmup} discarded, the same way) "
        f"through `functions/tasks/handler.lambda_handler`, on a real-time recording with {GET_FILES} files "
        "(kept from signed record-file callbacks through the webhooks handler), in-process ledger. "
        "`record-task` describes the task at Tencent on every request (`DescribeRecordTask`); `live-record` "
        "cannot, and answers from the ledger alone.\n\n"
        + table(["generation", "p50 ms", "p99 ms", "Tencent round trips (share)"], get_rows)
    )
    programs, booked = measure_programs(requests, warmup)
    program_rows = [
        [label, f"{median(programs[kind]):.3f}", f"{percentile(programs[kind], 99):.3f}"]
        for kind, label in (("put", "`PUT /programs/{name}` (replacing)"), ("list", "`GET /programs`"))
    ]
    data["programs_ms"] = {kind: summary(values) for kind, values in programs.items()}
    data["programs_booked"] = booked
    due = (
        f"booked by one tick ({booked} recordings)"
        if booked
        else "of which nothing was due within the tick's day at this run's instant (a weekday program, "
        "run between Friday and Sunday evening, China time): the look-ups found no booking"
    )
    markdown += (
        f"\n\nPrograms as data ({requests} requests each after {warmup} discarded) through "
        f"`functions/scheduled/handler.lambda_handler`, `LIVE_API=live-record`, in-process store: "
        f"{PROGRAMS_STORED} stored programs, {due}; each answer computes the programs' "
        "occurrences in the horizon and reads what the ledger holds for them (informational, no goal).\n\n"
        + table(["route", "p50 ms", "p99 ms"], program_rows)
    )
    return Section("warm", "Warm overhead", markdown, goals, data)
