"""The operator's answer to an occurrence in doubt: its create may have reached Tencent without an answer,
and the generation cannot look tasks up (``live-record``, ``fcgi``), so under LIVEREC_UNKNOWN_OUTCOME=report
no tick books it again (``RolloutUnresolved``, the program's view shows it ``unknown``). Having checked
Tencent's console, the operator says which it was:

- ``record``: nothing was recorded; book it now (its ledger entry is forgotten and the occurrence created
  as a tick would, exactly once from then on);
- ``recorded``: it was recorded as ``task_id``; the ledger records that task for the occurrence, as found
  (never stopped or deleted by cancelling the program: liverec cannot prove its own create made it).

Either way the occurrence leaves its shard's unresolved list, so ticks stop reporting it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.recordings import catalog, showing
from shared.recordings.booking import Booking
from shared.recordings.planning import Chunk
from shared.recordings.programs import Program
from shared.storage.ledger import Claim, Origin, Summary, ledger_key
from shared.support.errors import InvalidRequest, NotInDoubt, ProgramNotFound
from shared.support.observability import count, logger
from shared.support.timeutil import NO_DEADLINE, Deadline, from_unix, isoformat

Resolution = Literal["record", "recorded"]
RESOLVED = "resolved by the operator: recorded as this task"  # the warning a marked occurrence carries


def resolve(
    parts: Booking,
    program: Program,
    start: datetime,
    *,
    action: Resolution,
    task_id: str | None = None,
    deadline: Deadline = NO_DEADLINE,
) -> showing.Occurrence:
    """Resolve ``program``'s occurrence starting at ``start``; the occurrence as the program's view shows it."""
    if (action == "recorded") != (task_id is not None):
        raise InvalidRequest("task_id is required with action=recorded, and only with it", field="task_id")
    chunk = _occurrence(parts, program, start)
    key = ledger_key("rollout", chunk.key)
    entry = parts.ledger.get(key, parts.clock())
    if entry is None or not entry.in_doubt(parts.clock()):
        state = showing.occurrence(chunk, entry, parts.clock()).state
        raise NotInDoubt(
            f"the occurrence at {isoformat(chunk.start)} is not in doubt (state: {state})", field="start"
        )
    if task_id is not None:
        _check_task(parts, key, task_id)
    mine = Claim(key, entry.fingerprint, entry.origin, parts.clock(), parts.clock() + 60, entry.recording)
    # taken over, then marked as sent: a crash from here on leaves it in doubt, where it was
    if not (parts.ledger.reclaim(entry, mine) and parts.ledger.sending(key, mine.owner, parts.clock())):
        raise NotInDoubt("the occurrence changed meanwhile: look at it again", field="start")
    if task_id is not None:
        recording = entry.recording._replace(
            task_id=task_id, found=True, warnings=(*entry.recording.warnings, RESOLVED)
        )
        parts.ledger.settle(key, mine.owner, "created", recording, parts.clock())
    else:
        _forget_doubt(parts, chunk)
        parts.ledger.release(key, mine.owner)  # certainly not created now: booked as a tick would
        origin = Origin("rollout", program.name)
        parts.creator.create(chunk.request(), chunk.key, origin=origin, deadline=deadline, wait=False)
    _note_done(parts, chunk)
    count("OccurrencesResolved", action=action)
    logger.warning(
        "occurrence in doubt resolved by the operator",
        extra={"program": program.key, "start": isoformat(chunk.start), "action": action, "task_id": task_id},
    )
    return showing.occurrence(chunk, parts.ledger.get(key, parts.clock()), parts.clock())


def _occurrence(parts: Booking, program: Program, start: datetime) -> Chunk:
    now = from_unix(parts.clock()).replace(microsecond=0)
    for chunk in catalog.chunks_of(parts.policy, program, now):
        if chunk.start == start:
            return chunk
    raise ProgramNotFound(
        f"the program has no occurrence starting at {isoformat(start)} that has not ended within the horizon",
        field="start",
    )


def _check_task(parts: Booking, key: str, task_id: str) -> None:
    other = parts.ledger.by_task(parts.policy.api.value, task_id, parts.clock())
    if other is not None and other.key != key:
        raise InvalidRequest(f"task {task_id} is already recorded for another recording", field="task_id")


def _shard_summary(parts: Booking, chunk: Chunk) -> Summary:
    return parts.ledger.settled([chunk.shard], parts.clock())[chunk.shard]


def _forget_doubt(parts: Booking, chunk: Chunk) -> None:
    """Off its shard's unresolved list (a tick would otherwise report it from the summary alone)."""
    summary = _shard_summary(parts, chunk)
    if chunk.key in summary.unresolved:
        parts.ledger.note_settled(chunk.shard, summary, {}, {chunk.key: chunk.span[1]}, parts.clock())


def _note_done(parts: Booking, chunk: Chunk) -> None:
    summary = _shard_summary(parts, chunk)
    parts.ledger.note_settled(chunk.shard, summary, {chunk.key: chunk.span[1]}, {}, parts.clock())
