"""What invoked a function, recognised explicitly: each function serves the kinds it names and refuses the rest.

- ``HTTP``: an API Gateway HTTP API event (payload format 2.0) or a Lambda function URL event (the same
  format): the HTTP functions and the webhooks function serve it.
- ``SCHEDULED``: an EventBridge scheduled event (``source: aws.events``, ``detail-type: Scheduled Event``):
  a timer tick of the rollout (programs from ``LIVEREC_PROGRAMS``) or of the webhook outbox.
- ``SCHEDULE_INPUT``: a schedule's constant input, ``{"programs": [...]}`` and nothing else (EventBridge
  delivers a rule's ``input`` in place of the event): a rollout tick with its own programs.
- ``OUTBOX_DRAIN``: ``{"outbox": "drain"}``, or ``{"outbox": "drain", "payload_id": "<id>"}`` (1 to 128 of
  ``A-Z a-z 0-9 . _ -``), and nothing else: the webhooks function invoking itself (a callback's kick,
  ``shared.webhooks.kick``) or an operator, for a drain of the outbox now (that payload's forwards first).
- ``OUTBOX_REDRIVE``: ``{"outbox": "redrive"}`` and nothing else: an operator puts the dead letters back.
- Refused everywhere: API Gateway REST APIs (payload 1.0; the functions are routed for HTTP APIs only), ALB
  and VPC Lattice events, and anything else (``[]``, ``None``, ``{}``, an HTTP event without its request
  context). A refusal is logged at ERROR with the kind and the event's top-level keys (never its values: a
  header may carry a token) and never runs a rollout or drains the outbox. What the invoker gets back:
  an HTTP-looking event is answered ``400`` with ``{"error": {"code": "UnsupportedEvent", ...}}``; anything
  else gets that error object returned (not raised, so Lambda does not retry an asynchronous invocation
  that can never succeed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from shared.support.errors import UnsupportedEvent
from shared.support.observability import logger


class EventKind(StrEnum):
    HTTP = "http"  # API Gateway HTTP API (payload 2.0) or a Lambda function URL
    SCHEDULED = "scheduled"  # EventBridge "Scheduled Event"
    SCHEDULE_INPUT = "schedule-input"  # a schedule's constant input: {"programs": [...]}
    OUTBOX_DRAIN = "outbox-drain"  # a drain now: {"outbox": "drain"[, "payload_id": "<id>"]}
    OUTBOX_REDRIVE = "outbox-redrive"  # an operator's direct invocation: {"outbox": "redrive"}
    REST = "api-gateway-rest"  # API Gateway REST API (payload 1.0)
    ALB = "alb"
    VPC_LATTICE = "vpc-lattice"
    MALFORMED_HTTP = "malformed-http"  # HTTP-looking, but not a whole payload 2.0 event
    UNKNOWN = "unknown"


HTTP_LOOKING = frozenset(
    {EventKind.HTTP, EventKind.REST, EventKind.ALB, EventKind.VPC_LATTICE, EventKind.MALFORMED_HTTP}
)
_HTTP_KEYS = ("requestContext", "httpMethod", "rawPath", "routeKey", "raw_path")
_PAYLOAD_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def kind_of(event: object) -> EventKind:
    if not isinstance(event, Mapping):
        return EventKind.UNKNOWN
    context = event.get("requestContext")
    if isinstance(context, Mapping):
        if "elb" in context:
            return EventKind.ALB
        if "serviceNetworkArn" in context or "serviceArn" in context:
            return EventKind.VPC_LATTICE
    if "raw_path" in event and "method" in event:  # VPC Lattice, payload 1.0
        return EventKind.VPC_LATTICE
    if "httpMethod" in event or event.get("version") == "1.0":
        return EventKind.REST
    if any(key in event for key in _HTTP_KEYS):
        return EventKind.HTTP if _is_http_v2(event) else EventKind.MALFORMED_HTTP
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return EventKind.SCHEDULED
    if set(event) == {"programs"}:
        return EventKind.SCHEDULE_INPUT
    if dict(event) == {"outbox": "redrive"}:
        return EventKind.OUTBOX_REDRIVE
    if _is_drain(event):
        return EventKind.OUTBOX_DRAIN
    return EventKind.UNKNOWN


def _is_drain(event: Mapping[str, Any]) -> bool:
    if event.get("outbox") != "drain" or not set(event) <= {"outbox", "payload_id"}:
        return False
    if "payload_id" not in event:
        return True
    payload_id = event["payload_id"]
    return isinstance(payload_id, str) and _PAYLOAD_ID.fullmatch(payload_id) is not None


def drained_first(event: Mapping[str, Any]) -> str | None:
    """The payload an ``OUTBOX_DRAIN`` event names (its forwards are drained first), or None."""
    payload_id = event.get("payload_id")
    return payload_id if isinstance(payload_id, str) else None


def _is_http_v2(event: Mapping[str, Any]) -> bool:
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    return (
        event.get("version") == "2.0"
        and isinstance(event.get("rawPath"), str)
        and isinstance(http, Mapping)
        and isinstance(http.get("method"), str)
        and isinstance(http.get("path"), str)
        and isinstance(event.get("headers", {}), Mapping | None)
        and isinstance(event.get("queryStringParameters", {}), Mapping | None)
        and isinstance(event.get("pathParameters", {}), Mapping | None)
        and isinstance(event.get("cookies", []), list | None)
        and isinstance(event.get("body"), str | None)
    )


def refuse(event: object, kind: EventKind, function: str, serves: Collection[EventKind]) -> dict[str, Any]:
    """Log the refusal and answer it: a 400 response for an HTTP-looking event, else the error object."""
    wanted = ", ".join(sorted(k.value for k in serves))
    error = UnsupportedEvent(
        f"the {function} function serves {wanted} events, not {kind.value}", field="event"
    )
    keys = sorted(str(k)[:40] for k in event)[:20] if isinstance(event, Mapping) else []
    logger.error(
        "unsupported event refused",
        extra={
            "function": function,
            "event_kind": kind.value,
            "event_type": type(event).__name__,
            "event_keys": keys,
        },
    )
    if kind in HTTP_LOOKING:
        return {
            "statusCode": error.status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": error.to_dict()}),
            "isBase64Encoded": False,
        }
    return {"error": error.to_dict()}
