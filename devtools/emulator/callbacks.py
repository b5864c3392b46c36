"""Tencent-style callbacks: simulated pushes and task progress, POSTed to a configured URL, redelivered.

- ``push_begin`` / ``push_end`` simulate an encoder pushing a stream: callbacks 1 (stream begin) and 0
  (stream end);
- while a stream is pushed, a task of that stream that starts running gets 332 ``record_start_succeeded``;
  when it stops running (stopped, deleted, its window over, or the push ended) it gets 332 ``record_ended``
  and 100 (the recording file), once;
- every body carries ``t`` (now + 10 min on the emulator's clock) and ``sign = md5(key + t)``, computed at
  each attempt; an answer other than HTTP 200 within ``timeout`` is redelivered ``max_redeliveries`` times
  (Tencent: 12), ``retry_interval`` apart (Tencent: 60 s; tests use less).

Standard library only; nothing from ``shared``.
"""

from __future__ import annotations

import hashlib
import heapq
import http.client
import itertools
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from devtools.emulator.callback_events import (
    Push,
    check_url,
    file_between,
    file_fields,
    same,
    status_fields,
    stream_fields,
)
from devtools.emulator.callback_records import record

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

log = logging.getLogger("liverec.emulator.callbacks")
SIGN_VALIDITY = 600  # Tencent: t defaults to now + 10 minutes
# retry_interval and timeout: a larger value is a mistake (and overflows a socket timeout)
MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one callback."""

    event_type: int
    attempt: int  # 1 = first delivery, 2.. = redeliveries
    status: int  # 0 when no HTTP answer (refused, timed out)
    body: dict[str, Any]
    at: float


@dataclass(order=True)
class _Queued:
    due: float
    seq: int
    fields: dict[str, Any] = field(compare=False)
    attempt: int = field(default=1, compare=False)


class Callbacks:
    """The callback side of one emulator. Idle (sends nothing) until :meth:`configure` gives a URL and key."""

    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator
        self.url: str | None = None
        self._key: str | None = None
        self.appid = 1234567890
        self.retry_interval = 60.0
        self.max_redeliveries = 12
        self.timeout = 20.0
        self.pushes: dict[tuple[str, str, str], Push] = {}
        self.forbidden: set[tuple[str, str, str]] = set()  # banned streams (DescribeLiveStreamState: forbid)
        self._started: set[str] = set()  # task ids with record_start_succeeded sent
        self._finished: set[str] = set()  # task ids with record_ended + 100 sent
        self._queue: list[_Queued] = []
        self._seq = itertools.count(1)
        self._deliveries: list[Delivery] = []
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()  # the running sender's; each sender thread gets its own
        self._generation = 0  # bumped by reset(): an attempt begun before it is forgotten
        self._inflight = 0
        self._progress_lock = threading.Lock()

    # --- configuration and inspection ------------------------------------------------------------------

    def configure(
        self,
        url: str | None,
        key: str | None,
        *,
        retry_interval: float | None = None,
        max_redeliveries: int | None = None,
        timeout: float | None = None,
    ) -> None:
        if url is None or key is None:
            if url is not None or key is not None:
                raise ValueError("give both url and a non-empty key (or neither, to turn callbacks off)")
        else:
            check_url(url)
            if not isinstance(key, str) or not key:
                raise ValueError("key must be a non-empty string")
        for name, value in (("retry_interval", retry_interval), ("timeout", timeout)):
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 < value <= MAX_SECONDS
            ):
                raise ValueError(f"{name} must be a number of seconds above 0 and at most {MAX_SECONDS:g}")
        if max_redeliveries is not None and (
            isinstance(max_redeliveries, bool)
            or not isinstance(max_redeliveries, int)
            or max_redeliveries < 0
        ):
            raise ValueError("max_redeliveries must be a non-negative integer")
        with self._lock:
            self.url, self._key = url, key
            if retry_interval is not None:
                self.retry_interval = float(retry_interval)
            if max_redeliveries is not None:
                self.max_redeliveries = max_redeliveries
            if timeout is not None:
                self.timeout = float(timeout)
        if url is not None:
            self._ensure_thread()

    def deliveries(self, event_type: int | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if event_type is None or d.event_type == event_type]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until nothing is queued or being sent (redeliveries included)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._queue and self._inflight == 0, timeout)

    def reset(self) -> None:
        """Forget pushes, queued callbacks and deliveries (an attempt under way is not recorded); callbacks
        are turned off."""
        with self._progress_lock, self._lock:
            self._generation += 1
            self.url, self._key = None, None
            self.pushes.clear()
            self.forbidden.clear()
            self._started.clear()
            self._finished.clear()
            self._queue.clear()
            self._deliveries.clear()
            self.retry_interval, self.max_redeliveries, self.timeout = 60.0, 12, 20.0
            self._lock.notify_all()

    def stop(self) -> None:
        """End the sender thread (after the attempt under way, if any); :meth:`configure` starts a new one."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop_event.set()
            self._lock.notify_all()
        if thread is not None:
            thread.join(timeout=5)

    # --- simulated pushes --------------------------------------------------------------------------------

    # Both hold the progress lock, so that the sender's own checks never see a push half begun or ended:
    # the 1 is queued before any 332 it causes, and the 0 before the 332/100 of the recordings it ends.

    def push_begin(self, domain: str, app: str, stream: str) -> dict[str, Any]:
        with self._progress_lock:
            now = self._emu.clock.now()
            push = Push(domain, app, stream, now, sequence=str(next(self._seq) * 1000 + int(now) % 1000))
            with self._lock:
                self.pushes[(domain, app, stream)] = push
            fields = stream_fields(self.appid, push, 1, now)
            self._enqueue(fields)
        return fields

    def push_end(self, domain: str, app: str, stream: str) -> dict[str, Any]:
        with self._progress_lock:
            now = self._emu.clock.now()
            with self._lock:
                push = self.pushes.pop((domain, app, stream), None)
            if push is None:
                raise ValueError(f"{domain}/{app}/{stream} is not being pushed")
            fields = stream_fields(self.appid, push, 0, now) | {
                "push_duration": str(int((now - push.began) * 1000))
            }
            self._enqueue(fields)
            self._compare(ended_push=push)
        return fields

    def record_file(self, task_id: str, start: int, end: int, *, lost: bool = False) -> dict[str, Any]:
        """A record-file callback (100) for ``task_id`` covering ``[start, end)``, sent now; ``lost``: never
        delivered (every attempt failed), recorded as failed in Tencent's callback records."""
        task = next((t for t in self._emu.tasks() if t.task_id == task_id), None)
        if task is None:
            raise ValueError(f"no task {task_id!r}")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ValueError("start and end are UNIX seconds, start before end")
        fields = file_between(self.appid, task, start, end)
        if lost:
            now = self._emu.clock.now()
            t = int(now) + SIGN_VALIDITY
            sign = hashlib.md5(((self._key or "") + str(t)).encode()).hexdigest()
            with self._emu.state.lock:
                record(self._emu.state.callback_log, fields | {"t": t, "sign": sign}, 0, now, now)
        else:
            self._enqueue(fields)
        return fields

    def forbid(self, domain: str, app: str, stream: str, *, banned: bool = True) -> None:
        """Ban (or, ``banned=False``, allow again) a stream: DescribeLiveStreamState says ``forbid``."""
        with self._lock:
            (self.forbidden.add if banned else self.forbidden.discard)((domain, app, stream))

    def stream_state(self, domain: str, app: str, stream: str) -> str:
        """DescribeLiveStreamState's answer: forbid (banned), active (pushed now) or inactive."""
        with self._lock:
            if (domain, app, stream) in self.forbidden:
                return "forbid"
            return "active" if (domain, app, stream) in self.pushes else "inactive"

    # --- task progress -----------------------------------------------------------------------------------

    def _progress(self) -> None:
        """Compare tasks with pushes: start and end notices, and the file when a recording ends."""
        if self.url is None:
            return
        with self._progress_lock:
            self._compare(None)

    def _compare(self, ended_push: Push | None) -> None:
        now = self._emu.clock.now()
        for task in self._emu.tasks():
            push = self._push_for(task.domain, task.app, task.stream)
            if (
                ended_push is not None
                and task.stream == ended_push.stream
                and same(task.domain, ended_push.domain)
                and same(task.app, ended_push.app)
            ):
                push = None  # this push just ended
                pushed_since: float | None = ended_push.began
            else:
                pushed_since = push.began if push else None
            recording = task.running and push is not None
            if recording and task.task_id not in self._started:
                self._started.add(task.task_id)
                self._enqueue(status_fields(self.appid, task, "record_start_succeeded", now))
            elif not recording and task.task_id in self._started and task.task_id not in self._finished:
                self._finished.add(task.task_id)
                self._enqueue(status_fields(self.appid, task, "record_ended", now))
                self._enqueue(file_fields(self.appid, task, pushed_since, now))

    def _push_for(self, domain: str | None, app: str | None, stream: str) -> Push | None:
        with self._lock:
            for (p_domain, p_app, p_stream), push in self.pushes.items():
                if p_stream == stream and same(domain, p_domain) and same(app, p_app):
                    return push
        return None

    # --- delivery ----------------------------------------------------------------------------------------

    def _enqueue(self, fields: dict[str, Any]) -> None:
        with self._lock:
            if self.url is None:
                return  # not configured: nothing is sent (the push itself is still tracked)
            heapq.heappush(self._queue, _Queued(time.monotonic(), next(self._seq), fields))
            self._lock.notify_all()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop_event = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop_event,), name="emulator-callbacks", daemon=True
                )
                self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while True:
            with self._lock:
                if stop.is_set():
                    return
                item = None
                if self._queue and self._queue[0].due <= time.monotonic():
                    item = heapq.heappop(self._queue)
                    self._inflight += 1
                    url, key, generation = self.url, self._key, self._generation
                else:
                    wait = min(self._queue[0].due - time.monotonic(), 0.1) if self._queue else 0.1
                    self._lock.wait(max(wait, 0.0))
            if item is None:
                try:
                    self._progress()
                except Exception:  # the monitor must keep running; the emulator logs why
                    log.exception("callback progress check failed")
                continue
            try:
                if url is not None and key is not None:
                    self._deliver(item, url, key, generation)
            finally:
                with self._lock:
                    self._inflight -= 1
                    self._lock.notify_all()

    def _deliver(self, item: _Queued, url: str, key: str, generation: int) -> None:
        sent = self._emu.clock.now()
        t = int(sent) + SIGN_VALIDITY
        body = item.fields | {"t": t, "sign": hashlib.md5((key + str(t)).encode()).hexdigest()}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        # http.client, not urllib: exactly this loopback address, never a proxy from the environment, and a
        # redirect is an answer other than 200 (never followed, possibly off the loopback).
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout
        )
        status = 0
        try:
            conn.request("POST", target, body=data, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()  # the whole answer, within the timeout
            status = response.status
        except (OSError, http.client.HTTPException) as exc:  # refused, timed out, not HTTP
            log.info("callback to %s failed: %s", url, type(exc).__name__)
        finally:
            conn.close()
        with self._lock:
            if generation != self._generation:
                return  # reset() meanwhile: forgotten, not redelivered
            with self._emu.state.lock:  # as Tencent records it (DescribeCallbackRecordsList)
                record(self._emu.state.callback_log, body, status, sent, self._emu.clock.now())
            self._deliveries.append(
                Delivery(item.fields["event_type"], item.attempt, status, body, time.time())
            )
            if status != 200 and item.attempt <= self.max_redeliveries and self.url is not None:
                heapq.heappush(
                    self._queue,
                    _Queued(time.monotonic() + self.retry_interval, item.seq, item.fields, item.attempt + 1),
                )
