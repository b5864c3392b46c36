"""Small durable state the webhook paths need besides idempotency records.

- which task a callback rule started for a stream (so stream-end can stop it);
- the outbox of webhook forwards not yet delivered (due time, attempts, a lease against double sending).

Same backends as idempotency: in-process (tests, local run, ``serverless invoke local``) or the DynamoDB
table named by ``LIVEREC_IDEMPOTENCY_TABLE`` (through ``shared.storage.dynamodb``, loaded only when configured; no
path loads boto3). Values are JSON objects.
"""

from __future__ import annotations

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

    def due(
        self, prefix: str, now: float, limit: int, *, after: tuple[float, str] | None = None
    ) -> list[tuple[float, str]]:
        """Up to ``limit`` items under ``prefix`` whose ``due`` time has come and that no one holds a lease
        on, as ``(due, key)`` in the order of ``(due, key)``, oldest due first. ``after``: the last pair of
        the previous page; this page starts after it (the outbox reads its backlog page after page)."""

    def parked(self, prefix: str, since: float, limit: int) -> list[str]:
        """Keys under ``prefix`` whose ``due`` is at or after ``since``: items set aside far in the future
        (the outbox's dead letters), which :meth:`due` never reaches."""

    def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
        """Atomically take a due item for ``seconds`` (None when it is gone, not due, or leased)."""
