"""``LIVE_API=v2``: ``live.api.qcloud.com/v2/index.php`` CreateRecord / StopRecord / DeleteRecord /
DescribeRecordList.

Signed with HMAC-SHA256 over the sorted raw query (``GET`` + host + path + ``?`` + ...), China Standard
Time strings, ``tapeType=1`` for real-time, 64-bit integer task ids.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    InvalidPageToken,
    LimitExceeded,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    UnsupportedOperation,
)
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, format_cst, parse_cst
from shared.tencent import answers
from shared.tencent.adapter import (
    RetryPolicy,
    Sleep,
    WireRequest,
    call_deadline,
    numeric_task_id,
    require_stream,
    tencent_error,
)
from shared.tencent.signing import HmacMethod, hmac_signature, hmac_string_to_sign
from shared.tencent.transport import Transport
from shared.tencent.types import CreatedTask, Mode, RecordingPlan, TaskInfo, TaskPage, TaskQuery

DEFAULT_BASE = "https://live.api.qcloud.com"
PATH = "/v2/index.php"
SIGNATURE_METHOD: HmacMethod = "HmacSHA256"
PAGE_SIZE = 100
_STATUS = {0: "pending", 1: "running", 2: "finished", 3: "error"}
# v2's Region is the short name its common-parameter documents list, by city; LIVE_REGION is the API 3.0
# long name. A long name with no short one here is sent as is. Assumed, not stated by Tencent: ca (listed as
# Toronto, elsewhere "North America") is na-toronto, use (Virginia) is na-ashburn, and the finance zones
# shjr / szjr, which v2's pages do not list.
V2_REGIONS = {
    "ap-guangzhou": "gz",
    "ap-shanghai": "sh",
    "ap-beijing": "bj",
    "ap-chengdu": "cd",
    "ap-chongqing": "cq",
    "ap-hongkong": "hk",
    "ap-singapore": "sg",
    "ap-bangkok": "th",
    "ap-seoul": "kr",
    "ap-tokyo": "jp",
    "eu-frankfurt": "de",
    "ap-mumbai": "in",
    "na-siliconvalley": "usw",
    "na-toronto": "ca",
    "na-ashburn": "use",
    "ap-shanghai-fsi": "shjr",
    "ap-shenzhen-fsi": "szjr",
}


class V2Adapter:
    api = LiveApi.V2

    def __init__(self, settings: Settings, *, clock: Clock, sleep: Sleep, retry: RetryPolicy) -> None:
        assert settings.secret_id is not None and settings.secret_key is not None  # noqa: S101 - Settings guarantees
        self._settings = settings
        self._clock = clock
        self._transport = Transport(self.api, settings.endpoint or DEFAULT_BASE, settings.timeout, PATH)

    def build_create(self, plan: RecordingPlan) -> WireRequest:
        params: dict[str, Any] = {"channelId": plan.stream}
        if plan.send_start:
            params["startTime"] = format_cst(plan.start)
        params["endTime"] = format_cst(plan.end)
        params["tapeType"] = 1 if plan.mode is Mode.REALTIME else 0
        return WireRequest("CreateRecord", params)

    def signed_pairs(self, wire: WireRequest, *, timestamp: int, nonce: int) -> list[tuple[str, str]]:
        """The full query in send order, with the common parameters and the signature appended."""
        assert self._settings.secret_id is not None and self._settings.secret_key is not None  # noqa: S101
        params: dict[str, str] = {"Action": wire.action, **{k: str(v) for k, v in wire.params.items()}}
        params.update(
            {
                "Region": V2_REGIONS.get(self._settings.region, self._settings.region),
                "SecretId": self._settings.secret_id,
                "Timestamp": str(timestamp),
                "Nonce": str(nonce),
                "SignatureMethod": SIGNATURE_METHOD,
            }
        )
        to_sign = hmac_string_to_sign("GET", self._transport.netloc, PATH, params)
        params["Signature"] = hmac_signature(self._settings.secret_key, to_sign, SIGNATURE_METHOD)
        return list(params.items())

    def _call(self, wire: WireRequest, *, creates: bool, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        until = call_deadline(self._settings.timeout, deadline)
        pairs = self.signed_pairs(wire, timestamp=int(self._clock()), nonce=secrets.randbelow(2**31 - 1) + 1)
        data = self._transport.send(wire.action, pairs, creates=creates, until=until)
        with answers.reading(self.api, wire.action, creates=creates, params=wire.params):
            code = answers.code(data.get("code"), "code")
            if code != 0:
                message = answers.message(data.get("message") or data.get("codeDesc"), "message")
                raise _error(code, {"message": message}, wire.action, self._settings.secret_values())
        return data

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        wire = self.build_create(plan)
        data = self._call(wire, creates=True, deadline=deadline)
        with answers.reading(self.api, wire.action, creates=True, params=wire.params):
            task_id = answers.task_id(data.get("task_id"), "task_id", numbered=True)
        return CreatedTask(task_id=task_id, api=self.api, request_id=None, plan=plan)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        raise UnsupportedOperation("v2 has no call that says whether a stream is live")

    def stop(self, task_id: str, stream: str | None = None) -> None:
        self._call(self._on_task("StopRecord", task_id, stream), creates=False)

    def delete(self, task_id: str, stream: str | None = None) -> None:
        self._call(self._on_task("DeleteRecord", task_id, stream), creates=False)

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        channel = require_stream(query.stream, self.api, "DescribeRecordList")
        page = _page_number(query.page_token)
        wire = WireRequest(
            "DescribeRecordList", {"channelId": channel, "pageNo": page, "pageSize": PAGE_SIZE}
        )
        data = self._call(wire, creates=False)
        with answers.reading(self.api, wire.action, creates=False, params=wire.params):
            tasks = [_task_info(item, channel) for item in answers.objects(data.get("taskSet"), "taskSet")]
            total = answers.integer(data.get("totalCount"), "totalCount") or 0
        return TaskPage(tasks=tasks, next_token=str(page + 1) if page * PAGE_SIZE < total else None)

    def _on_task(self, action: str, task_id: str, stream: str | None) -> WireRequest:
        channel = require_stream(stream, self.api, action)
        return WireRequest(action, {"channelId": channel, "taskId": numeric_task_id(task_id)})


def _error(code: object, data: dict[str, Any], action: str, known: Iterable[str] = ()) -> TencentError:
    message = str(data.get("message") or data.get("codeDesc") or "")
    cls: type[TencentError] | None = None
    # 4100-4110: authentication failed; 4500: replay (a Nonce reused, or our Timestamp 2 h off: our clock)
    if isinstance(code, int) and (4100 <= code <= 4110 or code == 4500):
        cls = TencentAuthError
    elif code == 5000 and action in ("StopRecord", "DeleteRecord"):  # resource does not exist: the task
        cls = TaskNotFound
    elif code == 4400:  # quota
        cls = LimitExceeded
    return tencent_error(cls, str(code), message, api=LiveApi.V2, action=action, known=known)


def _task_info(item: dict[str, Any], channel: str) -> TaskInfo:
    """One of DescribeRecordList's tasks, each field checked (:mod:`shared.tencent.answers`)."""

    def cst(value: object, what: str) -> datetime | None:
        text = answers.text(value, what)
        try:
            return parse_cst(text) if text else None
        except ValueError:
            return None

    status = answers.integer(item.get("status"), "taskSet.status", digits=True)
    return TaskInfo(
        task_id=answers.task_id(item.get("id"), "taskSet.id", numbered=True),
        stream=channel,
        start=cst(item.get("startTime"), "taskSet.startTime"),
        end=cst(item.get("endTime"), "taskSet.endTime"),
        status=_STATUS.get(status) if status is not None else None,
    )


def _page_number(token: str | None) -> int:
    """DescribeRecordList's pageNo from a ``next`` this API gave (ASCII digits: "²" is a digit to
    ``str.isdigit`` but not to ``int``)."""
    if not token:
        return 1
    if not (token.isascii() and token.isdigit() and len(token) <= 9 and int(token) >= 1):
        raise InvalidPageToken("next: not a page token this API gave", field="next")
    return int(token)
