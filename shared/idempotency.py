"""Idempotency for creates: a retry with the same ``Idempotency-Key`` never records twice.

A store maps a key to a record ``{state, fingerprint, result}``:
- ``begin`` atomically claims a new key (state ``in_progress``), or returns the record already there;
- the same key with another body (a different fingerprint) is a conflict (HTTP 409);
- ``complete`` stores the result so every duplicate gets the first answer;
- ``release`` forgets a claim whose create certainly did not happen, so the caller may try again;
- an ``unknown`` outcome is kept, so a retry reconciles instead of creating blindly.

The in-process store serves tests and the local run; the DynamoDB one (``shared.dynamodb``, standard
library only) is loaded only when configured. No path imports boto3.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shared.errors import LiverecError

State = Literal["in_progress", "completed", "unknown"]
DEFAULT_TTL = 3600  # seconds a key is remembered
IN_PROGRESS_TTL = 60  # a claim older than this is considered abandoned (the function died mid-create)


class IdempotencyConflict(LiverecError):
    code = "IdempotencyConflict"


class IdempotencyInProgress(LiverecError):
    code = "IdempotencyInProgress"


class IdempotencyStoreUnavailable(LiverecError):
    """The store cannot be read or written: refuse to create (a duplicate could follow), try later."""

    code = "IdempotencyStoreUnavailable"


@dataclass(frozen=True)
class Record:
    state: State
    fingerprint: str
    result: dict[str, Any] | None
    expires_at: float
    claimed_at: float


class IdempotencyStore(Protocol):
    def begin(self, key: str, fingerprint: str, now: float) -> Record | None:
        """Claim ``key`` (returns None), or return the live record already stored under it."""

    def complete(self, key: str, result: dict[str, Any], now: float) -> None: ...

    def mark_unknown(self, key: str, planned: dict[str, Any], now: float) -> None: ...

    def release(self, key: str) -> None: ...

    def reclaim(self, key: str, now: float) -> bool:
        """Atomically turn an ``unknown`` record back into this caller's ``in_progress`` claim."""


def fingerprint(payload: Any) -> str:
    """A stable digest of the request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class MemoryStore:
    """Thread-safe in-process store (one Lambda container, tests, the local gateway)."""

    def __init__(self, ttl: float = DEFAULT_TTL, in_progress_ttl: float = IN_PROGRESS_TTL) -> None:
        self._records: dict[str, Record] = {}
        self._lock = threading.Lock()
        self.ttl = ttl
        self.in_progress_ttl = in_progress_ttl

    def begin(self, key: str, fingerprint: str, now: float) -> Record | None:
        with self._lock:
            record = self._records.get(key)
            if record is not None and record.expires_at > now:
                abandoned = record.state == "in_progress" and now - record.claimed_at > self.in_progress_ttl
                if not abandoned:
                    return record
            self._records[key] = Record("in_progress", fingerprint, None, now + self.ttl, now)
            return None

    def complete(self, key: str, result: dict[str, Any], now: float) -> None:
        with self._lock:
            old = self._records.get(key)
            if old is not None:
                self._records[key] = Record(
                    "completed", old.fingerprint, result, now + self.ttl, old.claimed_at
                )

    def mark_unknown(self, key: str, planned: dict[str, Any], now: float) -> None:
        with self._lock:
            old = self._records.get(key)
            if old is not None:
                self._records[key] = Record(
                    "unknown", old.fingerprint, planned, now + self.ttl, old.claimed_at
                )

    def release(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def reclaim(self, key: str, now: float) -> bool:
        with self._lock:
            old = self._records.get(key)
            if old is None or old.state != "unknown":
                return False
            self._records[key] = Record("in_progress", old.fingerprint, old.result, now + self.ttl, now)
            return True


def wait_for_result(
    store: IdempotencyStore,
    key: str,
    fp: str,
    clock: Callable[[], float],
    *,
    timeout: float = 10.0,
    poll: float = 0.005,
    max_poll: float = 0.1,
) -> Record | None:
    """Claim ``key`` or, while another request holds it, wait (bounded) for that request's result.

    Returns None when this caller holds the claim; a completed or unknown record otherwise. The wait polls
    after ``poll`` seconds, doubling up to ``max_poll``: a duplicate gets a fast create's result within
    milliseconds, and a slow one (Tencent takes a few hundred) costs a remote store a few reads, not dozens.
    """
    deadline = time.monotonic() + timeout
    delay = poll
    while True:
        record = store.begin(key, fp, clock())
        if record is None:
            return None
        if record.fingerprint != fp:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request body", field="Idempotency-Key"
            )
        if record.state != "in_progress":
            return record
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress(
                "a request with this Idempotency-Key is still being processed; retry shortly",
                field="Idempotency-Key",
            )
        time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
        delay = min(delay * 2, max_poll)
