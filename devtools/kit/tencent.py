"""A Tencent generation in memory, behind the adapter interface (what httpx's ``MockTransport`` is to its
transports): it stores, stops, deletes and lists tasks with the generation's own abilities (from the
capability table), and answers each create with the next scripted outcome, so the service's state machine
can be driven through every path without a network.

Outcomes: ``"ok"``; ``"stored_no_answer"`` (the task is stored, the answer lost: ``OutcomeUnknown``);
``"lost_no_answer"`` (not stored, no answer: ``OutcomeUnknown``); ``"not_sent"`` (``TencentUnavailable``);
or any exception instance, raised as it is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from shared.support.config import LiveApi
from shared.support.errors import OutcomeUnknown, TaskNotFound, TencentUnavailable, UnsupportedOperation
from shared.support.timeutil import NO_DEADLINE, Deadline
from shared.tencent.adapter import WireRequest
from shared.tencent.generations import generation
from shared.tencent.types import CreatedTask, RecordingPlan, TaskInfo, TaskPage, TaskQuery

Outcome = str | Exception


class FakeAdapter:
    def __init__(self, api: LiveApi = LiveApi.RECORD_TASK, outcomes: Iterable[Outcome] = ()) -> None:
        self.api = api
        self.generation = generation(api)
        self.tasks: dict[str, TaskInfo] = {}
        self.script: deque[Outcome] = deque(outcomes)
        self.creates = 0  # create calls received (sent), whatever their outcome
        self.lookups = 0
        self.streams: dict[str, str | Exception] = {}  # DescribeLiveStreamState by stream (else inactive)

    def then(self, *outcomes: Outcome) -> FakeAdapter:
        self.script.extend(outcomes)
        return self

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        if self.generation.stream_state is None:
            raise UnsupportedOperation(f"LIVE_API={self.api.value} cannot tell whether a stream is live")
        state = self.streams.get(plan.stream, "inactive")
        if isinstance(state, Exception):
            raise state
        return state

    def build_create(self, plan: RecordingPlan) -> WireRequest:
        return WireRequest(self.generation.create_action, {"stream": plan.stream})

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        outcome = self.script.popleft() if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "not_sent":
            raise TencentUnavailable("could not reach the fake Tencent")
        self.creates += 1
        if outcome != "lost_no_answer":
            task_id = f"task-{len(self.tasks) + 1}"
            self.tasks[task_id] = TaskInfo(task_id, plan.stream, plan.domain, plan.app, plan.start, plan.end)
            if outcome == "ok":
                return CreatedTask(task_id=task_id, api=self.api, request_id=None, plan=plan)
        raise OutcomeUnknown(
            f"{self.generation.create_action}: no answer",
            api=self.api.value,
            action=self.generation.create_action,
        )

    def _task(self, task_id: str) -> TaskInfo:
        if task_id not in self.tasks:
            raise TaskNotFound("ResourceNotFound.TaskId", "no such task", api=self.api.value, action="stop")
        return self.tasks[task_id]

    def stop(self, task_id: str, stream: str | None = None) -> None:
        self.tasks[task_id] = self._task(task_id)._replace(stopped_at=datetime.now().astimezone())

    def delete(self, task_id: str, stream: str | None = None) -> None:
        if not self.generation.deletes:
            raise UnsupportedOperation(self.generation.cannot("delete tasks"))
        del self.tasks[self._task(task_id).task_id]

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        """As the generation lists: by window (start and end both inside) or by channel; or not at all."""
        if self.generation.lists is None:
            raise UnsupportedOperation(self.generation.cannot("list tasks"))
        self.lookups += 1
        found = [t for t in self.tasks.values() if t.stream == query.stream]
        if self.generation.lists == "window" and query.start and query.end:
            found = [t for t in found if t.start and t.end and query.start <= t.start and t.end <= query.end]
        return TaskPage(tasks=found)
