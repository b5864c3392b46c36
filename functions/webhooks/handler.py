"""Systems that call us.

- ``POST /callbacks/tencent``: Tencent Live callbacks, verified by ``sign == md5(LIVE_CALLBACK_KEY + t)``
  and answered ``{"code":0}`` (HTTP 200) once handled, so Tencent stops redelivering; an exact replay of
  one already handled gets the same answer and has no effect. A failure a redelivery could fix (Tencent
  unreachable, rate limited) answers non-200 on purpose: Tencent retries, and the idempotency key keeps
  its 13 deliveries to one task. A refusal (4xx) is counted (``CallbacksRefused`` by code). A record event
  is queued for the subscribers, never sent before the answer: the callback kicks a drain
  (``shared.webhooks.kick``).
- ``POST /hooks/highlight``: a signed hook (``Liverec-Signature``, HMAC-SHA256 with one of
  ``LIVEREC_HOOK_SECRETS``) starts a highlight (real-time) recording.
- A drain of the outbox sends the webhook forwards that are due: on the timer's tick (an EventBridge
  scheduled event) and on a kick (``{"outbox": "drain", "payload_id": ...}``, the function invoking itself
  asynchronously; that payload's forwards first). ``{"outbox": "redrive"}`` puts the dead letters back.
  Any other event is refused (``shared.edge.events``).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import callbacks, creator, forwarder, now
from shared.edge.contract import CALLBACK, HOOK, answers, raw_body
from shared.edge.events import EventKind, drained_first, kind_of, refuse
from shared.edge.resolver import created, make_app
from shared.storage.ledger import Origin
from shared.support.config import get_settings
from shared.support.errors import LiverecError
from shared.support.observability import count, entry, logger
from shared.support.timeutil import Deadline
from shared.tencent.types import Mode
from shared.webhooks.inbound import MAX_IDEMPOTENCY_KEY, callback_body, hook_input
from shared.webhooks.signature import MAX_HEADER

app = make_app(bearer=False)
ACK = '{"code":0}'


@app.post(
    "/callbacks/tencent",
    responses=answers(
        200,
        "handled (an exact replay of a handled callback: no effect), or refused for good: Tencent stops "
        "redelivering",
        "CallbackAck",
        *CALLBACK,
    ),
    openapi_extensions=raw_body(
        "TencentCallback",
        "Tencent's callback, signed in its body: sign = md5(LIVE_CALLBACK_KEY + t), t not past and at most "
        "LIVE_CALLBACK_MAX_VALIDITY ahead",
    ),
)
def tencent_callback() -> Response[str]:
    """Tencent Live's callbacks (stream begin and end, record file, record status). Tencent signs each one
    in its body (``sign``, ``t``): no header is involved, so no security scheme applies."""
    settings = get_settings()
    try:
        body = callback_body(
            app.current_event.raw_event, settings.callback_key, now(), settings.callback_max_validity
        )
        callbacks().receive(body, Deadline.from_context(app.lambda_context))
    except LiverecError as exc:
        if exc.status < 500:  # a refusal: answered, and logged at WARNING, by the edge
            count("CallbacksRefused", code=exc.code)
        raise
    return Response(200, "application/json", ACK)


@app.post(
    "/hooks/highlight",
    responses=answers(
        201,
        "created (or, for a replay or the same Idempotency-Key, the first result again)",
        "CreatedRecording",
        *HOOK,
        headers={"Idempotent-Replayed": "true when this is the first result again"},
    ),
    openapi_extensions=raw_body(
        "RealtimeRecordingInput", 'a highlight to start now, signed in "Liverec-Signature" over "<t>.<body>"'
    ),
    security=[{"hookSignature": []}],
)
def highlight_hook(
    # both bounded after the signature check (stated, not validated by powertools: nothing is validated
    # before the signature)
    signature: Annotated[
        str | None, Header(alias="Liverec-Signature", json_schema_extra={"maxLength": MAX_HEADER})
    ] = None,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", json_schema_extra={"maxLength": MAX_IDEMPOTENCY_KEY})
    ] = None,
) -> Response[str]:
    settings = get_settings()
    data, key = hook_input(
        app.current_event.raw_event, signature, idempotency_key, settings.hook_secrets, now()
    )
    return created(
        creator().create(
            data.request(Mode.REALTIME),
            key,
            origin=Origin("hook"),
            deadline=Deadline.from_context(app.lambda_context),
        )
    )


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = kind_of(event)
    if kind in (EventKind.SCHEDULED, EventKind.OUTBOX_DRAIN):  # the timer, or a kick: within the invocation
        first = drained_first(event) if kind is EventKind.OUTBOX_DRAIN else None
        result = forwarder().drain(Deadline.from_context(context), first=first)
        logger.info("webhook outbox drained", extra=result | {"trigger": kind.value, "first": first})
        return result
    if kind is EventKind.OUTBOX_REDRIVE:  # an operator's `aws lambda invoke` (IAM decides who may)
        return forwarder().redrive()
    if kind is EventKind.HTTP:
        return app.resolve(event, context)
    serves = {EventKind.HTTP, EventKind.SCHEDULED, EventKind.OUTBOX_DRAIN, EventKind.OUTBOX_REDRIVE}
    return refuse(event, kind, "webhooks", serves)
