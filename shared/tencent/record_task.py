"""``LIVE_API=record-task``: CreateRecordTask / StopRecordTask / DeleteRecordTask / DescribeRecordTask.

UNIX-second times; ``StartTime`` omitted means "start now" (our real-time mode); string task ids.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.support.config import LiveApi, Settings
from shared.support.errors import InvalidRequest
from shared.support.timeutil import LATEST, NO_DEADLINE, Clock, Deadline, from_unix, human_span, to_unix
from shared.tencent import answers
from shared.tencent.adapter import RetryPolicy, Sleep, WireRequest
from shared.tencent.api3 import Api3Client
from shared.tencent.generations import RECORD_TASK
from shared.tencent.types import CreatedTask, RecordingPlan, TaskInfo, TaskPage, TaskQuery

if TYPE_CHECKING:
    from shared.tencent.callback_records import ReportedFile

_LATEST = to_unix(LATEST) + 1  # a time past the end of 2100 is not a time Tencent keeps


class RecordTaskAdapter:
    api = LiveApi.RECORD_TASK

    def __init__(self, settings: Settings, *, clock: Clock, sleep: Sleep, retry: RetryPolicy) -> None:
        self._settings = settings
        self._hosts = settings.callback_url_hosts
        self._clock = clock
        self._client = Api3Client(
            settings, self.api, region=settings.region, clock=clock, sleep=sleep, retry=retry
        )

    def callback_records(
        self, stream: str, start: datetime, end: datetime, deadline: Deadline = NO_DEADLINE
    ) -> list[ReportedFile]:
        """The record files Tencent's record of its callbacks holds for ``stream`` (reconciliation)."""
        from shared.tencent.callback_records import record_files  # reconciliation's alone

        return record_files(self._client, stream, start, end, hosts=self._hosts, deadline=deadline)

    def build_create(self, plan: RecordingPlan) -> WireRequest:
        params: dict[str, Any] = {
            "StreamName": plan.stream,
            "DomainName": plan.domain,
            "AppName": plan.app,
        }
        if plan.send_start:
            params["StartTime"] = to_unix(plan.start)
        params["EndTime"] = to_unix(plan.end)
        if plan.stream_type is not None:
            params["StreamType"] = plan.stream_type
        if plan.template_id is not None:
            params["TemplateId"] = plan.template_id
        return WireRequest("CreateRecordTask", params)

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        return self._client.create(self.build_create(plan), plan, deadline)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        return self._client.stream_state(plan, deadline)

    def stop(self, task_id: str, stream: str | None = None) -> None:
        self._client.call("StopRecordTask", {"TaskId": _task_id(task_id)}, creates=False)

    def delete(self, task_id: str, stream: str | None = None) -> None:
        self._client.call("DeleteRecordTask", {"TaskId": _task_id(task_id)}, creates=False)

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        now = from_unix(self._clock())
        start, end = check_task_query(query, now)
        params: dict[str, Any] = {"StartTime": to_unix(start), "EndTime": to_unix(end)}
        for key, value in (
            ("StreamName", query.stream),
            ("DomainName", query.domain),
            ("AppName", query.app),
        ):
            if value:
                params[key] = value
        if query.page_token:
            params["ScrollToken"] = query.page_token
        response = self._client.call("DescribeRecordTask", params, creates=False)
        with answers.reading(self.api, "DescribeRecordTask", creates=False, params=params):
            tasks = [_task_info(item) for item in answers.objects(response.get("TaskList"), "TaskList")]
            return TaskPage(
                tasks=tasks,
                next_token=answers.token(response.get("ScrollToken"), "ScrollToken", optional=True),
                window=(start, end),
            )


def check_task_query(query: TaskQuery, now: datetime) -> tuple[datetime, datetime]:
    """DescribeRecordTask's window rules (a window under a week, from at most 90 days back); returns the
    effective (start, end) window. No window given: the last day and the creation horizon, so upcoming
    recordings are listed too."""
    assert RECORD_TASK.list_window and RECORD_TASK.list_lookback and RECORD_TASK.start_horizon  # noqa: S101
    if query.start is None and query.end is None:
        start, end = now - timedelta(days=1), now + RECORD_TASK.start_horizon
    elif query.start is None:
        end = query.end  # type: ignore[assignment]
        start = end - RECORD_TASK.list_window
    else:
        start = query.start
        end = query.end or start + RECORD_TASK.list_window
    if end <= start:
        raise InvalidRequest("to must be after from", field="to")
    if end - start > RECORD_TASK.list_window:
        raise InvalidRequest(
            f"the window may span at most one week (asked {human_span(end - start)})", field="to"
        )
    if start < now - RECORD_TASK.list_lookback:
        raise InvalidRequest(
            "from may be at most 90 days back (Tencent keeps task records 3 months)", field="from"
        )
    return start, end


def _task_id(task_id: str) -> str:
    if not task_id or not task_id.strip():
        raise InvalidRequest("task_id is required", field="task_id")
    return task_id.strip()


def _time(value: object, what: str) -> datetime | None:
    seconds = answers.integer(value, what, limit=_LATEST)
    return from_unix(seconds) if seconds else None


def _task_info(item: dict[str, Any]) -> TaskInfo:
    """One of DescribeRecordTask's tasks, each field checked (:mod:`shared.tencent.answers`)."""
    stopped = _time(item.get("Stopped"), "TaskList.Stopped")
    return TaskInfo(
        task_id=answers.task_id(item.get("TaskId"), "TaskList.TaskId", numbered=False),
        stream=answers.text(item.get("StreamName"), "TaskList.StreamName"),
        domain=answers.text(item.get("DomainName"), "TaskList.DomainName"),
        app=answers.text(item.get("AppName"), "TaskList.AppName"),
        start=_time(item.get("StartTime"), "TaskList.StartTime"),
        end=_time(item.get("EndTime"), "TaskList.EndTime"),
        stopped_at=stopped,
        template_id=answers.integer(item.get("TemplateId"), "TaskList.TemplateId"),
        status="stopped" if stopped else None,
    )
