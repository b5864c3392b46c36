"""Scheduled recordings.

- ``POST /recordings/scheduled`` (HTTP API): create one scheduled recording.
- A timer tick (EventBridge schedule): book every occurrence of the recurring programs in the horizon.
  The programs come from the schedule's ``input`` (``{"programs": [...]}``) or, for a bare scheduled
  event, from ``LIVEREC_PROGRAMS``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.errors import InvalidRequest, LiverecError
from shared.http import created, durable_service, make_app, service
from shared.models import Mode, ScheduledRecordingInput
from shared.observability import count, logger, metrics
from shared.timeutil import Deadline

app = make_app({r"/recordings/scheduled": {"POST"}})


@app.post("/recordings/scheduled")
def create_scheduled(
    body: ScheduledRecordingInput,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[str]:
    return created(
        service().create(
            body, Mode.SCHEDULED, idempotency_key, deadline=Deadline.from_context(app.lambda_context)
        )
    )


def rollout(event: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
    from shared.rollout import parse_programs, tick  # timer ticks only: HTTP cold starts skip cronsim

    svc = durable_service("the timer rollout")
    if "programs" in event:
        programs = parse_programs(event["programs"], "schedule input")
    elif svc.settings.programs:
        try:
            raw = json.loads(svc.settings.programs)
        except ValueError:
            raise InvalidRequest("LIVEREC_PROGRAMS is not JSON", field="LIVEREC_PROGRAMS") from None
        programs = parse_programs(raw, "LIVEREC_PROGRAMS")
    else:
        raise InvalidRequest(
            "a timer tick needs programs: in the schedule's input or LIVEREC_PROGRAMS", field="programs"
        )
    report = tick(svc, programs, horizon=timedelta(seconds=svc.settings.rollout_horizon), deadline=deadline)
    for _ in report.created:
        count("RolloutCreated", api=svc.settings.api.value)
    for failure in report.failed:
        count("RolloutFailed", code=str(failure["error"]["code"]))
        logger.warning("rollout occurrence failed; retried next tick", extra=failure)
    for doubt in report.unresolved:
        count("RolloutUnresolved", api=svc.settings.api.value)
        logger.error(
            "rollout occurrence unresolved: it may or may not be recording; not booked again", extra=doubt
        )
    if report.deferred:
        count("RolloutDeferred", api=svc.settings.api.value)
        logger.warning(
            "rollout ran short of time; the rest is left to the next tick",
            extra={"deferred": len(report.deferred), "first": report.deferred[0]},
        )
    metrics.add_metric(name="RolloutOccurrences", unit="Count", value=report.occurrences)
    logger.info(
        "rollout tick",
        extra={
            "occurrences": report.occurrences,
            "booked": len(report.created),
            "already_booked": report.existing,
            "failures": len(report.failed),
            "unresolved": len(report.unresolved),
            "pending": len(report.pending),
            "deferred": len(report.deferred),
        },
    )
    return report.to_dict()


def is_http(event: dict[str, Any]) -> bool:
    return "http" in (event.get("requestContext") or {})


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_http(event):
        return app.resolve(event, context)
    try:
        return rollout(event, Deadline.from_context(context))
    except LiverecError as exc:  # a bad schedule must be visible, not retried forever by Lambda
        logger.error("rollout refused", extra={"error": exc.to_dict()})
        return {"error": exc.to_dict()}
