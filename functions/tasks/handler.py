"""Task management: ``GET /recordings``, ``GET /recordings/{task_id}``, ``POST /recordings/{task_id}/stop``,
``DELETE /recordings/{task_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import lookup, stopper
from shared.edge.contract import DESCRIBE, LIST, STOP, answers
from shared.edge.resolver import make_app
from shared.edge.responses import RecordingDetail, TaskList
from shared.edge.views import listing_view, recording_view
from shared.recordings import tracking
from shared.support.observability import entry, logger
from shared.support.timeforms import TIME_TEXT
from shared.support.timeutil import Deadline, parse_time
from shared.tencent.types import TaskQuery

app = make_app()

Stream = Annotated[str | None, Query(max_length=256)]
# the stream of a stop or delete: the ledger's where liverec created the task (one that differs: 422)
TaskStream = Annotated[
    str | None,
    Query(
        max_length=256,
        description="only for a task liverec did not create, where the generation needs it (live-record, v2, "
        "fcgi); for one it created the ledger's stream is used, and a different one is 422 StreamMismatch",
    ),
]
# a task id: checked by the service (422 naming it), stated here (Tencent's ids are printable ASCII)
TaskId = Annotated[str, Path(json_schema_extra={"pattern": "^[!-~]+$", "maxLength": tracking.MAX_TASK_ID})]
# a time: parse_time checks it (422 naming it), openapi.json states it
Time = Annotated[str | None, Query(json_schema_extra=TIME_TEXT)]
From = Annotated[str | None, Query(alias="from", json_schema_extra=TIME_TEXT)]


@app.get("/recordings", responses=answers(200, "a page of tasks", "TaskList", *LIST))
def list_recordings(
    *,
    stream: Stream = None,
    domain: Annotated[str | None, Query(max_length=256)] = None,
    app_name: Annotated[str | None, Query(alias="app", max_length=256)] = None,
    from_: From = None,
    to: Time = None,
    next_token: Annotated[str | None, Query(alias="next", max_length=2048)] = None,
) -> TaskList:
    query = TaskQuery(
        stream=stream,
        domain=domain,
        app=app_name,
        start=parse_time(from_, "from") if from_ else None,
        end=parse_time(to, "to") if to else None,
        page_token=next_token,
    )
    return TaskList.model_validate(listing_view(lookup().list(query)))


@app.get(
    "/recordings/<task_id>",
    responses=answers(
        200, "the recording as the ledger knows it, with a page of its files", "RecordingDetail", *DESCRIBE
    ),
)
def get_recording(
    task_id: TaskId,
    *,
    next_token: Annotated[
        str | None,
        Query(alias="next", max_length=128, description="the last answer's next: its files' next page"),
    ] = None,
    reconcile: Annotated[
        bool,
        Query(description="first look for files whose callbacks never arrived (API 3.0 generations)"),
    ] = False,
) -> RecordingDetail:
    found = lookup()
    if not reconcile:
        return RecordingDetail.model_validate(recording_view(found.describe(task_id, next_token)))
    from shared.recordings.reconciling import Reconciling  # this query's alone

    deadline = Deadline.from_context(app.lambda_context)
    hook = Reconciling(found.ledger, found.adapter, found.policy, found.clock, deadline)
    view = recording_view(found.describe(task_id, next_token, hook))
    return RecordingDetail.model_validate(view | {"reconciliation": hook.note()})


@app.post("/recordings/<task_id>/stop", responses=answers(204, "stopped", None, *STOP))
def stop_recording(task_id: TaskId, *, stream: TaskStream = None) -> Response[str]:
    known = stopper().stop_asked(task_id, stream)
    stream = known.recording.stream if known is not None else stream
    logger.info("recording stopped", extra={"task_id": task_id, "stream": stream, "known": known is not None})
    return Response(204, "application/json", "")


@app.delete(
    "/recordings/<task_id>",
    responses=answers(
        204,
        "deleted",
        None,
        *STOP,
        headers={
            "Liverec-Stopped-First": "true when the recording was running and the generation's delete would "
            "have left it running (record-task, live-record): liverec stopped it first"
        },
    ),
)
def delete_recording(task_id: TaskId, *, stream: TaskStream = None) -> Response[str]:
    stopped_first = stopper().delete_asked(task_id, stream)
    logger.info("recording deleted", extra={"task_id": task_id, "stopped_first": stopped_first})
    # a running recording the generation's delete would leave running was stopped first: said in a header
    headers = {"Liverec-Stopped-First": "true"} if stopped_first else None
    return Response(204, "application/json", "", headers=headers)


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
