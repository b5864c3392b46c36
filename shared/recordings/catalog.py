"""Programs as data: what ``PUT/GET/DELETE /programs/{name}`` do, and which programs a timer tick books.

- A stored program is the body the rollout's schedule input takes (:class:`~shared.recordings.programs.Program`),
  validated before it is stored, under its name (the path's; a body naming another is refused).
- A tick books the stored programs with the schedule's input (or ``LIVEREC_PROGRAMS``); a stored program
  wins over a configured one of the same name. A change takes effect on the next tick.
- A program's occurrences are what a tick would book now (the same horizon and splitting), each with what the
  ledger holds for it: booked (its task and state) or not yet.
- Deleting a program stops further bookings; ``cancel=future`` also cancels its booked occurrences that have
  not started: deleted where the generation deletes (its capability row), else stopped; those it could not
  cancel are reported with the reason. Cancelled occurrences stay recorded as stopped or deleted, so they are
  never booked again, even if a program of that name and window is stored again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.recordings.planning import Chunk, plan_chunks
from shared.recordings.programs import Program
from shared.recordings.rollout import TickReport
from shared.recordings.service import RecordingService
from shared.recordings.tracking import recording_state
from shared.storage.ledger import Entry, Origin, Recording, ledger_key
from shared.storage.program_store import MAX_PROGRAM_BYTES, ProgramStore, StoredProgram
from shared.support.errors import (
    InvalidRequest,
    LiverecError,
    ProgramNotFound,
)
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import from_unix, isoformat
from shared.tencent.generations import ONE_DAY, generation

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_OCCURRENCES_SHOWN = 50  # per program; ``occurrences_total`` counts them all


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidRequest(
            "a program's name is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="name",
        )
    return name


def named(name: str, program: Program) -> Program:
    """The program a ``PUT`` body describes (validated as the rollout's input: 422 naming ``cron``,
    ``timezone``, ``duration``...), named by the path; a body naming another program is refused."""
    check_name(name)
    if program.name not in (None, name):
        raise InvalidRequest(f"the body names another program than the path ({name})", field="name")
    program = program.model_copy(update={"name": name})
    if len(to_json(program).encode("utf-8")) > MAX_PROGRAM_BYTES:
        raise InvalidRequest(f"a stored program is at most {MAX_PROGRAM_BYTES} bytes of JSON", field="name")
    return program


def to_json(program: Program) -> str:
    return json.dumps(program.model_dump(exclude_none=True), ensure_ascii=False, separators=(",", ":"))


def valid_programs(stored_programs: Iterable[StoredProgram]) -> list[Program]:
    """The stored programs as read; one that no longer validates (a stricter rule since it was stored) is
    logged and left out, never allowed to stop the others from being booked."""
    found = []
    for stored in stored_programs:
        program = parse_stored(stored)
        if program is not None:
            found.append(program)
    return found


def parse_stored(stored: StoredProgram) -> Program | None:
    try:
        return Program.model_validate_json(stored.body)
    except ValidationError as exc:
        logger.error(
            "a stored program no longer validates; not booked (PUT it again)",
            extra={"program": stored.name, "error": str(exc.errors(include_url=False)[:1])},
        )
        return None


def merge(configured: list[Program], stored: list[Program]) -> list[Program]:
    """What a tick books: the configured programs, a stored one replacing a configured one of its name."""
    names = {p.name for p in stored}
    return [p for p in configured if p.name is None or p.name not in names] + stored


def _horizon(service: RecordingService) -> timedelta:
    settings = service.settings
    return generation(settings.api).start_horizon or timedelta(seconds=settings.rollout_horizon) or ONE_DAY


def chunks_of(service: RecordingService, program: Program, now: datetime) -> list[Chunk]:
    """The program's recordings in the tick's horizon that have not ended, soonest first."""
    settings = service.settings
    chunks = plan_chunks(
        [program],
        settings.api,
        now,
        _horizon(service),
        default_domain=settings.domain,
        default_app=settings.app,
    )
    return sorted(chunks, key=lambda c: (c.start, c.key))


def plannable(service: RecordingService, program: Program) -> None:
    """Raises what the timer would skip the program for (over a limit within the horizon), naming the field."""
    chunks_of(service, program, from_unix(service.clock()).replace(microsecond=0))


def program_view(service: RecordingService, stored: StoredProgram, program: Program) -> dict[str, Any]:
    """A program with its occurrences in the tick's horizon (soonest first) and what the ledger holds for
    each: ``booked`` with its task and state, or not yet (the next tick books it)."""
    clock = service.clock()
    now = from_unix(clock).replace(microsecond=0)
    chunks = chunks_of(service, program, now)
    shown = chunks[:MAX_OCCURRENCES_SHOWN]
    entries = service.ledger.get_many((ledger_key("rollout", c.key) for c in shown), clock)
    occurrences = [occurrence(chunk, entries.get(ledger_key("rollout", chunk.key)), clock) for chunk in shown]
    return {
        "name": stored.name,
        "program": program.model_dump(exclude_none=True),
        "updated_at": isoformat(from_unix(stored.updated_at)),
        "occurrences_total": len(chunks),
        "occurrences": occurrences,
        "next_tick_books": sum(1 for o in occurrences if o["state"] is None),
    }


def occurrence(chunk: Chunk, entry: Entry | None, now: float) -> dict[str, Any]:
    """One occurrence as the program's view shows it: not booked yet (state None), being booked, in doubt
    (``unknown``: its create may or may not have reached Tencent), or the recording's state."""
    if entry is None:
        state = None
    elif entry.in_doubt(now):
        state = "unknown"
    else:
        state = "booking" if entry.state == "in_progress" else recording_state(entry, now)
    return {
        "start": isoformat(chunk.start),
        "end": isoformat(chunk.end),
        "booked": entry is not None and entry.recording.task_id is not None,
        "task_id": entry.recording.task_id if entry is not None else None,
        "state": state,
    }


