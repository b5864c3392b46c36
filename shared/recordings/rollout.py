"""Recurring programs on a timer: each tick makes sure a task exists for every occurrence in the horizon.

- What to book comes from :mod:`shared.recordings.planning` (the occurrences in the horizon that have not
  ended, split at the generation's longest task). Horizon: the generation's start limit where it has one
  (``record-task``: 6 days); elsewhere ``LIVEREC_ROLLOUT_HORIZON`` seconds (default one day).
- Exactly once: each chunk is a ledger entry keyed by its occurrence (the program's name where given, the
  stream's domain, app and name, the window), kept until a day after the window ends: each program's entry
  is its ownership. One consistent read per tick finds what is booked, stopped or deleted (never booked
  again) or in doubt (reconciled, see :mod:`shared.recordings.service`); where the generation can list, an
  occurrence the ledger has never seen is first looked up at Tencent and adopted if it is there.
- One recording, one task: programs whose chunks are the same recording (stream, window, options:
  :func:`~shared.recordings.planning.identity`) share the task the first of them booked, in this tick or an
  earlier one; each is recorded as an owner (the others' entries as found), and none books it while another's
  booking of it is under way or in doubt.
- Rate limited by a token bucket at the action's documented rate; a failed chunk is reported (and
  counted) and tried again on the next tick; when the function's time runs short the rest is left to the
  next tick (reported as deferred).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shared.recordings.models import ScheduledRecordingInput
from shared.recordings.planning import Chunk, Identity, identity, plan_chunks
from shared.recordings.programs import Program
from shared.recordings.service import RecordingService, same_recording
from shared.storage.ledger import DONE, Entry, Origin, Summary, ledger_key
from shared.support.errors import (
    IdempotencyInProgress,
    LiverecError,
    OutcomeUnresolved,
)
from shared.support.observability import logger
from shared.support.pacing import PACING, TokenBucket
from shared.support.timeutil import NO_DEADLINE, Deadline, from_unix
from shared.tencent.generations import ONE_DAY, generation
from shared.tencent.types import Mode, TaskInfo


@dataclass
class Noted:
    """What a tick learned about one shard's occurrences, key -> window end, for its summary."""

    done: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)


@dataclass
class TickReport:
    """What one tick did. ``unresolved``: occurrences whose create got no answer where the generation cannot
    look tasks up (never booked again under LIVEREC_UNKNOWN_OUTCOME=report); ``pending``: another tick is
    booking them right now; ``deferred``: left for the next tick, this invocation's time running out."""

    occurrences: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    existing: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # programs over a limit, each with why
    revoked: list[dict[str, Any]] = field(default_factory=list)  # booked for a program deleted meanwhile
    # each task this tick created, with the programs that own it (its creator, then those that share it)
    owners: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "occurrences": self.occurrences,
            "created": self.created,
            "existing": self.existing,
            "failed": self.failed,
            "unresolved": self.unresolved,
            "pending": self.pending,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "revoked": self.revoked,
        }


def _input(chunk: Chunk) -> ScheduledRecordingInput:
    program = chunk.program
    where = {k: v for k, v in (("domain", program.domain), ("app", program.app)) if v is not None}
    return ScheduledRecordingInput(
        stream=program.stream, start=chunk.span[0], end=chunk.span[1], **where, **program.options()
    )


def _origin(chunk: Chunk) -> Origin:
    return Origin("rollout", chunk.program.name)


