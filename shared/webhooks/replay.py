"""What one Tencent ``t``/``sign`` may carry, once it is verified (``shared.webhooks.inbound``).

Tencent's ``sign`` is ``md5(key + t)``: it covers the expiry ``t``, not the body, so every callback Tencent
sends in one second carries the same ``t`` and ``sign`` (a stream's end and its record file, the begins of
two streams), and whoever captures one can send other bodies under it until ``t`` passes. So:

- an exact replay (the same body, whatever its key order or spacing) of a callback already handled is
  acknowledged without effect: nothing is created, stopped, kept, forwarded, logged at ERROR or counted
  again (``CallbackReplays``);
- a body that is the same *event* as one already taken under that ``t``/``sign`` (:func:`identity`: the
  same stream's begin, the same file, ...) but not the same body, a captured callback with its fields
  changed, is refused ``401 SignatureReused``: Tencent never sends one event twice in one second with two
  bodies;
- another event under that ``t``/``sign`` is handled: that is Tencent's own traffic, and the residual risk
  (README, "Know the limit of Tencent's scheme").

Each ``t``/``sign`` and identity is one item in the webhook state (the idempotency table), written
conditionally before the event is handled (the first body wins, also between containers) and kept until
``t`` has passed, after which the signature check refuses the callback anyway. A body whose handling
failed (a 5xx: Tencent redelivers it) is not marked handled: its exact redelivery is handled again, which
the idempotency keys behind it make safe, as they make two concurrent deliveries of one body safe.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.storage.state import StateStore
from shared.support.errors import CallbackAuthError
from shared.support.records import Record
from shared.support.timeutil import Clock
from shared.webhooks.tencent_events import body_digest

PREFIX = "callback-seen:"
CLOCK_MARGIN = 60  # seconds an item outlives its t: containers' clocks differ a little


class Seen(Record):
    """One callback's place under its ``t``/``sign``: ``replay`` when the same body was handled already."""

    __slots__ = ()
    key: str
    digest: str
    ttl: float
    replay: bool


class ReplayGuard:
    """Admits callbacks under their ``t``/``sign`` in ``state`` (one guard per callback handled)."""

    __slots__ = ("clock", "state")

    def __init__(self, state: StateStore, clock: Clock) -> None:
        self.state = state
        self.clock = clock

    def admit(self, body: dict[str, Any], identity: str) -> Seen:
        """Take this body's place under its (verified) ``t``/``sign`` and identity; raise
        ``SignatureReused`` when another body holds it."""
        t = int(str(body["t"]))
        sign = str(body["sign"]).strip().lower()
        key = PREFIX + hashlib.sha256(f"{t}|{sign}|{identity}".encode()).hexdigest()[:40]
        now = self.clock()
        seen = Seen(key, body_digest(body), max(t - now, 0) + CLOCK_MARGIN, replay=False)
        if self.state.add(key, {"digest": seen.digest, "handled": False}, now, seen.ttl):
            return seen
        held = self.state.get(key, now)
        if held is None:  # gone between the two reads (its t passed): nothing holds the place now
            return seen
        if held.get("digest") != seen.digest:
            raise CallbackAuthError(
                "this t and sign already came with another body for the same event: a signed callback's "
                "fields cannot be changed (Tencent's sign covers t, not the body)",
                code="SignatureReused",
                field="sign",
            )
        return Seen(key, seen.digest, seen.ttl, replay=bool(held.get("handled")))

    def handled(self, seen: Seen) -> None:
        """The body was handled (answered 200): its exact replays are acknowledged without effect."""
        self.state.put(seen.key, {"digest": seen.digest, "handled": True}, self.clock(), seen.ttl)