def get_program(store: ProgramStore, name: str) -> tuple[StoredProgram, Program]:
    stored = store.get(check_name(name))
    program = parse_stored(stored) if stored is not None else None
    if stored is None or program is None:
        raise ProgramNotFound(f"no program is stored under {name!r}", field="name")
    return stored, program


class Cancelled(Record):
    """What ``cancel=future`` did with each booked occurrence that has not started."""

    __slots__ = ()
    cancelled: list[dict[str, Any]]  # deleted or stopped
    not_cancelled: list[dict[str, Any]]  # ours to cancel, but Tencent refused or the outcome is unknown
    kept: list[dict[str, Any]]  # not ours alone: found at Tencent, or another program asks for it too


def cancel_future(service: RecordingService, program: Program, others: list[Program]) -> Cancelled:
    """Cancel the program's booked occurrences that have not started, whichever of its schedules booked them:
    delete where the generation can, else stop. Only what this program's own create made, and only when no
    other program (``others``: the ones still stored or configured) holds the same recording: a task found
    at Tencent or shared from another program's booking is someone else's too."""
    now = from_unix(service.clock()).replace(microsecond=0)
    entries = _own_entries(service, program, now)
    wanted = {_recorded(e.recording) for e in entries}
    shared = _shared_tasks(service, wanted, others, now) if entries else set()
    done = Cancelled([], [], [])
    for entry in entries:
        if entry.state in ("stopped", "deleted"):
            continue  # already cancelled
        recording = entry.recording
        where = {
            "start": isoformat(from_unix(recording.start)),
            "end": isoformat(from_unix(recording.end)),
            "task_id": recording.task_id,
        }
        if not recording.booked_here:
            done.kept.append(where | {"reason": FOUND, "code": "FoundAtTencent"})
        elif recording.task_id in shared:
            done.kept.append(where | {"reason": SHARED, "code": "SharedRecording"})
        else:
            _cancel_one(service, entry, where, done)
    return done


MAX_PAGES = 20  # of a stream's bookings (100 each) read for a program's older schedules


