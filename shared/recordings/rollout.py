"""Recurring programs on a timer: each tick makes sure a task exists for every occurrence in the horizon.

- What to book comes from :mod:`shared.recordings.planning` (the occurrences in the horizon that have not
  ended, split at the generation's longest task). Horizon: the generation's start limit where it has one
  (``record-task``: 6 days); elsewhere ``LIVEREC_ROLLOUT_HORIZON`` seconds (default one day).
- Exactly once: each chunk is a ledger entry keyed by its occurrence (program, stream, window), kept until
  a day after the window ends: a program's entry is its ownership. The summaries and one batch read find
  what is booked, stopped or deleted (never booked again) or in doubt (reconciled, see
  :mod:`shared.recordings.creating`); an occurrence the ledger has never seen is first looked for among
  the ledger's bookings and, where the generation lists, at Tencent (:mod:`shared.recordings.adopting`).
- One recording, one task: programs whose chunks are the same recording (stream, window, options:
  :func:`~shared.recordings.planning.identity`) share the task the first of them booked, in this tick or an
  earlier one; each is recorded as an owner (the others' entries as found), and none books it while another's
  booking of it is under way or in doubt.
- Paced at the action's documented rate; a failed chunk is reported and tried again on the next tick;
  when the function's time runs short the rest is left to the next tick (deferred). A chunk under way is
  booked from now (reported as shortened).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.recordings.adopting import booked_elsewhere
from shared.recordings.booking import Booking
from shared.recordings.creating import as_created
from shared.recordings.finding import unresolvable
from shared.recordings.planning import Chunk, identity, plan_chunks
from shared.recordings.programs import Program
from shared.recordings.rules import SHORTENED
from shared.recordings.sharing import Shared, siblings
from shared.storage.ledger import DONE, Entry, Origin, Summary, ledger_key
from shared.support.errors import (
    IdempotencyInProgress,
    LiverecError,
    OutcomeUnknown,
    OutcomeUnresolved,
)
from shared.support.pacing import PACING, TokenBucket
from shared.support.timeutil import NO_DEADLINE, Deadline, from_unix, isoformat
from shared.tencent.generations import ONE_DAY


class Noted:
    """What a tick learned about one shard's occurrences (key -> window end), for its summary."""

    __slots__ = ("done", "unresolved")

    def __init__(self) -> None:
        self.done: dict[str, int] = {}
        self.unresolved: dict[str, int] = {}


MAX_LISTED = (
    1000  # deferred occurrences a report lists (it counts them all): an answer far under Lambda's 6 MB
)
# what a tick's report answers, in order (``owners`` and ``waiting`` are for the function's later steps)
REPORTED = (
    "occurrences",
    "created",
    "existing",
    "failed",
    "unresolved",
    "pending",
    "deferred",
    "deferred_total",
    "skipped",
    "shortened",
    "revoked",
    "unread_from",
)


