"""A recording's status: one vocabulary in every generation, in ``GET /recordings`` and
``GET /recordings/{task_id}`` alike, with Tencent's own word kept beside it (``tencent_status``).

- ``scheduled``: created, its start ahead; ``recording``: between its start and its end; ``finished``: its end
  passed (or Tencent says finished);
- ``stopped``, ``deleted``: through liverec (the ledger's note), or stopped at Tencent (its word, e.g. in the
  console);
- ``failed``: Tencent says the task failed (v2 ``error``), or a create was refused;
- ``in_doubt``: a create got no usable answer (the ledger's ``unknown``), or one is under way.

Each generation's table of Tencent's words is its capability row's ``statuses``
(:mod:`shared.tencent.generations`); the ledger's states are :data:`LEDGER`; everything else is the clock's.
"""

from __future__ import annotations

from typing import Literal

from shared.storage.ledger import Entry
from shared.tencent.generations import Generation
from shared.tencent.types import TaskInfo

Status = Literal["scheduled", "recording", "finished", "stopped", "deleted", "failed", "in_doubt"]
STATUSES: tuple[Status, ...] = (
    "scheduled",
    "recording",
    "finished",
    "stopped",
    "deleted",
    "failed",
    "in_doubt",
)
# the ledger's state of an entry, where it decides the status (created: Tencent's word, else the clock)
LEDGER: dict[str, Status] = {
    "stopped": "stopped",
    "deleted": "deleted",
    "unknown": "in_doubt",
    "in_progress": "in_doubt",
    "failed": "failed",
}


def by_clock(start: float | None, end: float | None, now: float) -> Status:
    """A created recording's status by its window alone."""
    if start is not None and now < start:
        return "scheduled"
    return "recording" if end is None or now < end else "finished"


def tencents(gen: Generation, word: str | None) -> Status | None:
    """Tencent's word as the generation's table reads it; None where it has no say."""
    return dict(gen.statuses).get(word) if word is not None else None  # type: ignore[return-value]


def of_task(gen: Generation, task: TaskInfo, now: float) -> Status:
    """A task as Tencent lists it: its word where the table has one, else stopped where Tencent noted a stop,
    else the clock's."""
    mapped = tencents(gen, task.status)
    if mapped is not None:
        return mapped
    if task.stopped_at is not None:
        return "stopped"
    start = task.start.timestamp() if task.start is not None else None
    end = task.end.timestamp() if task.end is not None else None
    return by_clock(start, end, now)


def of_entry(entry: Entry, now: float, gen: Generation | None = None, task: TaskInfo | None = None) -> Status:
    """A recording as the ledger knows it: stopped, deleted, in doubt as recorded (liverec's own note wins);
    a created one takes Tencent's view where ``task`` gives one (its word, or its stop), else the clock's."""
    if entry.state != "created":
        return LEDGER.get(entry.state, "in_doubt")
    if gen is not None and task is not None:
        mapped = tencents(gen, task.status)
        if mapped is not None:
            return mapped
        if task.stopped_at is not None:
            return "stopped"
    return by_clock(entry.recording.start, entry.recording.end, now)
