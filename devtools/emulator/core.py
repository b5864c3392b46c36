"""The emulator's state: a controllable clock, fault injection, tasks and the request log.

Standard library only, and nothing from ``shared`` nor the SDK: the emulator checks our client, so it must
not share its code.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Credentials:
    """Development defaults for a local emulator; the CLI reads the real variables when set."""

    secret_id: str = "AKIDemulator"  # noqa: S105 - a local emulator's documented default
    secret_key: str = field(default="emulator-secret-key", repr=False)
    fcgi_appid: int = 1234
    fcgi_key: str = field(default="emulator-fcgi-key", repr=False)


@dataclass
class EmulatorConfig:
    """Limits are plain attributes: a test may change them on a running emulator."""

    credentials: Credentials = field(default_factory=Credentials)
    # DescribeRecordTask: tasks per page before a ScrollToken is returned.
    describe_page_size: int = 100
    # CreateLiveRecord / fcgi / v2 scheduled tasks: per CST day, and at once (SDK docstring: 4000 and 400).
    # None: not checked (benchmarks; see NO_LIMITS).
    daily_task_cap: int | None = 4000
    running_task_cap: int | None = 400
    # CreateRecordTask: concurrent running tasks before LimitExceeded.MaximumRunningTask.
    record_task_running_cap: int | None = 400
    # CreateRecordTask: at most this many overlapping tasks of one stream actually record.
    overlap_cap: int = 3
    # Requests per second, per action, on a sliding one-second window (seed 004: 20/s; seed 002: 100/s).
    rate_limits: dict[str, int] = field(
        default_factory=lambda: {
            "CreateRecordTask": 20,
            "StopRecordTask": 20,
            "DeleteRecordTask": 20,
            "CreateLiveRecord": 100,
        }
    )


class Clock:
    """UNIX time that follows the real clock, shifted by ``set``/``advance``, or frozen by ``freeze``.

    ``set`` and ``advance`` move an offset (time keeps flowing); ``freeze`` stops it until ``reset``.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, ts: float) -> None:
        ts = _finite(ts, "ts")
        with self._lock:
            if self._frozen is not None:
                self._frozen = ts
            else:
                self._offset = ts - time.time()

    def advance(self, seconds: float) -> None:
        seconds = _finite(seconds, "seconds")
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, ts: float | None = None) -> None:
        """Stop the clock at ``ts`` (default: the current emulated time)."""
        now = self.now() if ts is None else _finite(ts, "ts")
        with self._lock:
            self._frozen = now

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None

    def reset(self) -> None:
        """Back to real time: no offset, not frozen."""
        with self._lock:
            self._offset = 0.0
            self._frozen = None


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    return float(value)


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
    """The faults that apply to one request: the summed latency, and at most one other effect."""

    latency: float = 0.0
    effect: Fault | None = None


class Faults:
    """Injected failures, matched by ``action`` (the Action / interface name; ``None`` matches all) and
    consumed in the order they were added. ``count=None`` keeps a fault until :meth:`clear`."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def latency(self, seconds: float, count: int | None = None, action: str | None = None) -> None:
        """Delay the response by ``seconds`` (the request itself is processed first)."""
        seconds = _finite(seconds, "seconds")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._add(Fault("latency", _count(count), _action(action), seconds=seconds))

    def http_error(self, status: int = 502, count: int | None = 1, action: str | None = None) -> None:
        """Answer with this HTTP status and a non-JSON body; the request is not processed."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        self._add(Fault("http_error", _count(count), _action(action), status=status))

    def drop_before_store(self, count: int | None = 1, action: str | None = None) -> None:
        """Close the connection without answering; the request is not processed."""
        self._add(Fault("drop_before_store", _count(count), _action(action)))

    def drop_after_store(self, count: int | None = 1, action: str | None = None) -> None:
        """Process the request (a create is stored), then close the connection without answering."""
        self._add(Fault("drop_after_store", _count(count), _action(action)))

    def rate_limit(self, count: int | None = 1, action: str | None = None) -> None:
        """Answer with the generation's rate-limit error; the request is not processed."""
        self._add(Fault("rate_limit", _count(count), _action(action)))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [replace(f) for f in self._faults]

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, action: str) -> Injected:
        """Consume the faults that match this request: every latency, and the first other effect."""
        latency = 0.0
        effect: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                if fault.action is not None and fault.action != action:
                    continue
                if fault.kind == "latency":
                    latency += fault.seconds
                elif effect is None:
                    effect = replace(fault)
                else:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return Injected(latency=latency, effect=effect)


def _count(count: object) -> int | None:
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer or None (until cleared)")
    return count


def _action(action: object) -> str | None:
    if action is not None and not isinstance(action, str):
        raise ValueError("action must be a string or None")
    return action


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

    def active(self, now: float) -> bool:
        """In its window, not stopped and not deleted (before the per-stream overlap cap)."""
        return not self.deleted and self.stopped_at is None and self.start <= now < self.end

    @property
    def stream_key(self) -> tuple[str, str | None, str | None, str]:
        return (self.api, self.domain, self.app, self.stream)

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
            "params": self.params,
            "template_id": self.template_id,
            "created_at": self.created_at,
            "stopped_at": self.stopped_at,
            "deleted": self.deleted,
            "running": self.running,
        }


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

    def to_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "raw": self.raw,
            "headers": self.headers,
            "status": self.status,
            "response": self.response,
            "auth_ok": self.auth_ok,
            "at": self.at,
        }


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

    def reset(self) -> None:
        with self.lock:
            self.tasks.clear()
            self.requests.clear()
            self.nonces.clear()
            self.windows.clear()
            self.scroll_tokens.clear()
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
        per_stream: dict[tuple[str, str | None, str | None, str], int] = {}
        out = []
        for task in tasks:
            running = False
            if task.active(now):
                rank = per_stream.get(task.stream_key, 0)
                per_stream[task.stream_key] = rank + 1
                running = task.api != "record-task" or rank < overlap_cap
            out.append(replace(task, running=running))
        return out


# For benchmarks that send thousands of creates: no rate limits, no caps (each cap check scans every stored
# task, which would make the round trip grow with the run). Tencent has these limits; tests keep them.
NO_LIMITS: dict[str, object] = {
    "rate_limits": {},
    "daily_task_cap": None,
    "running_task_cap": None,
    "record_task_running_cap": None,
}
