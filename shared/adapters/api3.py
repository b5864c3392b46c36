"""API 3.0 (``live.tencentcloudapi.com``, version 2018-08-01) through the SDK's ``CommonClient``.

``CommonClient`` signs with TC3-HMAC-SHA256 exactly as the generated ``LiveClient`` does, without
importing the 52k-line generated models. The SDK's retryer is never installed (``NoopRetryer``): this
module owns retries, and only for refusals.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from shared.adapters.base import RetryPolicy, Sleep, WireRequest, never_sent, no_answer
from shared.config import LiveApi, Settings
from shared.errors import (
    LimitExceeded,
    LiverecError,
    RateLimited,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    TencentUnavailable,
)
from shared.models import CreatedTask, RecordingPlan

API_VERSION = "2018-08-01"
SERVICE = "live"
DEFAULT_HOST = "live.tencentcloudapi.com"


class Api3Client:
    """One SDK client per process (connection reuse across warm invocations)."""

    def __init__(
        self, settings: Settings, api: LiveApi, *, region: str, sleep: Sleep, retry: RetryPolicy
    ) -> None:
        # Imported here, not at module import: the SDK pulls in requests, which a cold start on another
        # path does not need.
        from tencentcloud.common.common_client import CommonClient
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile

        assert settings.secret_id is not None and settings.secret_key is not None  # noqa: S101 - Settings guarantees
        if settings.endpoint:
            parts = urlsplit(settings.endpoint)
            http = HttpProfile(protocol=parts.scheme, endpoint=parts.netloc, reqTimeout=settings.timeout)
        else:
            http = HttpProfile(protocol="https", endpoint=DEFAULT_HOST, reqTimeout=settings.timeout)
        http.keepAlive = True
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http, retryer=None)
        credential = Credential(settings.secret_id, settings.secret_key.get_secret_value())
        self._client = CommonClient(SERVICE, API_VERSION, credential, region, profile=profile)
        self.api = api
        self._sleep = sleep
        self._retry = retry
        self._sdk_error = TencentCloudSDKException

    def call(self, action: str, params: dict[str, Any], *, creates: bool) -> dict[str, Any]:
        """One API call; returns the ``Response`` object or raises a typed error."""
        delays = self._retry.delays()
        while True:
            try:
                body = self._client.call_json(action, params)
            except self._sdk_error as exc:
                code = str(exc.get_code() or "")
                if code.startswith("RequestLimitExceeded"):
                    delay = next(delays, None)
                    if delay is not None:
                        self._sleep(delay)
                        continue
                raise self._translate(exc, code, action, params, creates=creates) from None
            response = body.get("Response") if isinstance(body, dict) else None
            if not isinstance(response, dict):
                raise no_answer(
                    self.api, action, creates=creates, why="a response without Response", params=params
                )
            error = response.get("Error")
            if isinstance(error, dict):  # the SDK skips its own check when Content-Type is unusual
                raise classify(
                    str(error.get("Code", "")),
                    str(error.get("Message", "")),
                    response.get("RequestId"),
                    self.api,
                    action,
                )
            return response

    def create(self, wire: WireRequest, plan: RecordingPlan) -> CreatedTask:
        response = self.call(wire.action, wire.params, creates=True)
        return CreatedTask(
            task_id=str(response["TaskId"]), api=self.api, request_id=response.get("RequestId"), plan=plan
        )

    def _translate(
        self, exc: Exception, code: str, action: str, params: dict[str, Any], *, creates: bool
    ) -> LiverecError:
        message = str(getattr(exc, "message", "") or "")
        request_id = getattr(exc, "requestId", None)
        if code == "ClientNetworkError":
            if never_sent(exc):
                return TencentUnavailable(f"could not reach Tencent Live for {action}: {_short(message)}")
            why = f"transport error: {_short(message)}"
            return no_answer(self.api, action, creates=creates, why=why, params=params)
        if code == "ServerNetworkError":  # a non-200 HTTP answer, e.g. a gateway's 502
            return no_answer(
                self.api, action, creates=creates, why=f"HTTP error: {_short(message)}", params=params
            )
        return classify(code, message, request_id, self.api, action)


def classify(code: str, message: str, request_id: object, api: LiveApi, action: str) -> TencentError:
    rid = str(request_id) if request_id else None
    cls: type[TencentError] = TencentError
    if code.startswith("AuthFailure"):
        cls = TencentAuthError
    elif code == "ResourceNotFound.TaskId":
        cls = TaskNotFound
    elif code.startswith("RequestLimitExceeded"):
        cls = RateLimited
    elif code.startswith("LimitExceeded"):
        cls = LimitExceeded
    return cls(code, message, request_id=rid, api=api.value, action=action)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
