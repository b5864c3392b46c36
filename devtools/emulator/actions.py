"""What each action does: validation by the documented rules, task bookkeeping, the success payload.

Each function takes the decoded parameters and returns the generation's success payload (without the
envelope), or raises :class:`ApiError`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from devtools.emulator.core import EmulatorConfig, State, TaskRecord
from devtools.emulator.errors import ApiError, invalid, missing

CST = timezone(timedelta(hours=8))
DAY = 86400
REALTIME_CAP = 1800
RECORD_TASK_REGIONS = frozenset(
    [
        "ap-bangkok",
        "ap-guangzhou",
        "ap-hongkong",
        "ap-jakarta",
        "ap-mumbai",
        "ap-seoul",
        "ap-singapore",
        "ap-tokyo",
        "eu-frankfurt",
        "na-ashburn",
        "na-siliconvalley",
        "na-toronto",
        "sa-saopaulo",
    ]
)


class Context:
    def __init__(self, state: State, config: EmulatorConfig, now: float, region: str | None) -> None:
        self.state = state
        self.config = config
        self.now = now
        self.region = region


# --- parameter helpers --------------------------------------------------------------------------------


def _str(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a string", "InvalidParameter")
    return value


def _int(
    params: dict[str, Any], name: str, *, required: bool = False, code: str = "InvalidParameter"
) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if isinstance(value, bool):
        raise invalid(name, "must be an integer", code)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise invalid(name, "must be an integer", code)


def _cst(params: dict[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a 'YYYY-MM-DD HH:MM:SS' China Standard Time string")
    text = unquote_plus(value) if ("%" in value or "+" in value) else value
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()
    except ValueError:
        raise invalid(name, f"{value!r} is not a 'YYYY-MM-DD HH:MM:SS' China Standard Time string") from None


def _cst_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d %H:%M:%S")


def _cst_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d")


def _choice(params: dict[str, Any], name: str, allowed: set[str], default: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in allowed:
        raise invalid(name, f"must be one of {', '.join(sorted(allowed))}")
    return value.lower()


def _realtime_end(requested: float | None, now: float) -> float:
    """CreateLiveRecord/v2/fcgi real-time: absent, past or beyond now + 30 min becomes now + 30 min."""
    if requested is None or requested < now or requested > now + REALTIME_CAP:
        return now + REALTIME_CAP
    return requested


def _caps(ctx: Context, api: str, start: float, end: float) -> None:
    """Scheduled-task caps of the CreateLiveRecord/fcgi/v2 families: per CST day, and running at once."""
    day = _cst_day(ctx.now)
    with ctx.state.lock:
        tasks = [t for t in ctx.state.tasks.values() if t.api == api and t.mode == "scheduled"]
        today = sum(1 for t in tasks if _cst_day(t.created_at) == day and not t.deleted)
        overlapping = sum(
            1 for t in tasks if not t.deleted and t.stopped_at is None and t.start < end and start < t.end
        )
    if today >= ctx.config.daily_task_cap:
        raise ApiError(
            "LimitExceeded.MaximumTask", f"at most {ctx.config.daily_task_cap} tasks may be created a day"
        )
    if overlapping >= ctx.config.running_task_cap:
        raise ApiError(
            "LimitExceeded.MaximumRunningTask", f"at most {ctx.config.running_task_cap} tasks may run at once"
        )


def _store(ctx: Context, **fields: Any) -> TaskRecord:
    task = TaskRecord(created_at=ctx.now, seq=ctx.state.next_seq(), **fields)
    ctx.state.add_task(task)
    return task


def _find(ctx: Context, api: str, task_id: str, stream: str | None = None) -> TaskRecord:
    with ctx.state.lock:
        task = ctx.state.tasks.get((api, task_id))
    if task is None or task.deleted or (stream is not None and task.stream != stream):
        raise ApiError("ResourceNotFound.TaskId", f"task {task_id} not found")
    return task


Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]


def _stopped(ctx: Context) -> dict[str, Any]:
    return {"stopped_at": ctx.now}


def _deleted(ctx: Context) -> dict[str, Any]:
    return {"deleted": True}


def _on_task(
    api: str, id_names: tuple[str, ...], stream_name: str | None, change: Callable[[Context], dict[str, Any]]
) -> Handler:
    """A stop or delete: find the task by id (and stream, where the family names one), then change it.
    CreateRecordTask ids are strings; the other families' are integers."""

    def handler(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
        stream = _str(p, stream_name) if stream_name else None
        raw = next((p[n] for n in id_names if p.get(n) not in (None, "")), None)
        if api == "record-task":
            task_id = _str({id_names[0]: raw}, id_names[0]) or ""
        else:
            task_id = str(_int({id_names[0]: raw}, id_names[0], required=True, code="InvalidParameterValue"))
        ctx.state.update(_find(ctx, api, task_id, stream), **change(ctx))
        return {}

    return handler


def _create_cst_task(
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
        begin, finish, mode = ctx.now, _realtime_end(end, ctx.now), "realtime"
    else:
        if start is None:
            raise missing(start_name)
        if end is None:
            raise missing(end_name)
        if end <= start:
            raise invalid(end_name, "must be later than the start time")
        if max_span is not None and end - start > max_span:
            raise invalid(end_name, "the recording may last at most one day")
        if end <= ctx.now:
            raise invalid(end_name, "must be later than the current time")
        _caps(ctx, api, start, end)
        begin, finish, mode = start, end, "scheduled"
    task_id = ctx.state.numeric_id()
    _store(ctx, api=api, task_id=str(task_id), stream=stream, domain=domain, app=app, start=begin, end=finish,
           mode=mode, params=dict(params))  # fmt: skip
    return task_id


# --- API 3.0: CreateRecordTask family -----------------------------------------------------------------


def create_record_task(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    if not ctx.region:
        raise missing("Region")
    if ctx.region not in RECORD_TASK_REGIONS:
        raise ApiError("UnsupportedRegion", f"CreateRecordTask is not supported in region {ctx.region}")
    stream, domain, app = _str(p, "StreamName"), _str(p, "DomainName"), _str(p, "AppName")
    end = _int(p, "EndTime", required=True)
    start = _int(p, "StartTime")
    assert stream is not None and end is not None  # noqa: S101 - required above
    mode = "scheduled" if start is not None else "realtime"
    begin = start if start is not None else int(ctx.now)
    if end <= begin:
        raise invalid("EndTime", "must be later than StartTime", "InvalidParameter")
    if end <= ctx.now:
        raise invalid("EndTime", "must be later than the current time", "InvalidParameter")
    if end - begin > DAY:
        raise invalid("EndTime", "EndTime - StartTime must be at most 24 hours", "InvalidParameter")
    if begin > ctx.now + 6 * DAY:
        raise invalid("StartTime", "must not be later than the current time plus 6 days", "InvalidParameter")
    stream_type = _int(p, "StreamType")
    if stream_type not in (None, 0, 1):
        raise invalid("StreamType", "must be 0 or 1", "InvalidParameter")
    template = _int(p, "TemplateId")
    if template is not None and template < 0:
        raise invalid("TemplateId", "must not be negative", "InvalidParameter")
    _str(p, "Extension", required=False)
    running = sum(
        1
        for t in ctx.state.with_running(ctx.now, ctx.config.overlap_cap)
        if t.api == "record-task" and t.running
    )
    if running >= ctx.config.record_task_running_cap:
        raise ApiError("LimitExceeded.MaximumRunningTask", "the number of concurrent tasks exceeds the limit")
    task_id = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode("ascii").rstrip("=")
    _store(
        ctx, api="record-task", task_id=task_id, stream=stream, domain=domain, app=app, start=float(begin),
        end=float(end), mode=mode, params=dict(p), template_id=template,
    )  # fmt: skip
    return {"TaskId": task_id}


def describe_record_task(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    start = _int(p, "StartTime", required=True)
    end = _int(p, "EndTime", required=True)
    assert start is not None and end is not None  # noqa: S101 - required above
    if end <= start:
        raise invalid("EndTime", "must be later than StartTime", "InvalidParameter")
    if end - start > 7 * DAY:
        raise invalid("EndTime", "the query window may span at most one week", "InvalidParameter")
    if start < ctx.now - 90 * DAY:
        raise invalid("StartTime", "must not be earlier than 90 days ago", "InvalidParameter")
    filters = {k: _str(p, k, required=False) for k in ("StreamName", "DomainName", "AppName")}
    token = _str(p, "ScrollToken", required=False)
    offset = 0
    if token:
        try:
            offset = int(
                base64.urlsafe_b64decode(token.encode("ascii") + b"==").decode("ascii").removeprefix("o:")
            )
        except (ValueError, UnicodeDecodeError):
            raise invalid("ScrollToken", "is not a token this API returned") from None
    tasks = [
        t
        for t in ctx.state.with_running(ctx.now, ctx.config.overlap_cap)
        if t.api == "record-task"
        and not t.deleted
        and start <= t.start
        and t.end <= end
        and all(
            v is None or getattr(t, attr) == v
            for attr, v in zip(("stream", "domain", "app"), filters.values(), strict=True)
        )
    ]
    tasks.sort(key=lambda t: (t.start, t.task_id))
    size = max(1, ctx.config.describe_page_size)
    page = tasks[offset : offset + size]
    more = offset + size < len(tasks)
    next_token = (
        base64.urlsafe_b64encode(f"o:{offset + size}".encode()).decode("ascii").rstrip("=") if more else ""
    )
    return {
        "TaskList": [
            {
                "TaskId": t.task_id,
                "DomainName": t.domain,
                "AppName": t.app,
                "StreamName": t.stream,
                "StartTime": int(t.start),
                "EndTime": int(t.end),
                "TemplateId": t.template_id if t.template_id is not None else 0,
                "Stopped": int(t.stopped_at) if t.stopped_at else 0,
            }
            for t in page
        ],
        "ScrollToken": next_token,
    }


# --- API 3.0: CreateLiveRecord family -----------------------------------------------------------------


def _stream_param(value: str | None) -> None:
    if not value:
        return
    text = unquote_plus(value) if "%" in value else value
    for key, raw in parse_qsl(text, keep_blank_values=True):
        if key == "record_interval":
            if not raw.isdigit() or not 1800 <= int(raw) <= 7200:
                raise invalid("StreamParam", "record_interval must be 1800-7200 seconds")
        elif key == "storage_time":
            if not raw.isdigit() or int(raw) <= 0:
                raise invalid("StreamParam", "storage_time must be a positive number of seconds")
        else:
            raise invalid("StreamParam", f"unknown parameter {key}")


def create_live_record(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "StreamName")
    assert stream is not None  # noqa: S101 - required above
    app, domain = _str(p, "AppName", required=False), _str(p, "DomainName", required=False)
    highlight = _int(p, "Highlight", code="InvalidParameterValue") or 0
    if highlight not in (0, 1):
        raise invalid("Highlight", "must be 0 or 1")
    mix = _int(p, "MixStream", code="InvalidParameterValue") or 0
    if mix not in (0, 1):
        raise invalid("MixStream", "must be 0 or 1")
    _choice(p, "RecordType", {"video", "audio"}, "video")
    _choice(p, "FileFormat", {"flv", "hls", "mp4", "aac", "mp3"}, "flv")
    _stream_param(_str(p, "StreamParam", required=False))
    task_id = _create_cst_task(
        ctx, api="live-record", stream=stream, start=_cst(p, "StartTime"), end=_cst(p, "EndTime"),
        realtime=highlight == 1, params=p, names=("StartTime", "EndTime"), max_span=None, domain=domain, app=app,
    )  # fmt: skip
    return {"TaskId": task_id}


API3_ACTIONS: dict[str, Handler] = {
    "CreateRecordTask": create_record_task,
    "StopRecordTask": _on_task("record-task", ("TaskId",), None, _stopped),
    "DeleteRecordTask": _on_task("record-task", ("TaskId",), None, _deleted),
    "DescribeRecordTask": describe_record_task,
    "CreateLiveRecord": create_live_record,
    "StopLiveRecord": _on_task("live-record", ("TaskId",), "StreamName", _stopped),
    "DeleteLiveRecord": _on_task("live-record", ("TaskId",), "StreamName", _deleted),
}


# --- v2 -------------------------------------------------------------------------------------------------


def v2_create_record(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "channelId")
    assert stream is not None  # noqa: S101
    tape = _int(p, "tapeType", code="InvalidParameterValue") or 0
    if tape not in (0, 1):
        raise invalid("tapeType", "must be 0 or 1")
    task_id = _create_cst_task(
        ctx, api="v2", stream=stream, start=_cst(p, "startTime"), end=_cst(p, "endTime"), realtime=tape == 1,
        params=p, names=("startTime", "endTime"), max_span=DAY,
    )  # fmt: skip
    return {"task_id": task_id}


def v2_describe_record_list(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "channelId")
    page_no = _int(p, "pageNo", code="InvalidParameterValue") or 1
    page_size = _int(p, "pageSize", code="InvalidParameterValue") or 10
    if page_no < 1 or not 1 <= page_size <= 100:
        raise invalid("pageSize", "pageNo >= 1 and pageSize 1-100")
    tasks = [
        t
        for t in ctx.state.with_running(ctx.now, ctx.config.overlap_cap)
        if t.api == "v2" and t.stream == stream and not t.deleted
    ]
    tasks.sort(key=lambda t: t.seq, reverse=True)
    page = tasks[(page_no - 1) * page_size : page_no * page_size]

    def status(t: TaskRecord) -> int:
        if t.running:
            return 1
        if t.stopped_at is not None or t.end <= ctx.now:
            return 2
        return 0

    return {
        "totalCount": len(tasks),
        "taskSet": [
            {
                "id": int(t.task_id),
                "startTime": _cst_text(t.start),
                "endTime": _cst_text(t.end),
                "status": status(t),
                "count": 0,
            }
            for t in page
        ],
    }


V2_ACTIONS: dict[str, Handler] = {
    "CreateRecord": v2_create_record,
    "StopRecord": _on_task("v2", ("taskId",), "channelId", _stopped),
    "DeleteRecord": _on_task("v2", ("taskId",), "channelId", _deleted),
    "DescribeRecordList": v2_describe_record_list,
}


# --- fcgi -----------------------------------------------------------------------------------------------

FCGI_VIDEO_FORMATS = {"flv", "hls", "mp4"}
FCGI_AUDIO_FORMATS = {"aac", "flv", "hls", "mp4"}


def fcgi_tape_start(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "Param.s.channel_id")
    assert stream is not None  # noqa: S101
    sub = _int(p, "Param.n.task_sub_type", code="InvalidParameterValue") or 0
    if sub not in (0, 1):
        raise invalid("Param.n.task_sub_type", "must be 0 or 1")
    rtype = _choice(p, "Param.s.record_type", {"video", "audio"}, "video")
    fmt = _choice(p, "Param.s.file_format", FCGI_AUDIO_FORMATS | FCGI_VIDEO_FORMATS, "flv")
    if rtype == "video" and fmt not in FCGI_VIDEO_FORMATS:
        raise invalid("Param.s.file_format", f"{fmt} cannot record video (video: flv, hls, mp4)")
    task_id = _create_cst_task(
        ctx, api="fcgi", stream=stream, start=_cst(p, "Param.s.start_time"), end=_cst(p, "Param.s.end_time"),
        realtime=sub == 1, params=p, names=("Param.s.start_time", "Param.s.end_time"), max_span=DAY,
    )  # fmt: skip
    return {"output": {"task_id": task_id}}


FCGI_ACTIONS: dict[str, Handler] = {
    "Live_Tape_Start": fcgi_tape_start,
    # the doc's table says Param.s.task_id, its example Param.n.task_id: accept both
    "Live_Tape_Stop": _on_task(
        "fcgi", ("Param.n.task_id", "Param.s.task_id"), "Param.s.channel_id", _stopped
    ),
}