def tick(
    service: RecordingService,
    programs: list[Program],
    *,
    horizon: timedelta | None = None,
    bucket: TokenBucket | None = None,
    deadline: Deadline = NO_DEADLINE,
    settled: dict[str, Summary] | None = None,
) -> TickReport:
    """``settled``: the ledger's summaries as read with the programs (see
    :meth:`~shared.storage.program_store.ProgramStore.all_with_settled`); a shard missing from it is read here."""
    settings = service.settings
    api = settings.api
    now = from_unix(service.clock()).replace(microsecond=0)
    gen = generation(api)
    # a generation that limits how far ahead a start may lie books to that limit; the others as configured
    horizon = gen.start_horizon or horizon or ONE_DAY
    bucket = bucket or TokenBucket(gen.rate * PACING, clock=service.monotonic, sleep=service.sleep)
    skipped: list[dict[str, Any]] = []
    chunks = plan_chunks(
        programs, api, now, horizon, default_domain=settings.domain, default_app=settings.app, skipped=skipped
    )
    report = TickReport(occurrences=len(chunks), skipped=skipped)
    ledger = service.ledger
    # what is settled or in doubt, from a few summary items; then the entries of everything else (usually
    # the few occurrences that just entered the horizon)
    settled = dict(settled or {})
    if missing := {c.shard for c in chunks} - settled.keys():
        settled |= ledger.settled(missing, service.clock())
    newly = {shard: Noted() for shard in settled}
    unsettled: list[Chunk] = []
    for chunk in chunks:
        summary = settled[chunk.shard]
        if chunk.key in summary.done:
            report.existing += 1
        elif chunk.key in summary.unresolved and (doubt := service.unresolvable(chunk.planned(api))):
            report.unresolved.append(chunk.describe() | {"error": doubt.to_dict()})
        else:  # new, or in doubt where the policy now allows reconciling or creating again
            unsettled.append(chunk)
    entries = ledger.get_many((ledger_key("rollout", c.key) for c in unsettled), service.clock())
    todo: list[Chunk] = []
    for chunk in unsettled:
        entry = entries.get(ledger_key("rollout", chunk.key))
        if entry is not None and entry.state in DONE:
            report.existing += 1
            newly[chunk.shard].done[chunk.key] = chunk.span[1]
        else:
            todo.append(chunk)
    adopted = _adopt_booked(service, [c for c in todo if ledger_key("rollout", c.key) not in entries])
    report.existing += len(adopted)
    for chunk in adopted:
        newly[chunk.shard].done[chunk.key] = chunk.span[1]
    now_ts = service.clock()
    for chunk in [c for c in todo if c not in adopted]:
        # in doubt, and known from the read above: report it without another claim attempt
        entry = entries.get(ledger_key("rollout", chunk.key))
        if entry is None:
            continue
        if entry.held(now_ts):
            report.pending.append(chunk.describe())
            todo.remove(chunk)
        elif entry.in_doubt(now_ts) and (doubt := service.unresolvable(entry.recording)) is not None:
            report.unresolved.append(chunk.describe() | {"error": doubt.to_dict()})
            newly[chunk.shard].unresolved[chunk.key] = chunk.span[1]
            todo.remove(chunk)
    todo = [c for c in todo if c not in adopted]
    try:
        _book(
            service,
            # soonest first: a long tick (thousands at Tencent's rate) books what is about to start first
            sorted(todo, key=lambda c: (c.start, c.key)),
            report=report,
            bucket=bucket,
            deadline=deadline,
            newly=newly,
            shared=_siblings(service, chunks, todo, entries),
        )
    finally:
        for shard, summary in settled.items():
            ended = {
                key: end for key, end in (summary.done | summary.unresolved).items() if end <= now.timestamp()
            }
            noted = newly[shard]
            if noted.done or noted.unresolved or ended:
                ledger.note_settled(
                    shard, summary, noted.done, ended, service.clock(), unresolved=noted.unresolved
                )
    return report


@dataclass
class Shared:
    """Per tick, the recordings more than one program asks for: the task a program's booking of it holds
    (``booked``), or that one is being booked or in doubt (``busy``: the others wait, never book it again)."""

    booked: dict[Identity, str] = field(default_factory=dict)
    busy: set[Identity] = field(default_factory=set)


def _siblings(
    service: RecordingService, chunks: list[Chunk], todo: list[Chunk], entries: dict[str, Entry]
) -> Shared:
    """What the other programs asking for the same recordings as ``todo`` have booked (one extra read, only
    where programs share a recording)."""
    if not todo:  # a steady tick: nothing to book, nothing to compare
        return Shared()
    wanted = {identity(c) for c in todo}
    near = {same[:5] for same in wanted}  # stream and window first: cheap, and rarely shared
    siblings = [
        c for c in chunks if (c.domain, c.app, c.program.stream, *c.span) in near and identity(c) in wanted
    ]
    if len(siblings) == len(todo):
        return Shared()
    missing = [ledger_key("rollout", c.key) for c in siblings if ledger_key("rollout", c.key) not in entries]
    found = {**entries, **(service.ledger.get_many(missing, service.clock()) if missing else {})}
    shared = Shared()
    now = service.clock()
    for chunk in siblings:
        entry = found.get(ledger_key("rollout", chunk.key))
        if entry is None:
            continue
        if entry.state == "created" and entry.recording.task_id is not None:
            shared.booked.setdefault(identity(chunk), entry.recording.task_id)
        elif entry.held(now) or entry.in_doubt(now):
            shared.busy.add(identity(chunk))
    return shared


