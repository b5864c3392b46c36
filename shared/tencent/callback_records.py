"""``DescribeCallbackRecordsList`` (API 3.0, TC3): Tencent's own record of the callbacks it sent for a
stream, read for the record-file ones (event 100), each with the body Tencent sent (``Request``). Where a
file's callback never reached liverec, this is where it is found (``shared.recordings.reconciling``).

Its request, as Tencent's SDK models it: ``StartTime`` and ``EndTime`` (``yyyy-mm-dd HH:MM:SS``, China
Standard Time, at most a day apart), ``StreamName`` (exact), ``PageNum``, ``PageSize``, ``EventType`` (100:
recording), ``ResultCode`` (0 success); its answer: ``DataInfoList`` of ``{EventTime, EventType, Request,
Response, ResponseTime, ResultCode, StreamId}`` with ``PageNum``, ``PageSize``, ``TotalNum``, ``TotalPage``.

Bounded: a window longer than a day is asked a day at a time, at most :data:`MAX_PAGES` pages of
:data:`PAGE_SIZE` each; each ``Request`` is read within :data:`MAX_REQUEST` characters by the bounded JSON
reader, and its fields checked as a callback's are (a URL liverec would refuse is skipped, logged).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.support import boundedjson
from shared.support.config import LiveApi
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import NO_DEADLINE, Deadline, format_cst
from shared.support.urls import url_problem
from shared.tencent import answers

ACTION = "DescribeCallbackRecordsList"
RECORD_FILE = 100
PAGE_SIZE = 100
MAX_PAGES = 20  # per day's window: 2,000 callbacks, far over a day of 1-minute files (1,440)
MAX_SPAN = timedelta(days=1)
MAX_REQUEST = 65_536  # characters of one callback's body (a record file's is a few KB)
MAX_SECONDS = 10**11  # as the callbacks' UnixSeconds: larger means milliseconds


class ReportedFile(Record):
    """A record file as Tencent's record of its callback tells it (``Request``, checked)."""

    __slots__ = ()
    task_id: str | None
    stream: str
    file_id: str
    url: str
    format: str | None
    start: int
    end: int
    duration: int | None
    size: int | None


class Api3Calls(Protocol):
    api: LiveApi

    def call(
        self, action: str, params: dict[str, Any], *, creates: bool, deadline: Deadline = NO_DEADLINE
    ) -> dict[str, Any]: ...


def windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into windows of at most :data:`MAX_SPAN` (at most 31 of them)."""
    out: list[tuple[datetime, datetime]] = []
    while start < end and len(out) < 31:
        out.append((start, min(end, start + MAX_SPAN)))
        start = out[-1][1]
    return out


def record_files(
    client: Api3Calls,
    stream: str,
    start: datetime,
    end: datetime,
    *,
    hosts: tuple[str, ...] = (),
    deadline: Deadline = NO_DEADLINE,
) -> list[ReportedFile]:
    """The record files Tencent's record of callbacks holds for ``stream`` whose callback was sent in
    ``[start, end)``, each once (by ``file_id``), whatever the result of its delivery."""
    found: dict[str, ReportedFile] = {}
    for low, high in windows(start, end):
        for page in range(1, MAX_PAGES + 1):
            params = {
                "StartTime": format_cst(low),
                "EndTime": format_cst(high),
                "StreamName": stream,
                "PageNum": page,
                "PageSize": PAGE_SIZE,
                "EventType": RECORD_FILE,
            }
            response = client.call(ACTION, params, creates=False, deadline=deadline)
            with answers.reading(client.api, ACTION, creates=False, params=params):
                items = answers.objects(response.get("DataInfoList"), "DataInfoList")
                pages = answers.integer(response.get("TotalPage"), "TotalPage") or 0
            for item in items:
                if (file := reported_file(item, stream, hosts)) is not None:
                    found.setdefault(file.file_id, file)
            if page >= pages or not items:
                break
    return list(found.values())


def _seconds(value: Any) -> int | None:
    number = answers.count(value)
    return number if number is not None and number < MAX_SECONDS else None


def reported_file(item: dict[str, Any], stream: str, hosts: tuple[str, ...]) -> ReportedFile | None:
    """The record file one callback's ``Request`` carries, or None (another event, or not usable: logged)."""
    raw = item.get("Request")
    if item.get("EventType") not in (RECORD_FILE, str(RECORD_FILE)) or not isinstance(raw, str):
        return None
    why = None
    body: Any = None
    if len(raw) > MAX_REQUEST:
        why = f"its body is over {MAX_REQUEST} characters"
    else:
        try:
            body = boundedjson.loads(raw.encode("utf-8", "replace"))
        except ValueError:
            why = "its body is not JSON"
    file = _file_of(body, stream, hosts) if why is None else None
    if file is None:
        logger.warning(
            "a record file in Tencent's callback records is not usable: skipped",
            extra={
                "stream": stream[:256],
                "why": why or "a field is missing, or not as a callback carries it",
            },
        )
    return file


def _file_of(body: Any, stream: str, hosts: tuple[str, ...]) -> ReportedFile | None:
    if not isinstance(body, dict):
        return None
    file_id, url, task = body.get("file_id"), body.get("video_url"), body.get("task_id")
    start, end = _seconds(body.get("start_time")), _seconds(body.get("end_time"))
    if (
        not isinstance(file_id, str)
        or not 0 < len(file_id) <= 256
        or not isinstance(url, str)
        or url_problem(url, hosts) is not None
        or start is None
        or end is None
        or body.get("stream_id", stream) != stream
    ):
        return None
    fmt = body.get("file_format")
    return ReportedFile(
        task_id=str(task)[:256] if isinstance(task, str | int) and not isinstance(task, bool) else None,
        stream=stream,
        file_id=file_id,
        url=url,
        format=fmt.lower() if isinstance(fmt, str) and 0 < len(fmt) <= 16 else None,
        start=start,
        end=end,
        duration=answers.count(body.get("duration")),
        size=answers.count(body.get("file_size")),
    )
