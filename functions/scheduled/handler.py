"""``POST /recordings/scheduled``: create a scheduled recording (start and end, or start and duration)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.http import created, make_app, service
from shared.models import Mode, ScheduledRecordingInput
from shared.observability import logger, metrics

app = make_app({r"/recordings/scheduled": {"POST"}})


@app.post("/recordings/scheduled")
def create_scheduled(
    body: ScheduledRecordingInput,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[str]:
    return created(service().create(body, Mode.SCHEDULED, idempotency_key))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
