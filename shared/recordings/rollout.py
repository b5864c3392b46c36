"""Recurring programs on a timer: each tick makes sure a task exists for every occurrence in the horizon.

- Occurrences come from a cron expression in an IANA time zone (cronsim: maintained, no dependencies,
  DST handled the way cron does).
- Horizon: the generation's start limit where it has one (``record-task``: 6 days); elsewhere
  ``LIVEREC_ROLLOUT_HORIZON`` seconds (default one day).
- A window longer than the generation's scheduled cap (a day, where there is one) is split into
  consecutive tasks.
- Exactly once: each chunk is a ledger entry keyed by its occurrence (the program's name where given, the
  stream's domain, app and name, the window), kept until a day after the window ends. One consistent read
  per tick finds what is booked, stopped or deleted (never booked again) or in doubt (reconciled, see
  :mod:`shared.recordings.service`); where the generation can list, an occurrence the ledger has never seen is first
  looked up at Tencent and adopted if it is there.
- Rate limited by a token bucket at the action's documented rate; a failed chunk is reported (and
  counted) and tried again on the next tick; when the function's time runs short the rest is left to the
  next tick (reported as deferred).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.recordings.models import ScheduledRecordingInput
from shared.recordings.programs import Program, occurrences, split
from shared.recordings.rules import stream_identity
from shared.recordings.service import RecordingService, same_recording
from shared.storage.ledger import DONE, Origin, Recording, Summary, ledger_key
from shared.support.config import LiveApi
from shared.support.errors import (
    IdempotencyInProgress,
    InvalidRequest,
    LiverecError,
    OutcomeUnresolved,
)
from shared.support.observability import logger
from shared.support.pacing import PACING, TokenBucket
from shared.support.timeutil import NO_DEADLINE, Deadline, from_unix, isoformat
from shared.tencent.generations import ONE_DAY, generation
from shared.tencent.types import Mode

# A program that asks for more recordings than this within the horizon (every minute for more than a day and
# a half, say) is refused at PUT and, from a schedule's input or LIVEREC_PROGRAMS, skipped and reported on its
# own: no program, nor their sum, ever refuses a whole tick.
MAX_CHUNKS_PER_PROGRAM = 2000
SHARDS = 64  # summary items of settled occurrences (see Chunk.shard)
ALL_SHARDS = tuple(str(shard) for shard in range(SHARDS))


@dataclass(frozen=True)
class Chunk:
    """One recording a program asks for: an occurrence, or one day of a longer one."""

    program: Program
    start: datetime
    end: datetime
    domain: str | None  # the stream's identity in this generation (v2 and fcgi: the name alone)
    app: str | None

    # The occurrence's identity: the program's name where given, the stream and the window (``key``); which
    # summary item holds it once settled (``shard``): one per program's stream, of SHARDS. A tick reads the
    # SHARDS summary items whatever the number of programs; an item holds a program's few occurrences per
    # day of horizon, so even 10,000 programs stay far under DynamoDB's 400 KB. Computed once: a tick asks
    # for them many times.
    key: str = field(init=False, repr=False, compare=False)
    shard: str = field(init=False, repr=False, compare=False)
    span: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        program = self.program
        stream = "|".join((program.name or "", self.domain or "", self.app or "", program.stream))
        span = int(self.start.timestamp()), int(self.end.timestamp())
        key = hashlib.sha256(f"{stream}|{span[0]}|{span[1]}".encode()).hexdigest()[:40]
        shard = str(int(hashlib.sha256(stream.encode()).hexdigest()[:8], 16) % SHARDS)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "shard", shard)
        object.__setattr__(self, "span", span)

    def planned(self, api: LiveApi) -> Recording:
        """The recording this chunk asks for, as the ledger plans it."""
        return Recording(
            api.value, Mode.SCHEDULED.value, self.program.stream, self.domain, self.app, *self.span
        )

    def describe(self) -> dict[str, Any]:
        return {
            "program": self.program.key,
            "stream": self.program.stream,
            "domain": self.domain,
            "app": self.app,
            "start": isoformat(self.start),
            "end": isoformat(self.end),
        }


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
        }


def plan_chunks(
    programs: list[Program],
    api: LiveApi,
    now: datetime,
    horizon: timedelta,
    *,
    default_domain: str | None = None,
    default_app: str | None = None,
    skipped: list[dict[str, Any]] | None = None,
) -> list[Chunk]:
    """The recordings the programs ask for now: what has not ended and starts within the horizon. A program
    over :data:`MAX_CHUNKS_PER_PROGRAM` raises :class:`InvalidRequest`, or, given ``skipped``, is left out
    and reported there."""
    gen = generation(api)
    chunks: dict[str, Chunk] = {}  # by key: programs asking for the very same recording book it once
    for program in programs:
        domain, app = stream_identity(gen, program.domain or default_domain, program.app or default_app)
        try:
            mine = program_chunks(program, now, horizon, cap=gen.scheduled_cap, where=(domain, app))
        except InvalidRequest as exc:
            if skipped is None:
                raise
            skipped.append({"program": program.key, "stream": program.stream, "error": exc.to_dict()})
            continue
        for chunk in mine:
            chunks.setdefault(chunk.key, chunk)
    return list(chunks.values())


def program_chunks(
    program: Program,
    now: datetime,
    horizon: timedelta,
    *,
    cap: timedelta | None,
    where: tuple[str | None, str | None],
) -> list[Chunk]:
    """One program's recordings: each occurrence split at the generation's cap; a day of a long occurrence
    that has already ended is not asked for again, and one that starts past the horizon waits for a later
    tick."""
    found = []
    for start, end in occurrences(program, now, horizon):
        for s, e in split(start, end, cap):
            if e > now and s <= now + horizon:
                found.append(Chunk(program, s, e, *where))
        if len(found) > MAX_CHUNKS_PER_PROGRAM:
            raise InvalidRequest(
                f"the program makes more than {MAX_CHUNKS_PER_PROGRAM} recordings within the horizon; "
                "make it less frequent or shorter, or shorten LIVEREC_ROLLOUT_HORIZON",
                field="cron",
            )
    return found


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
    try:
        _book(
            service,
            # soonest first: a long tick (thousands at Tencent's rate) books what is about to start first
            sorted((c for c in todo if c not in adopted), key=lambda c: (c.start, c.key)),
            report=report,
            bucket=bucket,
            deadline=deadline,
            newly=newly,
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


def _book(
    service: RecordingService,
    chunks: list[Chunk],
    *,
    report: TickReport,
    bucket: TokenBucket,
    deadline: Deadline,
    newly: dict[str, Noted],
) -> None:
    settings = service.settings
    for index, chunk in enumerate(chunks):
        if not deadline.allows(settings.timeout):
            report.deferred = [c.describe() for c in chunks[index:]]
            break
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
            if outcome.replayed:
                report.existing += 1
            else:
                report.created.append(outcome.body)


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
