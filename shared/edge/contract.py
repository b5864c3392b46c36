"""What each route answers, declared where the route is defined (powertools' ``responses=``) and read only
when the OpenAPI document is built (``make openapi``, ``devtools/openapi.py``).

The declarations are plain dicts whose schemas are ``$ref`` s to models by name (``shared.edge.responses``,
``shared.recordings.models``): a cold start builds no model and imports nothing for them. Error statuses
come from the error classes themselves (each carries its ``status``), so a route lists what it can raise,
never a number. What the edge adds to every route (401 on bearer routes, 400/413/415 where a body is read,
422 where input is validated) is added by the generator from the route's own facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from shared.support.errors import (
    CallbackAuthError,
    FileTooLarge,
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyStoreUnavailable,
    InvalidPageToken,
    InvalidRequest,
    ItemTooLarge,
    LimitExceeded,
    LiverecError,
    NotEnoughTime,
    OutcomeUnknown,
    OutcomeUnresolved,
    PayloadTooLarge,
    RateLimited,
    RecordingNotFound,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    TencentInputError,
    TencentUnavailable,
    TooManyFiles,
    UnsupportedOperation,
    WebhookAuthError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

SCHEMAS = "#/components/schemas/"
JSON = "application/json"

# what reaching Tencent can answer (a refusal, its rate limit or quota, our credentials, no answer)
TENCENT: tuple[type[LiverecError], ...] = (
    TencentInputError,
    RateLimited,
    LimitExceeded,
    TencentError,
    TencentAuthError,
    TencentUnavailable,
)
# what the ledger can answer when it cannot be read or written
LEDGER: tuple[type[LiverecError], ...] = (IdempotencyStoreUnavailable,)
# a create: exactly once through the ledger, then Tencent, within the invocation's deadline
CREATE: tuple[type[LiverecError], ...] = (
    InvalidRequest,
    IdempotencyConflict,
    IdempotencyInProgress,
    OutcomeUnresolved,
    NotEnoughTime,
    OutcomeUnknown,
    *LEDGER,
    *TENCENT,
)
LIST: tuple[type[LiverecError], ...] = (
    InvalidRequest,
    InvalidPageToken,
    UnsupportedOperation,
    *LEDGER,
    *TENCENT,
)
DESCRIBE: tuple[type[LiverecError], ...] = (InvalidPageToken, RecordingNotFound, *LEDGER)
STOP: tuple[type[LiverecError], ...] = (InvalidRequest, UnsupportedOperation, TaskNotFound, *LEDGER, *TENCENT)
# a signed hook is a create once its signature holds
HOOK: tuple[type[LiverecError], ...] = (WebhookAuthError, *CREATE)
# a verified callback: a refusal a redelivery cannot fix is acknowledged (200), what it can answers non-200
# so Tencent redelivers; a record file the ledger refuses for its size is forwarded all the same and
# answered 413 with the reason (a redelivery adds nothing: the file is refused again, the forward is one)
CALLBACK: tuple[type[LiverecError], ...] = (
    CallbackAuthError,
    InvalidRequest,
    PayloadTooLarge,
    TooManyFiles,
    FileTooLarge,
    ItemTooLarge,
    IdempotencyInProgress,
    NotEnoughTime,
    OutcomeUnknown,
    *LEDGER,
    RateLimited,
    LimitExceeded,
    TencentError,
    TencentUnavailable,
)


def ref(model: str) -> dict[str, Any]:
    return {"schema": {"$ref": SCHEMAS + model}}


def error_answers(*errors: type[LiverecError]) -> dict[int, dict[str, Any]]:
    """One answer per status the errors carry, each with the error body and the codes it can hold."""
    by_status: dict[int, list[type[LiverecError]]] = {}
    for cls in errors:
        by_status.setdefault(cls.status, []).append(cls)
    out: dict[int, dict[str, Any]] = {}
    for status, classes in sorted(by_status.items()):
        lines = [_describe(cls) for cls in classes]
        answer: dict[str, Any] = {
            "description": " | ".join(dict.fromkeys(lines)),
            "content": {JSON: ref("ErrorBody")},
        }
        if status == 429:
            answer["headers"] = {
                "Retry-After": {
                    "description": "seconds to wait before trying again",
                    "schema": {"type": "string"},
                }
            }
        out[status] = answer
    return out


def _describe(cls: type[LiverecError]) -> str:
    doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split()).replace("``", "").rstrip(".")
    code = f"{cls.__name__} (Tencent's own code)" if issubclass(cls, TencentError) else cls.code
    return f"{code}: {doc}" if doc else code


def answers(
    status: int,
    description: str,
    model: str | None = None,
    *errors: type[LiverecError],
    headers: dict[str, str] | None = None,
) -> dict[int, OpenAPIResponse]:
    """The route's success (``model`` by name; ``None``: no body, e.g. 204) and the errors it can raise."""
    success: dict[str, Any] = {"description": description, "content": {JSON: ref(model)} if model else {}}
    if headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
        }
    return cast("dict[int, OpenAPIResponse]", {status: success, **error_answers(*errors)})


def raw_body(model: str, description: str) -> dict[str, Any]:
    """The request body of a route that reads its body raw (to verify a signature over it first), for
    ``openapi_extensions=``: powertools documents a body only for a typed body parameter."""
    return {"requestBody": {"description": description, "required": True, "content": {JSON: ref(model)}}}
