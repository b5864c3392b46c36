"""What a program's calendar exceptions take back: a ``PUT /programs/{name}`` whose exceptions skip an
occurrence (``except``, ``since``, ``until``) or move it away (``moved``) after a tick booked it cancels that
booking, as ``DELETE ?cancel=future`` would (shared/recordings/catalog.py): deleted where the generation
deletes, else stopped; one another booking holds too, or found at Tencent, is kept and said so. Only what
has not started, and only what the exceptions take away: a changed cron or duration leaves the bookings of
the old schedule as before (``cancel=future`` on delete reaches them).

A timer tick does the same for the programs it books (:func:`sweep`): a booking a tick made while a PUT of
new exceptions was being answered (it had read the program before), or one of a program configured in the
timer's input, is taken back by the next tick and reported there (``withdrawn``), never left silently. A
booking already released (kept for another owner) is not reported again.
"""

from __future__ import annotations

from typing import Any

from shared.recordings.booking import Booking
from shared.recordings.catalog import RELEASED, Cancelled, cancel_entries, chunks_of
from shared.recordings.programs import Program
from shared.storage.ledger import ledger_key
from shared.support.timeutil import Deadline, from_unix

TAKES_AWAY = ("except_", "moved", "since", "until")
SWEEP_TIME = 10.0  # seconds a tick keeps for what follows its sweep (rescheduling)


def withdraw(parts: Booking, program: Program) -> Cancelled:
    """Cancel the program's bookings of occurrences its exceptions skip or move away, that have not started
    (those the cron alone asks for in the horizon, and the program with its exceptions does not)."""
    if not any(getattr(program, field) for field in TAKES_AWAY):
        return Cancelled([], [], [])
    now = from_unix(parts.clock()).replace(microsecond=0)
    bare = program.model_copy(update=dict.fromkeys((*TAKES_AWAY, "added")))
    kept = {chunk.key for chunk in chunks_of(parts.policy, program, now)}
    gone = [c for c in chunks_of(parts.policy, bare, now) if c.key not in kept and c.start > now]
    if not gone:
        return Cancelled([], [], [])
    found = parts.ledger.get_many((ledger_key("rollout", c.key) for c in gone), parts.clock())
    entries = sorted(
        (e for e in found.values() if RELEASED not in e.recording.warnings),
        key=lambda e: (e.recording.start, e.key),
    )
    return cancel_entries(parts, program.stream, entries) if entries else Cancelled([], [], [])


def sweep(parts: Booking, programs: list[Program], deadline: Deadline) -> list[dict[str, Any]]:
    """A tick's :func:`withdraw` of every program it booked whose exceptions take something away: what was
    cancelled (``action``) or kept (``reason``, ``code``), each with its program. Stops when the tick's
    time runs short (the next tick goes on)."""
    out: list[dict[str, Any]] = []
    for program in programs:
        if not any(getattr(program, field) for field in TAKES_AWAY):
            continue
        if not deadline.allows(SWEEP_TIME):
            break
        done = withdraw(parts, program)
        out += [{"program": program.key} | x for x in (*done.cancelled, *done.not_cancelled, *done.kept)]
    return out
