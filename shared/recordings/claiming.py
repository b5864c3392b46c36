"""Claiming a key in the ledger: take it, or wait (bounded) for a live holder's outcome. Used by every create
(:mod:`shared.recordings.service`); the ledger itself only answers one claim at a time."""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.storage.ledger import Claim, Entry, Ledger
from shared.support.errors import IdempotencyConflict, IdempotencyInProgress


def wait_for_claim(
    ledger: Ledger,
    claim: Callable[[], Claim],
    *,
    wait: bool = True,
    timeout: float = 10.0,
    poll: float = 0.005,
    max_poll: float = 0.1,
) -> tuple[Claim, Entry | None]:
    """Claim the key or, while a live holder has it, wait (bounded) for its outcome.

    Returns the last claim tried, and None when this caller now owns it, or else the entry to act on (settled,
    or one whose holder may have died). ``claim`` builds a fresh claim per attempt (the clock moves on). The
    wait polls after
    ``poll`` seconds, doubling up to ``max_poll``: a duplicate gets a fast create's result within
    milliseconds, and a slow one costs a remote store a few reads, not dozens. ``wait=False`` (the rollout:
    another tick is booking it) raises at once.
    """
    deadline = time.monotonic() + timeout
    delay = poll
    while True:
        attempt = claim()
        entry = ledger.claim(attempt)
        if entry is None:
            return attempt, None
        if entry.fingerprint != attempt.fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request body", field="Idempotency-Key"
            )
        if not entry.held(attempt.now):
            return attempt, entry
        if not wait or time.monotonic() >= deadline:
            raise IdempotencyInProgress(
                "a request with this key is still being processed; retry shortly", field="Idempotency-Key"
            )
        time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
        delay = min(delay * 2, max_poll)
