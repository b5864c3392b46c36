"""What each action does: validation by the documented rules, task bookkeeping, the success payload.

Each handler takes the decoded parameters and returns the generation's success payload (without the
envelope), or raises :class:`ApiError`. Handlers run under the state lock, so a check and the store that
follows it are atomic.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from devtools.emulator.core import EmulatorConfig, State, TaskRecord
from devtools.emulator.errors import ApiError, invalid, missing

# China Standard Time: UTC+8 all year. Never the machine's local zone.
CST = timezone(timedelta(hours=8))
CST_FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = 86400
REALTIME_CAP = 1800
MAX_SCROLL_TOKENS = 10_000
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
_INT = re.compile(r"^-?[0-9]+$")
_CST_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")


class Context:
    def __init__(self, state: State, config: EmulatorConfig, now: float, region: str | None) -> None:
        self.state = state
        self.config = config
        self.now = now
        self.region = region


Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]


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
    """An integer, as a JSON number or (form and query encodings) a decimal string."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    raise invalid(name, f"must be an integer, got {value!r}", code)


def _flag(params: dict[str, Any], name: str, code: str = "InvalidParameterValue") -> int:
    value = _int(params, name, code=code)
    if value not in (None, 0, 1):
        raise invalid(name, "must be 0 or 1", code)
    return value or 0


