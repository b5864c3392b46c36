"""Programs as data: the recurring programs operators manage over HTTP (``PUT /programs/{name}``), kept in the
ledger's table beside the recordings they book.

A program is stored as the JSON body the rollout takes (validated before it is stored), under its name. The
whole catalogue is one item, so a timer tick reads it with one consistent read whatever the number of
programs; its size bounds how many there can be (:data:`MAX_PROGRAMS`, each body at most
:data:`MAX_PROGRAM_BYTES`: well under DynamoDB's 400 KB an item).

In-process here (:class:`MemoryProgramStore`: tests, ``make run``); on DynamoDB in
:mod:`shared.storage.program_store_dynamodb` (the item ``programs``, a map ``name -> {body, updated_at}``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from shared.storage.ledger import Ledger, Summary
from shared.support.errors import InvalidRequest
from shared.support.records import Record

MAX_PROGRAMS = 200
MAX_PROGRAM_BYTES = 1536


MAX_STREAMS = 8  # earlier streams remembered per program (what cancel=future walks besides its stream)


class StoredProgram(Record):
    __slots__ = ()
    name: str
    body: str  # the program as JSON, as the rollout's schedule input takes it (validated)
    updated_at: float
    # the streams it booked on before a PUT changed its stream, latest first: cancel=future reaches them
    streams: tuple[str, ...] = ()


class ProgramStore(Protocol):
    def put(self, name: str, body: str, now: float, streams: tuple[str, ...] = ()) -> bool:
        """Store or replace ``name`` (with its earlier ``streams``); True when it is new. Refuses a new
        program past :data:`MAX_PROGRAMS` (:class:`~shared.support.errors.InvalidRequest`)."""

    def get(self, name: str) -> StoredProgram | None: ...

    def all(self) -> list[StoredProgram]:
        """Every stored program, by name, read consistently."""

    def all_with_settled(
        self, ledger: Ledger, shards: Iterable[str], now: float
    ) -> tuple[list[StoredProgram], dict[str, Summary]]:
        """What a timer tick reads before it plans: every stored program, and the ledger's rollout summaries
        of ``shards`` (:meth:`~shared.storage.ledger.Ledger.settled`); in one request where both live in
        one table."""

    def delete(self, name: str) -> StoredProgram | None:
        """Forget ``name``; the program it was, or None when none was stored."""


def too_many() -> InvalidRequest:
    return InvalidRequest(
        f"at most {MAX_PROGRAMS} programs can be stored; delete one first (or schedule them in the "
        "timer's input)",
        field="name",
    )


class MemoryProgramStore:
    """Thread-safe, in-process: one container, the tests, the local gateway."""

    def __init__(self) -> None:
        self._programs: dict[str, StoredProgram] = {}
        self._lock = threading.Lock()

    def put(self, name: str, body: str, now: float, streams: tuple[str, ...] = ()) -> bool:
        with self._lock:
            new = name not in self._programs
            if new and len(self._programs) >= MAX_PROGRAMS:
                raise too_many()
            self._programs[name] = StoredProgram(name, body, now, streams)
            return new

    def get(self, name: str) -> StoredProgram | None:
        with self._lock:
            return self._programs.get(name)

    def all(self) -> list[StoredProgram]:
        with self._lock:
            return [self._programs[name] for name in sorted(self._programs)]

    def all_with_settled(
        self, ledger: Ledger, shards: Iterable[str], now: float
    ) -> tuple[list[StoredProgram], dict[str, Summary]]:
        return self.all(), ledger.settled(shards, now)

    def delete(self, name: str) -> StoredProgram | None:
        with self._lock:
            return self._programs.pop(name, None)
