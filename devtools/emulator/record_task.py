"""API 3.0, the CreateRecordTask family: CreateRecordTask, StopRecordTask, DeleteRecordTask,
DescribeRecordTask. UNIX-second times, opaque string task ids, a Region required."""

from __future__ import annotations

import secrets
from typing import Any

from devtools.emulator.errors import ApiError, invalid, missing
from devtools.emulator.params import DAY, STRING, UINT64, integer, text
from devtools.emulator.tasks import Context, Handler, deleted, on_task, running_cap, stopped, store

MAX_SCROLL_TOKENS = 10_000
# The regions where CreateRecordTask is offered. The product keeps the same list in shared/support/config.py; this
# is a deliberate copy, because the emulator must not import shared/ (it is the code the emulator checks).
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


def create_record_task(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    if not ctx.region:
        raise missing("Region")
    if ctx.region not in RECORD_TASK_REGIONS:
        raise ApiError("UnsupportedRegion", f"CreateRecordTask is not supported in Region {ctx.region!r}")
    stream, domain, app = text(p, "StreamName"), text(p, "DomainName"), text(p, "AppName")
    end = integer(p, "EndTime", required=True)
    start = integer(p, "StartTime")
    assert stream is not None and end is not None  # noqa: S101 - required above
    mode = "scheduled" if start is not None else "realtime"
    begin = start if start is not None else int(ctx.now)
    # EndTime after now and after StartTime, at most 24 h after it, strictly before now + 7 days (the SDK's
    # text); StartTime at most now + 6 days (seed 004)
    if end <= ctx.now:
        raise invalid("EndTime", "EndTime must be later than the current time", "InvalidParameter")
    if end <= begin:
        raise invalid("EndTime", "EndTime must be later than StartTime", "InvalidParameter")
    if end - begin > DAY:
        raise invalid("EndTime", "EndTime - StartTime must be at most 24 hours (86400 s)", "InvalidParameter")
    if end >= ctx.now + 7 * DAY:
        raise invalid("EndTime", "EndTime must be less than the current time plus 7 days", "InvalidParameter")
    if begin > ctx.now + 6 * DAY:
        raise invalid(
            "StartTime", "StartTime must not be later than the current time plus 6 days", "InvalidParameter"
        )
    stream_type = integer(p, "StreamType")
    if stream_type not in (None, 0, 1):
        raise invalid("StreamType", "must be 0 (push) or 1 (mixed stream)", "InvalidParameter")
    template = integer(p, "TemplateId")
    if template is not None and template < 0:
        raise invalid("TemplateId", "must not be negative", "InvalidParameter")
    text(p, "Extension", required=False)
    running_cap(ctx, "record-task", begin, end, ctx.config.record_task_running_cap)
    task_id = "Up" + secrets.token_urlsafe(42)
    store(
        ctx, api="record-task", task_id=task_id, stream=stream, domain=domain, app=app, start=float(begin),
        end=float(end), mode=mode, params=dict(p), template_id=template,
    )  # fmt: skip
    return {"TaskId": task_id}


def describe_record_task(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    start = integer(p, "StartTime", required=True)
    end = integer(p, "EndTime", required=True)
    assert start is not None and end is not None  # noqa: S101 - required above
    # a window of at most one week, starting at most 90 days back
    if end <= start:
        raise invalid("EndTime", "EndTime must be later than StartTime", "InvalidParameter")
    if end - start > 7 * DAY:
        raise invalid("EndTime", "EndTime - StartTime may span at most one week", "InvalidParameter")
    if start < ctx.now - 90 * DAY:
        raise invalid("StartTime", "StartTime must not be earlier than 90 days ago", "InvalidParameter")
    stream, domain, app = (text(p, k, required=False) for k in ("StreamName", "DomainName", "AppName"))
    query = (start, end, stream, domain, app)
    token = text(p, "ScrollToken", required=False)
    offset = 0
    if token:
        known = ctx.state.scroll_tokens.get(token)
        if known is None or known[0] != query:
            raise invalid("ScrollToken", "is not a token this query returned", "InvalidParameter")
        offset = known[1]
    # tasks whose start and end both lie in the window; deleted ones are hidden
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


ACTIONS: dict[str, Handler] = {
    "CreateRecordTask": create_record_task,
    # an unknown or deleted TaskId is InvalidParameter: these actions have no ResourceNotFound code
    "StopRecordTask": on_task("record-task", ("TaskId",), None, stopped, "InvalidParameter"),
    "DeleteRecordTask": on_task("record-task", ("TaskId",), None, deleted, "InvalidParameter"),
    "DescribeRecordTask": describe_record_task,
}
# The parameters each action declares, with their types: any other name is UnknownParameter.
PARAMS: dict[str, dict[str, str]] = {
    "CreateRecordTask": {
        "StreamName": STRING,
        "DomainName": STRING,
        "AppName": STRING,
        "EndTime": UINT64,
        "StartTime": UINT64,
        "StreamType": UINT64,
        "TemplateId": UINT64,
        "Extension": STRING,
    },
    "StopRecordTask": {"TaskId": STRING},
    "DeleteRecordTask": {"TaskId": STRING},
    "DescribeRecordTask": {
        "StartTime": UINT64,
        "EndTime": UINT64,
        "StreamName": STRING,
        "DomainName": STRING,
        "AppName": STRING,
        "ScrollToken": STRING,
    },
}
# The codes each action answers besides those every API 3.0 action can (api3.COMMON_CODES); each is in
# the action's documented list or Tencent's common list.
CODES: dict[str, frozenset[str]] = {
    "CreateRecordTask": frozenset({"UnsupportedRegion", "LimitExceeded.MaximumRunningTask"}),
    "StopRecordTask": frozenset(),
    "DeleteRecordTask": frozenset(),
    "DescribeRecordTask": frozenset(),
}
