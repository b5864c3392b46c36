"""What each Tencent-style callback carries: stream begin (1) and end (0), recording status (332) and
the recording file (100). Pure functions of a push or a task; sending is ``callbacks.py``'s job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from devtools.emulator.state import TaskRecord


@dataclass
class Push:
    domain: str
    app: str
    stream: str
    began: float
    sequence: str


def stream_fields(appid: int, push: Push, event_type: int, now: float) -> dict[str, Any]:
    return {
        "appid": appid,
        "app": push.domain,
        "appname": push.app,
        "stream_id": push.stream,
        "channel_id": push.stream,
        "event_type": event_type,
        "event_time": int(push.began if event_type == 1 else now),
        "sequence": push.sequence if event_type == 1 else f"{push.sequence}-end",
        "node": "127.0.0.1",
        "user_ip": "127.0.0.1",
        "stream_param": "",
        "errcode": 0,
        "errmsg": "ok",
    }


def status_fields(appid: int, task: TaskRecord, event: str, now: float) -> dict[str, Any]:
    return {
        "appid": appid,
        "domain": task.domain,
        "appname": task.app,
        "stream_id": task.stream,
        "event_type": 332,
        "event_time": int(now),
        "record_event": event,
        "seq": f"{task.task_id}-{event}",
        "session_id": task.task_id,
        "record_detail": json.dumps({"file_format": 3, "start_model": 5}),
    }


def file_fields(appid: int, task: TaskRecord, pushed_since: float | None, now: float) -> dict[str, Any]:
    start = max(task.start, pushed_since or task.start)
    end = min(now, task.stopped_at or task.end, task.end)
    params = task.params
    fmt = params.get("FileFormat") or params.get("Param.s.file_format") or params.get("file_format")
    fmt = str(fmt or "flv").lower()
    file_id = "5285890" + hashlib.sha256(task.task_id.encode()).hexdigest()[:12]
    return {
        "appid": appid,
        "app": task.domain,
        "appname": task.app,
        "stream_id": task.stream,
        "channel_id": task.stream,
        "event_type": 100,
        "task_id": task.task_id,
        "file_id": file_id,
        "record_file_id": file_id,
        "file_format": fmt,
        "video_url": f"http://{appid}.vod2.myqcloud.com/vod/{file_id}.{fmt}",
        "start_time": int(start),
        "end_time": int(max(end, start)),
        "duration": int(max(end - start, 0)),
        "file_size": int(max(end - start, 0)) * 250_000,
        "callback_ext": "{}",
    }


def file_between(appid: int, task: TaskRecord, start: int, end: int) -> dict[str, Any]:
    """A record file of ``task`` covering ``[start, end)`` (one of several a recording may be cut into),
    its ``file_id`` its own."""
    fields = file_fields(appid, task, start, end)
    file_id = "5285890" + hashlib.sha256(f"{task.task_id}/{start}/{end}".encode()).hexdigest()[:12]
    fmt = fields["file_format"]
    return fields | {
        "file_id": file_id,
        "record_file_id": file_id,
        "video_url": f"http://{appid}.vod2.myqcloud.com/vod/{file_id}.{fmt}",
        "start_time": start,
        "end_time": end,
        "duration": end - start,
        "file_size": (end - start) * 250_000,
    }


def same(a: str | None, b: str | None) -> bool:
    """Task and push name the same domain/app (a task that does not say matches any)."""
    return a is None or b is None or a == b


LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def check_url(url: object) -> None:
    """A callback URL the emulator will POST to: http on the loopback, nothing else."""
    if not isinstance(url, str) or any(ch <= " " or ch == "\x7f" for ch in url):
        raise ValueError("url must be a string without spaces or control characters")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsed for its ValueError
    except ValueError:
        raise ValueError("url has an invalid port") from None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or parts.username is not None:
        raise ValueError("callbacks go to a loopback URL only (http://127.0.0.1:PORT/...)")
