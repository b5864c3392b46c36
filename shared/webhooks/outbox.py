"""Outbound webhooks: record-file (100) and record-status (332) events forwarded to subscribers, signed.

Nothing is dropped silently:

1. ``publish`` writes one outbox item per subscriber (keyed by the event's id, so Tencent's redeliveries
   of the same callback add nothing), due at once, and sends nothing: it asks for a drain (``kick``,
   :mod:`shared.webhooks.kick`: on Lambda, an asynchronous invocation of the webhooks function), so the
   answer to Tencent never waits for a subscriber. The drain a kick asks for runs in another invocation and
   tries the new items first, by key;
2. a drain (``drain``: the timer's tick every minute, or a kick's) sends whatever is due, however large the
   backlog: it reads the due items oldest first, a page of 100 at a time from where the last page ended,
   and sends them on a small pool of threads (8), each item leased first (a conditional write) so that two
   drains, or two threads, never send one item together. It stops when nothing is due or its time is up:
   25 s, and never later than 4 s before the invocation's end (the function's timeout is 29 s); a send
   starts only if its attempt (2 s at most) ends before then, and what is not sent stays due, unleased, for
   the next tick. Logs and metrics are written by the drain's own thread, never by two at once. A failed
   delivery stays in the outbox, due again after a backoff (30 s, doubling, at most 1 h);
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
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from shared.storage.state import StateStore
from shared.support.http1 import Connection
from shared.support.keepalive import ascii_host, tls_context
from shared.support.observability import count, logger
from shared.support.records import Record
from shared.support.redact import url_origin
from shared.support.timeutil import Clock, Deadline, system_clock
from shared.webhooks.signature import HEADER, sign_header

if TYPE_CHECKING:  # the drain imports concurrent.futures' thread pool when it runs, not at a cold start
    from concurrent.futures import Executor, Future

    from shared.webhooks.kick import Kick

PREFIX = "outbox#"
PENDING_TTL = 7 * 86400
DEAD_TTL = 14 * 86400
# a dead letter's due: this (2100-01-01) plus when it died, never reached by a tick's due query
PARKED = 4_102_444_800.0
DELIVERED_TTL = 86400  # Tencent redelivers for 12 minutes; a day is plenty
ATTEMPT_TIMEOUT = 2.0  # seconds one delivery may take in all: connect, send, and its answer read
MAX_ANSWER = 64 * 1024  # bytes of a subscriber's answer read (then dropped; the rest is left unread)
# The tick: its time (the webhooks function's timeout is 29 s), what it keeps after its last send for the
# store's writes, the items a query reads, and the sends at once (the DynamoDB client keeps 8 connections)
DRAIN_BUDGET = 25.0
DRAIN_RESERVE = 4.0
PAGE = 100
WORKERS = 8
USER_AGENT = "liverec-webhooks/1"
RESULTS = ("delivered", "retrying", "dead", "skipped")

# (url, body, headers, timeout) -> HTTP status, all of it within timeout seconds; raises OSError when
# unreachable, out of time, or the answer is broken
Sender = Callable[[str, bytes, dict[str, str], float], int]


class Outcome(Record):
    """What one attempt came to: ``result`` (one of RESULTS) and, when the item was sent, the item, its
    attempts so far, the error (a retry's, or the dead letter's reason) and the seconds to its next try."""

    __slots__ = ()
    result: str
    item: dict[str, Any] | None = None
    attempts: int = 0
    error: str = ""
    retry_in: float = 0.0


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures: 30, 60, 120, ... at most 3600."""
    return float(min(30 * 2 ** max(attempts - 1, 0), 3600))


def item_key(payload_id: str, url: str) -> str:
    """The outbox item of one payload for one subscriber."""
    return f"{PREFIX}{payload_id}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def http_send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One POST with the standard library (a new connection, closed after), all of it within ``timeout``
    seconds: the connect, the send and every read of the answer (a subscriber answering a byte at a time is
    cut there: ``TimeoutError``). No redirects followed, no retries here. The answer's body is read up to
    :data:`MAX_ANSWER` and dropped."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = tls_context() if parts.scheme == "https" else None
    conn = Connection(host, parts.port, timeout=timeout, context=context, max_body=MAX_ANSWER)
    conn.deadline = time.monotonic() + timeout
    try:
        conn.connect(ascii_host(host))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(MAX_ANSWER)
        return response.status
    finally:
        conn.close()


