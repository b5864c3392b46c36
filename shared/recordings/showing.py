"""What ``GET /programs`` and ``GET /programs/{name}`` show (as domain results: the edge shapes the answers,
shared/edge/views.py), each bounded whatever the catalogue or the cron:

- a page of programs, by name, at most ``limit`` (100) of them, read with one request of the store (the edge
  bounds the answer's size too); the next page starts after the last name shown;
- one program with its occurrences in a window (``from``/``to``: by default from now to the tick's horizon,
  at most :data:`MAX_WINDOW`), at most :data:`MAX_OCCURRENCES_SHOWN` of them, each with what the ledger holds
  (one batch read): booked with its task and state, in doubt, being booked, or not yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.recordings import calendars
from shared.recordings.catalog import parse_stored
from shared.recordings.planning import Chunk, window_chunks
from shared.recordings.policy import Policy
from shared.recordings.programs import Program
from shared.recordings.rules import stream_identity
from shared.recordings.tracking import recording_state
from shared.storage.ledger import Entry, Ledger, ledger_key
from shared.storage.program_store import ProgramStore, StoredProgram
from shared.support.errors import InvalidRequest
from shared.support.records import Record
from shared.support.timeutil import Clock, from_unix

MAX_OCCURRENCES_SHOWN = 50
MAX_WINDOW = timedelta(days=31)
# a window shown by default ends a second past the horizon: what starts on its last second is booked too
HORIZON_END = timedelta(seconds=1)
MAX_PAGE = 100


class ProgramPage(Record):
    """A page of the stored programs by name (those that still validate), and the name the next starts after."""

    __slots__ = ()
    programs: list[tuple[StoredProgram, Program]]
    next: str | None


def page(store: ProgramStore, limit: int, after: str | None) -> ProgramPage:
    """A page of the stored programs by name (without their occurrences: ``GET /programs/{name}``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit is 1 to {MAX_PAGE}", field="limit")
    stored, after_last = store.page(limit, after)
    shown = [(item, program) for item in stored if (program := parse_stored(item)) is not None]
    return ProgramPage(shown, after_last)  # one that no longer validates is logged by parse_stored


class Occurrence(Record):
    """One occurrence of a program and what the ledger holds for it: not booked yet (``state`` None), being
    booked (``booking``), in doubt (``unknown``: its create may or may not have reached Tencent), or the
    recording's state; ``task_id`` once a task exists (created, then perhaps stopped or deleted)."""

    __slots__ = ()
    start: datetime
    end: datetime
    task_id: str | None
    state: str | None
    exception: str | None = None  # moved or added (the program's calendar), None for the cron's own


class Shown(Record):
    """A program with its occurrences in a window (soonest first, at most :data:`MAX_OCCURRENCES_SHOWN`)."""

    __slots__ = ()
    stored: StoredProgram
    program: Program
    window: tuple[datetime, datetime]
    occurrences: list[Occurrence]
    more: bool  # the window holds more than shown
    next_tick_books: int  # of those shown, not booked yet and within the next tick's horizon


def window(
    policy: Policy, clock: Clock, begin: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The window a program's occurrences are shown in: from now (or ``from``), to the end of the tick's
    horizon, its last second included (a tick books an occurrence starting exactly there), or to ``to``; at
    most :data:`MAX_WINDOW`."""
    begin = begin or from_unix(clock()).replace(microsecond=0)
    return bounded(begin, end or begin + min(policy.horizon + HORIZON_END, MAX_WINDOW))


def bounded(begin: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``(begin, end)``, a window of a program's occurrences: 422 naming ``to`` when it ends before it
    begins or spans more than :data:`MAX_WINDOW`."""
    if end <= begin:
        raise InvalidRequest("to must be after from", field="to")
    if end - begin > MAX_WINDOW:
        raise InvalidRequest(f"from and to are at most {MAX_WINDOW.days} days apart", field="to")
    return begin, end


def program_view(
    ledger: Ledger,
    policy: Policy,
    clock: Clock,
    stored: StoredProgram,
    program: Program,
    *,
    shown: tuple[datetime, datetime],
) -> Shown:
    """A program with its occurrences in ``shown`` and what the ledger holds for each (one batch read)."""
    gen = policy.generation
    where = stream_identity(gen, program.domain or policy.domain, program.app or policy.app)
    chunks, more = window_chunks(program, shown, MAX_OCCURRENCES_SHOWN, cap=gen.scheduled_cap, where=where)
    now = clock()
    entries = ledger.get_many((ledger_key("rollout", c.key) for c in chunks), now)
    occurrences = [
        occurrence(chunk, entries.get(ledger_key("rollout", chunk.key)), now)._replace(
            exception=calendars.mark(program, chunk.start)
        )
        for chunk in chunks
    ]
    reach = from_unix(now) + policy.horizon
    books = sum(1 for c, o in zip(chunks, occurrences, strict=True) if o.state is None and c.start <= reach)
    return Shown(stored, program, shown, occurrences, more, books)


def occurrence(chunk: Chunk, entry: Entry | None, now: float) -> Occurrence:
    """One occurrence as the program's view shows it."""
    if entry is None:
        state = None
    elif entry.in_doubt(now):
        state = "unknown"
    else:
        state = "booking" if entry.state == "in_progress" else recording_state(entry, now)
    return Occurrence(chunk.start, chunk.end, entry.recording.task_id if entry is not None else None, state)
