"""What an adapter is given and gives back: the plan of one create, and tasks as Tencent lists them. Plain
immutable data (named tuples: cheap to define on a cold start), shared by every generation; the recording
domain builds plans, the adapters put them on the wire."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing.NamedTuple would
# compile each string annotation to evaluate it, on every cold start.

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from shared.support.config import LiveApi


class Mode(StrEnum):
    SCHEDULED = "scheduled"
    REALTIME = "realtime"


class RecordingPlan(NamedTuple):
    """What will be asked of Tencent: the effective window, the options, and what we changed."""

    api: LiveApi
    mode: Mode
    stream: str
    domain: str | None
    app: str | None
    start: datetime  # effective start ("now" for real-time)
    end: datetime  # effective end (after any clamp)
    send_start: bool  # False when the wire request omits the start (real-time)
    file_format: str | None = None
    record_type: str | None = None
    template_id: int | None = None
    stream_type: int | None = None
    record_interval: int | None = None
    storage_time: int | None = None
    warnings: tuple[str, ...] = ()


class CreatedTask(NamedTuple):
    task_id: str
    api: LiveApi
    request_id: str | None
    plan: RecordingPlan


class TaskInfo(NamedTuple):
    task_id: str
    stream: str | None
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    stopped_at: datetime | None = None
    template_id: int | None = None
    status: str | None = None


class TaskQuery(NamedTuple):
    stream: str | None = None
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    page_token: str | None = None


class TaskPage(NamedTuple):
    tasks: list[TaskInfo]
    next_token: str | None = None