def _cst(params: dict[str, Any], name: str) -> float | None:
    """A China Standard Time 'YYYY-MM-DD HH:MM:SS' string; URL-encoded forms are decoded once."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a 'YYYY-MM-DD HH:MM:SS' China Standard Time string")
    text = unquote_plus(value) if ("%" in value or "+" in value) else value
    try:
        if not _CST_TEXT.match(text):
            raise ValueError(text)
        return datetime.strptime(text, CST_FORMAT).replace(tzinfo=CST).timestamp()
    except ValueError:
        raise invalid(name, f"{value!r} is not a 'YYYY-MM-DD HH:MM:SS' China Standard Time string") from None


def cst_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime(CST_FORMAT)


def cst_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d")


def _choice(params: dict[str, Any], name: str, allowed: Iterable[str], default: str) -> str:
    """A case-insensitive choice; returns it lower-cased."""
    options = sorted(allowed)
    value = params.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in options:
        raise invalid(name, f"must be one of {', '.join(options)}, got {value!r}")
    return value.lower()


def _realtime_end(requested: float | None, now: float) -> float:
    """CreateLiveRecord/v2/fcgi real-time: absent, past or beyond now + 30 min becomes now + 30 min."""
    if requested is None or requested < now or requested > now + REALTIME_CAP:
        return now + REALTIME_CAP
    return requested


def peak_running(tasks: Iterable[TaskRecord], lo: float, hi: float, per_stream_cap: int | None) -> int:
    """The most tasks that run at one instant of [lo, hi): each task runs over its own [start, end), and
    with ``per_stream_cap`` at most that many tasks of one stream count at an instant."""
    events: list[tuple[float, int, tuple[str, str | None, str | None, str]]] = []
    for t in tasks:
        begin, finish = max(t.start, lo), min(t.end, hi)
        if begin < finish:
            events.append((begin, 1, t.stream_key))
            events.append((finish, -1, t.stream_key))
    events.sort(key=lambda e: (e[0], e[1]))  # at one instant, ends (-1) before starts (+1)
    per_stream: dict[tuple[str, str | None, str | None, str], int] = {}
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


def _running_cap(ctx: Context, api: str, start: float, end: float, cap: int | None) -> None:
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


def _daily_cap(ctx: Context, api: str) -> None:
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


def _store(ctx: Context, **fields: Any) -> TaskRecord:
    task = TaskRecord(created_at=ctx.now, seq=ctx.state.next_seq(), **fields)
    ctx.state.add_task(task)
    return task


def _find(ctx: Context, api: str, task_id: str, id_name: str, stream: str | None = None) -> TaskRecord:
    task = ctx.state.tasks.get((api, task_id))
    if task is None or task.deleted or (stream is not None and task.stream != stream):
        raise ApiError("ResourceNotFound.TaskId", f"task not found: {id_name} {task_id}")
    return task


def _stopped(ctx: Context, task: TaskRecord) -> dict[str, Any]:
    # stopping a stopped task succeeds and keeps the first stop time
    return {"stopped_at": task.stopped_at if task.stopped_at is not None else ctx.now}


def _deleted(ctx: Context, task: TaskRecord) -> dict[str, Any]:
    return {"deleted": True}


def _on_task(
    api: str,
    id_names: tuple[str, ...],
    stream_name: str | None,
    change: Callable[[Context, TaskRecord], dict[str, Any]],
) -> Handler:
    """A stop or delete: find the task by id (and stream, where the family names one), then change it.
    CreateRecordTask ids are strings; the other families' are integers."""

    def handler(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
        stream = _str(p, stream_name) if stream_name else None
        id_name = next((n for n in id_names if p.get(n) not in (None, "")), id_names[0])
        if api == "record-task":
            task_id = _str(p, id_name) or ""
        else:
            task_id = str(_int(p, id_name, required=True, code="InvalidParameterValue"))
        task = _find(ctx, api, task_id, id_name, stream)
        ctx.state.update(task, **change(ctx, task))
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
            raise invalid(end_name, f"must be later than {start_name}")
        if max_span is not None and end - start > max_span:
            raise invalid(end_name, f"{end_name} - {start_name} must be at most one day (86400 s)")
        if end <= ctx.now:
            raise invalid(end_name, "must be later than the current time")
        _daily_cap(ctx, api)
        _running_cap(ctx, api, start, end, ctx.config.running_task_cap)
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
        raise ApiError("UnsupportedRegion", f"CreateRecordTask is not supported in Region {ctx.region!r}")
    stream, domain, app = _str(p, "StreamName"), _str(p, "DomainName"), _str(p, "AppName")
    end = _int(p, "EndTime", required=True)
    start = _int(p, "StartTime")
    assert stream is not None and end is not None  # noqa: S101 - required above
    mode = "scheduled" if start is not None else "realtime"
    begin = start if start is not None else int(ctx.now)
    if end <= ctx.now:
        raise invalid("EndTime", "EndTime must be later than the current time", "InvalidParameter")
    if end <= begin:
        raise invalid("EndTime", "EndTime must be later than StartTime", "InvalidParameter")
    if end - begin > DAY:
        raise invalid("EndTime", "EndTime - StartTime must be at most 24 hours (86400 s)", "InvalidParameter")
    if begin > ctx.now + 6 * DAY:
        raise invalid(
            "StartTime", "StartTime must not be later than the current time plus 6 days", "InvalidParameter"
        )
    stream_type = _int(p, "StreamType")
    if stream_type not in (None, 0, 1):
        raise invalid("StreamType", "must be 0 (push) or 1 (mixed stream)", "InvalidParameter")
    template = _int(p, "TemplateId")
    if template is not None and template < 0:
        raise invalid("TemplateId", "must not be negative", "InvalidParameter")
    _str(p, "Extension", required=False)
    _running_cap(ctx, "record-task", begin, end, ctx.config.record_task_running_cap)
    task_id = "Up" + secrets.token_urlsafe(42)
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
        raise invalid("EndTime", "EndTime must be later than StartTime", "InvalidParameter")
    if end - start > 7 * DAY:
        raise invalid("EndTime", "EndTime - StartTime may span at most one week", "InvalidParameter")
    if start < ctx.now - 90 * DAY:
        raise invalid("StartTime", "StartTime must not be earlier than 90 days ago", "InvalidParameter")
    stream, domain, app = (_str(p, k, required=False) for k in ("StreamName", "DomainName", "AppName"))
    query = (start, end, stream, domain, app)
    token = _str(p, "ScrollToken", required=False)
    offset = 0
    if token:
        known = ctx.state.scroll_tokens.get(token)
        if known is None or known[0] != query:
            raise invalid("ScrollToken", "is not a token this query returned")
        offset = known[1]
    tasks = sorted(
        (
            t
            for t in ctx.state.tasks.values()
            if t.api == "record-task"
            and not t.deleted
            and start <= t.start <= end
            and start <= t.end <= end
            and stream in (None, t.stream)
            and domain in (None, t.domain)
            and app in (None, t.app)
        ),
        key=lambda t: (t.start, t.task_id),
    )
    size = max(1, ctx.config.describe_page_size)
    page = tasks[offset : offset + size]
    next_token = ""
    if offset + size < len(tasks):
        next_token = secrets.token_urlsafe(24)
        ctx.state.scroll_tokens[next_token] = (query, offset + size)
        while len(ctx.state.scroll_tokens) > MAX_SCROLL_TOKENS:
            del ctx.state.scroll_tokens[next(iter(ctx.state.scroll_tokens))]
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
                "Stopped": int(t.stopped_at) if t.stopped_at is not None else 0,
            }
            for t in page
        ],
        "ScrollToken": next_token,
    }


