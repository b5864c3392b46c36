"""API 3.0 (``live.tencentcloudapi.com``, version 2018-08-01): TC3-HMAC-SHA256-signed JSON POSTs.

Signed by :func:`shared.tencent.signing.tc3_sign_request`, which the tests hold byte for byte to the SDK's
``Sign.sign_tc3`` and ``AbstractClient``, and sent by the same keep-alive standard-library transport as
v2 and fcgi. Not the SDK's ``CommonClient``: it brings ``requests`` into every cold start (about 70 ms
and 6 MiB of a 40 MiB budget, see bench/RESULTS.md) for one signed POST, and its retryer is one more
thing that must never retry a create. This module owns retries, and only for refusals
(``RequestLimitExceeded``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    LimitExceeded,
    RateLimited,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    UnsupportedOperation,
)
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline
from shared.tencent import answers
from shared.tencent.adapter import MIN_ATTEMPT, RetryPolicy, Sleep, WireRequest, call_deadline, tencent_error
from shared.tencent.signing import tc3_sign_request
from shared.tencent.transport import Transport
from shared.tencent.types import CreatedTask, RecordingPlan

API_VERSION = "2018-08-01"
SERVICE = "live"
DEFAULT_BASE = "https://live.tencentcloudapi.com"
CONTENT_TYPE = "application/json"  # what the SDK sends and signs
REQUEST_CLIENT = "liverec/0.1"
STREAM_STATE = "DescribeLiveStreamState"
STREAM_STATES = frozenset({"active", "inactive", "forbid"})  # its page's StreamState values


class Api3Client:
    """One per process: its pooled connections are reused across warm invocations."""

    def __init__(
        self, settings: Settings, api: LiveApi, *, region: str, clock: Clock, sleep: Sleep, retry: RetryPolicy
    ) -> None:
        assert settings.secret_id is not None and settings.secret_key is not None  # noqa: S101 - Settings guarantees
        self._secret_id = settings.secret_id
        self._secret_key = settings.secret_key
        self._token = settings.session_token
        self._region = region
        self._transport = Transport(api, settings.endpoint or DEFAULT_BASE, settings.timeout)
        self._timeout = settings.timeout
        self.api = api
        self._clock = clock
        self._sleep = sleep
        self._retry = retry
        self._known = settings.secret_values()  # what Tencent's error message must not show

    @property
    def host(self) -> str:
        """What the transport sends as ``Host`` and TC3 signs: the endpoint's host[:port]."""
        return self._transport.netloc

    def headers(self, action: str, payload: bytes, timestamp: int) -> dict[str, str]:
        """The headers the SDK sends for one TC3 JSON POST (``Host`` is added by the transport)."""
        signed = tc3_sign_request(
            secret_id=self._secret_id,
            secret_key=self._secret_key,
            timestamp=timestamp,
            host=self.host,
            payload=payload,
            service=SERVICE,
            content_type=CONTENT_TYPE,
        )
        headers = {
            "Content-Type": CONTENT_TYPE,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": API_VERSION,
            "X-TC-RequestClient": REQUEST_CLIENT,
            "Authorization": signed.authorization,
        }
        if self._region:  # the SDK omits the header when there is no region (CreateLiveRecord)
            headers["X-TC-Region"] = self._region
        if self._token is not None:  # temporary credentials (a CAM role, STS), as the SDK sends them
            headers["X-TC-Token"] = self._token.get_secret_value()
        return headers

    def call(
        self, action: str, params: dict[str, Any], *, creates: bool, deadline: Deadline = NO_DEADLINE
    ) -> dict[str, Any]:
        """One API call, its retries included, by :func:`~shared.tencent.adapter.call_deadline`; returns the
        ``Response`` object or raises a typed error. A refusal is retried only while an attempt still has
        ``MIN_ATTEMPT`` seconds after the backoff."""
        payload = json.dumps(params, separators=(",", ":")).encode("utf-8")
        delays = self._retry.delays()
        until = call_deadline(self._timeout, deadline)
        while True:
            headers = self.headers(action, payload, int(self._clock()))
            body = self._transport.post(action, payload, headers, creates=creates, params=params, until=until)
            with answers.reading(self.api, action, creates=creates, params=params):
                response = answers.obj(body.get("Response"), "Response")
                request_id = answers.token(response.get("RequestId"), "RequestId", optional=True)
                if "Error" not in response:
                    return response
                error = answers.obj(response["Error"], "Error")
                code = answers.token(error.get("Code"), "Error.Code") or ""
                message = answers.message(error.get("Message"), "Error.Message")
            if code.startswith("RequestLimitExceeded"):  # refused, nothing created: safe to retry
                delay = next(delays, None)
                if delay is not None and until - time.monotonic() - delay >= MIN_ATTEMPT:
                    self._sleep(delay)
                    continue
            raise classify(code, message, request_id, self.api, action, known=self._known)

    def create(self, wire: WireRequest, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> CreatedTask:
        response = self.call(wire.action, wire.params, creates=True, deadline=deadline)
        with answers.reading(self.api, wire.action, creates=True, params=wire.params):
            task_id = answers.task_id(
                response.get("TaskId"), "TaskId", numbered=self.api is LiveApi.LIVE_RECORD
            )
            request_id = answers.token(response.get("RequestId"), "RequestId", optional=True)
        return CreatedTask(task_id=task_id, api=self.api, request_id=request_id, plan=plan)

    def stream_state(self, plan: RecordingPlan, deadline: Deadline = NO_DEADLINE) -> str:
        """DescribeLiveStreamState: whether the plan's stream is being pushed now (``active``), not
        (``inactive``), or banned (``forbid``). The call needs the push domain and app (``live`` when unset,
        as its page says); an answer outside those three values is no usable answer."""
        if not plan.domain:
            raise UnsupportedOperation(f"{STREAM_STATE} needs the push domain (domain, or LIVE_DOMAIN)")
        params = {"AppName": plan.app or "live", "DomainName": plan.domain, "StreamName": plan.stream}
        response = self.call(STREAM_STATE, params, creates=False, deadline=deadline)
        with answers.reading(self.api, STREAM_STATE, creates=False, params=params):
            state = answers.token(response.get("StreamState"), "StreamState")
            if state not in STREAM_STATES:
                raise answers.BadAnswer(f"StreamState is not one of {', '.join(sorted(STREAM_STATES))}")
        return str(state)


# Actions whose only parameter is TaskId. Their documented codes have no ResourceNotFound.TaskId (only
# StopLiveRecord / DeleteLiveRecord have it): an unknown or deleted task id comes back as InvalidParameter.
_TASK_ID_ONLY = frozenset({"StopRecordTask", "DeleteRecordTask"})


def classify(
    code: str, message: str, request_id: object, api: LiveApi, action: str, *, known: Iterable[str] = ()
) -> TencentError:
    cls: type[TencentError] | None = None
    if code.startswith("AuthFailure"):
        cls = TencentAuthError
    elif code == "ResourceNotFound.TaskId" or (code == "InvalidParameter" and action in _TASK_ID_ONLY):
        cls = TaskNotFound
    elif code.startswith("RequestLimitExceeded"):
        cls = RateLimited
    elif code.startswith("LimitExceeded"):
        cls = LimitExceeded
    rid = str(request_id) if request_id else None
    return tencent_error(cls, code, message, api=api, action=action, request_id=rid, known=known)
