"""The emulator on its own, driven over raw HTTP with signers written here from Tencent's rules.

These signers are deliberately independent of ``shared.signing`` (and of the emulator's checker), so that
three implementations agree: the SDK's, ours, and this test's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from devtools.emulator import Credentials, Emulator, EmulatorConfig

CREDS = Credentials(secret_id="AKIDunit", secret_key="unit-key", fcgi_appid=1234, fcgi_key="unit-fcgi-key")
CST = timezone(timedelta(hours=8))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running():
        yield e


# --- independent signers -------------------------------------------------------------------------------


def tc3_headers(
    host: str,
    action: str,
    body: bytes,
    ts: int,
    *,
    key: str = CREDS.secret_key,
    date: str | None = None,
    region: str | None = "ap-guangzhou",
) -> dict[str, str]:
    date = date or datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")
    ctype = "application/json"
    canonical = f"POST\n/\n\ncontent-type:{ctype}\nhost:{host}\n\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
    to_sign = (
        f"TC3-HMAC-SHA256\n{ts}\n{date}/live/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    k = hmac.new(("TC3" + key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"live", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": ctype,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(ts),
        "Authorization": f"TC3-HMAC-SHA256 Credential={CREDS.secret_id}/{date}/live/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
    }
    if region:
        headers["X-TC-Region"] = region
    return headers


def api3(
    emu: Emulator, action: str, params: dict[str, Any], *, ts: int | None = None, **kw: Any
) -> dict[str, Any]:
    body = json.dumps(params).encode()
    host = f"127.0.0.1:{emu.port}"
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    conn.request(
        "POST", "/", body=body, headers=tc3_headers(host, action, body, ts or int(emu.clock.now()), **kw)
    )
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type") == "application/json"
    data: dict[str, Any] = json.loads(resp.read())["Response"]
    conn.close()
    assert data["RequestId"]
    return data


def v2(
    emu: Emulator, params: dict[str, str], *, nonce: int = 1, ts: int | None = None, method: str = "HmacSHA1"
) -> dict[str, Any]:
    host = f"127.0.0.1:{emu.port}"
    full = dict(
        params,
        SecretId=CREDS.secret_id,
        Timestamp=str(ts or int(emu.clock.now())),
        Nonce=str(nonce),
        Region="gz",
        SignatureMethod=method,
    )
    text = f"GET{host}/v2/index.php?" + "&".join(
        f"{k.replace('_', '.')}={full[k]}" for k in sorted(full, key=lambda k: k.replace("_", "."))
    )
    digest = hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1
    full["Signature"] = base64.b64encode(
        hmac.new(CREDS.secret_key.encode(), text.encode(), digest).digest()
    ).decode()
    return get(emu, "/v2/index.php?" + urlencode(full))


def get(emu: Emulator, path: str) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    assert resp.status == 200
    data: dict[str, Any] = json.loads(resp.read())
    conn.close()
    return data


def fcgi_query(t: int, key: str = CREDS.fcgi_key, id_name: str = "appid", **params: str) -> str:
    sign = hashlib.md5((key + str(t)).encode()).hexdigest()
    rest = "".join(f"&{k.replace('__', '.')}={quote(v, safe='')}" for k, v in params.items())
    return f"/common_access?{id_name}=1234{rest}&t={t}&sign={sign}"


def cst(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()


# --- API 3.0 ---------------------------------------------------------------------------------------------


def test_create_record_task_seed_004_example(emu: Emulator) -> None:
    emu.clock.freeze(1589880000)
    params = {
        "AppName": "live",
        "DomainName": "5000.live.push.com",
        "StreamName": "livetest",
        "StartTime": 1589889600,
        "EndTime": 1589904000,
        "TemplateId": 0,
    }
    data = api3(emu, "CreateRecordTask", params)
    assert isinstance(data["TaskId"], str) and len(data["TaskId"]) > 20
    [task] = emu.tasks()
    assert (task.start, task.end, task.template_id, task.mode) == (1589889600, 1589904000, 0, "scheduled")


def test_tc3_credential_date_is_the_utc_date_even_between_0_and_8_cst(emu: Emulator) -> None:
    # 2026-05-21 02:30 CST is still 2026-05-20 in UTC
    ts = int(datetime(2026, 5, 20, 18, 30, tzinfo=UTC).timestamp())
    emu.clock.freeze(ts)
    params = {"TaskId": "x"}
    assert (
        api3(emu, "StopRecordTask", params, ts=ts)["Error"]["Code"] == "ResourceNotFound.TaskId"
    )  # signature accepted
    cst_date = datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d")
    assert (
        api3(emu, "StopRecordTask", params, ts=ts, date=cst_date)["Error"]["Code"]
        == "AuthFailure.SignatureFailure"
    )


@pytest.mark.parametrize(
    ("skew", "code"),
    [
        (299, "ResourceNotFound.TaskId"),
        (301, "AuthFailure.SignatureExpire"),
        (-301, "AuthFailure.SignatureExpire"),
    ],
)
def test_tc3_five_minute_window(emu: Emulator, skew: int, code: str) -> None:
    now = int(emu.clock.now())
    assert api3(emu, "StopRecordTask", {"TaskId": "x"}, ts=now + skew)["Error"]["Code"] == code


def test_wrong_key_and_unknown_id(emu: Emulator) -> None:
    assert (
        api3(emu, "StopRecordTask", {"TaskId": "x"}, key="nope")["Error"]["Code"]
        == "AuthFailure.SignatureFailure"
    )
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    conn.request(
        "POST", "/", body=b"{}", headers={"Content-Type": "application/json", "X-TC-Action": "StopRecordTask"}
    )
    assert (
        json.loads(conn.getresponse().read())["Response"]["Error"]["Code"]
        == "AuthFailure.InvalidAuthorization"
    )


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"DomainName": "d", "AppName": "a", "EndTime": 10**10}, "MissingParameter", "StreamName"),
        ({"StreamName": "s", "DomainName": "d", "AppName": "a"}, "MissingParameter", "EndTime"),
        (
            {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": "soon"},
            "InvalidParameter",
            "EndTime",
        ),
        (
            {"StreamName": "s", "DomainName": "d", "AppName": "a", "StartTime": 2000, "EndTime": 1000},
            "InvalidParameter",
            "later than StartTime",
        ),
        (
            {"StreamName": "s", "DomainName": "d", "AppName": "a", "StartTime": 500, "EndTime": 1000},
            "InvalidParameter",
            "current time",
        ),
        (
            {
                "StreamName": "s",
                "DomainName": "d",
                "AppName": "a",
                "StartTime": "NOW+60",
                "EndTime": "NOW+86461",
            },
            "InvalidParameter",
            "24 hours",
        ),
        (
            {
                "StreamName": "s",
                "DomainName": "d",
                "AppName": "a",
                "StartTime": "NOW+518401",
                "EndTime": "NOW+522000",
            },
            "InvalidParameter",
            "6 days",
        ),
        (
            {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": "NOW+60", "StreamType": 2},
            "InvalidParameter",
            "StreamType",
        ),
    ],
)
def test_create_record_task_rules(emu: Emulator, params: dict[str, Any], code: str, words: str) -> None:
    now = int(emu.clock.now())
    emu.clock.freeze(now)
    resolved = {
        k: (now + int(v[4:]) if isinstance(v, str) and v.startswith("NOW+") else v) for k, v in params.items()
    }
    err = api3(emu, "CreateRecordTask", resolved)["Error"]
    assert err["Code"] == code and words in err["Message"]
    assert emu.tasks() == []


def test_create_record_task_region_is_required_and_checked(emu: Emulator) -> None:
    params = {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": int(emu.clock.now()) + 60}
    assert api3(emu, "CreateRecordTask", params, region=None)["Error"]["Code"] == "MissingParameter"
    assert api3(emu, "CreateRecordTask", params, region="ap-beijing")["Error"]["Code"] == "UnsupportedRegion"
    assert "TaskId" in api3(emu, "CreateRecordTask", params, region="eu-frankfurt")


def test_only_three_overlapping_tasks_of_a_stream_run(emu: Emulator) -> None:
    now = int(emu.clock.now())
    emu.clock.freeze(now)
    for _ in range(4):
        api3(
            emu,
            "CreateRecordTask",
            {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": now + 600},
        )
    api3(
        emu,
        "CreateRecordTask",
        {"StreamName": "other", "DomainName": "d", "AppName": "a", "EndTime": now + 600},
    )
    running = [t.running for t in emu.tasks()]
    assert running == [True, True, True, False, True]


def test_running_cap_is_limit_exceeded(emu: Emulator) -> None:
    emu.config.record_task_running_cap = 2
    now = int(emu.clock.now())
    codes = [
        api3(
            emu,
            "CreateRecordTask",
            {"StreamName": f"s{i}", "DomainName": "d", "AppName": "a", "EndTime": now + 600},
        )
        .get("Error", {})
        .get("Code")
        for i in range(3)
    ]
    assert codes == [None, None, "LimitExceeded.MaximumRunningTask"]


def test_rate_limit_20_per_second_for_create_record_task(emu: Emulator) -> None:
    now = int(emu.clock.now())
    params = {"StreamName": "s", "DomainName": "d", "AppName": "a", "EndTime": now + 600}
    codes = [api3(emu, "CreateRecordTask", params).get("Error", {}).get("Code") for _ in range(25)]
    assert codes.count("RequestLimitExceeded") >= 1
    assert len(emu.tasks()) == codes.count(None) <= 20


def test_describe_pages_and_validates(emu: Emulator) -> None:
    emu.config.describe_page_size = 2
    now = int(emu.clock.now())
    emu.clock.freeze(now)
    for i in range(5):
        api3(
            emu,
            "CreateRecordTask",
            {
                "StreamName": "s",
                "DomainName": "d",
                "AppName": "a",
                "StartTime": now + i,
                "EndTime": now + 600,
            },
        )
    seen, token, pages = [], "", 0
    while True:
        q: dict[str, Any] = {"StartTime": now - 10, "EndTime": now + 700, "StreamName": "s"}
        if token:
            q["ScrollToken"] = token
        data = api3(emu, "DescribeRecordTask", q)
        seen += [t["StartTime"] for t in data["TaskList"]]
        token, pages = data["ScrollToken"], pages + 1
        if not token:
            break
    assert seen == [now + i for i in range(5)] and pages == 3
    assert (
        api3(emu, "DescribeRecordTask", {"StartTime": now, "EndTime": now + 8 * 86400})["Error"]["Code"]
        == "InvalidParameter"
    )
    assert (
        api3(emu, "DescribeRecordTask", {"StartTime": now - 91 * 86400, "EndTime": now - 90 * 86400 + 10})[
            "Error"
        ]["Code"]
        == "InvalidParameter"
    )
    assert (
        api3(emu, "DescribeRecordTask", {"StartTime": now, "EndTime": now + 10, "ScrollToken": "!!"})[
            "Error"
        ]["Code"]
        == "InvalidParameterValue"
    )
    # tasks outside the window are not listed: the window must contain the task's start and end
    assert api3(emu, "DescribeRecordTask", {"StartTime": now + 1, "EndTime": now + 599})["TaskList"] == []


def test_create_live_record_rules_and_caps(emu: Emulator) -> None:
    emu.clock.freeze(cst("2018-09-11 12:00:00"))
    ok = {
        "StreamName": "livetest",
        "StartTime": "2018-09-11+12%3a04%3a01",
        "EndTime": "2018-09-11 12:08:01",
        "FileFormat": "MP4",
        "RecordType": "Audio",
    }
    assert isinstance(api3(emu, "CreateLiveRecord", ok)["TaskId"], int)  # URL-encoded or not, any case
    assert emu.tasks()[0].start == cst("2018-09-11 12:04:01")
    bad = [
        ({"StreamName": "s", "EndTime": "2018-09-11 12:08:01"}, "MissingParameter"),
        (
            {"StreamName": "s", "StartTime": "2018-09-11 12:04:01", "EndTime": "2018/09/11"},
            "InvalidParameterValue",
        ),
        (ok | {"FileFormat": "avi"}, "InvalidParameterValue"),
        (ok | {"StreamParam": "record_interval=1200"}, "InvalidParameterValue"),
        (ok | {"StreamParam": "record_interval%3D3600%26bogus%3D1"}, "InvalidParameterValue"),
    ]
    for params, code in bad:
        assert api3(emu, "CreateLiveRecord", params)["Error"]["Code"] == code, params
    emu.config.daily_task_cap = 2
    assert "TaskId" in api3(
        emu, "CreateLiveRecord", ok | {"StreamParam": "record_interval%3D3600%26storage_time%3D2592000"}
    )
    assert api3(emu, "CreateLiveRecord", ok)["Error"]["Code"] == "LimitExceeded.MaximumTask"
    # the daily cap is for scheduled tasks; a highlight still goes through
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})


def test_live_record_highlight_clamps_to_30_minutes(emu: Emulator) -> None:
    now = cst("2018-09-11 12:00:00")
    emu.clock.freeze(now)
    for end in (None, "2018-09-11 11:00:00", "2018-09-11 13:00:00"):
        params: dict[str, Any] = {"StreamName": "s", "Highlight": 1, "StartTime": "2018-09-11 10:00:00"}
        if end:
            params["EndTime"] = end
        api3(emu, "CreateLiveRecord", params)
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1, "EndTime": "2018-09-11 12:05:00"})
    assert [(t.start - now, t.end - now) for t in emu.tasks()] == [(0, 1800)] * 3 + [(0, 300)]


def test_families_never_mix(emu: Emulator) -> None:
    live_id = api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["TaskId"]
    assert api3(emu, "StopRecordTask", {"TaskId": str(live_id)})["Error"]["Code"] == "ResourceNotFound.TaskId"
    assert (
        api3(emu, "StopLiveRecord", {"StreamName": "other", "TaskId": live_id})["Error"]["Code"]
        == "ResourceNotFound.TaskId"
    )
    assert set(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": live_id})) == {"RequestId"}


# --- v2 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["HmacSHA1", "HmacSHA256"])
def test_v2_create_stop_list(emu: Emulator, method: str) -> None:
    emu.clock.freeze(cst("2016-01-21 11:45:00"))
    created = v2(
        emu,
        {"Action": "CreateRecord", "channelId": "123", "tapeType": "1", "endTime": "2016-01-21 12:00:00"},
        method=method,
    )
    assert created["code"] == 0 and created["message"] == "" and isinstance(created["task_id"], int)
    listed = v2(emu, {"Action": "DescribeRecordList", "channelId": "123"}, nonce=2, method=method)
    assert listed["totalCount"] == 1 and listed["taskSet"][0]["id"] == created["task_id"]
    assert listed["taskSet"][0]["endTime"] == "2016-01-21 12:00:00"
    stopped = v2(
        emu,
        {"Action": "StopRecord", "channelId": "123", "taskId": str(created["task_id"])},
        nonce=3,
        method=method,
    )
    assert stopped == {"code": 0, "message": ""}


def test_v2_errors(emu: Emulator) -> None:
    now = int(emu.clock.now())
    base = {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}
    assert v2(emu, base, nonce=10)["code"] == 0
    assert v2(emu, base, nonce=10)["code"] == 4500  # replayed nonce
    assert v2(emu, base, nonce=11, ts=now - 7201)["code"] == 4100
    scheduled = {
        "Action": "CreateRecord",
        "channelId": "c",
        "tapeType": "0",
        "startTime": "2030-01-01 00:00:00",
        "endTime": "2030-01-02 00:00:01",
    }
    too_long = v2(emu, scheduled, nonce=12)
    assert too_long["code"] == 4000 and "one day" in too_long["message"]
    assert v2(emu, {"Action": "Nope"}, nonce=13)["code"] == 4000


# --- fcgi ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("id_name", ["appid", "cmd"])
def test_fcgi_seed_url_forms_are_accepted(emu: Emulator, id_name: str) -> None:
    # the seed's exact spelling of the times (lowercase %3a, + for the space), with our key and a future t
    emu.clock.freeze(cst("2017-05-20 09:00:00"))
    t = int(cst("2017-05-20 09:05:00"))
    sign = hashlib.md5((CREDS.fcgi_key + str(t)).encode()).hexdigest()
    path = (
        f"/common_access?{id_name}=1234&interface=Live_Tape_Start&Param.s.channel_id=8888_test123"
        f"&Param.s.start_time=2017-05-20+10%3a00%3a00&Param.s.end_time=2017-05-20+10%3a30%3a00&t={t}&sign={sign}"
    )
    data = get(emu, path)
    assert data["ret"] == 0 and isinstance(data["output"]["task_id"], int)
    [task] = emu.tasks()
    assert (task.start, task.end) == (cst("2017-05-20 10:00:00"), cst("2017-05-20 10:30:00"))


def test_fcgi_errors(emu: Emulator) -> None:
    now = int(emu.clock.now())
    start = {"interface": "Live_Tape_Start", "Param__s__channel_id": "c", "Param__n__task_sub_type": "1"}
    assert get(emu, fcgi_query(now + 60, key="bad", **start))["ret"] == 1003
    assert get(emu, fcgi_query(now - 1, **start))["ret"] == 1004
    assert get(emu, fcgi_query(now + 60, **start).replace("appid=1234", "appid=9"))["ret"] == 1002
    assert get(emu, fcgi_query(now + 60, interface="Live_Tape_Nope"))["ret"] == 1005
    video_aac = get(emu, fcgi_query(now + 60, **start, Param__s__file_format="aac"))
    assert video_aac["ret"] == 1001 and "video" in video_aac["message"]
    assert (
        get(emu, fcgi_query(now + 60, **start, Param__s__file_format="aac", Param__s__record_type="audio"))[
            "ret"
        ]
        == 0
    )
    assert (
        get(
            emu,
            fcgi_query(
                now + 60, interface="Live_Tape_Stop", Param__s__channel_id="c", Param__n__task_id="999"
            ),
        )["ret"]
        == 1006
    )


# --- faults, control API, robustness ----------------------------------------------------------------------------


def test_drop_after_store_closes_without_answer_but_keeps_the_task(emu: Emulator) -> None:
    emu.faults.drop_after_store(count=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert len(emu.tasks()) == 1
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})  # the fault was consumed
    assert len(emu.tasks()) == 2


def test_drop_before_store_keeps_nothing(emu: Emulator) -> None:
    emu.faults.drop_before_store(count=1, action="CreateLiveRecord")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert emu.tasks() == []


def test_http_error_and_latency(emu: Emulator) -> None:
    emu.faults.http_error(status=503, count=1)
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    conn.request(
        "GET",
        fcgi_query(
            int(emu.clock.now()) + 60,
            interface="Live_Tape_Start",
            Param__s__channel_id="c",
            Param__n__task_sub_type="1",
        ),
    )
    resp = conn.getresponse()
    assert resp.status == 503 and emu.tasks() == []
    emu.faults.latency(0.3, count=1)
    began = time.monotonic()
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert time.monotonic() - began >= 0.3


def test_clock_controls(emu: Emulator) -> None:
    emu.clock.freeze(1000.0)
    emu.clock.advance(5)
    assert emu.clock.now() == 1005.0
    emu.clock.reset()
    assert abs(emu.clock.now() - time.time()) < 1


def test_control_api_over_http(emu: Emulator) -> None:
    def post(name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        conn.request(
            "POST", f"/_emulator/{name}", body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())

    assert get(emu, "/_emulator/health") == {"ok": True}
    assert post("clock", {"set": 2000})[1]["now"] == pytest.approx(2000, abs=1)
    assert post("clock", {"reset": True})[0] == 200
    assert post("faults", {"kind": "rate_limit", "count": 1})[0] == 200
    assert (
        api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["Error"]["Code"]
        == "RequestLimitExceeded"
    )
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert [t["stream"] for t in get(emu, "/_emulator/tasks")["tasks"]] == ["s"]
    assert len(get(emu, "/_emulator/requests")["requests"]) == 2
    assert post("faults", {"kind": "explode"})[0] == 400
    assert post("reset", {})[0] == 200 and get(emu, "/_emulator/tasks")["tasks"] == []


def test_garbage_never_gets_a_traceback(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    for method, path, body in [
        ("GET", "/nope", b""),
        ("PUT", "/", b""),
        ("POST", "/", b"not json"),
        ("GET", "/common_access?%%%", b""),
        ("POST", "/v2/index.php", b"\xff\xfe"),
    ]:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        payload = resp.read()
        assert resp.status in (200, 404, 405) and b"Traceback" not in payload, (method, path)
    conn.request("POST", "/", body=b"x" * (1024 * 1024 + 1))
    assert conn.getresponse().status == 413


def test_concurrent_creates_are_all_stored_with_unique_ids(emu: Emulator) -> None:
    ids: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        task_id = api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["TaskId"]
        with lock:
            ids.append(task_id)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == 20 == len(set(ids)) == len(emu.tasks())
