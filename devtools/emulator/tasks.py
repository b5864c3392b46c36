"""Task bookkeeping the action families share: the caps, storing, finding, stopping and deleting.

A handler takes a :class:`Context` and the decoded parameters and returns its generation's success payload
(without the envelope), or raises :class:`ApiError`. Handlers run under the state lock, so a check and the
store that follows it are atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from devtools.emulator.config import EmulatorConfig
from devtools.emulator.errors import ApiError, invalid, missing
from devtools.emulator.params import cst_day, integer, text
from devtools.emulator.state import State, StreamKey, TaskRecord

# CreateLiveRecord / v2 / fcgi real-time tasks record at most 30 minutes.
REALTIME_CAP = 1800


@dataclass
class Context:
    state: State
    config: EmulatorConfig
    now: float
    region: str | None
    # a stream's state (active, inactive, forbid) by domain, app and name: API 3.0 only
    stream_state: Callable[[str, str, str], str] | None = None


Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]


def realtime_end(requested: float | None, now: float) -> float:
    """CreateLiveRecord/v2/fcgi real-time: absent, past or beyond now + 30 min becomes now + 30 min."""
    if requested is None or requested < now or requested > now + REALTIME_CAP:
        return now + REALTIME_CAP
    return requested


def peak_running(tasks: Iterable[TaskRecord], lo: float, hi: float, per_stream_cap: int | None) -> int:
    """The most tasks that run at one instant of [lo, hi): each task runs over its own [start, end), and
    with ``per_stream_cap`` at most that many tasks of one stream count at an instant."""
    events: list[tuple[float, int, StreamKey]] = []
    for t in tasks:
        begin, finish = max(t.start, lo), min(t.end, hi)
        if begin < finish:
            events.append((begin, 1, t.stream_key))
            events.append((finish, -1, t.stream_key))
    events.sort(key=lambda e: (e[0], e[1]))  # at one instant, ends (-1) before starts (+1)
    per_stream: dict[StreamKey, int] = {}
    running = best = 0
    for _, delta, key in events:
        before = per_stream.get(key, 0)
        after = before + delta
        per_stream[key] = after
        if per_stream_cap is None:
            running += delta
        else:
            running += min(after, per_stream_cap) - min(before, per_stream_cap)
        best = max(best, running)
    return best


def running_cap(ctx: Context, api: str, start: float, end: float, cap: int | None) -> None:
    """Refuse a new task when, at some instant of its window, ``cap`` tasks of the family already run."""
    if cap is None:
        return
    lo = max(start, ctx.now)
    candidates = [
        t
        for t in ctx.state.tasks.values()
        if t.api == api
        and not t.deleted
        and t.stopped_at is None
        and (api == "record-task" or t.mode == "scheduled")
    ]
    per_stream = ctx.config.overlap_cap if api == "record-task" else None
    if lo < end and peak_running(candidates, lo, end, per_stream) >= cap:
        raise ApiError(
            "LimitExceeded.MaximumRunningTask",
            f"at most {cap} recording tasks may run at once: the window of the new task would exceed it",
        )


def daily_cap(ctx: Context, api: str) -> None:
    """Scheduled tasks created per China Standard Time day (deleting one does not give it back)."""
    if ctx.config.daily_task_cap is None:
        return
    day = cst_day(ctx.now)
    today = sum(
        1
        for t in ctx.state.tasks.values()
        if t.api == api and t.mode == "scheduled" and cst_day(t.created_at) == day
    )
    if today >= ctx.config.daily_task_cap:
        raise ApiError(
            "LimitExceeded.MaximumTask",
            f"at most {ctx.config.daily_task_cap} scheduled tasks may be created per China Standard Time day",
        )


def store(ctx: Context, **fields: Any) -> TaskRecord:
    task = TaskRecord(created_at=ctx.now, seq=ctx.state.next_seq(), **fields)
    ctx.state.add_task(task)
    return task


def find(
    ctx: Context, api: str, task_id: str, id_name: str, *, stream: str | None, not_found: str
) -> TaskRecord:
    """The task, unless it is unknown, deleted, or another stream's: then ``not_found``."""
    task = ctx.state.tasks.get((api, task_id))
    if task is None or task.deleted or (stream is not None and task.stream != stream):
        why = f"task not found: {id_name} {task_id}"
        raise ApiError(not_found, f"invalid parameter {id_name}: {why}" if "Invalid" in not_found else why)
    return task


def stopped(ctx: Context, task: TaskRecord) -> dict[str, Any]:
    # stopping a stopped task succeeds and keeps the first stop time
    return {"stopped_at": task.stopped_at if task.stopped_at is not None else ctx.now}


def deleted(ctx: Context, task: TaskRecord) -> dict[str, Any]:
    # hidden and unknown to stop and delete from now on; running on where the family's delete leaves it
    # running (state.DELETE_KEEPS_RUNNING)
    return {"deleted": True, "deleted_at": ctx.now}


def on_task(
    api: str,
    id_names: tuple[str, ...],
    stream_name: str | None,
    change: Callable[[Context, TaskRecord], dict[str, Any]],
    not_found: str = "ResourceNotFound.TaskId",
) -> Handler:
    """A stop or delete: find the task by id (and stream, where the family names one), then change it.
    CreateRecordTask ids are strings; the other families' are integers. An unknown task is ``not_found``."""

    def handler(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
        stream = text(p, stream_name) if stream_name else None
        id_name = next((n for n in id_names if p.get(n) not in (None, "")), id_names[0])
        if api == "record-task":
            task_id = text(p, id_name) or ""
        else:
            task_id = str(integer(p, id_name, required=True, code="InvalidParameterValue"))
        task = find(ctx, api, task_id, id_name, stream=stream, not_found=not_found)
        ctx.state.update(task, **change(ctx, task))
        return {}

    return handler


def create_cst_task(
    ctx: Context,
    *,
    api: str,
    stream: str,
    start: float | None,
    end: float | None,
    realtime: bool,
    params: dict[str, Any],
    names: tuple[str, str],
    max_span: int | None,
    domain: str | None = None,
    app: str | None = None,
) -> int:
    """The CST-string families (CreateLiveRecord, v2, fcgi): real-time clamp, scheduled rules, caps."""
    start_name, end_name = names
    if realtime:
        begin, finish, mode = ctx.now, realtime_end(end, ctx.now), "realtime"
    else:
        if start is None:
            raise missing(start_name)
        if end is None:
            raise missing(end_name)
        if end <= start:
            raise invalid(end_name, f"must be later than {start_name}")
        if max_span is not None and end - start > max_span:
            raise invalid(end_name, f"{end_name} - {start_name} must be at most one day (86400 s)")
        if end <= ctx.now:
            raise invalid(end_name, "must be later than the current time")
        daily_cap(ctx, api)
        running_cap(ctx, api, start, end, ctx.config.running_task_cap)
        begin, finish, mode = start, end, "scheduled"
    task_id = ctx.state.numeric_id()
    store(ctx, api=api, task_id=str(task_id), stream=stream, domain=domain, app=app, start=begin, end=finish,
          mode=mode, params=dict(params))  # fmt: skip
    return task_id
