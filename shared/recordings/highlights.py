"""A highlight (``POST /recordings/realtime``) and its stream: recorded now only when the stream is live, or armed
with ``wait`` to start when the stream begins.

- Without ``wait``: where the generation can tell whether a stream is live (its row's ``stream_state``,
  API 3.0 ``DescribeLiveStreamState``), a stream that is not (``inactive``, or ``forbid``: banned) is refused
  (409 ``StreamNotLive``) and nothing is created: Tencent would accept the task and record nothing. A look-up
  that fails does not block the create: it goes ahead, with a warning. v2 and fcgi cannot tell: the create
  goes ahead as before.
- With ``wait`` (seconds, 1..86400): a stream that is live now (where the generation can tell) is recorded at
  once, as without it (201). Otherwise the request is *armed* (202): stored in the webhook state with its
  window, one per stream name at a time (another is 409 ``AlreadyWaiting``), and the first stream-begin
  callback for that stream (and its domain and app, where the request names them) within the window starts
  it, once: its create goes through the ledger under the armed request's own key, so two callbacks at once or
  Tencent's redeliveries make one task. Where the generation cannot tell, a stream that is already live when
  armed starts at its next push (Tencent calls back only when a push begins).

An armed request is shown (``GET /recordings/realtime/{wait_id}``) as ``armed``, ``started`` (its task id),
``expired`` (its window passed without a stream begin), ``refused`` (its create was refused when the stream
began) or ``unknown`` (its create got no answer, and the generation cannot look it up: never created again),
for a day after its window.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from shared.recordings.creating import Created, CreateOnce
from shared.recordings.models import RealtimeRecordingInput, parse_input
from shared.recordings.requests import RecordingRequest
from shared.storage.ledger import Origin
from shared.storage.state import StateStore
from shared.support.errors import (
    IdempotencyConflict,
    InvalidRequest,
    LiverecError,
    OutcomeUnresolved,
    TencentInputError,
)
from shared.support.observability import count, logger
from shared.support.records import Record
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline
from shared.tencent.types import Mode

MAX_WAIT = 86400
KEPT = 86400  # an armed request is shown this long after its window
REDELIVERY = 900  # Tencent redelivers a callback for 12 minutes: a begin within the window, redelivered later
PREFIX = "wait:"  # the armed request, by its id
STREAM_PREFIX = "wait-stream:"  # the armed request of a stream name, while it waits
ORIGIN = Origin("callback", "wait")
NOT_LIVE = frozenset({"inactive", "forbid"})
WAIT_ID = "[0-9a-f]{32}"


class StreamNotLive(LiverecError):
    """The stream is not live (Tencent says inactive, or forbid): a highlight would record nothing."""

    code = "StreamNotLive"
    status = 409


class AlreadyWaiting(LiverecError):
    """A highlight is already armed for this stream; wait for it, or for its window to pass."""

    code = "AlreadyWaiting"
    status = 409


class WaitNotFound(LiverecError):
    """No armed highlight by that id (never armed, or a day past its window)."""

    code = "WaitNotFound"
    status = 404


class Waiting(Record):
    """An armed highlight, as stored and shown."""

    __slots__ = ()
    id: str
    stream: str
    domain: str | None
    app: str | None
    state: str  # armed | started | expired | refused | unknown
    armed_at: float
    expires_at: float
    task_id: str | None = None
    started_at: float | None = None
    error: dict[str, Any] | None = None
    replayed: bool = False
    warnings: tuple[str, ...] = ()


def wait_id(key: str | None) -> str:
    """The armed request's id: from the Idempotency-Key (a retry finds the same one), else fresh."""
    if key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(("http:" + key).encode("utf-8")).hexdigest()[:32]


def _stream_key(stream: str) -> str:
    return STREAM_PREFIX + hashlib.sha256(stream.encode("utf-8")).hexdigest()[:40]


def _shown(item: dict[str, Any], now: float, *, replayed: bool = False) -> Waiting:
    state = item["state"]
    if state == "armed" and now >= item["expires_at"]:
        state = "expired"
    return Waiting(
        id=item["id"],
        stream=item["stream"],
        domain=item.get("domain"),
        app=item.get("app"),
        state=state,
        armed_at=item["armed_at"],
        expires_at=item["expires_at"],
        task_id=item.get("task_id"),
        started_at=item.get("started_at"),
        error=item.get("error"),
        replayed=replayed,
        warnings=tuple(item.get("warnings", ())),
    )


