"""Small durable state the webhook paths need besides idempotency records.

- which task a callback rule started for a stream (so stream-end can stop it);
- the outbox of webhook forwards not yet delivered (due time, attempts, a lease against double sending).

Same backends as idempotency: in-process (tests, local run, ``serverless invoke local``) or the DynamoDB
table named by ``LIVEREC_IDEMPOTENCY_TABLE`` (through ``shared.storage.dynamodb``, loaded only when configured; no
path loads boto3). Values are JSON objects.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Protocol


class StateStore(Protocol):
    def add(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> bool:
        """Store ``value`` unless a live item is already there; True when stored."""

    def put(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> None:
        """Store ``value`` (replacing any item, and releasing its lease). ``due`` marks an outbox item."""

    def get(self, key: str, now: float) -> dict[str, Any] | None: ...

    def delete(self, key: str) -> None: ...

    def due(self, prefix: str, now: float, limit: int) -> list[str]:
        """Keys under ``prefix`` whose ``due`` time has come and that no one holds a lease on."""

    def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
        """Atomically take a due item for ``seconds`` (None when it is gone, not due, or leased)."""


class MemoryState:
    """Thread-safe, in-process. Pending forwards live only as long as the container: use the DynamoDB
    table in production."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[dict[str, Any], float, float | None, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[dict[str, Any], float, float | None, float] | None:
        item = self._items.get(key)
        return item if item is not None and item[1] > now else None

    def add(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> bool:
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._items[key] = (copy.deepcopy(value), now + ttl, due, 0.0)
            return True

    def put(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> None:
        with self._lock:
            self._items[key] = (copy.deepcopy(value), now + ttl, due, 0.0)

    def get(self, key: str, now: float) -> dict[str, Any] | None:
        with self._lock:
            item = self._live(key, now)
            return copy.deepcopy(item[0]) if item else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def due(self, prefix: str, now: float, limit: int) -> list[str]:
        with self._lock:
            found = [
                (item[2], key)
                for key, item in self._items.items()
                if key.startswith(prefix)
                and item[1] > now
                and item[2] is not None
                and item[2] <= now
                and item[3] <= now
            ]
        return [key for _, key in sorted(found)[:limit]]

    def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
        with self._lock:
            item = self._live(key, now)
            if item is None or item[2] is None or item[2] > now or item[3] > now:
                return None
            self._items[key] = (item[0], item[1], item[2], now + seconds)
            return copy.deepcopy(item[0])
