"""``LIVE_API=fcgi``: ``fcgi.video.qcloud.com/common_access`` Live_Tape_Start / Live_Tape_Stop.

``sign = md5(key + t)`` where ``t`` is the request's expiry; China Standard Time strings;
``Param.n.task_sub_type=1`` for real-time; 64-bit integer task ids. This family has no delete, and its
listing call (``Live_Tape_GetFilelist``) lists recorded files, not tasks, so it is not offered as a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.support.config import LiveApi, Settings
from shared.support.errors import TaskNotFound, TencentError, UnsupportedOperation
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, format_cst
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
from shared.tencent.signing import fcgi_sign
from shared.tencent.transport import Transport
from shared.tencent.types import CreatedTask, Mode, RecordingPlan, TaskPage, TaskQuery

DEFAULT_BASE = "http://fcgi.video.qcloud.com"
PATH = "/common_access"
# How long a signed request stays valid (``t`` is an expiry time, not the sending time).
VALIDITY_SECONDS = 300
# Tencent documents only "ret non-zero is a failure" for fcgi. 1006 is what the emulator answers to
# Live_Tape_Stop for an unknown task: an assumption, not a documented number.
UNKNOWN_TASK_RET = 1006


class FcgiAdapter:
    api = LiveApi.FCGI

    def __init__(self, settings: Settings, *, clock: Clock, sleep: Sleep, retry: RetryPolicy) -> None:
        assert settings.fcgi_appid is not None and settings.fcgi_key is not None  # noqa: S101 - Settings guarantees
        self._settings = settings
        self._clock = clock
        self._transport = Transport(self.api, settings.endpoint or DEFAULT_BASE, settings.timeout, PATH)

    def build_create(self, plan: RecordingPlan) -> WireRequest:
        # Seed 001 marks start_time required even in real-time mode (where it is ignored): send "now".
        params: dict[str, Any] = {
            "Param.s.channel_id": plan.stream,
            "Param.s.start_time": format_cst(plan.start),
            "Param.s.end_time": format_cst(plan.end),
        }
        if plan.mode is Mode.REALTIME:
            params["Param.n.task_sub_type"] = 1
        if plan.file_format:
            params["Param.s.file_format"] = plan.file_format
        if plan.record_type:
            params["Param.s.record_type"] = plan.record_type
        return WireRequest("Live_Tape_Start", params)

    def signed_pairs(self, wire: WireRequest, *, t: int) -> list[tuple[str, str]]:
        assert self._settings.fcgi_appid is not None and self._settings.fcgi_key is not None  # noqa: S101
        pairs = [("appid", str(self._settings.fcgi_appid)), ("interface", wire.action)]
        pairs += [(k, str(v)) for k, v in wire.params.items()]
        pairs += [("t", str(t)), ("sign", fcgi_sign(self._settings.fcgi_key, t))]
        return pairs

    def _call(self, wire: WireRequest, *, creates: bool, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        until = call_deadline(self._settings.timeout, deadline)
        pairs = self.signed_pairs(wire, t=int(self._clock()) + VALIDITY_SECONDS)
        data = self._transport.send(wire.action, pairs, creates=creates, until=until)
        with answers.reading(self.api, wire.action, creates=creates, params=wire.params):
            ret = answers.code(data.get("ret"), "ret")
            if ret != 0:
                message = answers.message(data.get("message"), "message")
                raise _error(ret, {"message": message}, wire.action, self._settings.secret_values())
        return data

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        wire = self.build_create(plan)
        data = self._call(wire, creates=True, deadline=deadline)
        with answers.reading(self.api, wire.action, creates=True, params=wire.params):
            output = answers.obj(data.get("output"), "output")
            task_id = answers.task_id(output.get("task_id"), "output.task_id", numbered=True)
        return CreatedTask(task_id=task_id, api=self.api, request_id=None, plan=plan)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        raise UnsupportedOperation(
            "the fcgi Live_Tape_* family has no call that says whether a stream is live"
        )

    def stop(self, task_id: str, stream: str | None = None) -> None:
        channel = require_stream(stream, self.api, "Live_Tape_Stop")
        wire = WireRequest(
            "Live_Tape_Stop", {"Param.s.channel_id": channel, "Param.n.task_id": numeric_task_id(task_id)}
        )
        self._call(wire, creates=False)

    def delete(self, task_id: str, stream: str | None = None) -> None:
        raise UnsupportedOperation("the fcgi Live_Tape_* family has no delete call; stop the task instead")

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        raise UnsupportedOperation(
            "the fcgi family cannot list tasks (Live_Tape_GetFilelist lists recorded files, not tasks)"
        )


def _error(ret: object, data: dict[str, Any], action: str, known: Iterable[str] = ()) -> TencentError:
    """The code is passed through as is; only an unknown task on Live_Tape_Stop has a class of its own."""
    cls = TaskNotFound if ret == UNKNOWN_TASK_RET and action == "Live_Tape_Stop" else None
    message = str(data.get("message") or "")
    return tencent_error(cls, str(ret), message, api=LiveApi.FCGI, action=action, known=known)
