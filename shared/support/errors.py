"""One typed error hierarchy for the whole package.

Handlers map these to HTTP by *type* (never by searching message text); each carries a machine-readable
``code`` and, where one field is to blame, the ``field``. Messages never contain a secret.
"""

from __future__ import annotations

from typing import Any


class LiverecError(Exception):
    """Base of every error this package raises on purpose."""

    code: str = "InternalError"

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


class MalformedBody(InvalidRequest):
    """The body is not JSON, or not a JSON object (HTTP 400)."""

    code = "InvalidJson"


class PayloadTooLarge(LiverecError):
    """The body is over the route's limit (HTTP 413)."""

    code = "PayloadTooLarge"


class UnsupportedOperation(LiverecError):
    """The selected API generation has no such operation (e.g. listing with ``live-record``)."""

    code = "UnsupportedOperation"


class TencentError(LiverecError):
    """Tencent answered with an error. ``code`` is Tencent's own code, passed through unchanged."""

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


class TencentAuthError(TencentError):
    """Tencent rejected our credentials or signature (AuthFailure.*, v2 41xx, fcgi sign/appid errors)."""


class TaskNotFound(TencentError):
    """The task id is unknown to Tencent (ResourceNotFound.TaskId and its older equivalents)."""


class RateLimited(TencentError):
    """Tencent's per-action rate limit answered and our bounded backoff did not get through."""


class LimitExceeded(TencentError):
    """A quota: daily task count, running tasks (LimitExceeded.*)."""


class TencentUnavailable(LiverecError):
    """Tencent could not be reached, and the request certainly did not arrive (safe to retry later)."""

    code = "TencentUnavailable"


class OutcomeUnknown(LiverecError):
    """A create was sent but no answer came back: the task may or may not exist (HTTP 504).

    Never retry blindly: reconcile first (for ``record-task``, DescribeRecordTask), then create again.
    """

    code = "OutcomeUnknown"

    def __init__(self, message: str, *, api: str, action: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.api = api
        self.action = action
        self.params = params or {}


class OutcomeUnresolved(OutcomeUnknown):
    """An earlier create for this key may have made a task that this generation cannot look up, so
    liverec will not create another (HTTP 409, code ``OutcomeUnknown``); the message says how to resolve it."""


class NotEnoughTime(LiverecError):
    """The function has too little time left to wait for Tencent's answer: nothing was sent (HTTP 503)."""

    code = "NotEnoughTime"
