"""Tencent's error answers, per generation and per action, to our error classes and HTTP statuses.

By code and action only, never by message text: an unknown task on stop/delete is TaskNotFound (404)
whatever code that generation uses for it. The code is passed on as Tencent sent it; the message only
redacted (it may echo the request: the endpoint, a token, the SecretId) and bounded.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.support.config import LiveApi
from shared.support.errors import (
    LimitExceeded,
    RateLimited,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    TencentInputError,
)
from shared.tencent.adapter import MESSAGE_LIMIT
from shared.tencent.api3 import classify
from shared.tencent.fcgi import _error as fcgi_error
from shared.tencent.v2 import _error as v2_error


@pytest.mark.parametrize(
    ("api", "action", "code", "cls", "status"),
    [
        # StopRecordTask / DeleteRecordTask document no ResourceNotFound.TaskId: their only parameter is
        # TaskId, so InvalidParameter is an unknown task
        (LiveApi.RECORD_TASK, "StopRecordTask", "InvalidParameter", TaskNotFound, 404),
        (LiveApi.RECORD_TASK, "DeleteRecordTask", "InvalidParameter", TaskNotFound, 404),
        (LiveApi.RECORD_TASK, "StopRecordTask", "ResourceNotFound.TaskId", TaskNotFound, 404),
        (LiveApi.LIVE_RECORD, "StopLiveRecord", "ResourceNotFound.TaskId", TaskNotFound, 404),
        (LiveApi.LIVE_RECORD, "DeleteLiveRecord", "ResourceNotFound.TaskId", TaskNotFound, 404),
        # elsewhere InvalidParameter stays the caller's parameters
        (LiveApi.RECORD_TASK, "CreateRecordTask", "InvalidParameter", TencentInputError, 422),
        (LiveApi.RECORD_TASK, "DescribeRecordTask", "InvalidParameter", TencentInputError, 422),
        (LiveApi.LIVE_RECORD, "StopLiveRecord", "InvalidParameter", TencentInputError, 422),
        (LiveApi.RECORD_TASK, "StopRecordTask", "InvalidParameterValue", TencentInputError, 422),
        (LiveApi.RECORD_TASK, "CreateRecordTask", "UnknownParameter", TencentError, 502),  # a name of ours
        (LiveApi.RECORD_TASK, "CreateRecordTask", "UnsupportedOperation", TencentInputError, 422),
        (LiveApi.RECORD_TASK, "StopRecordTask", "AuthFailure.SignatureExpire", TencentAuthError, 502),
        (LiveApi.RECORD_TASK, "CreateRecordTask", "RequestLimitExceeded", RateLimited, 429),
        (LiveApi.LIVE_RECORD, "CreateLiveRecord", "LimitExceeded.MaximumTask", LimitExceeded, 429),
    ],
)
def test_api3(api: LiveApi, action: str, code: str, cls: type[TencentError], status: int) -> None:
    err = classify(code, "whatever the message says", "req-1", api, action)
    assert type(err) is cls and err.code == code and err.action == action and err.request_id == "req-1"
    assert err.status == status


@pytest.mark.parametrize(
    ("action", "code", "cls", "status"),
    [
        ("StopRecord", 5000, TaskNotFound, 404),  # resource does not exist
        ("DeleteRecord", 5000, TaskNotFound, 404),
        ("CreateRecord", 5000, TencentError, 502),
        ("StopRecord", 4000, TencentInputError, 422),  # invalid parameters
        ("CreateRecord", 4100, TencentAuthError, 502),  # authentication failed
        ("CreateRecord", 4500, TencentAuthError, 502),  # replay: a Nonce reused, or our clock 2 h off
        ("StopRecord", 4500, TencentAuthError, 502),
        ("CreateRecord", 4400, LimitExceeded, 429),
    ],
)
def test_v2(action: str, code: int, cls: type[TencentError], status: int) -> None:
    err = v2_error(code, {"code": code, "message": "m", "codeDesc": "d"}, action)
    assert type(err) is cls and err.code == str(code) and err.api == LiveApi.V2.value
    assert err.status == status


@pytest.mark.parametrize(
    ("action", "ret", "cls", "status"),
    [
        ("Live_Tape_Stop", 1006, TaskNotFound, 404),  # the emulator's number for an unknown task
        ("Live_Tape_Start", 1006, TencentError, 502),
        ("Live_Tape_Stop", 1001, TencentInputError, 422),
        ("Live_Tape_Stop", 1003, TencentError, 502),
    ],
)
def test_fcgi(action: str, ret: int, cls: type[TencentError], status: int) -> None:
    err = fcgi_error(ret, {"ret": ret, "message": "m"}, action)
    assert type(err) is cls and err.code == str(ret) and err.api == LiveApi.FCGI.value
    assert err.status == status


# --- Tencent's message, as it is passed on ----------------------------------------------------------------

SECRET_ID = "AKIDechoedsecretid0000"
SESSION_TOKEN = "echoed-session-token-0123456789"
QUERY_TOKEN = "echoed-query-token-0123456789"
PASSWORD = "echoed-password-0123456789"
KNOWN = (SECRET_ID, SESSION_TOKEN)
ECHO = (
    f"the request to https://user:{PASSWORD}@live.tencentcloudapi.com/?token={QUERY_TOKEN} "
    f"with SecretId {SECRET_ID} and X-TC-Token: {SESSION_TOKEN} was refused"
)
ERRORS = [
    lambda message: classify(
        "InvalidParameter.Echo", message, "req-1", LiveApi.RECORD_TASK, "X", known=KNOWN
    ),
    lambda message: v2_error(4000, {"code": 4000, "message": message}, "CreateRecord", KNOWN),
    lambda message: fcgi_error(1003, {"ret": 1003, "message": message}, "Live_Tape_Start", KNOWN),
]


@pytest.mark.parametrize("make", ERRORS, ids=["api3", "v2", "fcgi"])
def test_tencents_message_is_redacted_and_its_code_kept(make: Any) -> None:
    err = make(ECHO)
    assert err.code in ("InvalidParameter.Echo", "4000", "1003")  # as Tencent sent it
    shown = " ".join([err.message, str(err), repr(err.to_dict())])
    for secret in (SECRET_ID, SESSION_TOKEN, QUERY_TOKEN, PASSWORD):
        assert secret not in shown
    # what is left says what happened
    assert err.message.startswith("the request to https://***@live.tencentcloudapi.com/?***")
    assert err.message.endswith("was refused")


@pytest.mark.parametrize("make", ERRORS, ids=["api3", "v2", "fcgi"])
def test_tencents_message_is_bounded(make: Any) -> None:
    err = make("x" * 100_000 + f" {SESSION_TOKEN}")
    assert len(err.message) == MESSAGE_LIMIT and err.message.endswith("…")
    assert make("short and plain").message == "short and plain"
