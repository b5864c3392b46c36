"""Coverage as the routes and the tick read it (:mod:`shared.recordings.coverage` computes it): a recording's
files read from the ledger (every page, at most ``MAX_FILES``), and a program's occurrences in a period,
each with its coverage, and their totals.

A period is ``[from, to)``: by default the last day up to now (the ledger keeps a recording a day past its
end: an older occurrence is shown ``forgotten``), at most ``showing.MAX_WINDOW``, at most
``showing.MAX_OCCURRENCES_SHOWN`` occurrences (``more`` says when it holds more).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from shared.recordings import showing
from shared.recordings.coverage import Coverage, coverage
from shared.recordings.planning import Chunk, window_chunks
from shared.recordings.policy import Policy
from shared.recordings.programs import Program
from shared.recordings.rules import stream_identity
from shared.recordings.tracking import all_files
from shared.storage.ledger import AFTER_END, DONE, Entry, Ledger, ledger_key
from shared.storage.program_store import StoredProgram
from shared.support.records import Record
from shared.support.timeutil import Clock, from_unix, to_unix

DEFAULT_PERIOD = timedelta(days=1)  # the ledger keeps a recording a day past its end


class OccurrenceCoverage(Record):
    """One occurrence of a program: its window, its task and state (``showing.occurrence``), and its
    coverage (None where no task recorded it: not booked, in doubt, or forgotten)."""

    __slots__ = ()
    start: datetime
    end: datetime
    task_id: str | None
    state: str | None
    coverage: Coverage | None


class ProgramCoverage(Record):
    """A program's occurrences in a period, each with its coverage, and the threshold they are held to."""

    __slots__ = ()
    name: str
    period: tuple[datetime, datetime]
    occurrences: list[OccurrenceCoverage]
    more: bool
    threshold: float

    @property
    def asked(self) -> int:
        """Seconds asked of Tencent by the occurrences a task recorded (each its whole window)."""
        return sum(o.coverage.asked for o in self.occurrences if o.coverage is not None)

    @property
    def recorded(self) -> int:
        return sum(o.coverage.recorded for o in self.occurrences if o.coverage is not None)

    @property
    def short(self) -> int:
        """Ended occurrences a task recorded, under the threshold."""
        return sum(1 for o in self.occurrences if o.coverage is not None and o.coverage.short(self.threshold))


def period(clock: Clock, begin: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """``[from, to)``: by default the last day up to now; ``to`` after ``from``; at most 31 days (422 naming
    the field otherwise, as ``GET /programs/{name}`` bounds its window)."""
    end = end or (begin + DEFAULT_PERIOD if begin else from_unix(clock()).replace(microsecond=0))
    return showing.bounded(begin or end - DEFAULT_PERIOD, end)


def program_coverage(
    ledger: Ledger,
    policy: Policy,
    clock: Clock,
    stored: StoredProgram,
    program: Program,
    *,
    shown: tuple[datetime, datetime],
    before: Callable[[Entry], object] | None = None,
) -> ProgramCoverage:
    """The occurrences of ``program`` in ``shown`` (one batch read of their entries), each with its files;
    ``before`` is given each entry with a task before its files are read (reconciliation)."""
    gen = policy.generation
    where = stream_identity(gen, program.domain or policy.domain, program.app or policy.app)
    cap = showing.MAX_OCCURRENCES_SHOWN
    chunks, more = window_chunks(program, shown, cap, cap=gen.scheduled_cap, where=where)
    now = clock()
    entries = ledger.get_many((ledger_key("rollout", c.key) for c in chunks), now)
    found: list[OccurrenceCoverage] = []
    for chunk in chunks:
        entry = entries.get(ledger_key("rollout", chunk.key))
        if before is not None and entry is not None and entry.state in DONE and entry.recording.task_id:
            before(entry)
        found.append(_occurrence(ledger, chunk, entry, now))
    return ProgramCoverage(stored.name, shown, found, more, policy.coverage_threshold)


def _occurrence(ledger: Ledger, chunk: Chunk, entry: Entry | None, now: float) -> OccurrenceCoverage:
    """An occurrence with its task's coverage, where a task recorded it (created, then perhaps stopped or
    deleted). None otherwise: not booked (or not yet), being booked, in doubt (whether Tencent records it is
    not known), or forgotten (ended more than the ledger's retention ago, with no entry left)."""
    seen = showing.occurrence(chunk, entry, now)
    window = (int(to_unix(chunk.start)), int(to_unix(chunk.end)))
    if entry is not None and entry.state in DONE and entry.recording.task_id is not None:
        cover = coverage(window, all_files(ledger, entry, now), now)
        return OccurrenceCoverage(chunk.start, chunk.end, seen.task_id, seen.state, cover)
    state = "forgotten" if entry is None and now >= window[1] + AFTER_END else seen.state
    return OccurrenceCoverage(chunk.start, chunk.end, seen.task_id, state, None)
