"""What an adapter is given and gives back: the plan of one create, and tasks as Tencent lists them. Plain
immutable records (``shared.support.records``), shared by every generation; the recording domain builds
plans, the adapters put them on the wire."""

from datetime import datetime
from enum import StrEnum

from shared.support.config import LiveApi
from shared.support.records import Record


class Mode(StrEnum):
    SCHEDULED = "scheduled"
    REALTIME = "realtime"


class RecordingPlan(Record):
    """What will be asked of Tencent: the effective window, the options, and what we changed."""

    __slots__ = ()
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


class CreatedTask(Record):
    __slots__ = ()
    task_id: str
    api: LiveApi
    request_id: str | None
    plan: RecordingPlan


class TaskInfo(Record):
    __slots__ = ()
    task_id: str
    stream: str | None
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    stopped_at: datetime | None = None
    template_id: int | None = None
    status: str | None = None


class TaskQuery(Record):
    __slots__ = ()
    stream: str | None = None
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    page_token: str | None = None


class TaskPage(Record):
    __slots__ = ()
    tasks: list[TaskInfo]
    next_token: str | None = None
    window: tuple[datetime, datetime] | None = None  # the window asked for, where Tencent lists by window
