"""Create a recording exactly once, and adopt one found at Tencent.

Every create goes through the ledger (:mod:`shared.storage.ledger`) under its origin key: claimed with its
plan and a lease longer than this invocation can run, marked sending just before it leaves, then settled
``created`` or ``unknown`` (no answer). A later attempt replays a settled result, creates again where the
holder died before sending, and reconciles an entry in doubt: adopted where the generation lists and Tencent
has it; else never created on a guess (``LIVEREC_UNKNOWN_OUTCOME=report``: :class:`OutcomeUnresolved`).
"""

import uuid
from typing import Any

from shared.recordings.claiming import wait_for_claim
from shared.recordings.finding import TaskFinder, same_recording, unresolvable
from shared.recordings.policy import Policy
from shared.recordings.requests import RecordingRequest
from shared.recordings.rules import plan_recording
from shared.storage.ledger import ADOPTED, DONE, Claim, Entry, Ledger, Origin, Recording, ledger_key
from shared.support.errors import (
    IdempotencyInProgress,
    IdempotencyStoreUnavailable,
    InvalidRequest,
    LiverecError,
    OutcomeUnknown,
)
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, from_unix, isoformat, to_unix
from shared.tencent.adapter import LiveAdapter
from shared.tencent.types import RecordingPlan

_MAX_ROUNDS = 5
# A claim's lease: the time its holder can still run (at most Lambda's 15 minutes) and this margin, by when
# a create it sent has certainly been answered or abandoned by Tencent.
MAX_RUN = 900.0
LEASE_MARGIN = 30.0
HTTP = Origin("http")


class Created(Record):
    """A create's result: the recording (with Tencent's task id), and how it came about."""

    __slots__ = ()
    recording: Recording
    replayed: bool = False  # True when an earlier request's result is returned for the same key
    request_id: str | None = None  # Tencent's, for the create this request made
    recorded: bool = True  # False: created, but the ledger could not say so (the entry stays in doubt)


def recording_of(plan: RecordingPlan) -> Recording:
    return Recording(
        api=plan.api.value,
        mode=plan.mode.value,
        stream=plan.stream,
        domain=plan.domain,
        app=plan.app,
        start=to_unix(plan.start),
        end=to_unix(plan.end),
        warnings=plan.warnings,
    )


def as_created(recording: Recording) -> dict[str, Any]:
    """A recording created, as a tick's report and a callback's log list it."""
    return {
        "task_id": recording.task_id,
        "api": recording.api,
        "mode": recording.mode,
        "stream": recording.stream,
        "start": isoformat(from_unix(recording.start)),
        "end": isoformat(from_unix(recording.end)),
        "warnings": list(recording.warnings),
    }


