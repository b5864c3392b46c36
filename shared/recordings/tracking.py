"""Looking recordings up: a recording by task id, a stream's recordings, and keeping the files Tencent
recorded for one. The answers are domain results (:class:`Described`, :class:`Listing`); the edge shapes them.

A recording by task id is the ledger's entry with a page of the files Tencent recorded for it (kept when
its record-file callback arrives: at most :data:`FILES_PAGE` an answer, newest last, ``next`` for the rest),
merged with Tencent's view where the generation can describe a task; a stream's recordings come from
Tencent where the generation lists, else from the ledger.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.recordings import status
from shared.recordings.finding import TaskFinder
from shared.recordings.policy import Policy
from shared.storage.ledger import Entry, Ledger
from shared.storage.ledger_files import MAX_FILES, POSITION, FilePage, RecordFile
from shared.support.errors import (
    InvalidPageToken,
    InvalidRequest,
    RecordingNotFound,
    TencentError,
    TencentUnavailable,
)
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import Clock, to_unix
from shared.tencent.adapter import LiveAdapter
from shared.tencent.types import TaskInfo, TaskQuery

if TYPE_CHECKING:
    from shared.recordings.coverage import Coverage

MAX_TASK_ID = 256  # longer than any generation's task id
LEDGER_PAGE = 100  # recordings per page when the ledger lists a stream
# files per answer of GET /recordings/{task_id}: each shows at most ~6 KB (a URL of 2048 ASCII characters, a
# file_id of 256 that JSON may escape in 12 bytes each), so a page stays under 1 MB, far under Lambda's 6 MB
FILES_PAGE = 100
FILES_READ = 1000  # files a ledger read returns when coverage reads them all
# Tencent's status of a task, where it gives one, as a recording's state (v2 "error" has none: the clock's)
TENCENT_STATES = {"pending": "scheduled", "running": "recording", "finished": "ended", "stopped": "stopped"}


def recording_state(entry: Entry, now: float) -> str:
    """A recording's state as the ledger knows it: stopped, deleted or unknown as recorded; a created one
    by the clock (scheduled before its start, recording until its end, then ended)."""
    if entry.state in ("stopped", "deleted", "unknown"):
        return entry.state
    if entry.state != "created":
        return "unknown"
    if now < entry.recording.start:
        return "scheduled"
    return "recording" if now < entry.recording.end else "ended"


def page_token(after: tuple[int, str] | None) -> str | None:
    """The ledger's position after a page, as an opaque ``next`` token."""
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(after)).encode()).decode().rstrip("=")


def read_page_token(token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    try:
        start, key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError):
        start = key = None
    if (
        not isinstance(start, int)
        or isinstance(start, bool)
        or not 0 <= start < 10**11
        or not isinstance(key, str)
        or not 0 < len(key) <= 1024
    ):
        raise InvalidPageToken("next: not a page token this API gave", field="next")
    return start, key


def files_token(after: str | None) -> str | None:
    """A page of files' position after its last file, as an opaque ``next`` token."""
    return None if after is None else base64.urlsafe_b64encode(after.encode()).decode().rstrip("=")


def read_files_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        after = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        after = ""
    if not POSITION.fullmatch(after):
        raise InvalidPageToken("next: not a page token this API gave", field="next")
    return after