# --- API 3.0: CreateLiveRecord family -----------------------------------------------------------------


def _stream_param(value: str | None) -> None:
    """``record_interval=1800..7200&storage_time=<seconds>``, URL-encoded once (decoded if it has '%')."""
    if not value:
        return
    text = unquote_plus(value) if "%" in value else value
    for key, raw in parse_qsl(text, keep_blank_values=True):
        if key == "record_interval":
            if not raw.isascii() or not raw.isdigit() or not 1800 <= int(raw) <= 7200:
                raise invalid("StreamParam", f"record_interval must be 1800-7200 seconds, got {raw!r}")
        elif key == "storage_time":
            if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
                raise invalid(
                    "StreamParam", f"storage_time must be a positive number of seconds, got {raw!r}"
                )
        else:
            raise invalid("StreamParam", f"unknown key {key!r} (known: record_interval, storage_time)")


def create_live_record(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "StreamName")
    assert stream is not None  # noqa: S101 - required above
    app, domain = _str(p, "AppName", required=False), _str(p, "DomainName", required=False)
    highlight = _flag(p, "Highlight")
    _flag(p, "MixStream")
    _choice(p, "RecordType", {"video", "audio"}, "video")
    _choice(p, "FileFormat", {"flv", "hls", "mp4", "aac", "mp3"}, "flv")
    stream_param = p.get("StreamParam")
    if stream_param not in (None, "") and not isinstance(stream_param, str):
        raise invalid("StreamParam", "must be a string")
    _stream_param(stream_param or None)
    start, end = _cst(p, "StartTime"), _cst(p, "EndTime")
    task_id = _create_cst_task(
        ctx, api="live-record", stream=stream, start=start, end=end, realtime=highlight == 1, params=p,
        names=("StartTime", "EndTime"), max_span=None, domain=domain, app=app,
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
    assert stream is not None  # noqa: S101 - required above
    tape = _flag(p, "tapeType")
    start, end = _cst(p, "startTime"), _cst(p, "endTime")
    task_id = _create_cst_task(
        ctx, api="v2", stream=stream, start=start, end=end, realtime=tape == 1, params=p,
        names=("startTime", "endTime"), max_span=DAY,
    )  # fmt: skip
    return {"task_id": task_id}


def v2_describe_record_list(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "channelId")
    page_no = _int(p, "pageNo", code="InvalidParameterValue")
    page_size = _int(p, "pageSize", code="InvalidParameterValue")
    page_no = 1 if page_no is None else page_no
    page_size = 10 if page_size is None else page_size
    if page_no < 1:
        raise invalid("pageNo", "must be at least 1")
    if not 1 <= page_size <= 100:
        raise invalid("pageSize", "must be 1-100")
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
                "startTime": cst_text(t.start),
                "endTime": cst_text(t.end),
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

FCGI_VIDEO_FORMATS = frozenset({"flv", "hls", "mp4"})
FCGI_AUDIO_FORMATS = frozenset({"aac", "flv", "hls", "mp4"})


def fcgi_tape_start(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = _str(p, "Param.s.channel_id")
    assert stream is not None  # noqa: S101 - required above
    sub = _flag(p, "Param.n.task_sub_type")
    rtype = _choice(p, "Param.s.record_type", {"video", "audio"}, "video")
    fmt = _choice(p, "Param.s.file_format", FCGI_AUDIO_FORMATS | FCGI_VIDEO_FORMATS, "flv")
    if rtype == "video" and fmt not in FCGI_VIDEO_FORMATS:
        raise invalid("Param.s.file_format", f"{fmt} is not allowed with record_type video (flv, hls, mp4)")
    start, end = _cst(p, "Param.s.start_time"), _cst(p, "Param.s.end_time")
    task_id = _create_cst_task(
        ctx, api="fcgi", stream=stream, start=start, end=end, realtime=sub == 1, params=p,
        names=("Param.s.start_time", "Param.s.end_time"), max_span=DAY,
    )  # fmt: skip
    return {"output": {"task_id": task_id}}


FCGI_ACTIONS: dict[str, Handler] = {
    "Live_Tape_Start": fcgi_tape_start,
    # the doc's table says Param.s.task_id, its example Param.n.task_id: accept both
    "Live_Tape_Stop": _on_task(
        "fcgi", ("Param.n.task_id", "Param.s.task_id"), "Param.s.channel_id", _stopped
    ),
}