def report(outcome: Outcome, tally: dict[str, int]) -> None:
    """Count an attempt's result, and log and meter it when the item was sent."""
    tally[outcome.result] += 1
    item = outcome.item
    if item is None:
        return
    log = {"payload_id": item["id"], "subscriber": url_origin(item["url"]), "attempts": outcome.attempts}
    if outcome.result == "delivered":
        count("WebhooksDelivered", type=item["type"])
        logger.info("webhook delivered", extra=log)
    elif outcome.result == "dead":
        count("WebhooksDeadLettered", type=item["type"])
        extra = log | {"reason": outcome.error, "payload": item["data"]}
        logger.error("webhook dead-lettered", extra=extra)
    else:
        count("WebhooksRetried", type=item["type"])
        extra = log | {"error": outcome.error, "next_attempt_in": outcome.retry_in}
        logger.warning("webhook delivery failed; will retry", extra=extra)


class Forwarder:
    """The outbox of one container: ``publish`` queues, ``drain`` sends, ``redrive`` revives dead letters.
    ``kick`` asks for a drain of a payload just queued (None: the timer's drain only); ``monotonic`` is the
    clock a drain's time is kept on."""

    def __init__(
        self,
        urls: tuple[str, ...],
        secret: SecretStr | None,
        state: StateStore,
        *,
        max_attempts: int = 32,
        send: Sender = http_send,
        clock: Clock = system_clock,
        kick: Kick | None = None,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        drain_budget: float = DRAIN_BUDGET,
        workers: int = WORKERS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls, self.secret, self.state, self.max_attempts = urls, secret, state, max_attempts
        self.send, self.clock, self.kick, self.monotonic = send, clock, kick, monotonic
        self.attempt_timeout, self.drain_budget, self.workers = attempt_timeout, drain_budget, workers

    @property
    def enabled(self) -> bool:
        return bool(self.urls) and self.secret is not None

    def publish(self, payload_id: str, kind: str, data: dict[str, Any]) -> dict[str, int]:
        """Queue ``data`` for every subscriber, due now, and ask for a drain when anything was new (a
        redelivered event adds nothing). Nothing is sent here: ``queued`` new items, ``kicked`` 1 when a
        drain was asked for."""
        if not self.enabled:
            logger.info(
                "no webhook subscribers configured: event not forwarded", extra={"payload_id": payload_id}
            )
            return {"queued": 0}
        now = self.clock()
        fresh: list[str] = []
        for url in self.urls:
            key = item_key(payload_id, url)
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
        kicked = bool(fresh) and self.kick is not None and self.kick(payload_id)
        return {"queued": len(fresh), "kicked": int(kicked)}

    def drain(
        self, deadline: Deadline | None = None, page: int = PAGE, first: str | None = None
    ) -> dict[str, int]:
        """A drain (the timer's tick, or a kick's): send what is due, oldest first, ``page`` items a query,
        on ``workers`` threads, until nothing is due or the drain's time is up: ``drain_budget`` seconds,
        and no later than ``DRAIN_RESERVE`` seconds before the invocation's ``deadline``. A send starts only
        when its attempt (``attempt_timeout``) ends before then; what is not sent stays due for the next.
        ``first``: a payload id whose items are tried before the query, by key (an item just written may
        not be in the due index yet); one that is not due (delivered, leased, dead) is skipped.

        Without subscribers it reads nothing (the schedule runs every minute; the store is not scanned)."""
        tally = dict.fromkeys(RESULTS, 0)
        if not self.enabled:
            return tally
        budget = self.drain_budget
        if deadline is not None:
            budget = min(budget, deadline.remaining() - DRAIN_RESERVE)
        stop = self.monotonic() + budget
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="outbox")
        ahead = [item_key(first, url) for url in self.urls] if first is not None else []
        try:
            self._pump(pool, stop, page, tally, ahead)
        finally:  # an error (the store down) ends the tick: what is queued is not attempted
            pool.shutdown(wait=True, cancel_futures=True)
        return tally

    def _pump(self, pool: Executor, stop: float, page: int, tally: dict[str, int], ahead: list[str]) -> None:
        """Submit the ``ahead`` keys, then read the next page once fewer items than workers are left in
        hand (so the threads never wait for a query), and report each attempt as it ends, in this thread:
        logs and metrics are written by one thread, never interleaved on stdout."""
        from concurrent.futures import FIRST_COMPLETED, wait

        failed = threading.Event()  # set by a worker whose attempt raised: the others try nothing more
        pending: set[Future[Outcome]] = {pool.submit(self._attempt_before, k, stop, failed) for k in ahead}
        after: tuple[float, str] | None = None
        more = True
        while True:
            if more and len(pending) < self.workers and self._fits(stop):
                found = self.state.due(PREFIX, self.clock(), page, after=after)
                more = len(found) == page
                after = found[-1] if found else after
                fresh = [key for _, key in found if key not in ahead]  # those tried already: not again
                pending |= {pool.submit(self._attempt_before, key, stop, failed) for key in fresh}
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                report(future.result(), tally)

    def _fits(self, stop: float) -> bool:
        """Whether an attempt started now ends before ``stop`` (on the monotonic clock)."""
        return stop - self.monotonic() >= self.attempt_timeout

    def _attempt_before(self, key: str, stop: float, failed: threading.Event) -> Outcome:
        """One item of a drain (on a worker thread), attempted only if it can end before ``stop`` and no
        attempt of this drain has failed (the store down: the error ends the tick)."""
        if failed.is_set() or not self._fits(stop):
            return Outcome("retrying")  # left due, never leased: the next tick sends it
        try:
            return self._attempt(key, self.attempt_timeout)
        except Exception:
            failed.set()
            raise

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

    def _attempt(self, key: str, timeout: float) -> Outcome:
        """Lease the item, send it, and store what came of it (thread-safe: the store is, and the send opens
        its own connection). Logs and metrics are left to :func:`report`."""
        now = self.clock()
        item = self.state.lease(key, now, timeout + 30)
        if item is None:
            return Outcome("skipped")  # delivered, or being delivered by someone else
        if self.secret is None:  # publish refuses when disabled; a drain after the secret was removed
            return Outcome("skipped")
        status, error = self._post(item, self.secret, int(now), timeout)
        attempts = int(item["attempts"]) + 1
        if status is not None and 200 <= status < 300:
            # kept (not due) so that Tencent's redeliveries of the same callback are not forwarded again
            self.state.put(
                key, item | {"attempts": attempts, "state": "delivered"}, self.clock(), DELIVERED_TTL
            )
            return Outcome("delivered", item, attempts)
        permanent = status is not None and 400 <= status < 500 and status not in (408, 425, 429)
        now = self.clock()
        if permanent or attempts >= self.max_attempts:
            reason = f"{error} (permanent)" if permanent else f"{error} after {attempts} attempts"
            dead = item | {"attempts": attempts, "state": "dead", "last_error": reason}
            self.state.put(key, dead, now, DEAD_TTL, due=PARKED + now)
            return Outcome("dead", item, attempts, reason)
        due = now + backoff(attempts)
        self.state.put(key, item | {"attempts": attempts, "last_error": error}, now, PENDING_TTL, due=due)
        return Outcome("retrying", item, attempts, error, due - now)

    def _post(
        self, item: dict[str, Any], secret: SecretStr, timestamp: int, timeout: float
    ) -> tuple[int | None, str]:
        """Send the signed item: its HTTP status (None when no answer came) and the error to record."""
        body = json.dumps(
            {"id": item["id"], "type": item["type"], "created": item["created"], "data": item["data"]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER: sign_header([secret], timestamp, body),
            "Liverec-Delivery": item["id"],
            "Liverec-Event": item["type"],
        }
        try:
            status = self.send(item["url"], body, headers, timeout)
        except OSError as exc:  # refused, reset, timed out, or an answer malformed or cut short
            return None, f"{type(exc).__name__}: {str(exc)[:120]}"
        return status, f"HTTP {status}"
