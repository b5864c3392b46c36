"""The HTTP side every function shares: the resolver, fail-closed auth, and the one error mapping.

Domain errors map to HTTP here, once, by type. Every error body is ``{"error": {"code", "message",
"field"}}``; Tencent's own code is passed through in ``code``. Nothing here is built at import time except
the resolver objects the handlers decorate.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from shared.recordings.models import Mode
from shared.recordings.service import Outcome, RecordingService
from shared.storage.ledger import (
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyStoreUnavailable,
    Ledger,
    MemoryLedger,
)
from shared.support.config import Settings, get_settings
from shared.support.errors import (
    ConfigError,
    InvalidRequest,
    LimitExceeded,
    LiverecError,
    MalformedBody,
    NotEnoughTime,
    OutcomeUnknown,
    OutcomeUnresolved,
    PayloadTooLarge,
    RateLimited,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    TencentUnavailable,
    UnsupportedOperation,
)
from shared.support.observability import count, logger
from shared.support.timeutil import Clock, system_clock
from shared.tencent.adapter import Sleep
from shared.tencent.signing import CallbackAuthError
from shared.webhooks.signature import WebhookAuthError

# the webhooks function's pieces load only when it builds them (not in the other functions' cold start)
if TYPE_CHECKING:
    from shared.storage.state import StateStore
    from shared.webhooks.callbacks import CallbackService
    from shared.webhooks.outbox import Forwarder

JSON = "application/json"


class Unauthorized(LiverecError):
    code = "Unauthorized"


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> Response[str]:
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}, ensure_ascii=False)
    return Response(status_code=status, content_type=JSON, body=body, headers=headers or None)


# Tencent codes that mean "your parameters", not "Tencent failed".
_TENCENT_INPUT_CODES = ("InvalidParameter", "InvalidParameterValue", "MissingParameter", "4000", "1001")


def status_for(exc: LiverecError) -> int:
    if isinstance(exc, Unauthorized | CallbackAuthError | WebhookAuthError):
        return 401
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, MalformedBody):
        return 400
    if isinstance(exc, InvalidRequest):
        return 422
    if isinstance(exc, UnsupportedOperation):
        return 400
    if isinstance(exc, TaskNotFound):
        return 404
    if isinstance(exc, IdempotencyConflict | IdempotencyInProgress | OutcomeUnresolved):
        return 409
    if isinstance(exc, RateLimited | LimitExceeded):
        return 429
    if isinstance(exc, OutcomeUnknown):
        return 504
    if isinstance(exc, IdempotencyStoreUnavailable | NotEnoughTime):
        return 503
    if isinstance(exc, TencentAuthError | TencentUnavailable):
        return 502
    if isinstance(exc, TencentError):
        return 422 if exc.code.split(".")[0] in _TENCENT_INPUT_CODES else 502
    return 500  # ConfigError and anything else of ours: the deployment, not the caller


_service: RecordingService | None = None
_state: StateStore | None = None
_callbacks: CallbackService | None = None
_service_lock = threading.RLock()
_clock: Clock = system_clock
_sleep: Sleep = time.sleep
_monotonic: Clock = time.monotonic


def use_clock(
    clock: Clock = system_clock, sleep: Sleep = time.sleep, monotonic: Clock = time.monotonic
) -> None:
    """The wall clock every piece built from here reads, how it waits (backoff, pacing) and the clock that
    waiting is measured by: a simulated set in tests. Forgets what was built."""
    global _clock, _sleep, _monotonic
    _clock, _sleep, _monotonic = clock, sleep, monotonic
    reset_service()


def now() -> float:
    """The wall clock the pieces built here read (signature expiry checks read it too)."""
    return _clock()


def service() -> RecordingService:
    """Built once on first use (under a lock: concurrent first calls must share one ledger), then reused
    across warm invocations (one adapter, one keep-alive connection pool)."""
    global _service  # noqa: PLW0603 - the per-container singleton
    if _service is None:
        with _service_lock:
            if _service is None:
                from shared.tencent import get_adapter

                settings = get_settings()
                logger.info("liverec configured", extra={"settings": settings.describe()})
                _service = RecordingService(
                    settings=settings,
                    adapter=get_adapter(settings, clock=_clock, sleep=_sleep),
                    ledger=_ledger(settings),
                    clock=_clock,
                    sleep=_sleep,
                    monotonic=_monotonic,
                )
    return _service


def durable_service(what: str) -> RecordingService:
    """The service, for a path whose exactly-once guarantee spans invocations (the timer rollout, Tencent's
    callbacks): on Lambda it refuses the in-process ledger, which every new container starts without."""
    settings = get_settings()
    if settings.on_lambda and not settings.idempotency_table:
        raise ConfigError(
            f"LIVEREC_IDEMPOTENCY_TABLE is not set: {what} needs the DynamoDB ledger on Lambda (the in-process "
            "one is forgotten with each container, so every cold start would record again)",
            field="LIVEREC_IDEMPOTENCY_TABLE",
        )
    return service()


def callbacks() -> CallbackService:
    """The callback logic, built on first use from the same settings, ledger and service."""
    global _callbacks  # noqa: PLW0603 - the per-container singleton
    if _callbacks is None:
        from shared.webhooks.callbacks import CallbackService, parse_rules

        with _service_lock:
            if _callbacks is None:
                settings = get_settings()
                _callbacks = CallbackService(
                    recordings=durable_service("Tencent's callbacks"),
                    state=state(),
                    forwarder=forwarder(),
                    rules=parse_rules(settings.callback_rules),
                    clock=_clock,
                )
    return _callbacks


def forwarder() -> Forwarder:
    from shared.webhooks.outbox import Forwarder

    settings = get_settings()
    return Forwarder(
        urls=settings.webhook_urls,
        secret=settings.webhook_secret,
        state=state(),
        max_attempts=settings.webhook_max_attempts,
        clock=_clock,
    )


def state() -> StateStore:
    """The webhook state (active-task notes, the outbox): the idempotency table, or in-process."""
    global _state  # noqa: PLW0603 - the per-container singleton
    if _state is None:
        with _service_lock:
            if _state is None:
                settings = get_settings()
                if settings.idempotency_table:
                    from shared.storage.state_dynamodb import DynamoDBState

                    _state = DynamoDBState(settings.idempotency_table)
                else:
                    from shared.storage.state import MemoryState

                    _state = MemoryState()
    return _state


def _ledger(settings: Settings) -> Ledger:
    if settings.idempotency_table:
        from shared.storage.ledger_dynamodb import DynamoDBLedger  # only when configured

        return DynamoDBLedger(settings.idempotency_table)
    return MemoryLedger()


def reset_service() -> None:
    """Forget what was built (tests, a new container, or after the configuration changed)."""
    global _service, _state, _callbacks  # noqa: PLW0603
    with _service_lock:
        _service = None
        _state = None
        _callbacks = None


def authorize(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Fail closed: an API Gateway authorizer's verdict, or a bearer token from LIVEREC_API_TOKENS."""
    event = app.current_event
    authorizer = (event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    if authorizer.get("jwt") or authorizer.get("iam") or authorizer.get("lambda"):
        return next_middleware(app)
    tokens = get_settings().api_tokens
    if not tokens:
        raise Unauthorized(
            "no authorizer on this route and no LIVEREC_API_TOKENS configured: every call is refused"
        )
    header = event.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("send Authorization: Bearer <token>", field="Authorization")
    # compare against every token, in constant time, without stopping at the first match
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(token.get_secret_value().encode(), presented.strip().encode())
    if not matched:
        raise Unauthorized("the bearer token is not valid", field="Authorization")
    return next_middleware(app)


def make_app(routes: dict[str, set[str]], *, bearer: bool = True) -> APIGatewayHttpResolver:
    """A resolver with validation, auth and the error mapping. ``routes`` (path regex -> methods) lets
    unknown methods on known paths answer 405 instead of 404. ``bearer=False`` is for routes that verify a
    signature of their own (webhooks): they must do so before anything else."""
    app = APIGatewayHttpResolver(enable_validation=True)
    if bearer:
        app.use(middlewares=[authorize])

    def _domain(exc: LiverecError) -> Response[str]:
        status = status_for(exc)
        if isinstance(exc, TencentError):
            count("TencentErrors", code=exc.code, api=str(exc.api))
        log = (
            logger.exception
            if status >= 500 and not isinstance(exc, TencentError | OutcomeUnknown)
            else logger.warning
        )
        log("request failed", extra={"status": status, "error": exc.to_dict()})
        headers = {"Retry-After": "1"} if status == 429 else {}
        if isinstance(exc, ConfigError):
            return error_response(500, exc.code, "the function is misconfigured; see its logs", exc.field)
        return error_response(status, exc.code, exc.message, exc.field, **headers)

    def _validation(exc: RequestValidationError) -> Response[str]:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p != "body"]
        kind = first.get("type", "")
        if kind == "json_invalid":
            return error_response(400, "InvalidJson", "the body is not valid JSON")
        if kind == "model_attributes_type" or not loc:
            return error_response(400, "InvalidBody", "the body must be a JSON object")
        field = loc[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        code = {"extra_forbidden": "UnknownField", "missing": "MissingField"}.get(kind, "InvalidRequest")
        if code == "UnknownField":
            message = "unknown field"
        return error_response(
            422, code, message if message.startswith(field) else f"{field}: {message}", field
        )

    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return error_response(500, "InternalError", "an unexpected error occurred; see the function's logs")

    def _not_found(exc: Exception) -> Response[str]:
        path = app.current_event.path
        method = app.current_event.http_method
        for pattern, methods in routes.items():
            if re.fullmatch(pattern, path):
                allow = ", ".join(sorted(methods))
                if method == "OPTIONS":
                    return Response(204, JSON, "", headers={"Allow": allow})
                return error_response(
                    405, "MethodNotAllowed", f"{method} is not allowed on {path}", None, Allow=allow
                )
        return error_response(404, "NotFound", f"no route {method} {path}")

    # registered without decorator syntax: powertools' decorators are untyped
    app.exception_handler(LiverecError)(_domain)
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(Exception)(_unexpected)
    app.not_found(_not_found)
    return app


def created(outcome: Outcome) -> Response[str]:
    body = outcome.body
    if outcome.replayed:
        count("DuplicatesSuppressed", mode=str(body.get("mode")))
    else:
        count("TasksCreated", mode=str(body.get("mode")), api=str(body.get("api")))
    logger.info(
        "recording created" if not outcome.replayed else "duplicate create answered with the first result",
        extra={
            "task_id": body.get("task_id"),
            "stream": body.get("stream"),
            "mode": body.get("mode"),
            "api": body.get("api"),
        },
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(201, JSON, json.dumps(body, ensure_ascii=False), headers=headers)


Handler = Callable[..., Response[str]]
__all__ = ["Mode", "created", "make_app", "service"]
