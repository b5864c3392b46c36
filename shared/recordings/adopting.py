"""A tick's adopt step: occurrences the ledger has no entry for, but whose recording is already booked, are
recorded as booked (found: never cancelled as the program's own) instead of being booked twice.

Booked where? In the ledger under another key (a one-off ``POST /recordings/scheduled`` or another
program's booking of the same stream and window: every generation), or at Tencent without any entry (booked
before the ledger held it, or by a container whose ledger was lost: where the generation can list). A failing
look-up at Tencent is logged and skipped: the ledger is the system of record.
"""

from __future__ import annotations

from shared.recordings.booking import Booking
from shared.recordings.finding import same_recording
from shared.recordings.planning import Chunk
from shared.storage.ledger import Entry, Origin
from shared.support.errors import LiverecError
from shared.support.observability import logger
from shared.support.timeutil import from_unix
from shared.tencent.types import TaskInfo

MAX_PAGES = 5  # of a stream's bookings (100 each) read for the windows a tick has never seen


def booked_elsewhere(parts: Booking, unseen: list[Chunk]) -> set[Chunk]:
    """The chunks of ``unseen`` found booked and now recorded as such."""
    groups: dict[tuple[str | None, str | None, str], list[Chunk]] = {}
    for chunk in unseen:
        groups.setdefault((chunk.domain, chunk.app, chunk.program.stream), []).append(chunk)
    adopted: set[Chunk] = set()
    for (domain, app, stream), members in groups.items():
        found = {c for c in members if _adopt(parts, c, _in_ledger(parts, stream, members))}
        rest = [c for c in members if c not in found]
        if rest and parts.policy.lists_tasks:
            found |= {c for c in rest if _adopt(parts, c, _at_tencent(parts, stream, domain, app, rest))}
        adopted |= found
    return adopted


def _in_ledger(parts: Booking, stream: str, chunks: list[Chunk]) -> list[TaskInfo]:
    """The tasks the ledger holds on ``stream`` starting within the chunks' starts (booked, not cancelled)."""
    now, after, tasks = parts.clock(), None, []
    lo, hi = min(c.span[0] for c in chunks), max(c.span[0] for c in chunks)
    for _ in range(MAX_PAGES):
        page = parts.ledger.by_stream(
            parts.policy.api.value, stream, now, start_from=lo, start_to=hi, after=after
        )
        tasks += [_task(e) for e in page.entries if e.state == "created" and e.recording.task_id is not None]
        if page.after is None:
            break
        after = page.after
    return tasks


def _task(entry: Entry) -> TaskInfo:
    r = entry.recording
    return TaskInfo(str(r.task_id), r.stream, r.domain, r.app, from_unix(r.start), from_unix(r.end))


def _at_tencent(
    parts: Booking, stream: str, domain: str | None, app: str | None, chunks: list[Chunk]
) -> list[TaskInfo]:
    try:
        return parts.finder.find(stream, domain, app, [c.span for c in chunks])
    except LiverecError as exc:
        logger.warning(
            "look-up before booking failed; booking from the ledger alone",
            extra={"stream": stream, "error": exc.to_dict()},
        )
        return []


def _adopt(parts: Booking, chunk: Chunk, tasks: list[TaskInfo]) -> bool:
    wanted = chunk.planned(parts.policy.api)
    task = next((t for t in tasks if same_recording(t, wanted)), None)
    origin = Origin("rollout", chunk.program.name)
    return task is not None and parts.creator.adopt(chunk.request(), chunk.key, origin, task.task_id)
