"""The logic behind the functions: create (exactly once), stop, delete, list. No HTTP here, no env reads.

Every create goes through the ledger (:mod:`shared.storage.ledger`) under its origin key: claimed with its
plan and a lease longer than this invocation can run, marked sending just before it leaves, then settled
``created`` or ``unknown`` (no answer). A later attempt replays a settled result, creates again where the
holder died before sending, and reconciles an entry in doubt: adopted where the generation lists and Tencent
has it; else never created on a guess (``LIVEREC_UNKNOWN_OUTCOME=report``: :class:`OutcomeUnresolved`).
"""

import time
import uuid
from collections.abc import Iterable
from typing import Any

from shared.recordings.claiming import wait_for_claim
from shared.recordings.models import RecordingInput
from shared.recordings.rules import plan_recording
from shared.storage.ledger import (
    ADOPTED,
    DONE,
    Claim,
    Entry,
    Ledger,
    Origin,
    Recording,
    State,
    fingerprint,
    ledger_key,
)
from shared.storage.ledger_files import RecordFile
from shared.support.config import Settings
from shared.support.errors import (
    IdempotencyInProgress,
    IdempotencyStoreUnavailable,
    InvalidRequest,
    LiverecError,
    OutcomeUnknown,
    OutcomeUnresolved,
)
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, from_unix, isoformat, system_clock, to_unix
from shared.tencent.adapter import LiveAdapter, Sleep
from shared.tencent.generations import Generation, generation
from shared.tencent.types import Mode, RecordingPlan, TaskInfo, TaskQuery

_MAX_ROUNDS = 5
# A claim's lease: the time its holder can still run (at most Lambda's 15 minutes) and this margin, by when
# a create it sent has certainly been answered or abandoned by Tencent.
MAX_RUN = 900.0
LEASE_MARGIN = 30.0
# A task is listed when its start and end both lie in the look-up window: a window has this margin each side.
LOOKUP_PAD = 60
HTTP = Origin("http")


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


def same_recording(task: TaskInfo, planned: Recording) -> bool:
    """A listed task is the planned recording: the same stream (domain and app where the generation has
    them) and window (the start only where the create sent one; to the second)."""
    if task.stream != planned.stream or task.end is None:
        return False
    if planned.domain is not None and task.domain not in (None, planned.domain):
        return False
    if planned.app is not None and task.app not in (None, planned.app):
        return False
    if abs(to_unix(task.end) - planned.end) > 1:
        return False
    return not planned.sends_start or (
        task.start is not None and abs(to_unix(task.start) - planned.start) <= 1
    )


def lookup_windows(gen: Generation, spans: Iterable[tuple[int, int]], now: float) -> list[tuple[int, int]]:
    """The fewest look-up windows (each shorter than the generation's window, none before its look-back
    limit) such that every span lies wholly inside one of them."""
    assert gen.list_window is not None and gen.list_lookback is not None  # noqa: S101 - a windowed lister
    widest = int(gen.list_window.total_seconds()) - 1  # "at most a week": send less than a week
    floor = int(now - gen.list_lookback.total_seconds()) + 3600
    windows: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        lo, hi = max(start - LOOKUP_PAD, floor), end + LOOKUP_PAD
        if windows and hi - windows[-1][0] <= widest:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, min(hi, lo + widest)))
    return windows


class Outcome(Record):
    __slots__ = ()
    body: dict[str, Any]
    replayed: bool = False  # True when an earlier request's result is returned for the same key
    request_id: str | None = None  # Tencent's, for the create this request made
    recorded: bool = True  # False: created, but the ledger could not say so (the entry stays in doubt)


