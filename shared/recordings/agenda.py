"""Which stored programs a timer tick books, and when each is due again.

A stored program carries ``due``: the start of the first recording it asks for that no tick has settled
(:class:`~shared.storage.program_store.StoredProgram`). A tick reads the programs due within its horizon,
soonest first, at most :data:`MAX_DUE` of them, and books nothing that starts after the first one it left
unread (the tick's ``until``), so soonest first holds across all programs and the next tick goes on. After
the tick each program read is due again at its first recording left unsettled (failed, deferred, pending or
in doubt: planned again by the next tick), or, all settled, at its next recording past the horizon. A PUT
since the read keeps its own due (:meth:`~shared.storage.program_store.ProgramStore.set_due`).

A steady tick (nothing due) is one read of the store, whatever the number of programs.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.recordings.catalog import chunks_of, merge, parse_stored
from shared.recordings.planning import next_start
from shared.recordings.policy import Policy
from shared.recordings.programs import Program
from shared.storage.program_store import NEVER, ProgramStore, StoredProgram
from shared.support.errors import InvalidRequest
from shared.support.records import Record
from shared.support.timeutil import Clock, Deadline, from_unix

if TYPE_CHECKING:  # a tick's report, typed: the scheduled function never loads the rollout
    from shared.recordings.rollout import TickReport

MAX_DUE = 1000  # stored programs a tick reads: a few BatchGetItem requests, and far more than it can book
# recordings a tick plans for the stored programs it read: more than its 300 s can book at any generation's
# rate, and a bounded memory whatever is due (programs past it are left to the next tick, as unread ones)
MAX_CHUNKS = 20_000
RESCHEDULE_TIME = 5.0  # seconds left under which a tick stops moving dues (those left are read again)


class Agenda(Record):
    """What a tick books: the configured programs no stored one replaces, and the stored programs due."""

    __slots__ = ()
    programs: list[Program]
    due: list[tuple[StoredProgram, Program]]  # the stored programs read, as read
    until: float | None  # nothing starting later is booked: a program due then was left unread
    at: float  # when it was read: the tick plans from then or later, so what is due again is counted from it
    # stored programs read that no longer validate: not booked, left due, reported by every tick as skipped
    unreadable: list[dict[str, Any]]


def read(policy: Policy, clock: Clock, store: ProgramStore, given: list[Program]) -> Agenda:
    """The stored programs due within the horizon and the configured ones they do not replace."""
    now = clock()
    due = store.due(now + policy.horizon.total_seconds(), MAX_DUE)
    unreadable: list[dict[str, Any]] = []
    read_, until = _within_budget(
        policy, from_unix(now).replace(microsecond=0), due.programs, due.next_due, unreadable
    )
    named = [p.name for p in given if p.name is not None]
    replaced = store.get_many(named) if named else {}
    configured = [p for p in given if p.name not in replaced]
    return Agenda(merge(configured, [program for _, program in read_]), read_, until, now, unreadable)


def _within_budget(
    policy: Policy,
    now: datetime,
    stored: list[StoredProgram],
    next_due: float | None,
    unreadable: list[dict[str, Any]],
) -> tuple[list[tuple[StoredProgram, Program]], float | None]:
    """The programs read, soonest due first, while their recordings in the horizon add up to at most
    :data:`MAX_CHUNKS`; the due of the first one left (nothing starting after it is booked). One that no
    longer validates is added to ``unreadable`` and skipped."""
    chosen: list[tuple[StoredProgram, Program]] = []
    planned = 0
    for item in stored:
        program = parse_stored(item, unreadable)
        if program is None:
            continue
        with contextlib.suppress(InvalidRequest):  # over a limit: the tick skips and reports it
            planned += len(chunks_of(policy, program, now))
        if planned > MAX_CHUNKS and chosen:
            return chosen, item.due
        chosen.append((item, program))
    return chosen, next_due


def reschedule(
    policy: Policy, store: ProgramStore, agenda: Agenda, report: TickReport, deadline: Deadline
) -> int:
    """Each stored program read is due again at its first recording left unsettled, or at its next one
    past the horizon; a program skipped (over a limit) stays due, reported by every tick. How many moved."""
    skipped = {str(s["program"]) for s in report.skipped}
    # from when the programs were read, not now: a long tick planned nothing past its own start's horizon
    reach = from_unix(agenda.at).replace(microsecond=0) + policy.horizon
    cap = policy.generation.scheduled_cap
    moved = 0
    for stored, program in agenda.due:
        if program.key in skipped:
            continue
        if not deadline.allows(RESCHEDULE_TIME):
            break  # left due: the next tick reads it again and finds it settled
        waiting = report.waiting.get(program.key)
        if waiting is not None:
            due = float(waiting)
        else:
            after = next_start(program, reach, cap)
            due = after.timestamp() if after is not None else NEVER
        if due != stored.due and store.set_due(stored.name, due, stored.updated_at):
            moved += 1
    return moved


def first_due(policy: Policy, clock: Clock, program: Program, starts: list[float]) -> float:
    """Where a program stored now is due: its first recording that has not ended (``starts``: those in the
    horizon), else its next one past the horizon (the first tick whose horizon reaches it plans it)."""
    if starts:
        return min(starts)
    reach = from_unix(clock()).replace(microsecond=0) + policy.horizon
    after = next_start(program, reach, policy.generation.scheduled_cap)
    return after.timestamp() if after is not None else NEVER
