"""What the emulator remembers: tasks, the request log, replay nonces, rate windows and scroll tokens."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

MAX_CALLBACK_RECORDS = 100_000  # the latest callbacks kept for DescribeCallbackRecordsList
StreamKey = tuple[str, str | None, str | None, str]
# the families whose delete leaves a running recording running: DeleteRecordTask "does not affect a running
# task, only new pushes" (the SDK's text) and DeleteLiveRecord "only deletes the task record" (seed 002);
# a task deleted before its start never runs. v2's DeleteRecord is taken to stop it.
DELETE_KEEPS_RUNNING = frozenset({"record-task", "live-record"})


@dataclass(frozen=True)
class TaskRecord:
    api: str  # "record-task" | "live-record" | "v2" | "fcgi"
    task_id: str
    stream: str
    domain: str | None
    app: str | None
    start: float
    end: float
    mode: str  # "scheduled" | "realtime"
    params: dict[str, Any]
    created_at: float
    seq: int  # creation order
    template_id: int | None = None
    stopped_at: float | None = None
    deleted: bool = False
    running: bool = False  # computed by Emulator.tasks() for the clock's current time
    deleted_at: float | None = None

    def active(self, now: float) -> bool:
        """In its window, not stopped, and not deleted, or deleted while it ran where the family's delete
        leaves it running (before the per-stream overlap cap)."""
        if self.stopped_at is not None or not self.start <= now < self.end:
            return False
        if not self.deleted:
            return True
        return (
            self.api in DELETE_KEEPS_RUNNING and self.deleted_at is not None and self.deleted_at >= self.start
        )

    @property
    def stream_key(self) -> StreamKey:
        return (self.api, self.domain, self.app, self.stream)


@dataclass(frozen=True)
class RequestRecord:
    """One request as received. ``api`` is "api3", "v2", "fcgi", or None (unknown path, bad method, body
    too large). ``status`` is 0 and ``response`` None when the connection was dropped without an answer;
    ``response`` is also None for a non-JSON answer (an injected HTTP error). The ``Authorization`` header
    is not kept."""

    api: str | None
    action: str | None
    params: dict[str, Any]
    raw: str
    headers: dict[str, str]
    status: int
    response: Any
    auth_ok: bool
    at: float
    method: str = ""
    path: str = ""
    latency: float = 0.0  # seconds the answer was held by injected latency faults


class State:
    """Tasks, the request log, replay nonces and rate windows, behind one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[tuple[str, str], TaskRecord] = {}
        self.requests: list[RequestRecord] = []
        self.nonces: dict[tuple[str, str], float] = {}
        self.windows: dict[str, deque[float]] = {}
        self.seq = 0
        self.next_numeric_id = 1000
        self.scroll_tokens: dict[str, tuple[tuple[Any, ...], int]] = {}
        # every callback sent (or lost), as DescribeCallbackRecordsList answers them (callback_records.py)
        self.callback_log: deque[dict[str, Any]] = deque(maxlen=MAX_CALLBACK_RECORDS)

    def reset(self) -> None:
        with self.lock:
            self.tasks.clear()
            self.requests.clear()
            self.nonces.clear()
            self.windows.clear()
            self.scroll_tokens.clear()
            self.callback_log.clear()
            self.seq = 0
            self.next_numeric_id = 1000

    def add_task(self, task: TaskRecord) -> None:
        with self.lock:
            self.tasks[(task.api, task.task_id)] = task

    def update(self, task: TaskRecord, **changes: Any) -> TaskRecord:
        with self.lock:
            new = replace(task, **changes)
            self.tasks[(task.api, task.task_id)] = new
            return new

    def numeric_id(self) -> int:
        """Integer task ids (CreateLiveRecord, v2, fcgi): 1000, 1001, ... shared by the three families."""
        with self.lock:
            value = self.next_numeric_id
            self.next_numeric_id += 1
            return value

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def allow(self, action: str, limit: int | None) -> bool:
        """Sliding one-second window per action, on the real monotonic clock. Refused calls don't count."""
        if not limit:
            return True
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(action, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def with_running(self, now: float, overlap_cap: int) -> list[TaskRecord]:
        """All tasks in creation order, with ``running`` computed for ``now``: active, and for
        CreateRecordTask among the first ``overlap_cap`` active tasks of its stream (by creation order)."""
        with self.lock:
            tasks = sorted(self.tasks.values(), key=lambda t: t.seq)
        per_stream: dict[StreamKey, int] = {}
        out = []
        for task in tasks:
            running = False
            if task.active(now):
                rank = per_stream.get(task.stream_key, 0)
                per_stream[task.stream_key] = rank + 1
                running = task.api != "record-task" or rank < overlap_cap
            out.append(replace(task, running=running))
        return out
