"""API 3.0, the CreateLiveRecord family: CreateLiveRecord, StopLiveRecord, DeleteLiveRecord.
China Standard Time strings, integer task ids, no Region needed. Never sees CreateRecordTask's tasks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from devtools.emulator.errors import invalid
from devtools.emulator.params import INT64, STRING, choice, cst_time, flag, text
from devtools.emulator.tasks import Context, Handler, create_cst_task, deleted, on_task, stopped


def _stream_param(value: str | None) -> None:
    """``record_interval=1800..7200&storage_time=<seconds>``, URL-encoded once (decoded if it has '%')."""
    if not value:
        return
    decoded = unquote_plus(value) if "%" in value else value
    for key, raw in parse_qsl(decoded, keep_blank_values=True):
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
    stream = text(p, "StreamName")
    assert stream is not None  # noqa: S101 - required above
    app, domain = text(p, "AppName", required=False), text(p, "DomainName", required=False)
    highlight = flag(p, "Highlight")
    flag(p, "MixStream")
    choice(p, "RecordType", {"video", "audio"}, "video")
    choice(p, "FileFormat", {"flv", "hls", "mp4", "aac", "mp3"}, "flv")
    stream_param = p.get("StreamParam")
    if stream_param not in (None, "") and not isinstance(stream_param, str):
        raise invalid("StreamParam", "must be a string")
    _stream_param(stream_param or None)
    start, end = cst_time(p, "StartTime"), cst_time(p, "EndTime")
    # scheduled: both times, no maximum length; Highlight=1: real-time, at most 30 minutes from now
    task_id = create_cst_task(
        ctx, api="live-record", stream=stream, start=start, end=end, realtime=highlight == 1, params=p,
        names=("StartTime", "EndTime"), max_span=None, domain=domain, app=app,
    )  # fmt: skip
    return {"TaskId": task_id}


ACTIONS: dict[str, Handler] = {
    "CreateLiveRecord": create_live_record,
    "StopLiveRecord": on_task("live-record", ("TaskId",), "StreamName", stopped),
    "DeleteLiveRecord": on_task("live-record", ("TaskId",), "StreamName", deleted),
}
# The parameters each action declares, with their types: any other name is UnknownParameter.
PARAMS: dict[str, dict[str, str]] = {
    "CreateLiveRecord": {
        "StreamName": STRING,
        "AppName": STRING,
        "DomainName": STRING,
        "StartTime": STRING,
        "EndTime": STRING,
        "RecordType": STRING,
        "FileFormat": STRING,
        "Highlight": INT64,
        "MixStream": INT64,
        "StreamParam": STRING,
    },
    "StopLiveRecord": {"StreamName": STRING, "TaskId": INT64},
    "DeleteLiveRecord": {"StreamName": STRING, "TaskId": INT64},
}
# The codes each action answers besides those every API 3.0 action can (api3.COMMON_CODES); each is in
# the action's documented list.
CODES: dict[str, frozenset[str]] = {
    "CreateLiveRecord": frozenset(
        {"InvalidParameterValue", "LimitExceeded.MaximumTask", "LimitExceeded.MaximumRunningTask"}
    ),
    "StopLiveRecord": frozenset({"ResourceNotFound.TaskId"}),
    "DeleteLiveRecord": frozenset({"ResourceNotFound.TaskId"}),
}