def _share(service: RecordingService, chunk: Chunk, task_id: str) -> bool:
    """Record ``chunk`` as another owner of the booking ``task_id`` (found, never cancelled as its own)."""
    task = TaskInfo(task_id=task_id, stream=chunk.program.stream, domain=chunk.domain, app=chunk.app)
    return service.adopt(_input(chunk), Mode.SCHEDULED, chunk.key, _origin(chunk), task)


def _book(
    service: RecordingService,
    chunks: list[Chunk],
    *,
    report: TickReport,
    bucket: TokenBucket,
    deadline: Deadline,
    newly: dict[str, Noted],
    shared: Shared,
) -> None:
    settings = service.settings
    for index, chunk in enumerate(chunks):
        if not deadline.allows(settings.timeout):
            report.deferred = [c.describe() for c in chunks[index:]]
            break
        same = identity(chunk)
        if same in shared.booked:  # another program booked this very recording: one task, two owners
            task_id = shared.booked[same]
            if _share(service, chunk, task_id):
                report.existing += 1
                if task_id in report.owners:  # created by this tick: this program owns it too
                    report.owners[task_id].append(chunk.program.key)
                newly[chunk.shard].done[chunk.key] = chunk.span[1]
            else:
                report.pending.append(chunk.describe())
            continue
        if same in shared.busy:  # another program's booking of it is under way or in doubt: never twice
            report.pending.append(chunk.describe())
            continue
        try:
            data = _input(chunk)
            bucket.take()
            outcome = service.create(
                data, Mode.SCHEDULED, chunk.key, origin=_origin(chunk), deadline=deadline, wait=False
            )
        except OutcomeUnresolved as exc:
            report.unresolved.append(chunk.describe() | {"error": exc.to_dict()})
            newly[chunk.shard].unresolved[chunk.key] = chunk.span[1]
        except IdempotencyInProgress:
            report.pending.append(chunk.describe())
        except LiverecError as exc:
            report.failed.append(chunk.describe() | {"error": exc.to_dict()})
        else:
            newly[chunk.shard].done[chunk.key] = chunk.span[1]
            shared.booked[same] = str(outcome.body["task_id"])
            if outcome.replayed:
                report.existing += 1
            else:
                report.created.append(outcome.body)
                report.owners[str(outcome.body["task_id"])] = [chunk.program.key]


def _adopt_booked(service: RecordingService, chunks: list[Chunk]) -> set[Chunk]:
    """Occurrences the ledger has never seen but Tencent has (booked before the ledger held them, or by a
    container whose ledger was lost): recorded as booked instead of booked twice. Where the generation can
    list; a failing look-up is logged and skipped (the ledger is the system of record)."""
    if not service.lists_tasks or not chunks:
        return set()
    groups: dict[tuple[str | None, str | None, str], list[Chunk]] = {}
    for chunk in chunks:
        groups.setdefault((chunk.domain, chunk.app, chunk.program.stream), []).append(chunk)
    adopted: set[Chunk] = set()
    api = service.settings.api
    for (domain, app, stream), members in groups.items():
        try:
            tasks = service.find_tasks(stream, domain, app, [c.span for c in members])
        except LiverecError as exc:
            logger.warning(
                "look-up before booking failed; booking from the ledger alone",
                extra={"stream": stream, "error": exc.to_dict()},
            )
            continue
        for chunk in members:
            wanted = chunk.planned(api)
            task = next((t for t in tasks if same_recording(t, wanted)), None)
            if task is not None and service.adopt(
                _input(chunk), Mode.SCHEDULED, chunk.key, _origin(chunk), task
            ):
                adopted.add(chunk)
    return adopted
