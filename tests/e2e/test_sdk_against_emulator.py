"""The real Tencent Cloud SDK (generated ``LiveClient`` and its models) against the emulator.

This proves the emulator speaks Tencent's protocol, not just ours: the SDK's own TC3 and HmacSHA256
signers are accepted, its request models are understood and its response models parse the answers.
"""

from __future__ import annotations

import time

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from devtools.emulator import Emulator
from tests.conftest import SECRET_ID, SECRET_KEY

pytestmark = pytest.mark.e2e


def client(emulator: Emulator, sign_method: str, key: str = SECRET_KEY) -> live_client.LiveClient:
    http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{emulator.port}", reqTimeout=10)
    profile = ClientProfile(signMethod=sign_method, httpProfile=http)
    return live_client.LiveClient(Credential(SECRET_ID, key), "ap-guangzhou", profile)


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_sdk_creates_describes_stops_and_deletes(emulator: Emulator, sign_method: str) -> None:
    sdk = client(emulator, sign_method)
    now = int(time.time())

    # Given the SDK creates a task the way seed 004 describes
    create = models.CreateRecordTaskRequest()
    create.StreamName, create.DomainName, create.AppName = "livetest", "5000.live.push.com", "live"
    create.StartTime, create.EndTime, create.TemplateId = now + 60, now + 3600, 0
    task_id = sdk.CreateRecordTask(create).TaskId
    assert isinstance(task_id, str) and task_id

    # When it describes the window
    describe = models.DescribeRecordTaskRequest()
    describe.StartTime, describe.EndTime, describe.StreamName = now, now + 86400, "livetest"
    listed = sdk.DescribeRecordTask(describe)
    assert [t.TaskId for t in listed.TaskList] == [task_id]
    assert listed.TaskList[0].StartTime == now + 60 and listed.TaskList[0].Stopped == 0

    # Then stop and delete act on that task
    stop = models.StopRecordTaskRequest()
    stop.TaskId = task_id
    sdk.StopRecordTask(stop)
    assert sdk.DescribeRecordTask(describe).TaskList[0].Stopped > 0
    delete = models.DeleteRecordTaskRequest()
    delete.TaskId = task_id
    sdk.DeleteRecordTask(delete)
    assert not sdk.DescribeRecordTask(describe).TaskList  # deleted tasks are hidden


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_sdk_create_live_record_highlight(emulator: Emulator, sign_method: str) -> None:
    req = models.CreateLiveRecordRequest()
    req.StreamName, req.Highlight, req.FileFormat = "livetest", 1, "MP4"
    task_id = client(emulator, sign_method).CreateLiveRecord(req).TaskId
    assert isinstance(task_id, int)
    [task] = emulator.tasks()
    assert task.mode == "realtime" and round(task.end - task.start) == 1800


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_sdk_with_a_wrong_key_gets_signature_failure(emulator: Emulator, sign_method: str) -> None:
    req = models.StopRecordTaskRequest()
    req.TaskId = "anything"
    with pytest.raises(TencentCloudSDKException) as info:
        client(emulator, sign_method, key="not-the-key").StopRecordTask(req)
    assert info.value.get_code() == "AuthFailure.SignatureFailure"
    assert info.value.get_request_id()
