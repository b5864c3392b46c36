"""Tracking a recording: what ``GET /recordings/{task_id}`` and a listing from the ledger answer.

A recording by task id is the ledger's entry with a page of the files Tencent recorded for it (kept when
its record-file callback arrives: at most :data:`FILES_PAGE` an answer, newest last, ``next`` for the rest),
merged with Tencent's view where the generation can describe a task; a stream's recordings come from
Tencent where the generation lists, else from the ledger.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from shared.storage.ledger import Entry
from shared.storage.ledger_files import POSITION, FilePage, RecordFile
from shared.support.errors import (
    InvalidPageToken,
    InvalidRequest,
    RecordingNotFound,
    TencentError,
    TencentUnavailable,
)
from shared.support.observability import logger
from shared.support.timeutil import from_unix, isoformat, to_unix
from shared.tencent.types import TaskInfo, TaskQuery

if TYPE_CHECKING:
    from shared.recordings.service import RecordingService

MAX_TASK_ID = 256  # longer than any generation's task id
LEDGER_PAGE = 100  # recordings per page when the ledger lists a stream
# files per answer of GET /recordings/{task_id}: each shows at most ~6 KB (a URL of 2048 ASCII characters, a
# file_id of 256 that JSON may escape in 12 bytes each), so a page stays under 1 MB, far under Lambda's 6 MB
FILES_PAGE = 100
# Tencent's status of a task, where it gives one, as a recording's state (v2 "error" has none: the clock's)
TENCENT_STATES = {"pending": "scheduled", "running": "recording", "finished": "ended", "stopped": "stopped"}


def task_view(task: TaskInfo) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "stream": task.stream,
        "domain": task.domain,
        "app": task.app,
        "start": isoformat(task.start) if task.start else None,
        "end": isoformat(task.end) if task.end else None,
        "stopped_at": isoformat(task.stopped_at) if task.stopped_at else None,
        "status": task.status,
    }


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


def _iso(seconds: int) -> str:
    return isoformat(from_unix(seconds))


def file_view(file: RecordFile) -> dict[str, Any]:
    return {
        "file_id": file.file_id,
        "url": file.url,
        "format": file.format,
        "start": _iso(file.start),
        "end": _iso(file.end),
        "duration": file.duration,
        "size": file.size,
    }


def recording_view(entry: Entry, now: float, files: FilePage) -> dict[str, Any]:
    """``GET /recordings/{task_id}`` from the ledger alone, with a page of its files (newest last: by end,
    then start) and the token of the next (``next``)."""
    rec = entry.recording
    return {
        "task_id": rec.task_id,
        "api": rec.api,
        "mode": rec.mode,
        "stream": rec.stream,
        "domain": rec.domain,
        "app": rec.app,
        "start": _iso(rec.start),
        "end": _iso(rec.end),
        "origin": entry.origin.to_dict(),
        "state": recording_state(entry, now),
        "files": [file_view(f) for f in files.files],
        "next": files_token(files.after),
        "tencent": None,
        "warnings": list(rec.warnings),
    }


def ledger_task_view(entry: Entry, now: float) -> dict[str, Any]:
    """A recording as ``GET /recordings`` lists it from the ledger (``status``: its state; one in doubt is
    ``unknown``, without a task id)."""
    rec = entry.recording
    state = recording_state(entry, now)
    return {
        "task_id": rec.task_id,
        "stream": rec.stream,
        "domain": rec.domain,
        "app": rec.app,
        "start": _iso(rec.start),
        "end": _iso(rec.end),
        "stopped_at": isoformat(from_unix(entry.updated_at)) if state == "stopped" else None,
        "status": state,
    }


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


def list_from_ledger(service: RecordingService, query: TaskQuery) -> dict[str, Any]:
    """A stream's recordings from the ledger (what liverec created), where Tencent cannot list (``source``
    ``ledger``)."""
    if not query.stream:
        raise InvalidRequest(
            f"{service.generation.cannot('list tasks')} at Tencent: the list comes from the ledger (the "
            "recordings liverec created), by stream: give stream",
            field="stream",
        )
    if query.start is not None and query.end is not None and query.end <= query.start:
        raise InvalidRequest("to must be after from", field="to")
    now = service.clock()
    page = service.ledger.by_stream(
        service.settings.api.value,
        query.stream,
        now,
        start_from=to_unix(query.start) if query.start is not None else None,
        start_to=to_unix(query.end) if query.end is not None else None,
        after=read_page_token(query.page_token),
        limit=LEDGER_PAGE,
    )
    tasks = [
        ledger_task_view(entry, now)
        for entry in page.entries
        if (query.domain is None or entry.recording.domain in (None, query.domain))
        and (query.app is None or entry.recording.app in (None, query.app))
    ]
    return {"tasks": tasks, "next": page_token(page.after), "source": "ledger"}


def describe(service: RecordingService, task_id: str, page_token: str | None = None) -> dict[str, Any]:
    """``GET /recordings/{task_id}``: the recording as the ledger knows it, with a page of its files (the
    first, or the one ``page_token`` names); where the generation can describe a task (its row's
    ``describes``), Tencent's view is merged in: a created recording takes Tencent's status where it gives
    one (pending, running, finished, stopped), and Tencent's window and stop time are reported beside ours
    (``tencent``)."""
    if not task_id.strip() or len(task_id) > MAX_TASK_ID:
        raise InvalidRequest(f"task_id: 1 to {MAX_TASK_ID} characters", field="task_id")
    after = read_files_token(page_token)
    now = service.clock()
    entry = service.ledger.by_task(service.settings.api.value, task_id, now)
    if entry is None:
        raise RecordingNotFound(
            "no recording with this task_id: liverec did not create it "
            f"(with LIVE_API={service.settings.api.value}), or it ended more than a day ago",
            field="task_id",
        )
    view = recording_view(entry, now, service.ledger.files(entry, now, after=after, limit=FILES_PAGE))
    action = service.generation.describes
    if action is None:
        return view
    rec = entry.recording
    try:
        tasks = service.find_tasks(rec.stream, rec.domain, rec.app, [(rec.start, rec.end)])
    except (TencentError, TencentUnavailable, InvalidRequest) as exc:
        logger.warning(
            "Tencent's view of a recording is missing", extra={"task_id": task_id, "error": exc.to_dict()}
        )
        view["warnings"].append(f"Tencent's view is missing: {action} failed ({exc.code})")
        return view
    task = next((t for t in tasks if t.task_id == rec.task_id), None)
    view["tencent"] = {
        "action": action,
        "found": task is not None,
        "status": None,
        "start": None,
        "end": None,
        "stopped_at": None,
    }
    if task is not None:
        view["tencent"] |= {k: v for k, v in task_view(task).items() if k in view["tencent"]}
        if entry.state == "created" and task.status in TENCENT_STATES:
            view["state"] = TENCENT_STATES[task.status]
    return view
