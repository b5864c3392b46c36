"""The real Tencent Cloud SDK (``CommonClient``: no generated models) against the emulator.

The SDK signs with its own code (TC3-HMAC-SHA256, HmacSHA256, HmacSHA1; POST and GET), so an accepted call
shows the emulator's independent checker is byte-compatible with what the SDK really sends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from devtools.emulator import Credentials, Emulator, EmulatorConfig

CREDS = Credentials(secret_id="AKIDsdk0000", secret_key="sdk-key-不要泄露", fcgi_appid=1234, fcgi_key="k")
SIGN_METHODS = ["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"]


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running(host="127.0.0.1", port=0):
        yield e  # the clock follows real time: the SDK signs with time.time()


def client(
    emu: Emulator,
    sign_method: str = "TC3-HMAC-SHA256",
    *,
    key: str = CREDS.secret_key,
    req_method: str = "POST",
    region: str = "ap-guangzhou",
) -> CommonClient:
    http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{emu.port}", reqMethod=req_method, reqTimeout=5)
    http.scheme = "http"
    profile = ClientProfile(signMethod=sign_method, httpProfile=http)
    return CommonClient("live", "2018-08-01", Credential(CREDS.secret_id, key), region, profile)


def sdk_error(call: Any, *args: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        call(*args)
    return info.value


@pytest.mark.parametrize("req_method", ["POST", "GET"])
@pytest.mark.parametrize("sign_method", SIGN_METHODS)
def test_sdk_record_task_lifecycle(emu: Emulator, sign_method: str, req_method: str) -> None:
    sdk = client(emu, sign_method, req_method=req_method)
    now = int(time.time())
    create = {
        "StreamName": "livetest",
        "DomainName": "5000.live.push.com",
        "AppName": "live",
        "StartTime": now + 60,
        "EndTime": now + 3600,
        "TemplateId": 0,
    }
    created = sdk.call_json("CreateRecordTask", create)["Response"]
    task_id = created["TaskId"]
    assert isinstance(task_id, str) and task_id and created["RequestId"]
    [task] = emu.tasks()
    assert (task.task_id, task.start, task.end, task.mode) == (task_id, now + 60, now + 3600, "scheduled")

    window = {"StartTime": now, "EndTime": now + 86400, "StreamName": "livetest"}
    listed = sdk.call_json("DescribeRecordTask", window)["Response"]
    assert [t["TaskId"] for t in listed["TaskList"]] == [task_id] and listed["ScrollToken"] == ""
    assert listed["TaskList"][0]["StartTime"] == now + 60 and listed["TaskList"][0]["Stopped"] == 0

    sdk.call_json("StopRecordTask", {"TaskId": task_id})
    assert sdk.call_json("DescribeRecordTask", window)["Response"]["TaskList"][0]["Stopped"] > 0
    sdk.call_json("DeleteRecordTask", {"TaskId": task_id})
    assert sdk.call_json("DescribeRecordTask", window)["Response"]["TaskList"] == []
    assert emu.tasks()[0].deleted
    assert all(r.auth_ok and r.status == 200 for r in emu.requests())


@pytest.mark.parametrize("sign_method", SIGN_METHODS)
def test_sdk_live_record_family(emu: Emulator, sign_method: str) -> None:
    sdk = client(emu, sign_method, region="")  # CreateLiveRecord needs no region
    task_id = sdk.call_json(
        "CreateLiveRecord", {"StreamName": "livetest", "Highlight": 1, "FileFormat": "MP4"}
    )["Response"]["TaskId"]
    assert isinstance(task_id, int)
    [task] = emu.tasks()
    assert task.mode == "realtime" and round(task.end - task.start) == 1800
    sdk.call_json("StopLiveRecord", {"StreamName": "livetest", "TaskId": task_id})
    sdk.call_json("DeleteLiveRecord", {"StreamName": "livetest", "TaskId": task_id})
    assert emu.tasks()[0].stopped_at is not None and emu.tasks()[0].deleted
    err = sdk_error(sdk.call_json, "StopLiveRecord", {"StreamName": "livetest", "TaskId": task_id})
    assert err.get_code() == "ResourceNotFound.TaskId"


@pytest.mark.parametrize("sign_method", SIGN_METHODS)
def test_sdk_with_a_wrong_key_gets_signature_failure(emu: Emulator, sign_method: str) -> None:
    sdk = client(emu, sign_method, key="not-the-key")
    err = sdk_error(sdk.call_json, "StopRecordTask", {"TaskId": "anything"})
    assert err.get_code() == "AuthFailure.SignatureFailure"
    assert err.get_request_id()
    assert [r.auth_ok for r in emu.requests()] == [False]


def test_sdk_sees_the_documented_errors(emu: Emulator) -> None:
    sdk = client(emu)
    now = int(time.time())
    err = sdk_error(
        sdk.call_json, "CreateRecordTask", {"DomainName": "d", "AppName": "a", "EndTime": now + 60}
    )
    assert err.get_code() == "MissingParameter" and "StreamName" in err.get_message()
    late = {"StreamName": "s", "DomainName": "d", "AppName": "a", "StartTime": now, "EndTime": now + 86401}
    assert sdk_error(sdk.call_json, "CreateRecordTask", late).get_code() == "InvalidParameter"
    regionless = client(emu, region="")
    no_region = {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": now + 60}
    assert sdk_error(regionless.call_json, "CreateRecordTask", no_region).get_code() == "MissingParameter"
    assert sdk_error(sdk.call_json, "DescribeNothing", {}).get_code() == "InvalidAction"
    emu.faults.rate_limit(count=1, action="CreateRecordTask")
    assert sdk_error(sdk.call_json, "CreateRecordTask", no_region).get_code() == "RequestLimitExceeded"
    emu.clock.advance(400)  # the SDK's timestamp is now more than 5 minutes behind the server
    assert sdk_error(sdk.call_json, "CreateRecordTask", no_region).get_code() == "AuthFailure.SignatureExpire"
    assert emu.tasks() == []


def test_sdk_network_faults(emu: Emulator) -> None:
    sdk = client(emu)
    params = {"StreamName": "s", "Highlight": 1}
    emu.faults.http_error(status=502)
    assert sdk_error(sdk.call_json, "CreateLiveRecord", params).get_code() == "ServerNetworkError"
    assert emu.tasks() == []
    emu.faults.drop_before_store()
    assert sdk_error(sdk.call_json, "CreateLiveRecord", params).get_code() == "ClientNetworkError"
    assert emu.tasks() == []
    emu.faults.drop_after_store()
    assert sdk_error(sdk.call_json, "CreateLiveRecord", params).get_code() == "ClientNetworkError"
    assert len(emu.tasks()) == 1  # stored, though the SDK never saw the TaskId
    assert isinstance(sdk.call_json("CreateLiveRecord", params)["Response"]["TaskId"], int)
