"""API 3.0 ``DescribeCallbackRecordsList``: Tencent's record of the callbacks it sent, as its SDK models it.

Request: ``StartTime`` and ``EndTime`` (China Standard Time ``yyyy-mm-dd HH:MM:SS``; at most a day apart),
``StreamName`` (exact match), ``PageNum``, ``PageSize``, optional ``EventType`` (0 stream end, 1 stream begin,
100 recording) and ``ResultCode`` (0 success, else failure). Answer: ``DataInfoList`` of ``CallBackInfo``
(``EventTime``, ``EventType``, ``Request``: the body sent, ``Response``, ``ResponseTime``, ``ResultCode``,
``StreamId``), with ``PageNum``, ``PageSize``, ``TotalNum`` and ``TotalPage``. Which callbacks were sent is
``callbacks.py``'s: every attempt it makes is recorded here (:func:`record`), and so is a callback it was
told to lose (never delivered, recorded as failed: what liverec's reconciliation looks for).

The ranges our reading of the API page gives (PageNum 1 to 10,000, PageSize 1 to 100) are checked; a value
of the right type that breaks a rule is ``InvalidParameterValue`` (its documented codes: ``FailedOperation``,
``InvalidParameterValue``, ``MissingParameter``).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from devtools.emulator.errors import invalid, missing
from devtools.emulator.params import DAY, INT64, STRING, cst_text, cst_time, integer, text
from devtools.emulator.tasks import Context, Handler


def record(
    log: deque[dict[str, Any]], body: dict[str, Any], status: int, sent: float, answered: float
) -> None:
    """One callback attempt as Tencent records it (``status`` 0: no HTTP answer)."""
    log.append(
        {
            "at": sent,
            "EventTime": cst_text(sent),
            "EventType": int(body.get("event_type", -1)),
            "Request": json.dumps(body, ensure_ascii=False),
            "Response": f"status code:{status}" if status else "no answer (connect failed or timed out)",
            "ResponseTime": cst_text(answered),
            "ResultCode": 0 if status == 200 else 1,
            "StreamId": str(body.get("stream_id", "")),
        }
    )


def describe_callback_records_list(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    start, end = cst_time(p, "StartTime"), cst_time(p, "EndTime")
    if start is None or end is None:
        raise missing("StartTime" if start is None else "EndTime")
    if end < start:
        raise invalid("EndTime", "must not be before StartTime", "InvalidParameterValue")
    if end - start > DAY:
        raise invalid("EndTime", "StartTime and EndTime are at most one day apart", "InvalidParameterValue")
    stream = text(p, "StreamName")
    page = integer(p, "PageNum", required=True)
    size = integer(p, "PageSize", required=True)
    assert page is not None and size is not None  # noqa: S101 - required above
    if not 1 <= page <= 10_000:
        raise invalid("PageNum", "must be 1 to 10000", "InvalidParameterValue")
    if not 1 <= size <= 100:
        raise invalid("PageSize", "must be 1 to 100", "InvalidParameterValue")
    event_type, result = integer(p, "EventType"), integer(p, "ResultCode")
    if event_type not in (None, 0, 1, 100):
        raise invalid("EventType", "must be 0, 1 or 100", "InvalidParameterValue")
    matching = [
        r
        for r in list(ctx.state.callback_log)
        if r["StreamId"] == stream
        and start <= r["at"] < end
        and (event_type is None or r["EventType"] == event_type)
        and (result is None or (r["ResultCode"] == 0) == (result == 0))
    ]
    shown = matching[(page - 1) * size : page * size]
    return {
        "DataInfoList": [{k: v for k, v in r.items() if k != "at"} for r in shown],
        "PageNum": page,
        "PageSize": size,
        "TotalNum": len(matching),
        "TotalPage": (len(matching) + size - 1) // size,
    }


ACTIONS: dict[str, Handler] = {"DescribeCallbackRecordsList": describe_callback_records_list}
PARAMS: dict[str, dict[str, str]] = {
    "DescribeCallbackRecordsList": {
        "StartTime": STRING,
        "EndTime": STRING,
        "StreamName": STRING,
        "PageNum": INT64,
        "PageSize": INT64,
        "EventType": INT64,
        "ResultCode": INT64,
    }
}
CODES: dict[str, frozenset[str]] = {"DescribeCallbackRecordsList": frozenset({"InvalidParameterValue"})}
