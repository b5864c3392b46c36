"""``POST /recordings/realtime``: start a highlight recording now, for ``duration`` seconds (default 300)."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): the resolver reads
# the route's signature on the first request, and would compile each string annotation to evaluate it.

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import service
from shared.edge.contract import CREATE, answers
from shared.edge.resolver import created, make_app
from shared.recordings.models import RealtimeRecordingInput
from shared.support.observability import entry
from shared.support.timeutil import Deadline
from shared.tencent.types import Mode

app = make_app()


@app.post(
    "/recordings/realtime",
    responses=answers(
        201,
        "created (or, with the same Idempotency-Key and body, the first result again)",
        "CreatedRecording",
        *CREATE,
        headers={"Idempotent-Replayed": "true when this is the first result again"},
    ),
)
def create_realtime(
    body: RealtimeRecordingInput,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[str]:
    return created(
        service().create(
            body, Mode.REALTIME, idempotency_key, deadline=Deadline.from_context(app.lambda_context)
        )
    )


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