class TickReport:
    """What one tick did (the function's working state, filled as it goes). ``unresolved``: occurrences
    whose create got no answer where the generation cannot look tasks up (never booked again under
    LIVEREC_UNKNOWN_OUTCOME=report); ``pending``: another tick is booking them right now; ``deferred``: left
    for the next tick, this invocation's time running out (the first MAX_LISTED of them)."""

    __slots__ = (*REPORTED, "ended", "owners", "waiting")

    def __init__(self, occurrences: int = 0, skipped: list[dict[str, Any]] | None = None) -> None:
        self.occurrences = occurrences
        self.created: list[dict[str, Any]] = []
        self.existing = 0
        self.failed: list[dict[str, Any]] = []
        self.unresolved: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.deferred: list[dict[str, Any]] = []
        self.deferred_total = 0
        self.skipped: list[dict[str, Any]] = skipped if skipped is not None else []  # each with why
        self.shortened: list[dict[str, Any]] = []  # created under way: booked from ``from``
        self.revoked: list[dict[str, Any]] = []  # booked for a program deleted meanwhile
        # the stored programs due from then were left unread (more than a tick reads): the next tick goes on
        self.unread_from: str | None = None
        # each task this tick created, with the programs that own it and their entries (creator first)
        self.owners: dict[str, list[tuple[str, str]]] = {}
        # per program, the start (epoch) of its first recording left unsettled: when it is due again
        self.waiting: dict[str, int] = {}
        # the booked occurrences whose window ended, dropped from the summaries by this tick (once each)
        self.ended: list[str] = []

    def defer(self, chunks: list[Chunk]) -> None:
        """Left to the next tick: counted, and listed up to :data:`MAX_LISTED` (the answer stays small)."""
        self.deferred_total += len(chunks)
        self.deferred += [c.describe() for c in chunks[: max(MAX_LISTED - len(self.deferred), 0)]]

    def to_dict(self) -> dict[str, Any]:
        """The report as the function answers it (who owns what, and when each program is due again, are
        for the function's steps after the tick)."""
        return {name: getattr(self, name) for name in REPORTED}


def _origin(chunk: Chunk) -> Origin:
    return Origin("rollout", chunk.program.name)


def tick(
    parts: Booking,
    programs: list[Program],
    *,
    horizon: timedelta | None = None,
    bucket: TokenBucket | None = None,
    deadline: Deadline = NO_DEADLINE,
    settled: dict[str, Summary] | None = None,
    until: float | None = None,
) -> TickReport:
    """One tick, in its steps: plan the chunks; read what is settled (summaries, then the entries of the
    rest); adopt what Tencent already has; set aside what another tick holds or what stays in doubt; book
    the rest soonest first; note what was settled. ``settled``: summaries already read (a shard missing
    from it is read here). ``until``: nothing starting after it is booked (deferred): programs due before
    those were left unread, so soonest first holds across all programs."""
    now = from_unix(parts.clock()).replace(microsecond=0)
    chunks, skipped = _plan(parts, programs, now, horizon)
    summaries = _summaries(parts, chunks, settled)
    run = _Run(parts, TickReport(occurrences=len(chunks), skipped=skipped), {s: Noted() for s in summaries})
    unsettled = [c for c in chunks if not run.known(c, summaries[c.shard])]
    entries = parts.ledger.get_many((ledger_key("rollout", c.key) for c in unsettled), parts.clock())
    todo = [c for c in unsettled if not run.booked(c, entries.get(ledger_key("rollout", c.key)))]
    todo = _adopt_booked(run, todo, entries)
    todo = [c for c in todo if not run.set_aside(c, entries.get(ledger_key("rollout", c.key)))]
    gen = parts.policy.generation
    todo = sorted(todo, key=lambda c: (c.start, c.key))  # soonest first, across all programs
    later = [c for c in todo if until is not None and c.span[0] > until]
    try:
        _book(
            run,
            todo[: len(todo) - len(later)],
            bucket=bucket or TokenBucket(gen.rate * PACING, clock=parts.monotonic, sleep=parts.sleep),
            deadline=deadline,
            shared=siblings(parts.ledger, parts.clock, chunks, todo, entries),
        )
        run.report.defer(later)
        run.report.unread_from = isoformat(from_unix(until)) if until is not None else None
    finally:
        run.report.ended = _note(parts, summaries, run.newly, now)
    run.report.waiting = _waiting(chunks, summaries, run.newly)
    return run.report


def _waiting(chunks: list[Chunk], summaries: dict[str, Summary], newly: dict[str, Noted]) -> dict[str, int]:
    """Per program, the start of its first chunk neither settled before nor by this tick."""
    waiting: dict[str, int] = {}
    for chunk in chunks:
        if chunk.key not in summaries[chunk.shard].done and chunk.key not in newly[chunk.shard].done:
            key = chunk.program.key
            waiting[key] = min(waiting.get(key, chunk.span[0]), chunk.span[0])
    return waiting


