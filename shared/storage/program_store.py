"""Programs as data: the recurring programs operators manage over HTTP (``PUT /programs/{name}``), kept in the
ledger's table beside the recordings they book.

A program is stored as the JSON body the rollout takes (validated before it is stored), under its name, one
small item each (at most :data:`MAX_PROGRAM_BYTES` of JSON), up to ``LIVEREC_MAX_PROGRAMS`` of them (10,000
by default). Each carries ``due``: the start of the first recording it asks for that no tick has settled yet
(or of the next one past the horizon once all are), so a tick reads the programs due within its horizon,
soonest first, and never the whole catalogue: a steady tick costs the same with ten programs or ten thousand.

Three reads, each bounded whatever the number of programs:

- :meth:`ProgramStore.page`: by name, after a cursor (``GET /programs``); a program stored throughout a
  listing is listed exactly once across its pages, whatever is added or deleted meanwhile;
- :meth:`ProgramStore.due`: the programs due by a time, soonest first, at most ``limit`` of them, with the
  ``due`` of the first one left out (the tick books nothing after it: soonest first across all programs);
- :meth:`ProgramStore.get_many`: the programs of some names (which configured programs a stored one replaces;
  which of a tick's programs are still stored once it has booked).

In-process here (:class:`MemoryProgramStore`: tests, ``make run``); on DynamoDB in
:mod:`shared.storage.program_store_dynamodb`.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from typing import Protocol

from shared.support.errors import InvalidRequest
from shared.support.records import Record

MAX_PROGRAMS = 10_000  # the default of LIVEREC_MAX_PROGRAMS
MAX_PROGRAM_BYTES = 1536
MAX_STREAMS = 8  # earlier streams remembered per program (what cancel=future walks besides its stream)
NEVER = 4_102_444_800.0  # a program whose cron never matches again is due at 2100-01-01: never read by a tick


class StoredProgram(Record):
    __slots__ = ()
    name: str
    body: str  # the program as JSON, as the rollout's schedule input takes it (validated)
    updated_at: float
    # the streams it booked on before a PUT changed its stream, latest first: cancel=future reaches them
    streams: tuple[str, ...] = ()
    due: float = 0.0  # the start of the first recording it asks for that no tick has settled


class Due(Record):
    """What a tick reads: the programs due, soonest first, and the ``due`` of the first one left out."""

    __slots__ = ()
    programs: list[StoredProgram]
    next_due: float | None  # None: every program due was read


class ProgramStore(Protocol):
    limit: int  # how many programs it stores at most (LIVEREC_MAX_PROGRAMS)

    def put(self, name: str, body: str, now: float, *, due: float, streams: tuple[str, ...] = ()) -> bool:
        """Store or replace ``name`` (with its earlier ``streams``), due at ``due``; True when it is new.
        Refuses a new program past the limit (:class:`~shared.support.errors.InvalidRequest`)."""

    def get(self, name: str) -> StoredProgram | None: ...

    def get_many(self, names: Iterable[str]) -> dict[str, StoredProgram]:
        """The stored programs among ``names``, read consistently."""

    def page(self, limit: int, after: str | None = None) -> tuple[list[StoredProgram], str | None]:
        """Up to ``limit`` programs by name, after ``after``; the cursor of the next page, or None."""

    def due(self, until: float, limit: int) -> Due:
        """The programs due by ``until``, soonest first, at most ``limit``."""

    def set_due(self, name: str, due: float, seen: float) -> bool:
        """Move ``name``'s due to ``due``, unless it was stored again since it was read (``updated_at``
        other than ``seen``: the new version's own due stands); whether it was moved."""

    def total(self) -> int:
        """How many programs are stored."""

    def delete(self, name: str) -> StoredProgram | None:
        """Forget ``name``; the program it was, or None when none was stored."""


def too_many(limit: int) -> InvalidRequest:
    return InvalidRequest(
        f"at most {limit} programs can be stored (LIVEREC_MAX_PROGRAMS); delete one first",
        field="name",
    )


class MemoryProgramStore:
    """Thread-safe, in-process: one container, the tests, the local gateway."""

    def __init__(self, limit: int = MAX_PROGRAMS) -> None:
        self.limit = limit
        self._programs: dict[str, StoredProgram] = {}
        self._names: list[str] = []  # sorted
        self._lock = threading.Lock()

    def put(self, name: str, body: str, now: float, *, due: float, streams: tuple[str, ...] = ()) -> bool:
        with self._lock:
            new = name not in self._programs
            if new and len(self._programs) >= self.limit:
                raise too_many(self.limit)
            if new:
                bisect.insort(self._names, name)
            self._programs[name] = StoredProgram(name, body, now, streams, due)
            return new

    def get(self, name: str) -> StoredProgram | None:
        with self._lock:
            return self._programs.get(name)

    def get_many(self, names: Iterable[str]) -> dict[str, StoredProgram]:
        with self._lock:
            return {n: self._programs[n] for n in names if n in self._programs}

    def page(self, limit: int, after: str | None = None) -> tuple[list[StoredProgram], str | None]:
        with self._lock:
            start = bisect.bisect_right(self._names, after) if after is not None else 0
            names = self._names[start : start + limit]
            more = start + limit < len(self._names)
            return [self._programs[n] for n in names], (names[-1] if more and names else None)

    def due(self, until: float, limit: int) -> Due:
        with self._lock:
            due = sorted(
                (p for p in self._programs.values() if p.due <= until), key=lambda p: (p.due, p.name)
            )
        return Due(due[:limit], due[limit].due if len(due) > limit else None)

    def set_due(self, name: str, due: float, seen: float) -> bool:
        with self._lock:
            stored = self._programs.get(name)
            if stored is None or stored.updated_at != seen:
                return False
            self._programs[name] = stored._replace(due=due)
            return True

    def total(self) -> int:
        with self._lock:
            return len(self._programs)

    def delete(self, name: str) -> StoredProgram | None:
        with self._lock:
            old = self._programs.pop(name, None)
            if old is not None:
                self._names.remove(name)
            return old