class RecordingService:
    def __init__(
        self,
        settings: Settings,
        adapter: LiveAdapter,
        ledger: Ledger,
        clock: Clock = system_clock,
        *,
        sleep: Sleep = time.sleep,
        monotonic: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self.adapter = adapter
        self.ledger = ledger
        self.clock = clock
        self.sleep = sleep  # how the rollout's pacing waits, measured by ``monotonic``
        self.monotonic = monotonic

    @property
    def generation(self) -> Generation:
        return generation(self.settings.api)

    @property
    def lists_tasks(self) -> bool:
        return self.generation.lists is not None

    def plan(self, data: RecordingInput, mode: Mode) -> RecordingPlan:
        now = from_unix(self.clock())
        return plan_recording(
            data,
            mode,
            self.settings.api,
            now,
            default_domain=self.settings.domain,
            default_app=self.settings.app,
        )

    def create(
        self,
        data: RecordingInput,
        mode: Mode,
        key: str | None = None,
        *,
        origin: Origin = HTTP,
        deadline: Deadline = NO_DEADLINE,
        wait: bool = True,
    ) -> Outcome:
        """Create the recording ``data`` describes, once per ``key`` (an origin's own key: the
        ``Idempotency-Key``, a rollout occurrence, a callback event; None: a fresh one). ``wait=False``:
        answer at once (IdempotencyInProgress) while another caller holds the key."""
        full_key = ledger_key(origin.kind, key if key is not None else "auto:" + uuid.uuid4().hex)
        fp = fingerprint({"mode": mode.value, "body": data.model_dump(mode="json", exclude_unset=True)})
        try:
            plan = self.plan(data, mode)
        except InvalidRequest:
            # a retry after the window has passed still gets the first answer
            entry = self.ledger.get(full_key, self.clock()) if key is not None else None
            if entry is not None and entry.fingerprint == fp and entry.state in DONE:
                return Outcome(entry.recording.body(), replayed=True)
            raise
        planned = recording_of(plan)
        lease = min(deadline.remaining(), MAX_RUN) + LEASE_MARGIN

        def claim() -> Claim:
            now = self.clock()
            return Claim(full_key, fp, origin, now, now + lease, planned)

        for _ in range(_MAX_ROUNDS):
            mine, entry = wait_for_claim(self.ledger, claim, wait=wait)
            if entry is None:
                break  # ours to create
            if entry.state in DONE:
                return Outcome(entry.recording.body(), replayed=True)
            # in doubt: reconcile, never blindly; taking over a task found, a crash leaves it in doubt
            found = self._reconcile(entry) if entry.in_doubt(self.clock()) else None
            mine = Claim(
                full_key, fp, origin, mine.now, mine.lease_until, planned, mine.owner, sent=bool(found)
            )
            if not self.ledger.reclaim(entry, mine):
                continue  # someone else moved it on meanwhile: look again
            if found is not None:
                self.ledger.settle(full_key, mine.owner, "created", found, self.clock())
                logger.warning(
                    "adopted the task an unanswered create made",
                    extra={"key": full_key, "task_id": found.task_id, "stream": found.stream},
                )
                return Outcome(found.body(), replayed=True)
            break  # certainly not created (or LIVEREC_UNKNOWN_OUTCOME=recreate): ours to create again
        else:
            raise IdempotencyInProgress("this key is contended; retry shortly", field="Idempotency-Key")
        return self._send(full_key, mine.owner, plan, planned, deadline)

    def _send(
        self, key: str, owner: str, plan: RecordingPlan, planned: Recording, deadline: Deadline
    ) -> Outcome:
        try:
            deadline.require(self.settings.timeout)
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
        return Outcome(recording.body(), request_id=created.request_id, recorded=recorded)

    def _reconcile(self, entry: Entry) -> Recording | None:
        """The task an unanswered (or abandoned) create made, if it exists; None when it certainly does not,
        or when it is unknowable and LIVEREC_UNKNOWN_OUTCOME=recreate."""
        planned = entry.recording
        doubt = self.unresolvable(planned)
        if doubt is not None:
            raise doubt
        if not self.lists_tasks:  # LIVEREC_UNKNOWN_OUTCOME=recreate
            logger.warning(
                "creating again: an earlier attempt's outcome is unknown (LIVEREC_UNKNOWN_OUTCOME=recreate)",
                extra={"key": entry.key, "stream": planned.stream},
            )
            return None
        for task in self.find_tasks(
            planned.stream, planned.domain, planned.app, [(planned.start, planned.end)]
        ):
            if same_recording(task, planned):
                return planned._replace(
                    task_id=task.task_id,
                    warnings=(*planned.warnings, "reconciled: found the task an unanswered create made"),
                )
        return None

    def unresolvable(self, planned: Recording) -> OutcomeUnresolved | None:
        """For a recording in doubt (its entry unknown, or claimed by a holder that may have died): the
        refusal to create again, where the generation cannot look tasks up and
        LIVEREC_UNKNOWN_OUTCOME=report; else None."""
        if self.lists_tasks or self.settings.unknown_outcome == "recreate":
            return None
        return OutcomeUnresolved(
            f"an earlier create for this key (stream {planned.stream}, "
            f"{isoformat(from_unix(planned.start))} to {isoformat(from_unix(planned.end))}) got no answer, "
            f"and LIVE_API={self.settings.api.value} cannot look tasks up: it may or may not have made a "
            "recording, so liverec will not make another. Check the stream's recordings in Tencent's "
            "console; to record anyway, send the request again with a new Idempotency-Key.",
            api=self.settings.api.value,
            action="reconcile",
        )

    def find_tasks(
        self, stream: str, domain: str | None, app: str | None, spans: Iterable[tuple[int, int]]
    ) -> list[TaskInfo]:
        """The stream's tasks at Tencent that could be any of ``spans``: every look-up window and page needed."""
        if self.generation.lists == "channel":  # every page of the channel's tasks; no window
            return self._pages(TaskQuery(stream=stream))
        tasks: list[TaskInfo] = []
        for lo, hi in lookup_windows(self.generation, spans, self.clock()):
            tasks += self._pages(
                TaskQuery(stream=stream, domain=domain, app=app, start=from_unix(lo), end=from_unix(hi))
            )
        return tasks

    def _pages(self, query: TaskQuery) -> list[TaskInfo]:
        tasks: list[TaskInfo] = []
        token: str | None = None
        for _ in range(50):  # bounded paging
            page = self.adapter.list_tasks(query._replace(page_token=token))
            tasks += page.tasks
            token = page.next_token
            if not token:
                break
        return tasks

    def adopt(self, data: RecordingInput, mode: Mode, key: str, origin: Origin, task: TaskInfo) -> bool:
        """Record a task found at Tencent as the recording ``key`` asks for (a tick in another container, or
        before this ledger existed, booked it); False when the key is already taken."""
        plan = self.plan(data, mode)
        full_key = ledger_key(origin.kind, key)
        fp = fingerprint({"mode": mode.value, "body": data.model_dump(mode="json", exclude_unset=True)})
        now = self.clock()
        planned = recording_of(plan)
        claim = Claim(full_key, fp, origin, now, now + LEASE_MARGIN, planned)
        if self.ledger.claim(claim) is not None:
            return False
        found = planned._replace(task_id=task.task_id, warnings=(*planned.warnings, ADOPTED), found=True)
        return self.ledger.settle(full_key, claim.owner, "created", found, now)

    def stop(self, task_id: str, stream: str | None) -> None:
        self.adapter.stop(task_id, stream=stream)
        self._mark(task_id, "stopped")

    def delete(self, task_id: str, stream: str | None) -> None:
        self.adapter.delete(task_id, stream=stream)
        self._mark(task_id, "deleted")

    def _mark(self, task_id: str, state: State) -> None:
        try:
            self.ledger.mark(self.settings.api.value, task_id, state, self.clock())
        except IdempotencyStoreUnavailable as exc:  # done at Tencent; the ledger's note is what failed
            logger.error(
                f"{state} at Tencent, but the ledger could not record it", extra={"error": exc.to_dict()}
            )

    def list(self, query: TaskQuery) -> dict[str, Any]:
        """One page of a stream's tasks: Tencent's list where the generation has one (``source``
        ``tencent``), else what liverec created, from the ledger (``source`` ``ledger``)."""
        from shared.recordings import tracking  # the reads' module: the creates never load it

        if not self.lists_tasks:
            return tracking.list_from_ledger(self, query)
        page = self.adapter.list_tasks(query)
        return {
            "tasks": [tracking.task_view(t) for t in page.tasks],
            "next": page.next_token,
            "source": "tencent",
        }

    def describe(self, task_id: str, page_token: str | None = None) -> dict[str, Any]:
        """``GET /recordings/{task_id}``: :func:`shared.recordings.tracking.describe`."""
        from shared.recordings import tracking

        return tracking.describe(self, task_id, page_token)

    def keep_file(self, task_id: str, file: RecordFile) -> bool:
        """Keep a file Tencent recorded (its record-file callback) with the recording of ``task_id``; False
        when the ledger does not know the task (liverec did not create it)."""
        from shared.recordings import tracking

        if not task_id.strip() or len(task_id) > tracking.MAX_TASK_ID:
            return False
        return self.ledger.add_file(self.settings.api.value, task_id, file, self.clock())