def all_files(ledger: Ledger, entry: Entry, now: float) -> list[RecordFile]:
    """Every file the ledger keeps for ``entry``'s task (at most ``MAX_FILES``, in a bounded number of
    reads): what its coverage is computed from."""
    files: list[RecordFile] = []
    after: str | None = None
    for _ in range(MAX_FILES // FILES_READ + 1):
        page = ledger.files(entry, now, after=after, limit=FILES_READ)
        files += page.files
        after = page.after
        if after is None:
            break
    return files


class Booked(Record):
    """A recording as the ledger lists it (``state``: :func:`recording_state`)."""

    __slots__ = ()
    entry: Entry
    state: str


class Listed(Record):
    """One item of a list: Tencent's task or the ledger's recording, its status
    (:mod:`shared.recordings.status`) and where it came from (``tencent`` or ``ledger``)."""

    __slots__ = ()
    task: TaskInfo | Booked
    status: str
    source: str


class Listing(Record):
    """One page of a stream's recordings: Tencent's tasks (``source`` ``tencent``; where Tencent lists by
    window, with what the ledger knows that the window cannot show), or what liverec created, from the
    ledger (``source`` ``ledger``)."""

    __slots__ = ()
    tasks: list[Listed]
    next: str | None
    source: str


class Seen(Record):
    """Tencent's view of a recording: the action that described it, and the task (None: not listed)."""

    __slots__ = ()
    action: str
    task: TaskInfo | None


class Described(Record):
    """A recording by task id: the ledger's entry, its state, a page of its files and Tencent's view (None
    where the generation cannot describe a task, or where describing it failed: said in ``warnings``)."""

    __slots__ = ()
    entry: Entry
    state: str  # deprecated: status
    files: FilePage
    next: str | None
    tencent: Seen | None
    warnings: tuple[str, ...]
    status: str = "in_doubt"  # shared.recordings.status
    coverage: Coverage | None = None  # of its window by all its files (a created task's)
    threshold: float = 0.95  # LIVEREC_COVERAGE_THRESHOLD: under it, an ended recording is short


class Lookup:
    """Collaborators: the ledger, the adapter and the task finder (Tencent's view), the policy, the clock."""

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

    def list(self, query: TaskQuery) -> Listing:
        """One page of a stream's tasks: Tencent's list where the generation has one, else the ledger's."""
        if not self.policy.lists_tasks:
            return self._from_ledger(query)
        if self.policy.generation.lists == "window":  # and what the window cannot show, from the ledger
            from shared.recordings.merging import merged

            return merged(self.ledger, self.adapter, self.policy.generation, query, self.clock())
        page, now, gen = self.adapter.list_tasks(query), self.clock(), self.policy.generation
        tasks = [Listed(t, status.of_task(gen, t, now), "tencent") for t in page.tasks]
        return Listing(tasks, page.next_token, "tencent")

    def _from_ledger(self, query: TaskQuery) -> Listing:
        if not query.stream:
            raise InvalidRequest(
                f"{self.policy.generation.cannot('list tasks')} at Tencent: the list comes from the ledger (the "
                "recordings liverec created), by stream: give stream",
                field="stream",
            )
        if query.start is not None and query.end is not None and query.end <= query.start:
            raise InvalidRequest("to must be after from", field="to")
        now = self.clock()
        page = self.ledger.by_stream(
            self.policy.api.value,
            query.stream,
            now,
            start_from=to_unix(query.start) if query.start is not None else None,
            start_to=to_unix(query.end) if query.end is not None else None,
            after=read_page_token(query.page_token),
            limit=LEDGER_PAGE,
        )
        tasks = [
            Listed(Booked(entry, recording_state(entry, now)), status.of_entry(entry, now), "ledger")
            for entry in page.entries
            if (query.domain is None or entry.recording.domain in (None, query.domain))
            and (query.app is None or entry.recording.app in (None, query.app))
        ]
        return Listing(tasks, page_token(page.after), "ledger")

    def describe(
        self, task_id: str, page_token: str | None = None, before: Callable[[Entry], object] | None = None
    ) -> Described:
        """``GET /recordings/{task_id}``: the recording as the ledger knows it, with a page of its files (the
        first, or the one ``page_token`` names) and, on the first page, the coverage of its window by all of them (``before``:
        given the entry first, to reconcile it); where the generation can describe a task (its row's
        ``describes``), Tencent's view beside it: a created recording takes Tencent's status where it gives
        one (pending, running, finished, stopped)."""
        if not task_id.strip() or len(task_id) > MAX_TASK_ID:
            raise InvalidRequest(f"task_id: 1 to {MAX_TASK_ID} characters", field="task_id")
        after = read_files_token(page_token)
        now, api = self.clock(), self.policy.api.value
        entry = self.ledger.by_task(api, task_id, now)
        if entry is None:
            raise RecordingNotFound(
                "no recording with this task_id: liverec did not create it "
                f"(with LIVE_API={api}), or it ended more than a day ago",
                field="task_id",
            )
        from shared.recordings.coverage import coverage  # the look-up's alone, not on the cold path

        if before is not None:  # reconciliation: files found at Tencent are kept before any is read
            before(entry)
        files = self.ledger.files(entry, now, after=after, limit=FILES_PAGE)
        rec = entry.recording
        # on the first page only (later pages would read every file again, once a page): all its files, read
        # once more only when they are more than a page
        every = files.files if files.after is None else ([] if after else all_files(self.ledger, entry, now))
        found = Described(
            entry,
            recording_state(entry, now),
            files,
            files_token(files.after),
            None,
            rec.warnings,
            status.of_entry(entry, now),
            None if after is not None else coverage((int(rec.start), int(rec.end)), every, now),
            self.policy.coverage_threshold,
        )
        action = self.policy.generation.describes
        return found if action is None else self._with_tencent(found, action)

    def _with_tencent(self, found: Described, action: str) -> Described:
        rec = found.entry.recording
        try:
            tasks = self.finder.find(rec.stream, rec.domain, rec.app, [(rec.start, rec.end)])
        except (TencentError, TencentUnavailable, InvalidRequest) as exc:
            logger.warning(
                "Tencent's view of a recording is missing",
                extra={"task_id": rec.task_id, "error": exc.to_dict()},
            )
            missing = f"Tencent's view is missing: {action} failed ({exc.code})"
            return found._replace(warnings=(*found.warnings, missing))
        task = next((t for t in tasks if t.task_id == rec.task_id), None)
        state = found.state
        if task is not None and found.entry.state == "created" and task.status in TENCENT_STATES:
            state = TENCENT_STATES[task.status]
        now, gen = self.clock(), self.policy.generation
        return found._replace(
            tencent=Seen(action, task), state=state, status=status.of_entry(found.entry, now, gen, task)
        )

    def keep_file(self, task_id: str, file: RecordFile) -> bool:
        """Keep a file Tencent recorded (its record-file callback) with the recording of ``task_id``; False
        when the ledger does not know the task (liverec did not create it)."""
        if not task_id.strip() or len(task_id) > MAX_TASK_ID:
            return False
        return self.ledger.add_file(self.policy.api.value, task_id, file, self.clock())