class CreateOnce:
    """Creates a recording once per key; collaborators: the ledger, the adapter, the task finder (to
    reconcile a create in doubt), the policy and the clock."""

    __slots__ = ("adapter", "clock", "finder", "ledger", "policy")

    def __init__(
        self, ledger: Ledger, adapter: LiveAdapter, finder: TaskFinder, policy: Policy, clock: Clock
    ) -> None:
        self.ledger, self.adapter, self.finder, self.policy, self.clock = (
            ledger,
            adapter,
            finder,
            policy,
            clock,
        )

    def plan(self, request: RecordingRequest) -> RecordingPlan:
        policy = self.policy
        now = from_unix(self.clock())
        return plan_recording(request, policy.api, now, default_domain=policy.domain, default_app=policy.app)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str | None:
        """Tencent's state of the plan's stream (``active``, ``inactive``, ``forbid``) where the generation
        can tell (its row's ``stream_state``); None where it cannot, or LIVEREC_LIVE_CHECK=off."""
        if self.policy.generation.stream_state is None or not self.policy.live_check:
            return None
        return self.adapter.stream_state(plan, deadline)

    def has(self, key: str | None, origin: Origin = HTTP) -> bool:
        """Whether the ledger holds an entry under the origin's ``key`` (a retry of a create)."""
        return key is not None and self.ledger.get(ledger_key(origin.kind, key), self.clock()) is not None

    def create(
        self,
        request: RecordingRequest,
        key: str | None = None,
        *,
        origin: Origin = HTTP,
        deadline: Deadline = NO_DEADLINE,
        wait: bool = True,
    ) -> Created:
        """Create the recording ``request`` asks for, once per ``key`` (an origin's own key: the
        ``Idempotency-Key``, a rollout occurrence, a callback event; None: a fresh one). ``wait=False``:
        answer at once (IdempotencyInProgress) while another caller holds the key."""
        full_key = ledger_key(origin.kind, key if key is not None else "auto:" + uuid.uuid4().hex)
        try:
            plan = self.plan(request)
        except InvalidRequest:
            # a retry after the window has passed still gets the first answer
            entry = self.ledger.get(full_key, self.clock()) if key is not None else None
            if entry is not None and entry.fingerprint == request.fingerprint and entry.state in DONE:
                return Created(entry.recording, replayed=True)
            raise
        planned = recording_of(plan)
        lease = min(deadline.remaining(), MAX_RUN) + LEASE_MARGIN

        def claim() -> Claim:
            now = self.clock()
            return Claim(full_key, request.fingerprint, origin, now, now + lease, planned)

        for _ in range(_MAX_ROUNDS):
            mine, entry = wait_for_claim(self.ledger, claim, wait=wait)
            if entry is None:
                break  # ours to create
            if entry.state in DONE:
                return Created(entry.recording, replayed=True)
            taken = self._take_over(entry, mine, planned)
            if isinstance(taken, Created):
                return taken
            if taken is None:
                continue  # someone else moved it on meanwhile: look again
            break  # certainly not created (or LIVEREC_UNKNOWN_OUTCOME=recreate): ours to create again
        else:
            raise IdempotencyInProgress("this key is contended; retry shortly", field="Idempotency-Key")
        return self._send(full_key, mine.owner, plan, planned, deadline)

    def _take_over(self, entry: Entry, mine: Claim, planned: Recording) -> Created | bool | None:
        """An entry neither held nor settled: reconciled (never blindly) and taken over. The adopted task
        found at Tencent; False: ours to create again; None: someone else moved it on meanwhile. A crash
        after taking over a task found leaves it in doubt."""
        found = self._reconcile(entry) if entry.in_doubt(self.clock()) else None
        mine = Claim(
            entry.key,
            mine.fingerprint,
            mine.origin,
            mine.now,
            mine.lease_until,
            planned,
            mine.owner,
            sent=bool(found),
        )
        if not self.ledger.reclaim(entry, mine):
            return None
        if found is None:
            return False
        self.ledger.settle(entry.key, mine.owner, "created", found, self.clock())
        logger.warning(
            "adopted the task an unanswered create made",
            extra={"key": entry.key, "task_id": found.task_id, "stream": found.stream},
        )
        return Created(found, replayed=True)

    def _send(
        self, key: str, owner: str, plan: RecordingPlan, planned: Recording, deadline: Deadline
    ) -> Created:
        try:
            deadline.require(self.policy.timeout)
            if not self.ledger.sending(key, owner, self.clock()):  # taken over meanwhile: send nothing
                raise IdempotencyInProgress("another caller took this key over", field="Idempotency-Key")
            created = self.adapter.create(plan, deadline)
        except Exception as exc:  # a refusal frees the key; no answer, or anything unforeseen: in doubt
            if isinstance(exc, LiverecError) and not isinstance(exc, OutcomeUnknown):
                self.ledger.release(key, owner)
            else:
                self.ledger.settle(key, owner, "unknown", planned, self.clock())
            raise
        recording, where = planned._replace(task_id=created.task_id), {"key": key, "task_id": created.task_id}
        recorded = False
        try:
            if not (recorded := self.ledger.settle(key, owner, "created", recording, self.clock())):
                logger.error(
                    "a create's claim was taken over while it ran: check for a duplicate", extra=where
                )
        except IdempotencyStoreUnavailable as exc:
            # the task exists: answer with it; the claim stays in doubt (reconciled once its lease runs out)
            logger.error(
                "created, but the ledger could not record it", extra=where | {"error": exc.to_dict()}
            )
        return Created(recording, request_id=created.request_id, recorded=recorded)

    def _reconcile(self, entry: Entry) -> Recording | None:
        """The task an unanswered (or abandoned) create made, if it exists; None when it certainly does not,
        or when it is unknowable and LIVEREC_UNKNOWN_OUTCOME=recreate."""
        planned = entry.recording
        doubt = unresolvable(self.policy, planned)
        if doubt is not None:
            raise doubt
        if not self.policy.lists_tasks:  # LIVEREC_UNKNOWN_OUTCOME=recreate
            logger.warning(
                "creating again: an earlier attempt's outcome is unknown (LIVEREC_UNKNOWN_OUTCOME=recreate)",
                extra={"key": entry.key, "stream": planned.stream},
            )
            return None
        for task in self.finder.find(
            planned.stream, planned.domain, planned.app, [(planned.start, planned.end)]
        ):
            if same_recording(task, planned):
                return planned._replace(
                    task_id=task.task_id,
                    warnings=(*planned.warnings, "reconciled: found the task an unanswered create made"),
                )
        return None

    def adopt(self, request: RecordingRequest, key: str, origin: Origin, task_id: str) -> bool:
        """Record a task found at Tencent as the recording ``key`` asks for (a tick in another container, or
        before this ledger existed, booked it); False when the key is already taken."""
        planned = recording_of(self.plan(request))
        full_key = ledger_key(origin.kind, key)
        now = self.clock()
        claim = Claim(full_key, request.fingerprint, origin, now, now + LEASE_MARGIN, planned)
        if self.ledger.claim(claim) is not None:
            return False
        found = planned._replace(task_id=task_id, warnings=(*planned.warnings, ADOPTED), found=True)
        return self.ledger.settle(full_key, claim.owner, "created", found, now)
