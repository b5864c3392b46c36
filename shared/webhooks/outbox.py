"""Outbound webhooks: record-file (100) and record-status (332) events forwarded to subscribers, signed.

Nothing is dropped silently:

1. ``publish`` writes one outbox item per subscriber (keyed by the event's id, so Tencent's redeliveries
   of the same callback add nothing), then tries each at once within a time budget, so the answer to
   Tencent is never held up beyond it;
2. a failed delivery stays in the outbox, due again after a backoff (30 s, doubling, at most 1 h);
   the timer tick (``drain``) retries whatever is due, under a lease so two runs never send one item
   together;
3. after ``LIVEREC_WEBHOOK_MAX_ATTEMPTS`` failures (32 by default: about 26 hours of retries, so a subscriber
   down for a day loses nothing), or at once for a permanent 4xx, the item becomes a dead letter: kept 14
   days in the store, set aside where the tick never reads it, logged at ERROR with the payload id, the
   subscriber's origin and the reason, and counted in the ``WebhooksDeadLettered`` metric;
4. ``redrive`` (the webhooks function invoked with ``{"outbox": "redrive"}``) puts the dead letters back in
   the outbox, due at once with their attempts counted afresh: the next tick sends them.

Delivery is at least once: a subscriber deduplicates on the ``Liverec-Delivery`` header (the payload id).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from shared.storage.state import StateStore
from shared.support.http1 import Connection
from shared.support.keepalive import ascii_host, tls_context
from shared.support.observability import count, logger
from shared.support.redact import url_origin
from shared.support.timeutil import Clock, system_clock
from shared.webhooks.signature import HEADER, sign_header

PREFIX = "outbox#"
PENDING_TTL = 7 * 86400
DEAD_TTL = 14 * 86400
# a dead letter's due: this (2100-01-01) plus when it died, never reached by a tick's due query
PARKED = 4_102_444_800.0
DELIVERED_TTL = 86400  # Tencent redelivers for 12 minutes; a day is plenty
BUDGET = 3.0  # seconds a callback may spend forwarding before it answers Tencent (which waits 20 s)
ATTEMPT_TIMEOUT = 2.0
USER_AGENT = "liverec-webhooks/1"

# (url, body, headers, timeout) -> HTTP status; raises OSError when unreachable or the answer is broken
Sender = Callable[[str, bytes, dict[str, str], float], int]


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures: 30, 60, 120, ... at most 3600."""
    return float(min(30 * 2 ** max(attempts - 1, 0), 3600))


def http_send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One POST with the standard library (a new connection, closed after); no redirects followed, no
    retries here. The answer's body is read up to 64 KiB and dropped."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = tls_context() if parts.scheme == "https" else None
    conn = Connection(host, parts.port, timeout=timeout, context=context)
    try:
        conn.connect(ascii_host(host))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        conn.close()


