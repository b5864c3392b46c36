"""``LIVE_API=live-record``: CreateLiveRecord / StopLiveRecord / DeleteLiveRecord.

China Standard Time strings; ``Highlight=1`` is the real-time mode; integer task ids. Region is not sent
(its page: "本接口不需要传递此参数", this action takes no Region). There is no listing call in this family.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from shared.support.config import LiveApi, Settings
from shared.support.errors import UnsupportedOperation
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, format_cst
from shared.tencent.adapter import RetryPolicy, Sleep, WireRequest, numeric_task_id, require_stream
from shared.tencent.api3 import Api3Client
from shared.tencent.types import CreatedTask, Mode, RecordingPlan, TaskPage, TaskQuery

if TYPE_CHECKING:
    from shared.tencent.callback_records import ReportedFile


class LiveRecordAdapter:
    api = LiveApi.LIVE_RECORD

    def __init__(self, settings: Settings, *, clock: Clock, sleep: Sleep, retry: RetryPolicy) -> None:
        self._client = Api3Client(settings, self.api, region="", clock=clock, sleep=sleep, retry=retry)
        self._hosts = settings.callback_url_hosts

    def callback_records(
        self, stream: str, start: datetime, end: datetime, deadline: Deadline = NO_DEADLINE
    ) -> list[ReportedFile]:
        """The record files Tencent's record of its callbacks holds for ``stream`` (reconciliation)."""
        from shared.tencent.callback_records import record_files  # reconciliation's alone

        return record_files(self._client, stream, start, end, hosts=self._hosts, deadline=deadline)

    def build_create(self, plan: RecordingPlan) -> WireRequest:
        params: dict[str, Any] = {}
        if plan.app:
            params["AppName"] = plan.app
        if plan.domain:
            params["DomainName"] = plan.domain
        params["StreamName"] = plan.stream
        if plan.send_start:
            params["StartTime"] = format_cst(plan.start)
        params["EndTime"] = format_cst(plan.end)
        params["RecordType"] = plan.record_type or "video"
        params["FileFormat"] = plan.file_format or "flv"
        params["Highlight"] = 1 if plan.mode is Mode.REALTIME else 0
        params["MixStream"] = 1 if plan.stream_type == 1 else 0
        stream_param = {
            k: v
            for k, v in (("record_interval", plan.record_interval), ("storage_time", plan.storage_time))
            if v
        }
        if stream_param:
            # The value is itself a query string; the JSON body carries it as such and Tencent decodes it.
            params["StreamParam"] = urlencode(stream_param)
        return WireRequest("CreateLiveRecord", params)

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        return self._client.create(self.build_create(plan), plan, deadline)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        return self._client.stream_state(plan, deadline)

    def stop(self, task_id: str, stream: str | None = None) -> None:
        self._call_on_task("StopLiveRecord", task_id, stream)

    def delete(self, task_id: str, stream: str | None = None) -> None:
        # Seed: DeleteLiveRecord only deletes the task record; it does not stop a running recording.
        self._call_on_task("DeleteLiveRecord", task_id, stream)

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        raise UnsupportedOperation(
            "the CreateLiveRecord family has no call that lists tasks; use LIVE_API=record-task to list"
        )

    def _call_on_task(self, action: str, task_id: str, stream: str | None) -> None:
        params = {"StreamName": require_stream(stream, self.api, action), "TaskId": numeric_task_id(task_id)}
        self._client.call(action, params, creates=False)
