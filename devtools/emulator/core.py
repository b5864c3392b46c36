"""The emulator's state: a controllable clock, fault injection, tasks and the request log.

Standard library only, and nothing from ``shared``: the emulator checks our client, so it must not share
its code.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Credentials:
    """Development defaults for a local emulator; the CLI reads the real variables when set."""

    secret_id: str = "AKIDemulator"  # noqa: S105 - a local emulator's documented default
    secret_key: str = "emulator-secret-key"  # noqa: S105 - a local emulator's documented default
    fcgi_appid: int = 1234
    fcgi_key: str = "emulator-fcgi-key"


@dataclass
class EmulatorConfig:
    credentials: Credentials = field(default_factory=Credentials)
    describe_page_size: int = 100
    # CreateLiveRecord / fcgi / v2 scheduled tasks: per CST day, and at once (SDK docstring: 4000 and 400).
    daily_task_cap: int = 4000
    running_task_cap: int = 400
    # CreateRecordTask: concurrent running tasks before LimitExceeded.MaximumRunningTask.
    record_task_running_cap: int = 400
    # CreateRecordTask: at most this many overlapping tasks of one stream actually record.
    overlap_cap: int = 3
    # requests per second, per action (seed 004: 20/s; seed 002: 100/s)
    rate_limits: dict[str, int] = field(
        default_factory=lambda: {
            "CreateRecordTask": 20,
            "StopRecordTask": 20,
            "DeleteRecordTask": 20,
            "DescribeRecordTask": 20,
            "CreateLiveRecord": 100,
        }
    )


class Clock:
    """UNIX time that follows the real clock, shifted by ``set``/``advance``, or frozen by ``freeze``."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, ts: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen = float(ts)
            else:
                self._offset = float(ts) - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, ts: float | None = None) -> None:
        now = self.now() if ts is None else float(ts)
        with self._lock:
            self._frozen = now

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen = None


FAULT_KINDS = ("latency", "http_error", "drop_before_store", "drop_after_store", "rate_limit")


@dataclass
class Fault:
    kind: str
    remaining: int | None  # None: until cleared
    action: str | None
    seconds: float = 0.0
    status: int = 502


@dataclass(frozen=True)
class Injected:
    """The faults that apply to one request."""

    latency: float = 0.0
    effect: Fault | None = None


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def latency(self, seconds: float, count: int | None = None, action: str | None = None) -> None:
        self._add(Fault("latency", count, action, seconds=seconds))

    def http_error(self, status: int = 502, count: int | None = 1, action: str | None = None) -> None:
        self._add(Fault("http_error", count, action, status=status))

    def drop_before_store(self, count: int | None = 1, action: str | None = None) -> None:
        self._add(Fault("drop_before_store", count, action))

    def drop_after_store(self, count: int | None = 1, action: str | None = None) -> None:
        self._add(Fault("drop_after_store", count, action))

    def rate_limit(self, count: int | None = 1, action: str | None = None) -> None:
        self._add(Fault("rate_limit", count, action))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, action: str) -> Injected:
        """Consume the faults that match this request: all latencies, and the first other effect."""
        latency = 0.0
        effect: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                if fault.action is not None and fault.action != action:
                    continue
                if fault.kind == "latency":
                    latency += fault.seconds
                elif effect is None:
                    effect = fault
                else:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return Injected(latency=latency, effect=effect)


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
    seq: int
    template_id: int | None = None
    stopped_at: float | None = None
    deleted: bool = False
    running: bool = False

    def active(self, now: float) -> bool:
        return not self.deleted and self.stopped_at is None and self.start <= now < self.end

    def to_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "task_id": self.task_id,
            "stream": self.stream,
            "domain": self.domain,
            "app": self.app,
            "start": self.start,
            "end": self.end,
            "mode": self.mode,
            "template_id": self.template_id,
            "stopped_at": self.stopped_at,
            "deleted": self.deleted,
            "running": self.running,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class RequestRecord:
    api: str | None
    action: str | None
    params: dict[str, Any]
    raw: str
    headers: dict[str, str]
    status: int
    response: Any
    auth_ok: bool
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "action": self.action,
            "params": self.params,
            "status": self.status,
            "response": self.response,
            "auth_ok": self.auth_ok,
            "at": self.at,
        }


class State:
    """Tasks, the request log, replay nonces and rate windows, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tasks: dict[tuple[str, str], TaskRecord] = {}
            self.requests: list[RequestRecord] = []
            self.nonces: dict[tuple[str, str], float] = {}
            self.windows: dict[str, deque[float]] = {}
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
        with self.lock:
            self.next_numeric_id += 1
            return self.next_numeric_id

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def allow(self, action: str, limit: int | None) -> bool:
        """Sliding one-second window per action, on the real monotonic clock."""
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
        """All tasks, with ``running`` computed for ``now``: active, and (per stream) among the first
        ``overlap_cap`` active ones by creation order."""
        with self.lock:
            tasks = sorted(self.tasks.values(), key=lambda t: t.seq)
        per_stream: dict[tuple[str, str | None, str | None, str], int] = {}
        out = []
        for task in tasks:
            running = False
            if task.active(now):
                key = (task.api, task.domain, task.app, task.stream)
                rank = per_stream.get(key, 0)
                per_stream[key] = rank + 1
                running = task.api != "record-task" or rank < overlap_cap
            out.append(replace(task, running=running))
        return out
