"""The one interface every generation's adapter implements, and the retry-safety rules they share.

Retry safety (Tencent: a create retried within 3 s, or repeated, can record twice):
- nothing here retries a create after it may have reached Tencent (and no SDK retryer is in the path);
- ``RequestLimitExceeded`` is a refusal (nothing was created), so it is retried with bounded backoff;
- a transport failure *before* the request left (connection refused, DNS, connect timeout) is
  :class:`TencentUnavailable`; one *after* (read timeout, reset, a gateway's 5xx, an answer liverec cannot
  use) on a create is :class:`OutcomeUnknown`, so the caller reconciles instead of creating a duplicate.

Time: one call (its retries included) ends by :func:`call_deadline`: ``LIVE_TIMEOUT`` after it starts, and
never later than the invocation's end less what the ledger's writes need after it (``RESERVE``); the
transport cuts whatever is still running then (connect, send, every read), so an answer dripping in cannot
hold a call past it.
"""

import importlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from shared.support import secrets
from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    InvalidRequest,
    LiverecError,
    NotEnoughTime,
    OutcomeUnknown,
    TencentAuthError,
    TencentError,
    TencentInputError,
    TencentUnavailable,
)
from shared.support.records import Record
from shared.support.redact import redact_text
from shared.support.timeutil import NO_DEADLINE, RESERVE, Clock, Deadline, system_clock
from shared.tencent.generations import check, generation
from shared.tencent.types import CreatedTask, RecordingPlan, TaskPage, TaskQuery

Sleep = Callable[[float], None]
# seconds an attempt must have to be started (Tencent: a client timeout must be above 3 s, or a retry may
# record twice)
MIN_ATTEMPT = 3.0
SESSION_VARS = ("TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN")
MESSAGE_LIMIT = 512  # characters of Tencent's error message passed on (in answers and logs)


class WireRequest(Record):
    """What an adapter puts on the wire for one call, before signing: the action and its parameters
    in the order Tencent's page documents them. Pure data, so tests can compare it with Tencent's examples."""

    __slots__ = ()
    action: str
    params: dict[str, Any]


class RetryPolicy(Record):
    """Backoff for ``RequestLimitExceeded`` only: the request was refused, so a retry cannot duplicate."""

    __slots__ = ()
    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 2.0

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts - 1):
            yield min(self.max_delay, self.base_delay * 2**n)


class LiveAdapter(Protocol):
    api: LiveApi

    def __init__(self, settings: Settings, *, clock: Clock, sleep: Sleep, retry: RetryPolicy) -> None: ...

    def build_create(self, plan: RecordingPlan) -> WireRequest: ...

    def create(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask: ...

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        """``active``, ``inactive`` or ``forbid`` where the generation's row names ``stream_state``."""

    def stop(self, task_id: str, stream: str | None = None) -> None: ...

    def delete(self, task_id: str, stream: str | None = None) -> None: ...

    def list_tasks(self, query: TaskQuery) -> TaskPage: ...


def tencent_error(
    cls: type[TencentError] | None,
    code: str,
    message: str,
    *,
    api: LiveApi,
    action: str,
    request_id: str | None = None,
    known: Iterable[str] = (),
) -> TencentError:
    """Tencent's error, classified once: the class the adapter chose for it (not found, rate limit, ...);
    else bad input where the capability table lists the code (or its prefix before a dot); else plain.
    Tencent's code is kept as it is; its message is redacted (the ``known`` secrets, URLs' userinfo and
    query, credentials after their names: a message may echo the request) and cut to MESSAGE_LIMIT."""
    gen = generation(api)
    if cls is None:
        cls = TencentInputError if code.split(".", maxsplit=1)[0] in gen.input_codes else TencentError
    if issubclass(cls, TencentAuthError):  # rotated in the secret store? read it again (once a minute)
        for var in ("LIVE_FCGI_KEY",) if gen.credentials == "fcgi" else SESSION_VARS:
            secrets.refused(var)
    shown = redact_text(message, known, limit=MESSAGE_LIMIT)
    return cls(code, shown, request_id=request_id, api=api.value, action=action)


def no_answer(api: LiveApi, action: str, *, creates: bool, why: str, params: dict[str, Any]) -> LiverecError:
    """The request may have reached Tencent but no usable answer came back: for a create the outcome is
    unknown (reconcile, never retry blindly); anything else is merely unavailable."""
    if creates:
        return OutcomeUnknown(
            f"{action} was sent but no usable answer came back ({why}); the task may exist: "
            "reconcile before creating again",
            api=api.value,
            action=action,
            params=params,
        )
    return TencentUnavailable(f"{action} failed ({why})")


def call_deadline(timeout: float, deadline: Deadline = NO_DEADLINE) -> float:
    """The instant (``time.monotonic``) by which a call, its retries included, must end: ``timeout``
    (LIVE_TIMEOUT) from now, and ``RESERVE`` before the invocation's ``deadline``. With less than
    :data:`MIN_ATTEMPT` seconds until then, :class:`NotEnoughTime`: nothing is sent."""
    budget = min(timeout, deadline.remaining() - RESERVE)
    if budget < min(timeout, MIN_ATTEMPT):  # LIVE_TIMEOUT is above 3 s (from_env); a test's may be shorter
        raise NotEnoughTime(
            f"{max(budget, 0):.1f} s left for a call to Tencent, under {MIN_ATTEMPT:g} s: nothing was sent; retry"
        )
    return time.monotonic() + budget


def numeric_task_id(task_id: str) -> int:
    """fcgi, v2 and CreateLiveRecord number their tasks (uint64); CreateRecordTask's ids are strings."""
    text = task_id.strip()
    # isascii: "²" is a digit to str.isdigit() but not to int()
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**64:
        raise InvalidRequest(
            f"task_id={task_id!r} is not a task id of this API (a 64-bit number)", field="task_id"
        )
    return int(text)


def require_stream(stream: str | None, api: LiveApi, action: str) -> str:
    if not stream:
        raise InvalidRequest(f"{action} ({api.value}) needs the stream the task records", field="stream")
    return stream


def get_adapter(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sleep: Sleep = time.sleep,
    retry: RetryPolicy | None = None,
) -> LiveAdapter:
    check(settings)
    module, _, name = generation(settings.api).adapter.partition(":")
    adapter: type[LiveAdapter] = getattr(importlib.import_module(f"shared.tencent.{module}"), name)
    return adapter(settings, clock=clock, sleep=sleep, retry=retry or RetryPolicy())
