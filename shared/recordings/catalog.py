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
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.recordings.booking import Booking
from shared.recordings.planning import Chunk, plan_chunks
from shared.recordings.policy import Policy
from shared.recordings.programs import NAME_PATTERN, Program
from shared.storage.ledger import ADOPTED, Entry, Origin, ledger_key
from shared.storage.program_store import MAX_PROGRAM_BYTES, MAX_STREAMS, ProgramStore, StoredProgram
from shared.support.errors import (
    InvalidRequest,
    LiverecError,
    ProgramNotFound,
)
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import Clock, from_unix, isoformat

if TYPE_CHECKING:  # a tick's report, typed: the scheduled function never loads the rollout
    from shared.recordings.rollout import TickReport

NAME = re.compile(NAME_PATTERN)
# names a route takes as its own: GET /programs/forecast is the forecast, never a program of that name
RESERVED = frozenset({"forecast"})


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
    if name in RESERVED:
        raise InvalidRequest(
            f"{name!r} is reserved (GET /programs/{name} is a route of its own)", field="name"
        )
    if program.name not in (None, name):
        raise InvalidRequest(f"the body names another program than the path ({name})", field="name")
    program = program.model_copy(update={"name": name})
    if len(to_json(program).encode("utf-8")) > MAX_PROGRAM_BYTES:
        raise InvalidRequest(f"a stored program is at most {MAX_PROGRAM_BYTES} bytes of JSON", field="name")
    return program


def to_json(program: Program) -> str:
    return json.dumps(
        program.model_dump(exclude_none=True, by_alias=True), ensure_ascii=False, separators=(",", ":")
    )


def valid_programs(stored_programs: Iterable[StoredProgram]) -> list[Program]:
    """The stored programs as read; one that no longer validates (a stricter rule since it was stored) is
    logged and left out, never allowed to stop the others from being booked."""
    found = []
    for stored in stored_programs:
        program = parse_stored(stored)
        if program is not None:
            found.append(program)
    return found


