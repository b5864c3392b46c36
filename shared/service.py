"""The logic behind the functions: create (idempotently), stop, delete, list. No HTTP here, no env reads.

Handlers call these with validated models; errors are the typed ones from ``shared.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.adapters import LiveAdapter
from shared.config import LiveApi, Settings
from shared.errors import LiverecError, OutcomeUnknown
from shared.idempotency import IdempotencyInProgress, IdempotencyStore, fingerprint, wait_for_result
from shared.models import CreatedTask, Mode, RecordingInput, RecordingPlan, TaskInfo, TaskQuery, to_request
from shared.rules import plan_recording
from shared.timeutil import Clock, from_unix, isoformat, parse_time, system_clock


def result_of(created: CreatedTask) -> dict[str, Any]:
    plan = created.plan
    return {
        "task_id": created.task_id,
        "api": created.api.value,
        "mode": plan.mode.value,
        "stream": plan.stream,
        "start": isoformat(plan.start),
        "end": isoformat(plan.end),
        "warnings": list(plan.warnings),
    }


def planned_of(plan: RecordingPlan) -> dict[str, Any]:
    return {
        "task_id": None,
        "api": plan.api.value,
        "mode": plan.mode.value,
        "stream": plan.stream,
        "domain": plan.domain,
        "app": plan.app,
        "start": isoformat(plan.start),
        "end": isoformat(plan.end),
        "send_start": plan.send_start,
        "warnings": list(plan.warnings),
    }


def task_view(task: TaskInfo) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "stream": task.stream,
        "domain": task.domain,
        "app": task.app,
        "start": isoformat(task.start) if task.start else None,
        "end": isoformat(task.end) if task.end else None,
        "stopped_at": isoformat(task.stopped_at) if task.stopped_at else None,
        "status": task.status,
    }


_MAX_ROUNDS = 5


@dataclass
class Outcome:
    body: dict[str, Any]
    replayed: bool = False  # True when an earlier request's result is returned for the same key


@dataclass
class RecordingService:
    settings: Settings
    adapter: LiveAdapter
    store: IdempotencyStore | None = None
    clock: Clock = system_clock

    def plan(self, data: RecordingInput, mode: Mode) -> RecordingPlan:
        now = from_unix(self.clock())
        return plan_recording(
            to_request(data, mode),
            self.settings.api,
            now,
            default_domain=self.settings.domain,
            default_app=self.settings.app,
        )

    def create(self, data: RecordingInput, mode: Mode, idempotency_key: str | None = None) -> Outcome:
        if idempotency_key is None or self.store is None:
            return Outcome(result_of(self.adapter.create(self.plan(data, mode))))
        fp = fingerprint({"mode": mode.value, "body": data.model_dump(mode="json", exclude_unset=True)})
        for _ in range(_MAX_ROUNDS):
            record = wait_for_result(self.store, idempotency_key, fp, self.clock)
            if record is None:
                break  # ours to create
            if record.state == "completed" and record.result is not None:
                return Outcome(record.result, replayed=True)
            # an earlier attempt's outcome is unknown: reconcile before creating again
            found = self._reconcile(record.result or {})
            if found is not None:
                self.store.complete(idempotency_key, found, self.clock())
                return Outcome(found, replayed=True)
            if self.store.reclaim(idempotency_key, self.clock()):
                break  # nothing was created: ours to create again
        else:
            raise IdempotencyInProgress(
                "this Idempotency-Key is contended; retry shortly", field="Idempotency-Key"
            )
        plan = self.plan(data, mode)
        try:
            created = self.adapter.create(plan)
        except OutcomeUnknown:
            self.store.mark_unknown(idempotency_key, planned_of(plan), self.clock())
            raise
        except LiverecError:
            self.store.release(idempotency_key)
            raise
        body = result_of(created)
        self.store.complete(idempotency_key, body, self.clock())
        return Outcome(body)

    def _reconcile(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        """Look for the task an unanswered create may have made (record-task and v2 can list)."""
        if self.settings.api not in (LiveApi.RECORD_TASK, LiveApi.V2) or not planned.get("end"):
            raise OutcomeUnknown(
                f"an earlier create with this Idempotency-Key got no answer and LIVE_API={self.settings.api.value} "
                "cannot look tasks up; check the console before retrying with a new key",
                api=self.settings.api.value,
                action="reconcile",
            )
        start = parse_time(planned["start"], "start")
        end = parse_time(planned["end"], "end")
        query = TaskQuery(
            stream=planned["stream"],
            domain=planned.get("domain"),
            app=planned.get("app"),
            start=start - timedelta(minutes=5),
            end=end + timedelta(minutes=5),
        )
        for task in self.all_tasks(query):
            same_end = task.end is not None and abs((task.end - end).total_seconds()) <= 1
            same_start = not planned.get("send_start") or (
                task.start is not None and abs((task.start - start).total_seconds()) <= 1
            )
            if same_end and same_start:
                return {k: v for k, v in planned.items() if k not in ("domain", "app", "send_start")} | {
                    "task_id": task.task_id,
                    "warnings": [
                        *planned.get("warnings", []),
                        "reconciled: found the task an unanswered create made",
                    ],
                }
        return None

    def all_tasks(self, query: TaskQuery) -> list[TaskInfo]:
        tasks: list[TaskInfo] = []
        token: str | None = None
        for _ in range(50):  # bounded paging
            page = self.adapter.list_tasks(
                TaskQuery(query.stream, query.domain, query.app, query.start, query.end, page_token=token)
            )
            tasks += page.tasks
            token = page.next_token
            if not token:
                break
        return tasks

    def stop(self, task_id: str, stream: str | None) -> None:
        self.adapter.stop(task_id, stream=stream)

    def delete(self, task_id: str, stream: str | None) -> None:
        self.adapter.delete(task_id, stream=stream)

    def list(self, query: TaskQuery) -> dict[str, Any]:
        page = self.adapter.list_tasks(query)
        return {"tasks": [task_view(t) for t in page.tasks], "next": page.next_token}
