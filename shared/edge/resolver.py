"""The HTTP edge every function shares: the resolver, its gate (the event's kind, fail-closed auth, the body
reader), and the one error mapping.

Every error answers with its own ``status`` (``shared.support.errors``) and the body ``{"error": {"code",
"message", "field"}}``; Tencent's own code is passed through in ``code``. Nothing here is built at import
time except the resolver objects the handlers decorate.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.edge.body import OtherBody, has_body, header, not_an_object, read_body
from shared.edge.events import EventKind, kind_of, refuse
from shared.edge.views import created_body
from shared.recordings.creating import Created
from shared.support import secrets
from shared.support.config import get_settings
from shared.support.errors import (
    ConfigError,
    LiverecError,
    MalformedBody,
    OutcomeUnknown,
    TencentError,
    Unauthorized,
    UnsupportedMediaType,
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


def authenticate(event: Mapping[str, Any]) -> None:
    """Fail closed: an API Gateway authorizer's verdict, or a bearer token from LIVEREC_API_TOKENS."""
    context = event.get("requestContext")
    authorizer = (context.get("authorizer") if isinstance(context, Mapping) else None) or {}
    if isinstance(authorizer, Mapping) and (
        authorizer.get("jwt") or authorizer.get("iam") or authorizer.get("lambda")
    ):
        return
    tokens = get_settings().api_tokens
    if not tokens:
        raise Unauthorized(
            "no authorizer on this route and no LIVEREC_API_TOKENS configured: every call is refused"
        )
    scheme, _, presented = (header(event, "authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("send Authorization: Bearer <token>", field="Authorization")
    # compare against every token, in constant time, without stopping at the first match
    offered = presented.strip().encode("utf-8", "replace")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(token.get_secret_value().encode(), offered)
    if not matched:
        secrets.refused("LIVEREC_API_TOKENS")  # rotated in the secret store? read again, once a minute
        raise Unauthorized("the bearer token is not valid", field="Authorization")


def answer(exc: LiverecError) -> Response[str]:
    """The one error mapping: logged, counted, answered with the error's own status in our shape."""
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


class EdgeResolver(APIGatewayHttpResolver):
    """powertools' HTTP API resolver behind our gate. Before a route is resolved (so before powertools
    validates a path, a query, a header or the body): the event must be an HTTP API / function URL event
    (``shared.edge.events``); on a bearer app every method but OPTIONS is authenticated; then any body is
    read by the one reader (``shared.edge.body``) and handed on as the JSON it read. A refusal at the gate
    is answered like any other error. Never in powertools' debug mode, whatever ``POWERTOOLS_DEV`` says: it
    prints the raw event (a bearer token, a signature) and answers an unhandled error with its traceback; the
    event is logged, redacted, by ``shared.support.observability.entry``."""

    def __init__(self, *, bearer: bool, others: tuple[OtherBody, ...] = ()) -> None:
        self._request = _RequestState()
        super().__init__(enable_validation=True, debug=False)
        self.bearer = bearer
        self.others = others  # bodies a route takes besides JSON (shared.edge.body.OtherBody)

    # A request's event, Lambda context and route context are the thread's own: powertools keeps them on
    # the resolver (the event and context on its base class) and clears them when a request ends, so two
    # threads through one resolver (the local gateway; tests standing in for containers) read each other's
    # event, and one's end wiped the other's route. In Lambda one thread serves a container: no difference.
    current_event = property(lambda self: self._request.event, lambda self, v: _keep(self, "event", v))
    lambda_context = property(
        lambda self: self._request.lambda_context, lambda self, v: _keep(self, "lambda_context", v)
    )
    context = property(lambda self: self._request.context, lambda self, v: _keep(self, "context", v))

    def _to_proxy_event(self, event: dict[str, Any]) -> Any:
        # powertools converts the event here and stores it where every thread sees it; this thread keeps it
        self._request.event = proxy = super()._to_proxy_event(event)
        return proxy

    def allowed_methods(self, path: str) -> list[str]:
        """The methods this function's routes serve on ``path``, and OPTIONS (answered on any of its paths),
        sorted; none on a path it has no route for. Derived from the routes themselves, never listed apart."""
        served = {
            route.method.upper()
            for route in self._static_routes + self._dynamic_routes
            if route.rule.match(path)
        }
        return sorted(served | {"OPTIONS"}) if served else []

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        kind = kind_of(event)
        if kind is not EventKind.HTTP:
            name = getattr(context, "function_name", None) or "HTTP"
            return refuse(event, kind, str(name), {EventKind.HTTP})
        if self.bearer and event["requestContext"]["http"]["method"].upper() != "OPTIONS":
            try:
                authenticate(event)
                event = _with_body(event, read_body(event, self.others) if has_body(event) else None)
            except LiverecError as exc:
                return _proxy(answer(exc))
        self._request.lambda_context = context
        return super().resolve(event, context)


class _RequestState(threading.local):
    """One thread's request: its event as powertools wraps it, its Lambda context, and the route context
    powertools fills while resolving (route, path, arguments) and clears at the end."""

    def __init__(self) -> None:
        self.event: Any = None
        self.lambda_context: Any = None
        self.context: dict[str, Any] = {}


def _keep(app: EdgeResolver, name: str, value: Any) -> None:
    setattr(app._request, name, value)


def _with_body(event: Mapping[str, Any], value: Any) -> dict[str, Any]:
    # the body as the reader read it, re-encoded as plain JSON: powertools' validation parses it again, and
    # now safely (bounded, UTF-8, declared as JSON whatever +json type or charset the caller named). No body:
    # no content type either (a header about a body that is not there is not judged)
    headers = {k: v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"}
    if value is None and not has_body(event):
        return {**event, "headers": headers, "body": None, "isBase64Encoded": False}
    headers["content-type"] = JSON
    return {**event, "headers": headers, "body": json.dumps(value), "isBase64Encoded": False}


def _proxy(response: Response[str]) -> dict[str, Any]:
    """An answer given at the gate, in the HTTP API (payload 2.0) response format."""
    headers = {k: v if isinstance(v, str) else ", ".join(v) for k, v in response.headers.items()}
    return {
        "statusCode": response.status_code,
        "body": response.body,
        "isBase64Encoded": False,
        "headers": headers,
        "cookies": [],
    }


def make_app(*, bearer: bool = True, others: tuple[OtherBody, ...] = ()) -> EdgeResolver:
    """A resolver with the gate, validation and the error mapping. On a path one of its routes serves, another
    method answers 405 and OPTIONS 204, both with the methods the path's routes serve (``Allow``, and for a
    browser's preflight ``Access-Control-Allow-Methods``). ``bearer=False`` is for routes that verify a
    signature of their own (webhooks): they must do so before anything else, and read the body with
    ``shared.edge.body`` in the order their signature needs. ``others``: bodies a route takes besides JSON."""
    app = EdgeResolver(bearer=bearer, others=others)

    def _validation(exc: RequestValidationError) -> Response[str]:
        error = from_validation(exc.errors())
        if isinstance(error, MalformedBody) and error.code == "InvalidBody":
            error = not_an_object(app.current_event.body)  # no JSON object: say what it was
        return answer(error)

    def _media_type(exc: RequestUnsupportedContentType) -> Response[str]:
        # the gate hands on only JSON; should powertools judge a content type all the same, ours is the answer
        return answer(UnsupportedMediaType("the body must be JSON", field="Content-Type"))

    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return error_response(500, "InternalError", "an unexpected error occurred; see the function's logs")

    def _not_found(exc: Exception) -> Response[str]:
        path = app.current_event.path
        method = app.current_event.http_method
        allowed = app.allowed_methods(path)
        if not allowed:
            return error_response(404, "NotFound", f"no route {method} {path}")
        allow = ", ".join(allowed)
        if method == "OPTIONS":
            return Response(204, JSON, "", headers={"Allow": allow, "Access-Control-Allow-Methods": allow})
        return error_response(
            405, "MethodNotAllowed", f"{method} is not allowed on {path}", None, Allow=allow
        )

    # registered without decorator syntax: powertools' decorators are untyped
    app.exception_handler(LiverecError)(answer)
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(RequestUnsupportedContentType)(_media_type)
    app.exception_handler(Exception)(_unexpected)
    app.not_found(_not_found)
    return app


def created(result: Created) -> Response[str]:
    """``201``: the recording a create made (or, replayed, made before), in the CreatedRecording shape."""
    rec = result.recording
    if result.replayed:
        count("DuplicatesSuppressed", mode=rec.mode)
    else:
        count("TasksCreated", mode=rec.mode, api=rec.api)
    logger.info(
        "recording created" if not result.replayed else "duplicate create answered with the first result",
        extra={
            "task_id": rec.task_id,
            "stream": rec.stream,
            "mode": rec.mode,
            "api": rec.api,
            "request_id": result.request_id,
        },
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Response(201, JSON, json.dumps(created_body(rec), ensure_ascii=False), headers=headers)
