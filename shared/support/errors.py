"""Every error liverec raises on purpose, each with its HTTP ``status``, a machine-readable ``code`` and,
where one field is to blame, the ``field``. Messages never contain a secret.

The HTTP edge answers ``status`` and ``{"error": {"code", "message", "field"}}``; nothing maps errors by
searching their text. Tencent's own errors are classified once, where they are read (``shared.tencent``),
and keep Tencent's code in ``code``::

    LiverecError                   500  InternalError
    ├── ConfigError                500  the deployment is to blame; ``field`` names the variable
    ├── InvalidRequest             422  a rule is broken; ``field`` names the input
    │   └── MalformedBody          400  InvalidJson / InvalidBody
    ├── PayloadTooLarge            413  the body is over the route's limit
    │   └── TooLargeToKeep         413  the ledger refused to keep something for its size (its own codes):
    │       ├── TooManyFiles       413  a recording holds the most files the ledger keeps for one
    │       ├── FileTooLarge       413  one file's entry is over the ledger's bound
    │       └── ItemTooLarge       413  DynamoDB refused an item over its item size limit (400 KB)
    ├── UnsupportedMediaType       415  a body that is not JSON by its content type
    ├── UnsupportedEvent           400  an invocation that is no event this function serves
    ├── UnsupportedOperation       400  this generation has no such operation
    ├── RecordingNotFound          404  the ledger knows no recording by that task id
    ├── ProgramNotFound            404  no program is stored under that name
    ├── Unauthorized               401  no authorizer verdict, no valid bearer token
    │   ├── CallbackAuthError      401  a Tencent callback's sign or t
    │   └── WebhookAuthError       401  a signed hook's signature
    ├── IdempotencyConflict        409  the key was used with another body
    ├── IdempotencyInProgress      409  another request holds the key
    ├── IdempotencyStoreUnavailable 503 the ledger cannot be read or written: nothing created
    ├── NotEnoughTime              503  too little of the invocation left to wait for Tencent: nothing sent
    ├── TencentUnavailable         502  Tencent unreachable (the request did not arrive), or no usable
    │                                   answer to anything but a create
    ├── OutcomeUnknown             504  a create sent, no usable answer by its deadline: the task may exist
    │   └── OutcomeUnresolved      409  (code OutcomeUnknown) may exist, and cannot be looked up
    └── TencentError               502  Tencent answered an error (its code in ``code``)
        ├── TencentInputError      422  a code the generation documents as bad input
        ├── TencentAuthError       502  our credentials, signature or clock
        ├── TaskNotFound           404  the task id is unknown (whatever code the generation uses)
        ├── RateLimited            429  the rate limit persisted through our backoff
        └── LimitExceeded          429  a quota (tasks per day, running tasks)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class LiverecError(Exception):
    """Base of every error this package raises on purpose."""

    code: str = "InternalError"
    status: int = 500

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


class ConfigError(LiverecError):
    """The environment is missing or malformed. ``field`` names the variable."""

    code = "ConfigError"


class InvalidRequest(LiverecError):
    """The caller's input breaks a rule (ours or Tencent's). ``field`` names the input field."""

    code = "InvalidRequest"
    status = 422


class MalformedBody(InvalidRequest):
    """The body is not JSON, or not a JSON object."""

    code = "InvalidJson"
    status = 400


class InvalidPageToken(InvalidRequest):
    """A ``next`` that no page of this API gave (a 400: the token is ours, opaque to the caller)."""

    code = "InvalidPageToken"
    status = 400


class PayloadTooLarge(LiverecError):
    """The body is over the route's limit."""

    code = "PayloadTooLarge"
    status = 413


class TooLargeToKeep(PayloadTooLarge):
    """The ledger refused to keep something for its size: nothing was written, and the same request would be
    refused again. The message says what and why."""

    code = "TooLargeToKeep"


class TooManyFiles(TooLargeToKeep):
    """The recording holds the most files the ledger keeps for one recording (10,000:
    ``shared.storage.ledger_files.MAX_FILES``): a further file is forwarded, not kept."""

    code = "TooManyFiles"


class FileTooLarge(TooLargeToKeep):
    """One file's entry (its id, URL and format in UTF-8) is over the ledger's bound for one file (16 KiB:
    ``shared.storage.ledger_files.MAX_FILE_BYTES``): forwarded, not kept."""

    code = "FileTooLarge"


class ItemTooLarge(TooLargeToKeep):
    """DynamoDB refused to write an item over its item size limit (400 KB): nothing was written."""

    code = "ItemTooLarge"


class UnsupportedMediaType(LiverecError):
    """A body whose content type is not JSON (``application/json``, ``application/*+json``, or none)."""

    code = "UnsupportedMediaType"
    status = 415


class UnsupportedEvent(LiverecError):
    """The function was invoked with an event of a kind it does not serve (``shared.edge.events``)."""

    code = "UnsupportedEvent"
    status = 400


class UnsupportedOperation(LiverecError):
    """The selected API generation has no such operation (e.g. listing with ``live-record``)."""

    code = "UnsupportedOperation"
    status = 400


class RecordingNotFound(LiverecError):
    """The ledger knows no recording by that task id (liverec did not create it, or it has been forgotten)."""

    code = "RecordingNotFound"
    status = 404


