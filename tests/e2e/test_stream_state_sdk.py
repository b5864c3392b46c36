"""The real Tencent Cloud SDK's DescribeLiveStreamState (its generated model) against the emulator, whose
answer follows the pushes it knows (the control API's push, begin and end) and the streams it banned."""

from __future__ import annotations

import json
import urllib.request

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from devtools.emulator import Credentials, Emulator, emulator_process
from tests.e2e.test_sdk_against_emulator import client

pytestmark = pytest.mark.e2e
DOMAIN, APP = "5000.live.push.com", "live"


def control(emulator: Emulator, body: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        f"{emulator.base_url}/_emulator/push", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        result: dict[str, object] = json.loads(answer.read())
        return result


def state(emulator: Emulator, sign_method: str, stream: str, domain: str = DOMAIN) -> str:
    ask = models.DescribeLiveStreamStateRequest()
    ask.AppName, ask.DomainName, ask.StreamName = APP, domain, stream
    answer = client(emulator, sign_method).DescribeLiveStreamState(ask)
    assert answer.RequestId
    return str(answer.StreamState)


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_the_state_follows_the_pushes(fresh_emulator: Emulator, sign_method: str) -> None:
    push = {"domain": DOMAIN, "app": APP, "stream": "s"}
    assert state(fresh_emulator, sign_method, "s") == "inactive"
    assert control(fresh_emulator, push)["ok"] is True
    assert state(fresh_emulator, sign_method, "s") == "active"
    assert state(fresh_emulator, sign_method, "s", domain="other.push.com") == "inactive"
    control(fresh_emulator, push | {"action": "forbid"})
    assert state(fresh_emulator, sign_method, "s") == "forbid"
    control(fresh_emulator, push | {"action": "allow"})
    control(fresh_emulator, push | {"action": "end"})
    assert state(fresh_emulator, sign_method, "s") == "inactive"


def test_the_three_names_are_required(fresh_emulator: Emulator) -> None:
    ask = models.DescribeLiveStreamStateRequest()
    ask.AppName, ask.StreamName = APP, "s"
    with pytest.raises(TencentCloudSDKException) as caught:
        client(fresh_emulator, "TC3-HMAC-SHA256").DescribeLiveStreamState(ask)
    assert caught.value.code == "MissingParameter"


@pytest.mark.parametrize(("flags", "expected"), [((), "active"), (("--live", ""), "inactive")])
def test_the_emulator_command_pushes_the_samples_stream_from_the_start(
    flags: tuple[str, ...], expected: str
) -> None:
    """``python -m devtools.emulator`` (what make package's samples, invoke-local and offline run against)
    starts with the events/ samples' stream pushed, as make run does, so their highlight is recorded rather
    than refused as not live; ``--live ''`` pushes none."""
    defaults = Credentials()
    with emulator_process(*flags) as url:
        http = HttpProfile(protocol="http", endpoint=url.removeprefix("http://").rstrip("/"), reqTimeout=10)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        sdk = live_client.LiveClient(
            Credential(defaults.secret_id, defaults.secret_key), "ap-guangzhou", profile
        )
        ask = models.DescribeLiveStreamStateRequest()
        ask.AppName, ask.DomainName, ask.StreamName = APP, DOMAIN, "livetest"
        assert sdk.DescribeLiveStreamState(ask).StreamState == expected