def _plan(
    parts: Booking, programs: list[Program], now: datetime, horizon: timedelta | None
) -> tuple[list[Chunk], list[dict[str, Any]]]:
    """The chunks in the horizon (the generation's start limit where it has one), and the programs skipped."""
    policy = parts.policy
    horizon = policy.generation.start_horizon or horizon or ONE_DAY
    skipped: list[dict[str, Any]] = []
    chunks = plan_chunks(
        programs,
        policy.api,
        now,
        horizon,
        default_domain=policy.domain,
        default_app=policy.app,
        skipped=skipped,
    )
    return chunks, skipped


def _summaries(parts: Booking, chunks: list[Chunk], settled: dict[str, Summary] | None) -> dict[str, Summary]:
    """What is settled or in doubt, from a few summary items: those read with the programs, the rest here."""
    summaries = dict(settled or {})
    if missing := {c.shard for c in chunks} - summaries.keys():
        summaries |= parts.ledger.settled(missing, parts.clock())
    return summaries


class _Run:
    """One tick under way: what it reports, and what it learned per shard for the summaries."""

    __slots__ = ("newly", "parts", "report")

    def __init__(self, parts: Booking, report: TickReport, newly: dict[str, Noted]) -> None:
        self.parts, self.report, self.newly = parts, report, newly

    def known(self, chunk: Chunk, summary: Summary) -> bool:
        """Settled according to its shard's summary: booked, or in doubt and left so by the policy."""
        if chunk.key in summary.done:
            self.report.existing += 1
            return True
        policy = self.parts.policy
        if chunk.key in summary.unresolved and (doubt := unresolvable(policy, chunk.planned(policy.api))):
            self.report.unresolved.append(chunk.describe() | {"error": doubt.to_dict()})
            return True
        return False  # new, or in doubt where the policy now allows reconciling or creating again

    def booked(self, chunk: Chunk, entry: Entry | None) -> bool:
        """Its entry says it is booked (stopped or deleted included: never booked again)."""
        if entry is None or entry.state not in DONE:
            return False
        self.report.existing += 1
        self.done(chunk)
        return True

    def set_aside(self, chunk: Chunk, entry: Entry | None) -> bool:
        """Another tick is booking it, or it stays in doubt: reported without another claim attempt."""
        now = self.parts.clock()
        if entry is None:
            return False
        if entry.held(now):
            self.report.pending.append(chunk.describe())
            return True
        if entry.in_doubt(now) and (doubt := unresolvable(self.parts.policy, entry.recording)) is not None:
            self.unresolved(chunk, doubt)
            return True
        return False

    def done(self, chunk: Chunk) -> None:
        self.newly[chunk.shard].done[chunk.key] = chunk.span[1]

    def unresolved(self, chunk: Chunk, error: LiverecError) -> None:
        self.report.unresolved.append(chunk.describe() | {"error": error.to_dict()})
        self.newly[chunk.shard].unresolved[chunk.key] = chunk.span[1]


# a booked occurrence stays in its summary this long past its end, for its last files' callbacks (Tencent
# redelivers for about 13 minutes), then is dropped and its coverage checked
COVERAGE_GRACE = 900


def _note(parts: Booking, summaries: dict[str, Summary], newly: dict[str, Noted], now: datetime) -> list[str]:
    """Each shard's summary gains what this tick settled and loses what has ended; the booked ones that
    ended (their coverage is checked once, after the tick)."""
    booked_ended: list[str] = []
    for shard, summary in summaries.items():
        at = now.timestamp()
        ended = {k: end for k, end in summary.unresolved.items() if end <= at}
        ended |= {k: end for k, end in summary.done.items() if end + COVERAGE_GRACE <= at}
        noted = newly[shard]
        if noted.done or noted.unresolved or ended:
            parts.ledger.note_settled(
                shard, summary, noted.done, ended, parts.clock(), unresolved=noted.unresolved
            )
            booked_ended += [key for key in ended if key in summary.done]
    return booked_ended