@dataclass
class Forwarder:
    urls: tuple[str, ...]
    secret: SecretStr | None
    state: StateStore
    max_attempts: int = 32
    send: Sender = http_send
    clock: Clock = system_clock
    budget: float = BUDGET
    attempt_timeout: float = ATTEMPT_TIMEOUT
    _monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)

    @property
    def enabled(self) -> bool:
        return bool(self.urls) and self.secret is not None

    def publish(self, payload_id: str, kind: str, data: dict[str, Any]) -> dict[str, int]:
        """Queue ``data`` for every subscriber, then try the new items within the budget."""
        if not self.enabled:
            logger.info(
                "no webhook subscribers configured: event not forwarded", extra={"payload_id": payload_id}
            )
            return {"queued": 0}
        now = self.clock()
        fresh: list[str] = []
        for url in self.urls:
            key = f"{PREFIX}{payload_id}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"
            item = {
                "id": payload_id,
                "type": kind,
                "url": url,
                "data": data,
                "created": int(now),
                "attempts": 0,
            }
            if self.state.add(key, item, now, PENDING_TTL, due=now):
                fresh.append(key)
        outcome = self._attempt_all(fresh)
        return {"queued": len(fresh), **outcome}

    def drain(self, limit: int = 100) -> dict[str, int]:
        """The timer tick: retry every due item (bounded by ``limit`` and the budget).

        Without subscribers it reads nothing (the schedule runs every minute; the store is not scanned)."""
        if not self.enabled:
            return {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
        due = self.state.due(PREFIX, self.clock(), limit)
        return self._attempt_all([key for _, key in due], budget=25.0)

    def redrive(self, limit: int = 1000) -> dict[str, int]:
        """Put up to ``limit`` dead letters back in the outbox, due now with attempts counted afresh (the
        next tick sends them); each keeps its payload id, so a subscriber that did get one ignores it."""
        now = self.clock()
        redriven = 0
        for key in self.state.parked(PREFIX, PARKED, limit):
            item = self.state.get(key, now)
            if item is None or item.get("state") != "dead":
                continue
            item = {k: v for k, v in item.items() if k != "state"} | {"attempts": 0, "redriven_at": int(now)}
            self.state.put(key, item, now, PENDING_TTL, due=now)
            redriven += 1
        for _ in range(redriven):
            count("WebhooksRedriven")
        logger.info("webhook dead letters put back in the outbox", extra={"redriven": redriven})
        return {"redriven": redriven}

    def _attempt_all(self, keys: list[str], budget: float | None = None) -> dict[str, int]:
        tally = {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
        deadline = self._monotonic() + (self.budget if budget is None else budget)
        for key in keys:
            remaining = deadline - self._monotonic()
            if remaining < 0.2:
                tally["retrying"] += 1  # left due: the next tick sends it
                continue
            tally[self._attempt(key, min(self.attempt_timeout, remaining))] += 1
        return tally

    def _attempt(self, key: str, timeout: float) -> str:
        now = self.clock()
        item = self.state.lease(key, now, timeout + 30)
        if item is None:
            return "skipped"  # delivered, or being delivered by someone else
        timestamp = int(now)
        body = json.dumps(
            {"id": item["id"], "type": item["type"], "created": item["created"], "data": item["data"]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        if self.secret is None:  # publish refuses when disabled; a drain after the secret was removed
            return "skipped"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER: sign_header([self.secret], timestamp, body),
            "Liverec-Delivery": item["id"],
            "Liverec-Event": item["type"],
        }
        status: int | None = None
        try:
            status = self.send(item["url"], body, headers, timeout)
            error = f"HTTP {status}"
        except OSError as exc:  # refused, reset, timed out, or an answer malformed or cut short
            error = f"{type(exc).__name__}: {str(exc)[:120]}"
        attempts = int(item["attempts"]) + 1
        log = {"payload_id": item["id"], "subscriber": url_origin(item["url"]), "attempts": attempts}
        if status is not None and 200 <= status < 300:
            # kept (not due) so that Tencent's redeliveries of the same callback are not forwarded again
            self.state.put(
                key, item | {"attempts": attempts, "state": "delivered"}, self.clock(), DELIVERED_TTL
            )
            count("WebhooksDelivered", type=item["type"])
            logger.info("webhook delivered", extra=log)
            return "delivered"
        permanent = status is not None and 400 <= status < 500 and status not in (408, 425, 429)
        now = self.clock()
        if permanent or attempts >= self.max_attempts:
            reason = f"{error} (permanent)" if permanent else f"{error} after {attempts} attempts"
            dead = item | {"attempts": attempts, "state": "dead", "last_error": reason}
            self.state.put(key, dead, now, DEAD_TTL, due=PARKED + now)
            count("WebhooksDeadLettered", type=item["type"])
            logger.error("webhook dead-lettered", extra=log | {"reason": reason, "payload": item["data"]})
            return "dead"
        due = now + backoff(attempts)
        self.state.put(key, item | {"attempts": attempts, "last_error": error}, now, PENDING_TTL, due=due)
        count("WebhooksRetried", type=item["type"])
        logger.warning(
            "webhook delivery failed; will retry", extra=log | {"error": error, "next_attempt_in": due - now}
        )
        return "retrying"