class ProgramNotFound(LiverecError):
    """No program is stored under that name (a program configured in LIVEREC_PROGRAMS or a schedule's input
    is changed there, not over HTTP)."""

    code = "ProgramNotFound"
    status = 404


class NotInDoubt(LiverecError):
    """The occurrence an operator asked to resolve is not in doubt (not booked yet, being booked, or booked):
    nothing to resolve. The message says its state."""

    code = "NotInDoubt"
    status = 409


class Unauthorized(LiverecError):
    """Fail closed: no authorizer's verdict and no valid bearer token."""

    code = "Unauthorized"
    status = 401


class CallbackAuthError(Unauthorized):
    """A Tencent callback that must be refused. ``code`` says why; the key never appears."""


class WebhookAuthError(Unauthorized):
    """A signed webhook that must be refused. ``code`` says why."""

    code = "InvalidSignature"


class IdempotencyConflict(LiverecError):
    code = "IdempotencyConflict"
    status = 409


class IdempotencyInProgress(LiverecError):
    code = "IdempotencyInProgress"
    status = 409


class IdempotencyStoreUnavailable(LiverecError):
    """The ledger cannot be read or written: refuse to create (a duplicate could follow), try later."""

    code = "IdempotencyStoreUnavailable"
    status = 503


class NotEnoughTime(LiverecError):
    """The function has too little time left to wait for Tencent's answer: nothing was sent."""

    code = "NotEnoughTime"
    status = 503


class TencentUnavailable(LiverecError):
    """Tencent could not be reached, and the request certainly did not arrive (safe to retry later); or a
    call that creates nothing (a look-up, a stop, a delete) got no usable answer."""

    code = "TencentUnavailable"
    status = 502


class OutcomeUnknown(LiverecError):
    """A create was sent but no answer came back: the task may or may not exist.

    Never retry blindly: reconcile first (look the task up where the generation can), then create again.
    """

    code = "OutcomeUnknown"
    status = 504

    def __init__(self, message: str, *, api: str, action: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.api = api
        self.action = action
        self.params = params or {}


class OutcomeUnresolved(OutcomeUnknown):
    """An earlier create for this key may have made a task that this generation cannot look up, so
    liverec will not create another; the message says how to resolve it."""

    status = 409


class TencentError(LiverecError):
    """Tencent answered with an error. ``code`` is Tencent's own code, passed through unchanged."""

    status = 502

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        api: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.request_id = request_id
        self.api = api
        self.action = action

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["request_id"] = self.request_id
        return d

    def __str__(self) -> str:
        return (
            f"{self.code}: {self.message} (api={self.api} action={self.action} request_id={self.request_id})"
        )


class TencentInputError(TencentError):
    """Tencent refused the parameters: a code the generation documents as bad input."""

    status = 422


class TencentAuthError(TencentError):
    """Tencent rejected our credentials, signature or clock (AuthFailure.*, v2 41xx and 4500)."""


class TaskNotFound(TencentError):
    """The task id is unknown to Tencent (ResourceNotFound.TaskId and its equivalents in each generation)."""

    status = 404


class RateLimited(TencentError):
    """Tencent's per-action rate limit answered and our bounded backoff did not get through."""

    status = 429


class LimitExceeded(TencentError):
    """A quota: daily task count, running tasks (LimitExceeded.*)."""

    status = 429


# where powertools' request validation locates a parameter's error, before the parameter's name
_REQUEST_PARTS = frozenset({"query", "path", "header", "cookie"})


def from_validation(
    errors: Sequence[Mapping[str, Any]],
    *,
    cls: type[LiverecError] = InvalidRequest,
    where: str = "",
    field: str | None = None,
) -> LiverecError:
    """pydantic's validation errors (or powertools' request validation's, the same shape) as one of ours:
    the first error, its field named. ``where`` prefixes the field's path in the message and, without a
    ``field`` of its own, in ``field`` too (``programs.0.cron``); ``field`` names what is to blame instead
    (a configuration variable). A body that is not JSON, or not an object (none at all, or ``null``, where the
    route needs one), is a :class:`MalformedBody`. A request parameter's error is located by its part of the
    request first (``("query", "next")``): the field is the parameter (``next``), as the caller spelled it."""
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ())]
    whole_body = loc == ["body"]
    if loc[:1] and loc[0] in _REQUEST_PARTS:
        loc = loc[1:]
    loc = [part for part in loc if part != "body"]
    kind = str(first.get("type", ""))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if cls is InvalidRequest and not where:
        if kind == "json_invalid":
            return MalformedBody("the body is not valid JSON")
        if kind in ("model_attributes_type", "model_type", "dict_type") and len(loc) <= 1:
            return MalformedBody("the body must be a JSON object", code="InvalidBody")
        if kind == "missing" and whole_body:  # no body, or null, where the route needs an object
            return MalformedBody("the body is empty: it must be a JSON object", code="InvalidBody")
    path = ".".join(([where] if where else []) + (loc if where else loc[:1]))
    code = {"extra_forbidden": "UnknownField", "missing": "MissingField"}.get(kind, cls.code)
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required"
    # a message from our own validators may already name the field
    text = message if not path or message.startswith(path) else f"{path}: {message}"
    return cls(text, code=code, field=field if field is not None else (path or None))