def _book(run: _Run, chunks: list[Chunk], *, bucket: TokenBucket, deadline: Deadline, shared: Shared) -> None:
    """Each chunk in turn while the invocation's time allows: shared with the program that booked the same
    recording, left while another's booking of it is under way, else created at Tencent's pace."""
    report = run.report
    for index, chunk in enumerate(chunks):
        if not deadline.allows(run.parts.policy.timeout):
            report.defer(chunks[index:])
            break
        same = identity(chunk)
        if same in shared.booked:  # another program booked this very recording: one task, two owners
            _book_shared(run, chunk, shared.booked[same])
        elif same in shared.busy:  # another program's booking of it is under way or in doubt: never twice
            report.pending.append(chunk.describe())
        elif (task_id := _create(run, chunk, bucket, deadline)) is not None:
            shared.booked[same] = task_id
        else:  # not booked now, and perhaps made at Tencent (no answer): the others asking for it wait
            shared.busy.add(same)


def _book_shared(run: _Run, chunk: Chunk, task_id: str) -> None:
    """Record ``chunk`` as another owner of the booking ``task_id`` (found, never cancelled as its own)."""
    if not run.parts.creator.adopt(chunk.request(), chunk.key, _origin(chunk), task_id):
        run.report.pending.append(chunk.describe())
        return
    run.report.existing += 1
    if task_id in run.report.owners:  # created by this tick: this program owns it too
        run.report.owners[task_id].append((chunk.program.key, ledger_key("rollout", chunk.key)))
    run.done(chunk)


def _create(run: _Run, chunk: Chunk, bucket: TokenBucket, deadline: Deadline) -> str | None:
    """Create the chunk's task, exactly once: its id, or None where it was not booked (reported why)."""
    report, policy = run.report, run.parts.policy
    try:
        request = chunk.request()
        bucket.take()
        created = run.parts.creator.create(
            request, chunk.key, origin=_origin(chunk), deadline=deadline, wait=False
        )
    except OutcomeUnknown as exc:  # no answer: in doubt from now on where the generation cannot look up
        doubt = exc if isinstance(exc, OutcomeUnresolved) else unresolvable(policy, chunk.planned(policy.api))
        if doubt is None:  # the next tick reconciles it at Tencent
            report.failed.append(chunk.describe() | {"error": exc.to_dict()})
        else:
            run.unresolved(chunk, doubt)
        return None
    except IdempotencyInProgress:
        report.pending.append(chunk.describe())
        return None
    except LiverecError as exc:
        report.failed.append(chunk.describe() | {"error": exc.to_dict()})
        return None
    if created.recorded:  # else its entry stays in doubt: a later tick reconciles it, not the summary
        run.done(chunk)
    recording = created.recording
    task_id = str(recording.task_id)
    if created.replayed:
        report.existing += 1
    else:
        report.created.append(as_created(recording))
        report.owners[task_id] = [(chunk.program.key, ledger_key("rollout", chunk.key))]
        if any(w.startswith(SHORTENED) for w in recording.warnings):
            report.shortened.append(
                chunk.describe() | {"from": isoformat(from_unix(recording.start)), "task_id": task_id}
            )
    return task_id


def _adopt_booked(run: _Run, todo: list[Chunk], entries: dict[str, Entry]) -> list[Chunk]:
    """What is left of ``todo`` once what the ledger has never seen but is booked elsewhere is adopted."""
    unseen = [c for c in todo if ledger_key("rollout", c.key) not in entries]
    adopted = booked_elsewhere(run.parts, unseen) if unseen else set()
    for chunk in adopted:
        run.report.existing += 1
        run.done(chunk)
    return [c for c in todo if c not in adopted]