def parse_stored(stored: StoredProgram, unreadable: list[dict[str, Any]] | None = None) -> Program | None:
    """The stored program, or None when it no longer validates (a stricter rule since it was stored, or a
    body written by something else): logged, and, given ``unreadable``, reported there as a tick reports a
    program it skips (``program``, ``stream`` None, ``error`` with code ``InvalidStoredProgram``)."""
    try:
        return Program.model_validate_json(stored.body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[:1]
        where = ".".join(str(part) for part in first[0]["loc"]) if first and first[0]["loc"] else "program"
        logger.error(
            "a stored program no longer validates; not booked (PUT it again)",
            extra={"program": stored.name, "error": str(first)[:500]},
        )
        if unreadable is not None:
            message = f"the stored program no longer validates at {where[:100]}: PUT it again"
            error = {"code": "InvalidStoredProgram", "message": message, "field": where[:100]}
            unreadable.append({"program": stored.name, "stream": None, "error": error})
        return None


def merge(configured: list[Program], stored: list[Program]) -> list[Program]:
    """What a tick books: the configured programs, a stored one replacing a configured one of its name."""
    names = {p.name for p in stored}
    return [p for p in configured if p.name is None or p.name not in names] + stored


def chunks_of(policy: Policy, program: Program, now: datetime) -> list[Chunk]:
    """The program's recordings in the tick's horizon that have not ended, soonest first."""
    chunks = plan_chunks(
        [program], policy.api, now, policy.horizon, default_domain=policy.domain, default_app=policy.app
    )
    return sorted(chunks, key=lambda c: (c.start, c.key))


def plannable(policy: Policy, clock: Clock, program: Program) -> list[Chunk]:
    """The program's recordings in the horizon; raises what the timer would skip the program for (over a
    limit within the horizon), naming the field."""
    return chunks_of(policy, program, from_unix(clock()).replace(microsecond=0))


def earlier_streams(old: StoredProgram | None, program: Program) -> tuple[str, ...]:
    """What a program stored over ``old`` remembers: the streams it booked on before, latest first (a PUT
    that changes the stream adds the old one), so that cancel=future still reaches their bookings."""
    before = parse_stored(old) if old is not None else None
    seen = ((before.stream,) if before is not None else ()) + (old.streams if old is not None else ())
    return tuple(dict.fromkeys(s for s in seen if s != program.stream))[:MAX_STREAMS]


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


def cancel_future(parts: Booking, program: Program, streams: tuple[str, ...] = ()) -> Cancelled:
    """Cancel the program's booked occurrences that have not started, whichever of its schedules booked them:
    delete where the generation can, else stop. Only what the program owns alone: a task its own create made
    (or that was handed over to it), which no other booking in the ledger still holds (another program's,
    stored, configured, or deleted without cancel). A task it shares is left to the other owners (the first
    of them holds it from now on); a task it found at Tencent is someone else's."""
    now = from_unix(parts.clock()).replace(microsecond=0)
    return _cancel_all(parts, *_stream_entries(parts, program, now, (program.stream, *streams)))


def cancel_entries(parts: Booking, stream: str, entries: list[Entry]) -> Cancelled:
    """Cancel these bookings of a program on ``stream`` as :func:`cancel_future` does: what another booking
    of the stream holds too is released and left to it, what was found at Tencent is kept."""
    start_from = int(parts.clock()) + 1
    mine = {e.key for e in entries}
    around = [e for e in _bookings(parts, stream, start_from) if e.key not in mine]
    return _cancel_all(parts, entries, around)


def _cancel_all(parts: Booking, entries: list[Entry], around: list[Entry]) -> Cancelled:
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
        holders = [e for e in around if e.recording.task_id == recording.task_id and _holds(e)]
        if not recording.booked_here:
            done.kept.append(where | {"reason": FOUND, "code": "FoundAtTencent"})
            _rewrite(parts, entry, True, RELEASED)  # no longer one of its owners
        elif holders:
            done.kept.append(where | {"reason": SHARED, "code": "SharedRecording"})
            _release(parts, entry, holders)
        else:
            _cancel_one(parts, entry, where, done)
    return done


MAX_PAGES = 20  # of a stream's bookings (100 each) read for a program's older schedules and their holders


def _stream_entries(
    parts: Booking, program: Program, now: datetime, streams: tuple[str, ...]
) -> tuple[list[Entry], list[Entry]]:
    """The program's bookings that have not started (its current schedule's occurrences, and whatever else
    its name booked on ``streams``: a schedule or a stream a PUT replaced), and every other booking on those
    streams that has not started (who else holds the same tasks)."""
    clock = parts.clock()
    future = [c for c in chunks_of(parts.policy, program, now) if c.start > now]
    mine = dict(parts.ledger.get_many((ledger_key("rollout", c.key) for c in future), clock))
    around: dict[str, Entry] = {}
    for stream in streams:
        for e in _bookings(parts, stream, int(now.timestamp()) + 1):
            if e.origin == Origin("rollout", program.name) and program.name is not None:
                mine.setdefault(e.key, e)
            else:
                around.setdefault(e.key, e)
    others = [e for k, e in around.items() if k not in mine]
    return sorted(mine.values(), key=lambda e: (e.recording.start, e.key)), others


def _bookings(parts: Booking, stream: str, start_from: int) -> list[Entry]:
    """The stream's bookings starting from ``start_from`` (at most :data:`MAX_PAGES` pages)."""
    found: list[Entry] = []
    after = None
    for _ in range(MAX_PAGES):
        page = parts.ledger.by_stream(
            parts.policy.api.value, stream, parts.clock(), start_from=start_from, after=after
        )
        found += page.entries
        if page.after is None:
            break
        after = page.after
    return found


def _holds(entry: Entry) -> bool:
    """Whether a booking still holds its task: not cancelled, and not released by a cancelled program."""
    return entry.state == "created" and RELEASED not in entry.recording.warnings


def revoke_deleted(parts: Booking, report: TickReport, booked_for: set[str], still: set[str]) -> None:
    """Cancel what a tick just created for programs deleted while it ran (``booked_for``: the stored programs
    it read at its start; ``still``: those stored after its creates were settled). Either this read sees a
    deletion, or the deleting request's own cancel sees the tick's settled booking: no booking of a deleted
    program is left behind. A task another owner shares is left to it."""
    gone = booked_for - still
    created = {str(b["task_id"]): b for b in report.created} if gone else {}
    for task_id, owners in report.owners.items() if gone else ():
        leaving = [key for program, key in owners if program in gone]
        if leaving and (staying := [key for program, key in owners if program not in gone]):
            found = parts.ledger.get_many([*leaving, *staying], parts.clock())
            holders = [found[key] for key in staying if key in found]
            for entry in (found[key] for key in leaving if key in found and holders):
                _release(parts, entry, holders)  # the others keep it
            continue
        if not leaving:
            continue
        body = created[task_id]
        try:
            parts.stopper.cancel(task_id, str(body["stream"]))
        except LiverecError as exc:
            logger.error("a program deleted during the tick keeps a booking", extra={"error": exc.to_dict()})
            continue
        report.revoked.append({"program": owners[0][0], "task_id": task_id, "start": body["start"]})


FOUND = (
    "not booked by this program: another program's booking of the same recording, or one found at Tencent "
    "(a one-off caller, another container)"
)
SHARED = "another program's booking holds this recording too (same stream and window): it stays for that one"
HANDED_OVER = "handed over: the program that booked it was cancelled, and this one asks for it too"
RELEASED = "released: its program was cancelled while another booking held the task"


def _release(parts: Booking, entry: Entry, holders: list[Entry]) -> None:
    """A cancelled program's booking that others hold too: released (no longer an owner), and, where none
    of them holds it as booked here, handed over to the first, so that cancelling the last owner cancels it."""
    _rewrite(parts, entry, entry.recording.found, RELEASED)
    if any(e.recording.booked_here for e in holders):
        return
    _rewrite(parts, min(holders, key=lambda e: e.key), False, HANDED_OVER)


def _rewrite(parts: Booking, entry: Entry, found: bool, note: str) -> None:
    if note in entry.recording.warnings and entry.recording.found == found:
        return  # already so (a program stored again and cancelled again)
    warnings = (*(w for w in entry.recording.warnings if w != ADOPTED or found), note)
    recording = entry.recording._replace(found=found, warnings=warnings)
    if not parts.ledger.settle(entry.key, entry.owner, entry.state, recording, parts.clock()):
        logger.warning(
            "a shared booking changed meanwhile; left as it was", extra={"key": entry.key, "note": note}
        )


def _cancel_one(parts: Booking, entry: Entry, where: dict[str, Any], done: Cancelled) -> None:
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
        action = parts.stopper.cancel(task_id, entry.recording.stream)
    except LiverecError as exc:
        refused.append(where | {"reason": exc.message, "code": exc.code})
    else:
        cancelled.append(where | {"action": action})
