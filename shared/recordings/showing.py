"""What ``GET /programs`` and ``GET /programs/{name}`` show, each answer bounded whatever the catalogue or the
cron:

- a page of programs, by name, at most ``limit`` (100) of them and :data:`MAX_PAGE_BYTES` of programs,
  read with one request of the store; the next page starts after the last name shown;
- one program with its occurrences in a window (``from``/``to``: by default from now to the tick's horizon,
  at most :data:`MAX_WINDOW`), at most :data:`MAX_OCCURRENCES_SHOWN` of them, each with what the ledger holds
  (one batch read): booked with its task and state, in doubt, being booked, or not yet.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from shared.recordings.catalog import horizon, parse_stored
from shared.recordings.planning import Chunk, window_chunks
from shared.recordings.programs import Program
from shared.recordings.rules import stream_identity
from shared.recordings.service import RecordingService
from shared.recordings.tracking import recording_state
from shared.storage.ledger import Entry, ledger_key
from shared.storage.program_store import NEVER, ProgramStore, StoredProgram
from shared.support.errors import InvalidRequest
from shared.support.timeutil import from_unix, isoformat
from shared.tencent.generations import generation

MAX_OCCURRENCES_SHOWN = 50
MAX_WINDOW = timedelta(days=31)
MAX_PAGE = 100
MAX_PAGE_BYTES = 60_000  # of programs: the page's answer stays under 64 KB


def page(store: ProgramStore, limit: int, after: str | None) -> dict[str, Any]:
    """A page of the stored programs by name (without their occurrences: ``GET /programs/{name}``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit is 1 to {MAX_PAGE}", field="limit")
    stored, after_last = store.page(limit, after)
    shown: list[dict[str, Any]] = []
    size = 0
    for item in stored:
        program = parse_stored(item)
        if program is None:
            continue  # logged by parse_stored; PUT it again
        summary = program_summary(item, program)
        size += len(json.dumps(summary, ensure_ascii=False)) + 1
        if size > MAX_PAGE_BYTES and shown:  # the rest on the next page, which starts after the last shown
            return {"programs": shown, "next": shown[-1]["name"]}
        shown.append(summary)
    return {"programs": shown, "next": after_last}


def program_summary(stored: StoredProgram, program: Program) -> dict[str, Any]:
    return {
        "name": stored.name,
        "program": program.model_dump(exclude_none=True),
        "updated_at": isoformat(from_unix(stored.updated_at)),
        "due": isoformat(from_unix(stored.due)) if stored.due < NEVER else None,
    }


def window(
    service: RecordingService, begin: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The window a program's occurrences are shown in: from now (or ``from``), as long as the tick's horizon
    (or to ``to``), at most :data:`MAX_WINDOW`."""
    begin = begin or from_unix(service.clock()).replace(microsecond=0)
    end = end or begin + min(horizon(service), MAX_WINDOW)
    if end <= begin:
        raise InvalidRequest("to must be after from", field="to")
    if end - begin > MAX_WINDOW:
        raise InvalidRequest(f"from and to are at most {MAX_WINDOW.days} days apart", field="to")
    return begin, end


def program_view(
    service: RecordingService, stored: StoredProgram, program: Program, shown: tuple[datetime, datetime]
) -> dict[str, Any]:
    """A program with its occurrences in ``shown`` (soonest first, at most 50) and what the ledger holds for
    each: ``booked`` with its task and state, or not yet (the next tick books it)."""
    settings = service.settings
    gen = generation(settings.api)
    where = stream_identity(gen, program.domain or settings.domain, program.app or settings.app)
    chunks, more = window_chunks(program, shown, MAX_OCCURRENCES_SHOWN, cap=gen.scheduled_cap, where=where)
    clock = service.clock()
    entries = service.ledger.get_many((ledger_key("rollout", c.key) for c in chunks), clock)
    occurrences = [
        occurrence(chunk, entries.get(ledger_key("rollout", chunk.key)), clock) for chunk in chunks
    ]
    reach = from_unix(clock) + horizon(service)
    return program_summary(stored, program) | {
        "from": isoformat(shown[0]),
        "to": isoformat(shown[1]),
        "occurrences": occurrences,
        "more": more,
        "next_tick_books": sum(
            1 for c, o in zip(chunks, occurrences, strict=True) if o["state"] is None and c.start <= reach
        ),
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
