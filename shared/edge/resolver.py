"""The HTTP edge every function shares: the resolver, fail-closed auth, and the one error mapping.

Every error answers with its own ``status`` (``shared.support.errors``) and the body ``{"error": {"code",
"message", "field"}}``; Tencent's own code is passed through in ``code``. Nothing here is built at import
time except the resolver objects the handlers decorate.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from shared.recordings.service import Outcome
from shared.support import secrets
from shared.support.config import get_settings
from shared.support.errors import (
    ConfigError,
    LiverecError,
    OutcomeUnknown,
    TencentError,
    Unauthorized,
    from_validation,
)
from shared.support.observability import count, logger

JSON = "application/json"


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> Response[str]:
    # the ErrorBody shape, written directly: no model is built on a cold start's way out
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}, ensure_ascii=False)
    return Response(status_code=status, content_type=JSON, body=body, headers=headers or None)


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
        secrets.refused("LIVEREC_API_TOKENS")  # rotated in the secret store? read again, once a minute
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
        status = exc.status
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
        return _domain(from_validation(exc.errors()))

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
            "request_id": outcome.request_id,
        },
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    # the CreatedRecording shape (tests hold every answer to the model)
    return Response(201, JSON, json.dumps(body, ensure_ascii=False), headers=headers)