class Highlights:
    """Highlights, checked against the stream's state and armed to wait for it; collaborators: the creator,
    the webhook state (where armed requests are kept, shared with the callbacks) and the clock."""

    __slots__ = ("clock", "creator", "state")

    def __init__(self, creator: CreateOnce, state: StateStore, clock: Clock) -> None:
        self.creator, self.state, self.clock = creator, state, clock

    def start(
        self,
        request: RecordingRequest,
        body: dict[str, Any],
        key: str | None,
        wait: int | None,
        deadline: Deadline = NO_DEADLINE,
    ) -> Created | Waiting:
        """Record now (the stream is live, or the generation cannot tell and no ``wait``), refuse (not live),
        or arm (``wait``, and not known to be live). ``body``: the highlight's fields, without ``wait``."""
        if key is not None and wait is not None:
            armed = self.state.get(PREFIX + wait_id(key), self.clock())
            if armed is not None:
                return self._replay(armed, request)
        if self.creator.has(key):  # a retry of a create: its first answer, whatever the stream does now
            return self.creator.create(request, key, deadline=deadline)
        live, warning = self.live(request, deadline)
        if wait is not None and live is not True:
            return self.arm(request, body, key, wait, warning or self._unchecked())
        if live is False:
            raise StreamNotLive(
                f"stream {request.stream!r} is not live at Tencent: a highlight now would record nothing; "
                "send wait=<seconds> to start it when the stream begins",
                field="stream",
            )
        created = self.creator.create(request, key, deadline=deadline)
        if warning is None:
            return created
        return created._replace(
            recording=created.recording._replace(warnings=(*created.recording.warnings, warning))
        )

    def live(self, request: RecordingRequest, deadline: Deadline) -> tuple[bool | None, str | None]:
        """Whether the stream is live: True, False, or None (the generation cannot tell, or the look-up
        failed: then with a warning, and the create is not blocked)."""
        plan = self.creator.plan(request)
        try:
            state = self.creator.stream_state(plan, deadline)
        except LiverecError as exc:
            logger.warning(
                "could not tell whether the stream is live; going on",
                extra={"stream": plan.stream, "error": exc.to_dict()},
            )
            count("StreamStateUnknown")
            return None, f"whether the stream is live is unknown ({exc.code}): not checked"
        if state is None:
            return None, None
        return state not in NOT_LIVE, None

    def _unchecked(self) -> str | None:
        """Why the stream was not asked about, where the generation cannot tell (or the check is off)."""
        policy = self.creator.policy
        if policy.generation.stream_state is None:
            return policy.generation.cannot(
                "tell whether a stream is live: it starts at the stream's next push"
            )
        if not policy.live_check:
            return "LIVEREC_LIVE_CHECK=off: not asked whether the stream is live; it starts at its next push"
        return None

    def arm(
        self,
        request: RecordingRequest,
        body: dict[str, Any],
        key: str | None,
        wait: int,
        warning: str | None,
    ) -> Waiting:
        plan = self.creator.plan(request)  # refuses now what the stream's begin would refuse
        now = self.clock()
        item: dict[str, Any] = {
            "id": wait_id(key),
            "fingerprint": request.fingerprint,
            "body": body,
            "stream": plan.stream,
            "domain": plan.domain,
            "app": plan.app,
            "state": "armed",
            "armed_at": now,
            "expires_at": now + wait,
            "warnings": [warning] if warning else [],
        }
        if not self.state.add(PREFIX + item["id"], item, now, wait + KEPT):
            armed = self.state.get(PREFIX + item["id"], now)  # a retry racing its first request
            if armed is None:
                raise AlreadyWaiting("this Idempotency-Key's highlight is being armed; retry", field=None)
            return self._replay(armed, request)
        if not self._point(plan.stream, item["id"], now, wait):
            self.state.delete(PREFIX + item["id"])
            raise AlreadyWaiting(
                f"a highlight is already armed for stream {plan.stream!r}; it starts when the stream begins "
                "or lapses at the end of its wait",
                field="stream",
            )
        count("HighlightsArmed")
        logger.info(
            "highlight armed: it starts when the stream begins",
            extra={"wait_id": item["id"], "stream": plan.stream, "expires_at": item["expires_at"]},
        )
        return _shown(item, now)

    def _point(self, stream: str, armed_id: str, now: float, wait: int) -> bool:
        """The stream's pointer to this armed request (kept past the window for Tencent's redeliveries); False
        while another request waits for the stream."""
        pointer = {"id": armed_id}
        if self.state.add(_stream_key(stream), pointer, now, wait + REDELIVERY):
            return True
        held = self.state.get(_stream_key(stream), now)
        other = self.state.get(PREFIX + held["id"], now) if held else None
        if other is not None and other["state"] == "armed" and now < other["expires_at"]:
            return False
        self.state.put(_stream_key(stream), pointer, now, wait + REDELIVERY)  # the other one is over
        return True

    def _replay(self, armed: dict[str, Any], request: RecordingRequest) -> Waiting:
        if armed.get("fingerprint") != request.fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was used with another body", field="Idempotency-Key"
            )
        return _shown(armed, self.clock(), replayed=True)

    def show(self, wait_id: str) -> Waiting:
        if re.fullmatch(WAIT_ID, wait_id) is None:
            raise InvalidRequest("wait_id is the 32 hexadecimal digits a 202 answered", field="wait_id")
        item = self.state.get(PREFIX + wait_id, self.clock())
        if item is None:
            raise WaitNotFound(f"no highlight armed as {wait_id[:64]!r}", field="wait_id")
        return _shown(item, self.clock())

    def begin(
        self, domain: str, app: str, stream: str, at: float, deadline: Deadline = NO_DEADLINE
    ) -> dict[str, Any] | None:
        """A stream began at ``at`` (Tencent's callback, its ``event_time``): start the highlight armed for
        it, once. None when none is armed (or the stream began after its window, or in another domain or
        app). A refusal a redelivery cannot fix is kept (``refused``, ``unknown``) and reported; anything
        else is raised (Tencent redelivers, within :data:`REDELIVERY`)."""
        now = self.clock()
        pointer = self.state.get(_stream_key(stream), now)
        item = self.state.get(PREFIX + pointer["id"], now) if pointer else None
        if (
            item is None
            or item["state"] != "armed"
            or at >= item["expires_at"]
            or item["domain"] not in (None, domain)
            or item["app"] not in (None, app)
        ):
            return None
        ttl = item["expires_at"] + KEPT - now
        try:
            request = parse_input(RealtimeRecordingInput, item["body"]).request(Mode.REALTIME)
            created = self.creator.create(request, item["id"], origin=ORIGIN, deadline=deadline)
        except (InvalidRequest, TencentInputError, OutcomeUnresolved) as exc:
            # a redelivery cannot fix these: kept, reported, acknowledged (unresolved: an earlier delivery's
            # create may have made the task, which this generation cannot look up; never created twice)
            state = "unknown" if isinstance(exc, OutcomeUnresolved) else "refused"
            self.state.put(PREFIX + item["id"], item | {"state": state, "error": exc.to_dict()}, now, ttl)
            self._unpoint(stream, item["id"], now)
            count("HighlightsRefused", code=exc.code)
            logger.error(
                "stream began, but the armed highlight was refused",
                extra={"wait_id": item["id"], "stream": stream, "error": exc.to_dict()},
            )
            return {"action": state, "wait_id": item["id"], "error": exc.to_dict()}
        task_id = created.recording.task_id
        self.state.put(
            PREFIX + item["id"], item | {"state": "started", "task_id": task_id, "started_at": now}, now, ttl
        )
        self._unpoint(stream, item["id"], now)
        count("HighlightsStarted" if not created.replayed else "HighlightsRedelivered")
        logger.info(
            "stream began: armed highlight started",
            extra={"wait_id": item["id"], "stream": stream, "task_id": task_id},
        )
        return {"action": "started", "wait_id": item["id"], "task_id": task_id, "replayed": created.replayed}

    def _unpoint(self, stream: str, armed_id: str, now: float) -> None:
        """The stream is free to be armed again (unless it already is, by another request)."""
        pointer = self.state.get(_stream_key(stream), now)
        if pointer is not None and pointer["id"] == armed_id:
            self.state.delete(_stream_key(stream))
