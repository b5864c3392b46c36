"""v2's CreateRecord family: CreateRecord, StopRecord, DeleteRecord, DescribeRecordList.
China Standard Time strings, ``tapeType=1`` for real-time, integer task ids, tasks addressed by channel."""

from __future__ import annotations

from typing import Any

from devtools.emulator.errors import invalid
from devtools.emulator.params import DAY, cst_text, cst_time, flag, integer, text
from devtools.emulator.state import TaskRecord
from devtools.emulator.tasks import Context, Handler, create_cst_task, deleted, on_task, stopped


def create_record(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = text(p, "channelId")
    assert stream is not None  # noqa: S101 - required above
    tape = flag(p, "tapeType")
    start, end = cst_time(p, "startTime"), cst_time(p, "endTime")
    # scheduled: both times, at most one day apart; tapeType=1: real-time, at most 30 minutes from now
    task_id = create_cst_task(
        ctx, api="v2", stream=stream, start=start, end=end, realtime=tape == 1, params=p,
        names=("startTime", "endTime"), max_span=DAY,
    )  # fmt: skip
    return {"task_id": task_id}


def describe_record_list(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = text(p, "channelId")
    page_no = integer(p, "pageNo", code="InvalidParameterValue")
    page_size = integer(p, "pageSize", code="InvalidParameterValue")
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
    tasks.sort(key=lambda t: t.seq, reverse=True)  # newest first
    page = tasks[(page_no - 1) * page_size : page_no * page_size]

    def status(t: TaskRecord) -> int:  # 0 not started, 1 running, 2 finished or stopped
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


ACTIONS: dict[str, Handler] = {
    "CreateRecord": create_record,
    "StopRecord": on_task("v2", ("taskId",), "channelId", stopped),
    "DeleteRecord": on_task("v2", ("taskId",), "channelId", deleted),
    "DescribeRecordList": describe_record_list,
}