def _own_entries(service: RecordingService, program: Program, now: datetime) -> list[Entry]:
    """The program's bookings that have not started: its current schedule's occurrences, and whatever else
    its name booked on its stream (a schedule it had before a PUT replaced it)."""
    clock = service.clock()
    future = [c for c in chunks_of(service, program, now) if c.start > now]
    mine = dict(service.ledger.get_many((ledger_key("rollout", c.key) for c in future), clock))
    owner, after = Origin("rollout", program.name), None
    for _ in range(MAX_PAGES if program.name is not None else 0):
        page = service.ledger.by_stream(
            service.settings.api.value,
            program.stream,
            clock,
            start_from=int(now.timestamp()) + 1,
            after=after,
        )
        mine |= {e.key: e for e in page.entries if e.origin == owner and e.key not in mine}
        if page.after is None:
            break
        after = page.after
    return sorted(mine.values(), key=lambda e: (e.recording.start, e.key))


def _recorded(recording: Recording) -> tuple[str | None, str | None, str, int, int]:
    return (recording.domain, recording.app, recording.stream, recording.start, recording.end)


def revoke_deleted(
    service: RecordingService, report: TickReport, booked_for: set[str], still: set[str]
) -> None:
    """Cancel what a tick just created for programs deleted while it ran (``booked_for``: the stored programs
    it read at its start; ``still``: those stored after its creates were settled). Either this read sees a
    deletion, or the deleting request's own cancel sees the tick's settled booking: no booking of a deleted
    program is left behind. A task another owner shares is left to it."""
    gone = booked_for - still
    created = {str(b["task_id"]): b for b in report.created} if gone else {}
    for task_id, owners in report.owners.items() if gone else ():
        if not set(owners) <= gone:
            continue
        body = created[task_id]
        try:
            _cancel_task(service, task_id, str(body["stream"]))
        except LiverecError as exc:
            logger.error("a program deleted during the tick keeps a booking", extra={"error": exc.to_dict()})
            continue
        report.revoked.append({"program": owners[0], "task_id": task_id, "start": body["start"]})


FOUND = (
    "not booked by this program: another program's booking of the same recording, or one found at Tencent "
    "(a one-off caller, another container)"
)
SHARED = "another program's booking holds this recording too (same stream and window): it stays for that one"


def _recording(chunk: Chunk) -> tuple[str | None, str | None, str, int, int]:
    """What Tencent records for a chunk: the stream's identity in the generation and the window."""
    return (chunk.domain, chunk.app, chunk.program.stream, *chunk.span)


def _shared_tasks(
    service: RecordingService,
    recordings: set[tuple[str | None, str | None, str, int, int]],
    others: list[Program],
    now: datetime,
) -> set[str]:
    """The task ids another program's booking of one of ``recordings`` holds too (it found ours at Tencent,
    or shared it in a tick): those tasks are that program's recordings as well."""
    settings = service.settings
    theirs = plan_chunks(
        others,
        settings.api,
        now,
        _horizon(service),
        default_domain=settings.domain,
        default_app=settings.app,
        skipped=[],  # a configured program over a limit books nothing, so it shares nothing
    )
    keys = [ledger_key("rollout", c.key) for c in theirs if _recording(c) in recordings]
    entries = service.ledger.get_many(keys, service.clock()) if keys else {}
    return {e.recording.task_id for e in entries.values() if e.recording.task_id is not None}


def _cancel_one(service: RecordingService, entry: Entry, where: dict[str, Any], done: Cancelled) -> None:
    refused, cancelled = done.not_cancelled, done.cancelled
    task_id = entry.recording.task_id
    if entry.state != "created" or task_id is None:
        refused.append(
            where
            | {
                "reason": "its create's outcome is unknown (or still being booked): check the stream's "
                "recordings at Tencent"
            }
        )
        return
    try:
        action = _cancel_task(service, task_id, entry.recording.stream)
    except LiverecError as exc:
        refused.append(where | {"reason": exc.message, "code": exc.code})
    else:
        cancelled.append(where | {"action": action})


def _cancel_task(service: RecordingService, task_id: str, stream: str) -> str:
    """Delete the task where the generation deletes (its capability row), else stop it; says which."""
    if service.generation.deletes:
        service.delete(task_id, stream)
        return "deleted"
    service.stop(task_id, stream)
    return "stopped"
