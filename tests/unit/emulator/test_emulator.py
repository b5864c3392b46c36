"""The emulator on its own, driven over raw HTTP with signers written here from Tencent's rules.

These signers are deliberately independent of ``shared.tencent.signing`` (and of the emulator's checker), so that
three implementations agree: the SDK's (see test_emulator_sdk.py), the emulator's, and this file's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from devtools.emulator import Clock, Credentials, Emulator, EmulatorConfig, Faults

CREDS = Credentials(
    secret_id="AKIDunit0000", secret_key="unit-key-不要泄露", fcgi_appid=1234, fcgi_key="unit-fcgi-key"
)
CST = timezone(timedelta(hours=8))
# 2026-05-21 02:30:00 CST = 2026-05-20 18:30:00 UTC: inside 00:00-08:00 CST, where the UTC and CST dates differ
T0 = int(datetime(2026, 5, 20, 18, 30, tzinfo=UTC).timestamp())
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_nonces = itertools.count(1)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running(host="127.0.0.1", port=0):
        e.clock.freeze(T0)
        yield e


def cst(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()


# --- raw HTTP and independent signers --------------------------------------------------------------------


def send(
    emu: Emulator, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def tc3_headers(
    emu: Emulator,
    action: str,
    *,
    method: str = "POST",
    query: str = "",
    body: bytes = b"",
    ts: int | None = None,
    key: str = CREDS.secret_key,
    secret_id: str = CREDS.secret_id,
    date: str | None = None,
    region: str | None = "ap-guangzhou",
    version: str = "2018-08-01",
    unsigned_payload: bool = False,
) -> dict[str, str]:
    ts = int(emu.clock.now()) if ts is None else ts
    date = date or datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")
    host = f"127.0.0.1:{emu.port}"
    ctype = "application/json" if method == "POST" else "application/x-www-form-urlencoded"
    payload = b"UNSIGNED-PAYLOAD" if unsigned_payload else (body if method == "POST" else b"")
    canonical = "\n".join(
        [
            method,
            "/",
            query if method == "GET" else "",
            f"content-type:{ctype}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
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
        "X-TC-Version": version,
        "X-TC-Timestamp": str(ts),
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/live/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
    }
    if region:
        headers["X-TC-Region"] = region
    if unsigned_payload:
        headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    return headers


def api3_raw(
    emu: Emulator, action: str, params: dict[str, Any], *, method: str = "POST", **kw: Any
) -> tuple[int, dict[str, str], dict[str, Any]]:
    if method == "GET":
        query = urlencode(params)
        status, headers, data = send(
            emu, "GET", "/?" + query, headers=tc3_headers(emu, action, method="GET", query=query, **kw)
        )
    else:
        body = json.dumps(params).encode()
        status, headers, data = send(emu, "POST", "/", body, tc3_headers(emu, action, body=body, **kw))
    return status, headers, json.loads(data)


def api3(emu: Emulator, action: str, params: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """One TC3-signed API 3.0 call; returns ``Response`` after checking the envelope."""
    status, headers, data = api3_raw(emu, action, params, **kw)
    assert status == 200 and headers["content-type"] == "application/json"
    assert int(headers["content-length"]) > 0
    response: dict[str, Any] = data["Response"]
    assert UUID4.match(response["RequestId"])
    return response


def code(response: dict[str, Any]) -> str | None:
    error: dict[str, str] | None = response.get("Error")
    return error["Code"] if error else None


def api3_old(
    emu: Emulator,
    action: str,
    params: dict[str, Any],
    *,
    method: str = "POST",
    sign_method: str = "HmacSHA256",
    key: str = CREDS.secret_key,
    ts: int | None = None,
) -> dict[str, Any]:
    """The SDK's HmacSHA1/HmacSHA256 signing for API 3.0: common parameters in the form (or query)."""
    host = f"127.0.0.1:{emu.port}"
    full = {k: str(v) for k, v in params.items()} | {
        "Action": action,
        "Version": "2018-08-01",
        "Region": "ap-guangzhou",
        "Timestamp": str(int(emu.clock.now()) if ts is None else ts),
        "Nonce": str(next(_nonces)),
        "SecretId": CREDS.secret_id,
        "SignatureMethod": sign_method,
        "RequestClient": "unit_test",
        "Language": "zh-CN",
    }
    text = f"{method}{host}/?" + "&".join(
        f"{k}={v}" for k, v in sorted((k.replace("_", "."), v) for k, v in full.items())
    )
    digest = hashlib.sha256 if sign_method == "HmacSHA256" else hashlib.sha1
    full["Signature"] = base64.b64encode(hmac.new(key.encode(), text.encode(), digest).digest()).decode()
    form = urlencode(full)
    ctype = {"Content-Type": "application/x-www-form-urlencoded", "Host": host}
    if method == "GET":
        status, _, data = send(emu, "GET", "/?" + form, headers=ctype)
    else:
        status, _, data = send(emu, "POST", "/", form.encode(), ctype)
    assert status == 200
    response: dict[str, Any] = json.loads(data)["Response"]
    return response


def v2(
    emu: Emulator,
    params: dict[str, str],
    *,
    nonce: int | None = None,
    ts: int | None = None,
    sign_method: str | None = "HmacSHA1",
    key: str = CREDS.secret_key,
    secret_id: str = CREDS.secret_id,
    method: str = "GET",
    encode_signature: bool = True,
    region: str | None = "gz",
) -> dict[str, Any]:
    host = f"127.0.0.1:{emu.port}"
    full = dict(
        params,
        SecretId=secret_id,
        Timestamp=str(int(emu.clock.now()) if ts is None else ts),
        Nonce=str(next(_nonces) if nonce is None else nonce),
    )
    if region is not None:
        full["Region"] = region
    if sign_method:
        full["SignatureMethod"] = sign_method
    text = f"{method}{host}/v2/index.php?" + "&".join(
        f"{k}={v}" for k, v in sorted((k.replace("_", "."), v) for k, v in full.items())
    )
    digest = hashlib.sha256 if sign_method == "HmacSHA256" else hashlib.sha1
    signature = base64.b64encode(hmac.new(key.encode(), text.encode(), digest).digest()).decode()
    query = urlencode(full) + "&Signature=" + (quote(signature, safe="") if encode_signature else signature)
    if method == "GET":
        status, headers, data = send(emu, "GET", "/v2/index.php?" + query)
    else:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, headers, data = send(emu, "POST", "/v2/index.php", query.encode(), form)
    assert status == 200 and headers["content-type"] == "application/json"
    result: dict[str, Any] = json.loads(data)
    return result


def fcgi_path(
    params: dict[str, str], *, t: int, key: str = CREDS.fcgi_key, id_name: str = "appid", appid: str = "1234"
) -> str:
    sign = hashlib.md5((key + str(t)).encode()).hexdigest()
    rest = "".join(f"&{k}={quote(v, safe='')}" for k, v in params.items())
    return f"/common_access?{id_name}={appid}{rest}&t={t}&sign={sign}"


def get_json(emu: Emulator, path: str) -> dict[str, Any]:
    status, headers, data = send(emu, "GET", path)
    assert status == 200 and headers["content-type"] == "application/json", data
    result: dict[str, Any] = json.loads(data)
    return result


def fcgi(emu: Emulator, params: dict[str, str], **kw: Any) -> dict[str, Any]:
    kw.setdefault("t", int(emu.clock.now()) + 60)
    return get_json(emu, fcgi_path(params, **kw))


def record_task(stream: str = "s", **extra: Any) -> dict[str, Any]:
    return {"StreamName": stream, "DomainName": "5000.live.push.com", "AppName": "live", **extra}


# --- API 3.0: authentication ----------------------------------------------------------------------------


def test_create_record_task_seed_004_example(emu: Emulator) -> None:
    emu.clock.freeze(1589880000)
    params = record_task("livetest", StartTime=1589889600, EndTime=1589904000, TemplateId=0)
    data = api3(emu, "CreateRecordTask", params)
    assert set(data) == {"TaskId", "RequestId"}
    assert isinstance(data["TaskId"], str) and len(data["TaskId"]) > 20
    [task] = emu.tasks()
    assert (task.api, task.task_id, task.stream, task.domain, task.app) == (
        "record-task",
        data["TaskId"],
        "livetest",
        "5000.live.push.com",
        "live",
    )
    assert (task.start, task.end, task.template_id, task.mode) == (1589889600, 1589904000, 0, "scheduled")
    assert task.params == params and task.created_at == 1589880000
    assert (task.stopped_at, task.deleted, task.running) == (None, False, False)


def test_tc3_credential_date_is_the_utc_date_even_between_0_and_8_cst(emu: Emulator) -> None:
    utc_date = datetime.fromtimestamp(T0, tz=UTC).strftime("%Y-%m-%d")
    cst_date = datetime.fromtimestamp(T0, tz=CST).strftime("%Y-%m-%d")
    assert utc_date != cst_date
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"}, date=utc_date)) == "InvalidParameter"
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"}, date=cst_date)) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("skew", "expected"),
    [
        (0, "InvalidParameter"),  # past authentication: task x is unknown
        (300, "InvalidParameter"),
        (-300, "InvalidParameter"),
        (301, "AuthFailure.SignatureExpire"),
        (-301, "AuthFailure.SignatureExpire"),
    ],
)
def test_tc3_five_minute_window(emu: Emulator, skew: int, expected: str) -> None:
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"}, ts=T0 + skew)) == expected


def test_tc3_auth_failures(emu: Emulator) -> None:
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"}, key="nope")) == "AuthFailure.SignatureFailure"
    assert (
        code(api3(emu, "StopRecordTask", {"TaskId": "x"}, secret_id="AKIDother"))
        == "AuthFailure.SecretIdNotFound"
    )
    body = b'{"TaskId": "x"}'
    for headers in (
        {"Content-Type": "application/json", "X-TC-Action": "StopRecordTask"},
        {"Content-Type": "application/json", "X-TC-Action": "StopRecordTask", "Authorization": "garbage"},
        tc3_headers(emu, "StopRecordTask", body=body) | {"X-TC-Timestamp": "soon"},
    ):
        status, _, data = send(emu, "POST", "/", body, headers)
        assert status == 200
        assert json.loads(data)["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    # a body that differs from the signed one
    headers = tc3_headers(emu, "StopRecordTask", body=body)
    _, _, data = send(emu, "POST", "/", b'{"TaskId": "y"}', headers)
    assert json.loads(data)["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert [r.auth_ok for r in emu.requests()] == [False] * 6
    assert all("authorization" not in r.headers for r in emu.requests())


def test_tc3_get_with_query_and_unsigned_payload(emu: Emulator) -> None:
    created = api3(emu, "CreateRecordTask", record_task(EndTime=T0 + 600), method="GET")
    assert isinstance(created["TaskId"], str)
    assert emu.requests()[-1].params == {
        "StreamName": "s",
        "DomainName": "5000.live.push.com",
        "AppName": "live",
        "EndTime": str(T0 + 600),
    }
    assert emu.requests()[-1].raw == urlencode(record_task(EndTime=T0 + 600))
    stopped = api3(emu, "StopRecordTask", {"TaskId": created["TaskId"]}, unsigned_payload=True)
    assert set(stopped) == {"RequestId"}


@pytest.mark.parametrize("sign_method", ["HmacSHA1", "HmacSHA256"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_api3_old_style_hmac_signing(emu: Emulator, sign_method: str, method: str) -> None:
    created = api3_old(
        emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1}, method=method, sign_method=sign_method
    )
    assert isinstance(created["TaskId"], int)
    # common parameters are not part of the action's parameters
    assert emu.requests()[-1].params == {"StreamName": "s", "Highlight": "1"}
    bad = api3_old(
        emu, "CreateLiveRecord", {"StreamName": "s"}, method=method, sign_method=sign_method, key="x"
    )
    assert code(bad) == "AuthFailure.SignatureFailure"
    late = api3_old(emu, "CreateLiveRecord", {"StreamName": "s"}, method=method, ts=T0 - 301)
    assert code(late) == "AuthFailure.SignatureExpire"
    assert len(emu.tasks()) == 1


def test_api3_envelope_errors(emu: Emulator) -> None:
    assert code(api3(emu, "CreateNothing", {})) == "InvalidAction"
    assert code(api3(emu, "", {})) == "MissingParameter"
    assert code(api3(emu, "CreateLiveRecord", {"StreamName": "s"}, version="2017-01-01")) == "NoSuchVersion"
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        _, _, data = send(emu, "POST", "/", body, tc3_headers(emu, "CreateLiveRecord", body=body))
        assert json.loads(data)["Response"]["Error"]["Code"] == "InvalidParameter"
    # auth is checked before the body is parsed
    _, _, data = send(emu, "POST", "/", b"nope", tc3_headers(emu, "CreateLiveRecord", body=b"nope", key="x"))
    assert json.loads(data)["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert emu.tasks() == []


# --- API 3.0: CreateRecordTask family --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected", "words"),
    [
        ({"DomainName": "d", "AppName": "a", "EndTime": T0 + 60}, "MissingParameter", "StreamName"),
        ({"StreamName": "s", "AppName": "a", "EndTime": T0 + 60}, "MissingParameter", "DomainName"),
        (
            {"StreamName": "s", "DomainName": "d", "AppName": "", "EndTime": T0 + 60},
            "MissingParameter",
            "AppName",
        ),
        (record_task(), "MissingParameter", "EndTime"),
        (record_task(EndTime="soon"), "InvalidParameter", "EndTime"),
        (record_task(EndTime=T0 + 60.5), "InvalidParameter", "EndTime"),
        (record_task(EndTime=True), "InvalidParameter", "EndTime"),
        (record_task(StreamName=7, EndTime=T0 + 60), "InvalidParameter", "StreamName"),
        (record_task(StartTime=T0 + 200, EndTime=T0 + 100), "InvalidParameter", "later than StartTime"),
        (record_task(StartTime=T0 - 600, EndTime=T0 - 60), "InvalidParameter", "current time"),
        (record_task(EndTime=T0), "InvalidParameter", "current time"),
        (record_task(StartTime=T0, EndTime=T0 + 86401), "InvalidParameter", "24 hours"),
        (record_task(EndTime=T0 + 86401), "InvalidParameter", "24 hours"),
        (
            record_task(StartTime=T0 + 6 * 86400 + 1, EndTime=T0 + 6 * 86400 + 60),
            "InvalidParameter",
            "6 days",
        ),
        (  # the furthest start, a full day: its end is exactly now + 7 days
            record_task(StartTime=T0 + 6 * 86400, EndTime=T0 + 7 * 86400),
            "InvalidParameter",
            "7 days",
        ),
        (record_task(EndTime=T0 + 60, StreamType=2), "InvalidParameter", "StreamType"),
        (record_task(EndTime=T0 + 60, TemplateId=-1), "InvalidParameter", "TemplateId"),
        (record_task(EndTime=T0 + 60, TemplateId="x"), "InvalidParameter", "TemplateId"),
        (record_task(EndTime=T0 + 60, Extension=5), "InvalidParameter", "Extension"),
        (
            record_task(EndTime=str(T0 + 60)),
            "InvalidParameter",
            "EndTime",
        ),  # a JSON body's Integer is a number
        (record_task(EndTime=T0 + 60, StartTime=-1), "InvalidParameter", "StartTime"),
        (record_task(EndTime=T0 + 60, Region2="x"), "UnknownParameter", "Region2"),
    ],
)
def test_create_record_task_rules(emu: Emulator, params: dict[str, Any], expected: str, words: str) -> None:
    err = api3(emu, "CreateRecordTask", params)["Error"]
    assert err["Code"] == expected and words in err["Message"], err
    assert emu.tasks() == []


@pytest.mark.parametrize(
    "params",
    [
        record_task(EndTime=T0 + 86400),  # start now, a full day
        # the furthest start, a day less a second: EndTime < now + 7 days (the SDK's text: strictly less)
        record_task(StartTime=T0 + 6 * 86400, EndTime=T0 + 7 * 86400 - 1),
        record_task(StartTime=T0 - 3600, EndTime=T0 + 60),  # started in the past, still ahead
        record_task(EndTime=T0 + 60, StreamType=1, TemplateId=987654, Extension=""),  # unknown template: HLS
    ],
)
def test_create_record_task_accepts_the_documented_edges(emu: Emulator, params: dict[str, Any]) -> None:
    assert "TaskId" in api3(emu, "CreateRecordTask", params)


def test_create_record_task_without_start_time_starts_now(emu: Emulator) -> None:
    api3(emu, "CreateRecordTask", record_task(EndTime=T0 + 600))
    [task] = emu.tasks()
    assert (task.start, task.end, task.mode, task.running) == (T0, T0 + 600, "realtime", True)


def test_create_record_task_region_is_required_and_checked(emu: Emulator) -> None:
    params = record_task(EndTime=T0 + 60)
    assert code(api3(emu, "CreateRecordTask", params, region=None)) == "MissingParameter"
    assert code(api3(emu, "CreateRecordTask", params, region="ap-beijing")) == "UnsupportedRegion"
    assert "TaskId" in api3(emu, "CreateRecordTask", params, region="eu-frankfurt")
    assert "TaskId" in api3(emu, "CreateRecordTask", params | {"Region": "sa-saopaulo"}, region=None)
    # CreateLiveRecord needs no region
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1}, region=None)


def test_only_three_overlapping_tasks_of_a_stream_run(emu: Emulator) -> None:
    for _ in range(4):
        api3(emu, "CreateRecordTask", record_task("s", EndTime=T0 + 600))
    api3(emu, "CreateRecordTask", record_task("other", EndTime=T0 + 600))
    api3(emu, "CreateRecordTask", record_task("s", StartTime=T0 + 600, EndTime=T0 + 1200))
    assert [t.running for t in emu.tasks()] == [True, True, True, False, True, False]
    # the stream's fourth task runs once one of the first three is stopped
    first = emu.tasks()[0].task_id
    api3(emu, "StopRecordTask", {"TaskId": first})
    assert [t.running for t in emu.tasks()] == [False, True, True, True, True, False]
    # running follows the clock
    emu.clock.advance(600)
    assert [t.running for t in emu.tasks()] == [False] * 5 + [True]
    emu.clock.advance(600)
    assert not any(t.running for t in emu.tasks())


def test_running_cap_is_limit_exceeded(emu: Emulator) -> None:
    emu.config.record_task_running_cap = 2
    codes = [code(api3(emu, "CreateRecordTask", record_task(f"s{i}", EndTime=T0 + 600))) for i in range(3)]
    assert codes == [None, None, "LimitExceeded.MaximumRunningTask"]
    # a window after both end is free; a stream's 4th+ overlapping task does not run, so does not count
    # a window after both end is free; one that overlaps them is not
    assert "TaskId" in api3(emu, "CreateRecordTask", record_task("s9", StartTime=T0 + 600, EndTime=T0 + 900))
    assert code(api3(emu, "CreateRecordTask", record_task("s9", StartTime=T0 + 500, EndTime=T0 + 900))) == (
        "LimitExceeded.MaximumRunningTask"
    )
    # stopping one frees a slot
    api3(emu, "StopRecordTask", {"TaskId": emu.tasks()[0].task_id})
    assert "TaskId" in api3(emu, "CreateRecordTask", record_task("s3", EndTime=T0 + 600))


def test_running_cap_counts_at_most_three_tasks_per_stream(emu: Emulator) -> None:
    emu.config.record_task_running_cap = 4
    for _ in range(4):  # the fourth overlapping task of a stream does not run, so does not count
        assert "TaskId" in api3(emu, "CreateRecordTask", record_task("x", EndTime=T0 + 600))
    assert "TaskId" in api3(emu, "CreateRecordTask", record_task("y", EndTime=T0 + 600))
    assert code(api3(emu, "CreateRecordTask", record_task("z", EndTime=T0 + 600))) == (
        "LimitExceeded.MaximumRunningTask"
    )
    assert sum(t.running for t in emu.tasks()) == 4


def test_rate_limit_20_per_second_for_create_record_task(emu: Emulator) -> None:
    codes = [code(api3(emu, "CreateRecordTask", record_task(f"s{i}", EndTime=T0 + 600))) for i in range(25)]
    assert codes.count("RequestLimitExceeded") >= 1
    assert len(emu.tasks()) == codes.count(None) <= 20
    # other actions have their own windows
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})


def test_rate_limits_are_configurable_per_action(emu: Emulator) -> None:
    emu.config.rate_limits["StopRecordTask"] = 2
    codes = [code(api3(emu, "StopRecordTask", {"TaskId": "x"})) for _ in range(3)]
    assert codes == ["InvalidParameter", "InvalidParameter", "RequestLimitExceeded"]


def test_stop_and_delete_record_task(emu: Emulator) -> None:
    task_id = api3(emu, "CreateRecordTask", record_task(EndTime=T0 + 600))["TaskId"]
    emu.clock.advance(30)
    assert set(api3(emu, "StopRecordTask", {"TaskId": task_id})) == {"RequestId"}
    assert emu.tasks()[0].stopped_at == T0 + 30
    emu.clock.advance(30)
    assert "Error" not in api3(emu, "StopRecordTask", {"TaskId": task_id})  # again: keeps the first time
    assert emu.tasks()[0].stopped_at == T0 + 30
    assert set(api3(emu, "DeleteRecordTask", {"TaskId": task_id})) == {"RequestId"}
    assert emu.tasks()[0].deleted
    for action in ("StopRecordTask", "DeleteRecordTask"):
        err = api3(emu, action, {"TaskId": task_id})["Error"]
        # an unknown or deleted task: InvalidParameter, these actions document no ResourceNotFound code
        assert err["Code"] == "InvalidParameter" and "TaskId" in err["Message"]
        assert code(api3(emu, action, {"TaskId": "never-issued"})) == "InvalidParameter"
        assert code(api3(emu, action, {})) == "MissingParameter"


def test_describe_pages_filters_and_validates(emu: Emulator) -> None:
    emu.config.describe_page_size = 2
    ids = [
        api3(emu, "CreateRecordTask", record_task("s", StartTime=T0 + i, EndTime=T0 + 600))["TaskId"]
        for i in (4, 2, 0, 3, 1)
    ]
    api3(emu, "CreateRecordTask", record_task("other", StartTime=T0, EndTime=T0 + 600))
    seen: list[int] = []
    token, pages = "", 0
    while True:
        query: dict[str, Any] = {"StartTime": T0 - 10, "EndTime": T0 + 700, "StreamName": "s"}
        if token:
            query["ScrollToken"] = token
        data = api3(emu, "DescribeRecordTask", query)
        seen += [t["StartTime"] for t in data["TaskList"]]
        token, pages = data["ScrollToken"], pages + 1
        if not token:
            break
    assert seen == [T0 + i for i in range(5)] and pages == 3
    first = api3(emu, "DescribeRecordTask", {"StartTime": T0 - 10, "EndTime": T0 + 700, "StreamName": "s"})
    assert first["TaskList"][0] == {
        "TaskId": ids[2],
        "DomainName": "5000.live.push.com",
        "AppName": "live",
        "StreamName": "s",
        "StartTime": T0,
        "EndTime": T0 + 600,
        "TemplateId": 0,
        "Stopped": 0,
    }
    # a token belongs to its query
    other_query = {"StartTime": T0 - 11, "EndTime": T0 + 700, "ScrollToken": first["ScrollToken"]}
    assert code(api3(emu, "DescribeRecordTask", other_query)) == "InvalidParameter"
    bad_token = {"StartTime": T0, "EndTime": T0 + 10, "ScrollToken": "!!"}
    assert code(api3(emu, "DescribeRecordTask", bad_token)) == "InvalidParameter"
    # the window must contain the task's start and end
    assert api3(emu, "DescribeRecordTask", {"StartTime": T0 + 1, "EndTime": T0 + 700})["TaskList"][0][
        "StartTime"
    ] == (T0 + 1)
    assert api3(emu, "DescribeRecordTask", {"StartTime": T0 - 10, "EndTime": T0 + 599})["TaskList"] == []
    # filters
    emu.config.describe_page_size = 100
    by_domain = api3(emu, "DescribeRecordTask", {"StartTime": T0, "EndTime": T0 + 600, "DomainName": "x"})
    assert by_domain == {"TaskList": [], "ScrollToken": "", "RequestId": by_domain["RequestId"]}
    assert (
        len(
            api3(emu, "DescribeRecordTask", {"StartTime": T0, "EndTime": T0 + 600, "AppName": "live"})[
                "TaskList"
            ]
        )
        == 6
    )
    # stopped and deleted tasks
    api3(emu, "StopRecordTask", {"TaskId": ids[0]})
    api3(emu, "DeleteRecordTask", {"TaskId": ids[1]})
    listed = api3(emu, "DescribeRecordTask", {"StartTime": T0, "EndTime": T0 + 600, "StreamName": "s"})[
        "TaskList"
    ]
    assert [t["TaskId"] for t in listed] == [ids[2], ids[4], ids[3], ids[0]]
    assert listed[-1]["Stopped"] == T0


@pytest.mark.parametrize(
    ("query", "expected", "words"),
    [
        ({"EndTime": T0}, "MissingParameter", "StartTime"),
        ({"StartTime": T0}, "MissingParameter", "EndTime"),
        ({"StartTime": T0, "EndTime": T0}, "InvalidParameter", "later than StartTime"),
        ({"StartTime": T0, "EndTime": T0 + 7 * 86400 + 1}, "InvalidParameter", "one week"),
        ({"StartTime": T0 - 90 * 86400 - 1, "EndTime": T0 - 89 * 86400}, "InvalidParameter", "90 days"),
    ],
)
def test_describe_rules(emu: Emulator, query: dict[str, Any], expected: str, words: str) -> None:
    err = api3(emu, "DescribeRecordTask", query)["Error"]
    assert err["Code"] == expected and words in err["Message"]


def test_describe_accepts_its_widest_window(emu: Emulator) -> None:
    query = {"StartTime": T0 - 90 * 86400, "EndTime": T0 - 83 * 86400}
    assert api3(emu, "DescribeRecordTask", query)["TaskList"] == []


# --- API 3.0: CreateLiveRecord family --------------------------------------------------------------------


def test_create_live_record_seed_002_example(emu: Emulator) -> None:
    emu.clock.freeze(cst("2018-09-11 12:00:00"))
    params = {
        "AppName": "live",
        "DomainName": "5000.live.push.com",
        "StreamName": "livetest",
        "StartTime": "2018-09-11+12%3a04%3a01",
        "EndTime": "2018-09-11+12%3a08%3a01",
        "RecordType": "video",
        "FileFormat": "flv",
        "Highlight": 0,
        "MixStream": 0,
    }
    first = api3(emu, "CreateLiveRecord", params)["TaskId"]
    second = api3(emu, "CreateLiveRecord", params | {"StartTime": "2018-09-11 12:04:01"})["TaskId"]
    assert isinstance(first, int) and second > first
    for task in emu.tasks():
        assert (task.api, task.mode, task.domain, task.app) == (
            "live-record",
            "scheduled",
            "5000.live.push.com",
            "live",
        )
        assert (task.start, task.end) == (cst("2018-09-11 12:04:01"), cst("2018-09-11 12:08:01"))


@pytest.mark.parametrize(
    ("change", "expected", "words"),
    [
        ({"StreamName": None}, "MissingParameter", "StreamName"),
        ({"StartTime": None}, "MissingParameter", "StartTime"),
        ({"EndTime": None}, "MissingParameter", "EndTime"),
        ({"StartTime": "2018/09/11 12:04:01"}, "InvalidParameterValue", "StartTime"),
        ({"EndTime": "2018-09-11T12:08:01"}, "InvalidParameterValue", "EndTime"),
        ({"EndTime": "2018-09-11 25:08:01"}, "InvalidParameterValue", "EndTime"),
        ({"EndTime": 1536638881}, "InvalidParameter", "EndTime"),  # a String, not a number
        ({"EndTime": "2018-09-11 12:04:01"}, "InvalidParameterValue", "later than StartTime"),
        (
            {"StartTime": "2018-09-11 11:00:00", "EndTime": "2018-09-11 11:59:59"},
            "InvalidParameterValue",
            "current time",
        ),
        ({"Highlight": 2}, "InvalidParameterValue", "Highlight"),
        ({"MixStream": "yes"}, "InvalidParameter", "MixStream"),  # an Integer, not a string
        ({"Highlight": "1"}, "InvalidParameter", "Highlight"),
        ({"RecordType": "both"}, "InvalidParameterValue", "RecordType"),
        ({"FileFormat": "avi"}, "InvalidParameterValue", "FileFormat"),
        ({"StreamParam": "record_interval=1799"}, "InvalidParameterValue", "record_interval"),
        ({"StreamParam": "record_interval=7201"}, "InvalidParameterValue", "record_interval"),
        ({"StreamParam": "storage_time=0"}, "InvalidParameterValue", "storage_time"),
        ({"StreamParam": "storage_time=-5"}, "InvalidParameterValue", "storage_time"),
        ({"StreamParam": "record_interval%3D3600%26bogus%3D1"}, "InvalidParameterValue", "bogus"),
    ],
)
def test_create_live_record_rules(emu: Emulator, change: dict[str, Any], expected: str, words: str) -> None:
    emu.clock.freeze(cst("2018-09-11 12:00:00"))
    params = {
        "StreamName": "s",
        "StartTime": "2018-09-11 12:04:01",
        "EndTime": "2018-09-11 12:08:01",
    } | change
    err = api3(emu, "CreateLiveRecord", {k: v for k, v in params.items() if v is not None})["Error"]
    assert err["Code"] == expected and words in err["Message"], err
    assert emu.tasks() == []


@pytest.mark.parametrize(
    "change",
    [
        {"FileFormat": "MP4", "RecordType": "Audio"},
        {"FileFormat": "mp3", "RecordType": "audio", "MixStream": 1},
        {"StreamParam": "record_interval=3600&storage_time=2592000"},
        {"StreamParam": "record_interval%3D1800%26storage_time%3D1"},
        {"StreamParam": "record_interval=7200"},
        {"StartTime": "2018-09-11 11:00:00"},  # already started, still ahead
        {"EndTime": "2018-09-12 12:08:01"},  # no documented maximum length
    ],
)
def test_create_live_record_accepts(emu: Emulator, change: dict[str, Any]) -> None:
    emu.clock.freeze(cst("2018-09-11 12:00:00"))
    params = {
        "StreamName": "s",
        "StartTime": "2018-09-11 12:04:01",
        "EndTime": "2018-09-11 12:08:01",
    } | change
    assert isinstance(api3(emu, "CreateLiveRecord", params)["TaskId"], int)


def test_live_record_highlight_clamps_to_30_minutes(emu: Emulator) -> None:
    now = cst("2018-09-11 12:00:00")
    emu.clock.freeze(now)
    for end in (None, "2018-09-11 11:00:00", "2018-09-11 13:00:00", "2018-09-11 12:30:01"):
        params: dict[str, Any] = {"StreamName": "s", "Highlight": 1, "StartTime": "2018-09-11 10:00:00"}
        if end:
            params["EndTime"] = end
        api3(emu, "CreateLiveRecord", params)
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1, "EndTime": "2018-09-11 12:05:00"})
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1, "EndTime": "2018-09-11 12:30:00"})
    assert [(t.start - now, t.end - now) for t in emu.tasks()] == [(0, 1800)] * 4 + [(0, 300), (0, 1800)]
    assert {t.mode for t in emu.tasks()} == {"realtime"}


def test_live_record_daily_cap_counts_scheduled_tasks_per_cst_day(emu: Emulator) -> None:
    emu.config.daily_task_cap = 2
    emu.clock.freeze(cst("2026-05-21 23:59:00"))  # 15:59 UTC: the CST day ends before the UTC day
    params = {"StreamName": "s", "StartTime": "2026-05-22 10:00:00", "EndTime": "2026-05-22 10:10:00"}
    first = api3(emu, "CreateLiveRecord", params)["TaskId"]
    api3(emu, "CreateLiveRecord", params)
    err = api3(emu, "CreateLiveRecord", params)["Error"]
    assert err["Code"] == "LimitExceeded.MaximumTask" and "2" in err["Message"]
    # real-time tasks are not capped; deleting does not give a creation back
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    api3(emu, "DeleteLiveRecord", {"StreamName": "s", "TaskId": first})
    assert code(api3(emu, "CreateLiveRecord", params)) == "LimitExceeded.MaximumTask"
    emu.clock.advance(120)  # 00:01 CST the next day (still the same UTC day)
    assert "TaskId" in api3(emu, "CreateLiveRecord", params)


def test_live_record_running_cap_counts_overlapping_scheduled_tasks(emu: Emulator) -> None:
    emu.config.running_task_cap = 2
    emu.clock.freeze(cst("2026-05-21 09:00:00"))
    at_ten = {"StreamName": "a", "StartTime": "2026-05-21 10:00:00", "EndTime": "2026-05-21 10:30:00"}
    api3(emu, "CreateLiveRecord", at_ten)
    api3(emu, "CreateLiveRecord", at_ten | {"StreamName": "b"})
    err = api3(emu, "CreateLiveRecord", at_ten | {"StreamName": "c", "StartTime": "2026-05-21 10:29:59"})[
        "Error"
    ]
    assert err["Code"] == "LimitExceeded.MaximumRunningTask"
    later = at_ten | {"StartTime": "2026-05-21 10:30:00", "EndTime": "2026-05-21 11:00:00"}
    assert "TaskId" in api3(emu, "CreateLiveRecord", later)  # back to back is not overlapping
    assert "TaskId" in api3(
        emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1}
    )  # real-time: not capped


def test_live_record_stop_and_delete(emu: Emulator) -> None:
    task_id = api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["TaskId"]
    assert (
        code(api3(emu, "StopLiveRecord", {"StreamName": "other", "TaskId": task_id}))
        == "ResourceNotFound.TaskId"
    )
    assert (
        code(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": task_id + 1}))
        == "ResourceNotFound.TaskId"
    )
    assert code(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": "abc"})) == "InvalidParameter"
    assert (
        code(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": str(task_id)})) == "InvalidParameter"
    )
    assert code(api3(emu, "StopLiveRecord", {"TaskId": task_id})) == "MissingParameter"
    assert set(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": task_id})) == {"RequestId"}
    assert emu.tasks()[0].stopped_at == T0 and not emu.tasks()[0].running
    assert set(api3(emu, "DeleteLiveRecord", {"StreamName": "s", "TaskId": task_id})) == {"RequestId"}
    assert emu.tasks()[0].deleted
    assert (
        code(api3(emu, "DeleteLiveRecord", {"StreamName": "s", "TaskId": task_id}))
        == "ResourceNotFound.TaskId"
    )


def test_families_never_mix(emu: Emulator) -> None:
    live_id = api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["TaskId"]
    record_id = api3(emu, "CreateRecordTask", record_task("s", EndTime=T0 + 600))["TaskId"]
    assert code(api3(emu, "StopRecordTask", {"TaskId": str(live_id)})) == "InvalidParameter"
    assert code(api3(emu, "DeleteRecordTask", {"TaskId": str(live_id)})) == "InvalidParameter"
    assert code(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": record_id})) == "InvalidParameter"
    describe = api3(emu, "DescribeRecordTask", {"StartTime": T0 - 10, "EndTime": T0 + 3600})
    assert [t["TaskId"] for t in describe["TaskList"]] == [record_id]
    assert set(api3(emu, "StopLiveRecord", {"StreamName": "s", "TaskId": live_id})) == {"RequestId"}


# --- v2 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign_method", ["HmacSHA1", "HmacSHA256", None])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v2_create_stop_delete_list(emu: Emulator, sign_method: str | None, method: str) -> None:
    emu.clock.freeze(cst("2016-01-21 11:45:00"))
    kw: dict[str, Any] = {"sign_method": sign_method, "method": method}
    created = v2(
        emu,
        {"Action": "CreateRecord", "channelId": "123", "tapeType": "1", "endTime": "2016-01-21 12:00:00"},
        **kw,
    )
    assert created == {"code": 0, "message": "", "task_id": created["task_id"]}
    assert isinstance(created["task_id"], int)
    listed = v2(emu, {"Action": "DescribeRecordList", "channelId": "123"}, **kw)
    assert listed == {
        "code": 0,
        "message": "",
        "totalCount": 1,
        "taskSet": [
            {
                "id": created["task_id"],
                "startTime": "2016-01-21 11:45:00",
                "endTime": "2016-01-21 12:00:00",
                "status": 1,
                "count": 0,
            }
        ],
    }
    stop = {"Action": "StopRecord", "channelId": "123", "taskId": str(created["task_id"])}
    assert v2(emu, stop, **kw) == {"code": 0, "message": ""}
    assert v2(emu, stop | {"Action": "DeleteRecord"}, **kw) == {"code": 0, "message": ""}
    assert v2(emu, {"Action": "DescribeRecordList", "channelId": "123"}, **kw)["totalCount"] == 0
    [task] = emu.tasks()
    assert (task.api, task.mode, task.stopped_at, task.deleted) == ("v2", "realtime", task.created_at, True)


def test_v2_seed_003_example_and_scheduled_rules(emu: Emulator) -> None:
    emu.clock.freeze(cst("2016-01-21 11:45:00"))
    create = {"Action": "CreateRecord", "channelId": "c"}
    # real-time: the end is clamped to now + 30 min, the start ignored
    v2(emu, create | {"tapeType": "1", "startTime": "2016-01-01 00:00:00", "endTime": "2016-01-21 13:00:00"})
    assert emu.tasks()[-1].end == cst("2016-01-21 12:15:00")
    scheduled = create | {
        "tapeType": "0",
        "startTime": "2016-01-21 12:00:00",
        "endTime": "2016-01-22 12:00:00",
    }
    assert v2(emu, scheduled)["code"] == 0  # exactly one day
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"endTime": "2016-01-22 12:00:01"}, "one day"),
        ({"endTime": "2016-01-21 12:00:00"}, "later than startTime"),
        ({"startTime": "2016-01-21 11:00:00", "endTime": "2016-01-21 11:30:00"}, "current time"),
        ({"startTime": None}, "startTime"),
        ({"endTime": "2016-01-21T13:00:00"}, "endTime"),
        ({"tapeType": "3"}, "tapeType"),
        ({"channelId": None}, "channelId"),
    ]
    for change, words in cases:
        params = {k: v for k, v in (scheduled | change).items() if v is not None}
        result = v2(emu, params)
        assert (
            result["code"] == 4000 and result["codeDesc"] == "InvalidParameter" and words in result["message"]
        )
    # tapeType defaults to scheduled
    result = v2(emu, create | {"endTime": "2016-01-21 12:30:00"})
    assert result["code"] == 4000 and "startTime" in result["message"]
    assert len(emu.tasks()) == 2


def test_v2_authentication_and_replay(emu: Emulator) -> None:
    base = {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}
    assert v2(emu, base, nonce=10)["code"] == 0
    replay = v2(emu, base, nonce=10)
    assert replay["code"] == 4500 and replay["codeDesc"] == "NonceReplay"
    emu.clock.advance(7201)  # outside the window, a nonce may come back
    assert v2(emu, base, nonce=10)["code"] == 0
    now = int(emu.clock.now())
    for stale in (now - 7201, now + 7201):  # a Timestamp more than 2 hours off is a replay too
        result = v2(emu, base, ts=stale)
        assert (result["code"], result["codeDesc"]) == (4500, "TimestampOutOfRange"), stale
    for kw in (
        {"key": "wrong"},
        {"secret_id": "AKIDother"},
        {"sign_method": "HmacMD5"},
    ):
        result = v2(emu, base, **kw)
        assert (result["code"], result["codeDesc"]) == (4100, "AuthFailure"), kw
    assert v2(emu, base, ts=now - 7200)["code"] == 0
    assert len(emu.tasks()) == 3
    # missing common parameters
    result = get_json(emu, "/v2/index.php?Action=CreateRecord&channelId=c")
    assert result["code"] == 4100 and "SecretId" in result["message"]


def test_v2_errors(emu: Emulator) -> None:
    unknown = v2(emu, {"Action": "Nope"})
    assert (unknown["code"], unknown["codeDesc"]) == (4000, "InvalidAction") and "Nope" in unknown["message"]
    no_action = v2(emu, {"channelId": "c"})
    assert (no_action["code"], no_action["codeDesc"]) == (4000, "InvalidParameter") and "Action" in no_action[
        "message"
    ]
    stop = v2(emu, {"Action": "StopRecord", "channelId": "c", "taskId": "999"})
    assert (stop["code"], stop["codeDesc"]) == (5000, "ResourceNotFound") and "task not found" in stop[
        "message"
    ]
    delete = v2(emu, {"Action": "DeleteRecord", "channelId": "c", "taskId": "999"})
    assert (delete["code"], delete["codeDesc"]) == (5000, "ResourceNotFound")
    assert v2(emu, {"Action": "StopRecord", "channelId": "c", "taskId": "x"})["code"] == 4000
    emu.faults.rate_limit(count=1, action="CreateRecord")
    limited = v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"})
    assert (limited["code"], limited["codeDesc"]) == (4400, "RequestLimitExceeded")
    assert emu.tasks() == []


def test_v2_region_in_the_short_or_the_long_form(emu: Emulator) -> None:
    create = {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}
    for region in ("gz", "sh", "bj", "hk", "ca", "sg", "usw", "shjr", "ap-guangzhou", "na-ashburn", None):
        assert v2(emu, create, region=region)["code"] == 0, region
    for region in ("Guangzhou", "ap_guangzhou", "xx"):
        result = v2(emu, create, region=region)
        assert (result["code"], result["codeDesc"]) == (4000, "InvalidParameter") and "Region" in result[
            "message"
        ]
    assert len(emu.tasks()) == 11


def test_v2_scheduled_caps(emu: Emulator) -> None:
    emu.config.daily_task_cap = 2
    params = {
        "Action": "CreateRecord",
        "channelId": "c",
        "startTime": "2026-05-21 10:00:00",
        "endTime": "2026-05-21 10:30:00",
    }
    assert [v2(emu, params)["code"] for _ in range(3)] == [0, 0, 4400]
    assert v2(emu, params)["codeDesc"] == "LimitExceeded"
    emu.reset()
    emu.clock.freeze(T0)
    emu.config.daily_task_cap, emu.config.running_task_cap = 4000, 1
    assert [v2(emu, params)["code"] for _ in range(2)] == [0, 4400]


def test_v2_describe_record_list_status_order_and_pages(emu: Emulator) -> None:
    emu.clock.freeze(cst("2026-05-21 10:00:00"))
    create = {"Action": "CreateRecord", "channelId": "c"}
    ids = [
        v2(emu, create | {"startTime": "2026-05-21 09:00:00", "endTime": "2026-05-21 10:30:00"})[
            "task_id"
        ],  # running
        v2(emu, create | {"startTime": "2026-05-21 11:00:00", "endTime": "2026-05-21 11:30:00"})[
            "task_id"
        ],  # not started
        v2(emu, create | {"startTime": "2026-05-21 09:00:00", "endTime": "2026-05-21 10:30:00"})[
            "task_id"
        ],  # stopped
    ]
    v2(emu, create | {"channelId": "other", "tapeType": "1"})
    v2(emu, {"Action": "StopRecord", "channelId": "c", "taskId": str(ids[2])})
    listed = v2(emu, {"Action": "DescribeRecordList", "channelId": "c"})
    assert listed["totalCount"] == 3
    assert [(t["id"], t["status"]) for t in listed["taskSet"]] == [(ids[2], 2), (ids[1], 0), (ids[0], 1)]
    emu.clock.advance(3600)
    listed = v2(emu, {"Action": "DescribeRecordList", "channelId": "c", "pageNo": "2", "pageSize": "2"})
    assert listed["totalCount"] == 3 and [(t["id"], t["status"]) for t in listed["taskSet"]] == [(ids[0], 2)]
    for bad in ({"pageSize": "101"}, {"pageSize": "0"}, {"pageNo": "0"}, {"pageNo": "x"}):
        result = v2(emu, {"Action": "DescribeRecordList", "channelId": "c"} | bad)
        assert result["code"] == 4000 and next(iter(bad)) in result["message"]


# --- fcgi ----------------------------------------------------------------------------------------------------

SEED_TIMES = "&Param.s.start_time=2017-05-20+10%3a00%3a00&Param.s.end_time=2017-05-20+10%3a30%3a00"


def seed_path(id_name: str, t: int, extra: str = "") -> str:
    """The seed's URL, spelled exactly as in the document (lowercase %3a, '+' for the space)."""
    sign = hashlib.md5((CREDS.fcgi_key + str(t)).encode()).hexdigest()
    return (
        f"/common_access?{id_name}=1234&interface=Live_Tape_Start&Param.s.channel_id=8888_test123"
        f"{SEED_TIMES}{extra}&t={t}&sign={sign}"
    )


def test_fcgi_seed_001_url_verbatim_real_time(emu: Emulator) -> None:
    # seed 001's URL asks for a real-time task: the start is "now", so freeze the clock at 10:00:00 CST
    emu.clock.freeze(cst("2017-05-20 10:00:00"))
    t = int(cst("2017-05-20 10:05:00"))
    data = get_json(emu, seed_path("appid", t, "&Param.n.task_sub_type=1"))
    assert data == {"ret": 0, "message": "", "output": {"task_id": data["output"]["task_id"]}}
    assert isinstance(data["output"]["task_id"], int)
    [task] = emu.tasks()
    assert (task.api, task.stream, task.mode) == ("fcgi", "8888_test123", "realtime")
    assert (task.start, task.end) == (cst("2017-05-20 10:00:00"), cst("2017-05-20 10:30:00"))
    request = emu.requests()[-1]
    assert request.params["Param.s.start_time"] == "2017-05-20 10:00:00"
    assert list(request.params)[:3] == ["appid", "interface", "Param.s.channel_id"]  # arrival order
    assert request.raw == seed_path("appid", t, "&Param.n.task_sub_type=1").split("?", 1)[1]


@pytest.mark.parametrize("id_name", ["appid", "cmd"])
def test_fcgi_seed_url_forms_scheduled(emu: Emulator, id_name: str) -> None:
    # seed 000's form (cmd=) and seed 001's without the sub type: a scheduled task, clock before 10:00 CST
    emu.clock.freeze(cst("2017-05-20 09:00:00"))
    data = get_json(emu, seed_path(id_name, int(cst("2017-05-20 09:05:00"))))
    assert data["ret"] == 0 and isinstance(data["output"]["task_id"], int)
    [task] = emu.tasks()
    assert task.mode == "scheduled"
    assert (task.start, task.end) == (cst("2017-05-20 10:00:00"), cst("2017-05-20 10:30:00"))
    assert datetime.fromtimestamp(task.start, tz=CST).strftime("%Y-%m-%d %H:%M") == "2017-05-20 10:00"


def test_fcgi_authentication(emu: Emulator) -> None:
    start = {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"}
    now = int(emu.clock.now())
    bad_sign = fcgi(emu, start, key="bad")
    assert set(bad_sign) == {"ret", "message"} and bad_sign["ret"] == 1003 and "sign" in bad_sign["message"]
    assert fcgi(emu, start, t=now - 1)["ret"] == 1004
    assert fcgi(emu, start, t=now)["ret"] == 0  # valid until t itself
    assert fcgi(emu, start, appid="9")["ret"] == 1002
    assert get_json(emu, "/common_access?interface=Live_Tape_Start&t=1&sign=x")["ret"] == 1002
    no_sign = get_json(emu, fcgi_path(start, t=now + 60).split("&sign=")[0])
    assert no_sign["ret"] == 1001 and "sign" in no_sign["message"]
    not_int = get_json(emu, fcgi_path(start, t=now + 60).replace(f"t={now + 60}", "t=soon"))
    assert not_int["ret"] == 1001 and "t" in not_int["message"]
    upper = fcgi_path(start, t=now + 60)
    path, sign = upper.rsplit("&sign=", 1)
    assert get_json(emu, f"{path}&sign={sign.upper()}")["ret"] == 0
    assert [r.auth_ok for r in emu.requests()] == [False, False, True, False, False, False, False, True]


def test_fcgi_rules(emu: Emulator) -> None:
    emu.clock.freeze(cst("2017-05-20 09:00:00"))
    base = {"interface": "Live_Tape_Start", "Param.s.channel_id": "c"}
    scheduled = base | {
        "Param.s.start_time": "2017-05-20 10:00:00",
        "Param.s.end_time": "2017-05-21 10:00:00",
    }
    assert fcgi(emu, scheduled)["ret"] == 0  # exactly one day (seed 001), not seed 000's 30 minutes
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"Param.s.end_time": "2017-05-21 10:00:01"}, "one day"),
        ({"Param.s.end_time": "2017-05-20 09:59:59"}, "later than"),
        (
            {"Param.s.start_time": "2017-05-20 08:00:00", "Param.s.end_time": "2017-05-20 08:30:00"},
            "current time",
        ),
        ({"Param.s.start_time": None}, "Param.s.start_time"),
        ({"Param.s.channel_id": None}, "Param.s.channel_id"),
        ({"Param.n.task_sub_type": "2"}, "task_sub_type"),
        ({"Param.s.file_format": "aac"}, "video"),  # video allows flv, hls, mp4
        ({"Param.s.file_format": "mp3", "Param.s.record_type": "audio"}, "file_format"),
        ({"Param.s.record_type": "both"}, "record_type"),
    ]
    for change, words in cases:
        params = {k: v for k, v in (scheduled | change).items() if v is not None}
        result = fcgi(emu, params)
        assert result["ret"] == 1001 and words in result["message"], (change, result)
    for fmt in ("aac", "flv", "hls", "mp4"):
        assert fcgi(emu, scheduled | {"Param.s.record_type": "audio", "Param.s.file_format": fmt})["ret"] == 0
    for fmt in ("flv", "HLS", "mp4"):
        assert fcgi(emu, scheduled | {"Param.s.file_format": fmt})["ret"] == 0
    realtime = base | {"Param.n.task_sub_type": "1", "Param.s.end_time": "2017-05-20 12:00:00"}
    assert fcgi(emu, realtime)["ret"] == 0
    assert (emu.tasks()[-1].start, emu.tasks()[-1].end) == (
        cst("2017-05-20 09:00:00"),
        cst("2017-05-20 09:30:00"),
    )
    assert fcgi(emu, {"interface": "Live_Tape_Nope"})["ret"] == 1005
    assert fcgi(emu, {})["ret"] == 1001 and "interface" in fcgi(emu, {})["message"]


def test_fcgi_stop_and_caps(emu: Emulator) -> None:
    created = fcgi(
        emu, {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"}
    )
    task_id = str(created["output"]["task_id"])
    stop = {"interface": "Live_Tape_Stop", "Param.s.channel_id": "c"}
    assert fcgi(emu, stop | {"Param.n.task_id": "999"})["ret"] == 1006
    assert fcgi(emu, stop | {"Param.s.channel_id": "d", "Param.n.task_id": task_id})["ret"] == 1006
    assert fcgi(emu, stop | {"Param.n.task_id": task_id}) == {"ret": 0, "message": ""}
    assert fcgi(emu, stop | {"Param.s.task_id": task_id}) == {"ret": 0, "message": ""}
    assert fcgi(emu, stop)["ret"] == 1001
    assert emu.tasks()[0].stopped_at == T0
    emu.config.daily_task_cap = 1
    scheduled = {
        "interface": "Live_Tape_Start",
        "Param.s.channel_id": "c",
        "Param.s.start_time": "2026-05-21 10:00:00",
        "Param.s.end_time": "2026-05-21 10:30:00",
    }
    assert [fcgi(emu, scheduled)["ret"] for _ in range(2)] == [0, 1007]
    emu.faults.rate_limit(action="Live_Tape_Start")
    assert (
        fcgi(emu, {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"})[
            "ret"
        ]
        == 1007
    )


def test_task_ids_are_integers_that_increase_across_generations(emu: Emulator) -> None:
    a = api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})["TaskId"]
    b = v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"})["task_id"]
    c = fcgi(emu, {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"})[
        "output"
    ]["task_id"]
    assert a < b < c
    # a v2 id is not an fcgi or live-record id
    assert (
        fcgi(emu, {"interface": "Live_Tape_Stop", "Param.s.channel_id": "c", "Param.n.task_id": str(b)})[
            "ret"
        ]
        == 1006
    )
    assert code(api3(emu, "StopLiveRecord", {"StreamName": "c", "TaskId": b})) == "ResourceNotFound.TaskId"


# --- faults ----------------------------------------------------------------------------------------------------


def test_drop_after_store_closes_without_answer_but_keeps_the_task(emu: Emulator) -> None:
    emu.faults.drop_after_store(count=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert len(emu.tasks()) == 1
    record = emu.requests()[-1]
    assert (record.status, record.response, record.auth_ok) == (0, None, True)
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})  # the fault was consumed
    assert len(emu.tasks()) == 2


def test_drop_before_store_keeps_nothing(emu: Emulator) -> None:
    emu.faults.drop_before_store(count=2, action="CreateLiveRecord")
    for _ in range(2):
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"})) == "InvalidParameter"  # another action
    assert emu.tasks() == []
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})


def test_drop_faults_on_v2_and_fcgi(emu: Emulator) -> None:
    emu.faults.drop_after_store(action="CreateRecord")
    emu.faults.drop_before_store(action="Live_Tape_Start")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        fcgi(emu, {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"})
    assert [t.api for t in emu.tasks()] == ["v2"]


def test_http_error_is_not_json_and_not_processed(emu: Emulator) -> None:
    emu.faults.http_error(status=503, count=1)
    path = fcgi_path(
        {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"}, t=T0 + 60
    )
    status, headers, body = send(emu, "GET", path)
    assert status == 503 and not headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)
    assert emu.tasks() == []
    assert (emu.requests()[-1].status, emu.requests()[-1].response) == (503, None)
    emu.faults.http_error()  # default: one 502
    body = json.dumps({"StreamName": "s", "Highlight": 1}).encode()
    assert send(emu, "POST", "/", body, tc3_headers(emu, "CreateLiveRecord", body=body))[0] == 502
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})


def test_latency_delays_the_answer_of_a_processed_request(emu: Emulator) -> None:
    emu.faults.latency(0.3, count=1)
    began = time.monotonic()
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert time.monotonic() - began >= 0.3 and emu.requests()[-1].latency == 0.3
    # a client that gives up early: the task is stored anyway (outcome unknown to the client)
    emu.faults.latency(0.5, action="CreateLiveRecord")
    body = json.dumps({"StreamName": "s", "Highlight": 1}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=0.1)
    with pytest.raises(TimeoutError):
        conn.request("POST", "/", body=body, headers=tc3_headers(emu, "CreateLiveRecord", body=body))
        conn.getresponse()
    conn.close()
    # stored though the client gave up (polled: on a loaded machine the server may take the request later)
    deadline = time.monotonic() + 10
    while len(emu.tasks()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(emu.tasks()) == 2
    # latencies add up and count=None lasts until cleared
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"})) == "InvalidParameter"
    assert emu.requests()[-1].latency == 0  # another action: not delayed
    emu.faults.clear()
    assert emu.wait_idle(2)
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert emu.requests()[-1].latency == 0  # what the emulator held it for, not a time taken under load


def test_rate_limit_fault_in_each_generation_and_fault_order(emu: Emulator) -> None:
    emu.faults.rate_limit(count=2)
    emu.faults.http_error(status=500)
    assert code(api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})) == "RequestLimitExceeded"
    assert v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"})["code"] == 4400
    body = json.dumps({"StreamName": "s", "Highlight": 1}).encode()
    assert send(emu, "POST", "/", body, tc3_headers(emu, "CreateLiveRecord", body=body))[0] == 500
    assert "TaskId" in api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    assert len(emu.tasks()) == 1


def test_faults_validate_their_arguments() -> None:
    faults = Faults()
    checks: list[Callable[[], None]] = [
        lambda: faults.latency(-1),
        lambda: faults.http_error(status=200),
        lambda: faults.drop_before_store(count=0),
        lambda: faults.rate_limit(count=1, action=5),  # type: ignore[arg-type]
    ]
    for check in checks:
        with pytest.raises(ValueError):
            check()


def test_requests_log(emu: Emulator) -> None:
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    v2(emu, {"Action": "DescribeRecordList", "channelId": "c"})
    fcgi(emu, {"interface": "Live_Tape_Nope"})
    first, second, third = emu.requests()
    assert (first.api, first.action, first.params, first.status, first.auth_ok) == (
        "api3",
        "CreateLiveRecord",
        {"StreamName": "s", "Highlight": 1},
        200,
        True,
    )
    assert first.raw == '{"StreamName": "s", "Highlight": 1}'
    assert first.headers["x-tc-action"] == "CreateLiveRecord" and "authorization" not in first.headers
    assert str(first.response["Response"]["TaskId"]) == emu.tasks()[0].task_id
    assert (second.api, second.action, second.params["channelId"]) == ("v2", "DescribeRecordList", "c")
    assert (third.api, third.action, third.response["ret"]) == ("fcgi", "Live_Tape_Nope", 1005)


# --- control API, server, robustness --------------------------------------------------------------------------


def control(emu: Emulator, method: str, name: str, body: Any = None) -> tuple[int, Any]:
    payload = json.dumps(body).encode() if body is not None else b""
    status, _, data = send(emu, method, f"/_emulator/{name}", payload, {"Content-Type": "application/json"})
    return status, json.loads(data)


def test_control_api_over_http(emu: Emulator) -> None:
    assert control(emu, "GET", "health") == (200, {"ok": True})
    emu.clock.reset()
    status, body = control(emu, "POST", "clock", {"set": 2000})
    assert status == 200 and body["now"] == pytest.approx(2000, abs=1) and not body["frozen"]
    assert control(emu, "POST", "clock", {"advance": 100})[1]["now"] == pytest.approx(2100, abs=1)
    assert control(emu, "POST", "clock", {"freeze": T0})[1] == {"ok": True, "now": T0, "frozen": True}
    assert control(emu, "POST", "clock", {"reset": True})[1]["now"] == pytest.approx(time.time(), abs=2)
    emu.clock.freeze(T0)
    assert (
        control(emu, "POST", "faults", {"kind": "rate_limit", "count": 1, "action": "CreateLiveRecord"})[0]
        == 200
    )
    assert code(api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})) == "RequestLimitExceeded"
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    [task] = control(emu, "GET", "tasks")[1]["tasks"]
    assert (task["stream"], task["api"], task["mode"], task["params"]) == (
        "s",
        "live-record",
        "realtime",
        {"StreamName": "s", "Highlight": 1},
    )
    requests = control(emu, "GET", "requests")[1]["requests"]
    assert [r["action"] for r in requests] == ["CreateLiveRecord", "CreateLiveRecord"]
    assert requests[0]["response"]["Response"]["Error"]["Code"] == "RequestLimitExceeded"
    assert control(emu, "POST", "faults", {"kind": "latency", "seconds": 5})[0] == 200
    assert control(emu, "POST", "faults", {"kind": "clear"})[0] == 200
    assert emu.faults.pending() == []
    for bad in (
        {"kind": "explode"},
        {"kind": "latency"},
        {"kind": "latency", "seconds": "slow"},
        {"kind": "http_error", "status": 200},
        {"kind": "drop_after_store", "count": 0},
        {"kind": "rate_limit", "bogus": 1},
    ):
        assert control(emu, "POST", "faults", bad)[0] == 400, bad
    bad_clock: list[dict[str, Any]] = [{}, {"set": "noon"}, {"advance": None}, {"reset": False}]
    for body in bad_clock:
        assert control(emu, "POST", "clock", body)[0] == 400, body
    assert control(emu, "GET", "reset")[0] == 405
    assert control(emu, "GET", "nothing")[0] == 404
    assert send(emu, "POST", "/_emulator/clock", b"{", {"Content-Type": "application/json"})[0] == 400
    assert control(emu, "POST", "reset", {}) == (200, {"ok": True})
    assert control(emu, "GET", "tasks")[1]["tasks"] == []
    assert control(emu, "GET", "requests")[1]["requests"] == []
    assert abs(emu.clock.now() - time.time()) < 2  # reset also puts the clock back on real time


def test_clock() -> None:
    clock = Clock()
    assert abs(clock.now() - time.time()) < 1
    clock.set(1000)
    first = clock.now()
    assert first == pytest.approx(1000, abs=0.5)
    time.sleep(0.02)
    assert clock.now() > first  # set shifts an offset: time keeps flowing
    clock.advance(60)
    assert clock.now() == pytest.approx(1060, abs=0.5)
    clock.freeze(5000)
    clock.advance(5)
    assert clock.now() == 5005.0 and clock.frozen
    clock.set(7)
    assert clock.now() == 7.0
    clock.reset()
    assert abs(clock.now() - time.time()) < 1 and not clock.frozen
    with pytest.raises(ValueError):
        clock.set(float("nan"))


def test_reset_forgets_everything(emu: Emulator) -> None:
    emu.config.rate_limits["StopRecordTask"] = 1
    api3(emu, "StopRecordTask", {"TaskId": "x"})
    v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}, nonce=77)
    emu.faults.http_error(count=None)
    emu.reset()
    emu.clock.freeze(T0)
    assert emu.tasks() == [] and emu.requests() == [] and emu.faults.pending() == []
    assert code(api3(emu, "StopRecordTask", {"TaskId": "x"})) == "InvalidParameter"  # rate window
    again = v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}, nonce=77)
    assert again["code"] == 0 and again["task_id"] == 1000  # nonces and ids start over


def test_garbage_never_gets_a_traceback(emu: Emulator) -> None:
    cases = [
        ("GET", "/nope", b"", {}, 404),
        ("POST", "/v2", b"", {}, 404),
        ("PUT", "/", b"", {}, 405),
        ("DELETE", "/v2/index.php", b"", {}, 405),
        ("POST", "/common_access", b"", {}, 405),
        ("FOO", "/", b"", {}, 405),
        ("POST", "/", b"not json", {}, 200),
        ("GET", "/common_access?%%%", b"", {}, 200),
        ("GET", "/common_access?" + "a=" * 2000, b"", {}, 200),
        ("POST", "/v2/index.php", b"\xff\xfe", {}, 200),
        ("POST", "/", b"x", {"Content-Length": "abc"}, 400),
        ("POST", "/", b"x", {"Content-Length": "-1"}, 400),
        ("POST", "/", b"3\r\nabc\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked"}, 411),
    ]
    for method, path, body, headers, expected in cases:
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in ({"Content-Length": str(len(body))} | headers).items():
            conn.putheader(name, value)
        conn.endheaders(body)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        assert resp.status == expected, (method, path, resp.status, payload)
        assert resp.getheader("Content-Type") == "application/json" and b"Traceback" not in payload
        json.loads(payload)
    status, _, _ = send(emu, "POST", "/", b"x" * (1024 * 1024 + 1))
    assert status == 413
    rejected = [r for r in emu.requests() if r.api is None]
    assert {r.status for r in rejected} == {404, 405, 413}


def test_head_and_bad_request_line_are_answered(emu: Emulator) -> None:
    status, _, body = send(emu, "HEAD", "/")
    assert status == 405 and body == b""
    for line in (b"GARBAGE", b"GET / HTTP/1.1 extra", b"GET / HTTP/2.0", b"GET / FTP/1.0"):
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
            sock.sendall(line + b"\r\n\r\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        assert b"Traceback" not in answer and b'"error"' in answer, (line, answer)
    assert get_json(emu, "/_emulator/health") == {"ok": True}


def test_keep_alive_serves_many_requests_on_one_connection(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    for i in range(5):
        body = json.dumps({"StreamName": f"s{i}", "Highlight": 1}).encode()
        conn.request("POST", "/", body=body, headers=tc3_headers(emu, "CreateLiveRecord", body=body))
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Length")
        assert "TaskId" in json.loads(resp.read())["Response"]
    conn.request("GET", "/_emulator/health")
    assert json.loads(conn.getresponse().read()) == {"ok": True}
    conn.close()
    assert len(emu.tasks()) == 5


def test_lifecycle_ephemeral_port_loopback_only_and_stop_closes_connections() -> None:
    emu = Emulator(EmulatorConfig(credentials=CREDS))
    with pytest.raises(ValueError):
        emu.start(host="0.0.0.0")  # noqa: S104 - checking that it is refused
    with pytest.raises(RuntimeError):
        _ = emu.port
    with emu.running(host="127.0.0.1", port=0) as base_url:
        port = emu.port
        assert port > 0 and base_url == emu.base_url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError):
            emu.start()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/_emulator/health")
        assert conn.getresponse().read() == b'{"ok": true}'
    # the kept-alive connection was closed and nothing listens any more
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, OSError)):
        conn.request("GET", "/_emulator/health")
        conn.getresponse()
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    emu.start()  # and it can start again
    assert get_json(emu, "/_emulator/health") == {"ok": True}
    emu.stop()


def test_concurrent_creates_are_all_stored_with_unique_ids(emu: Emulator) -> None:
    results: list[Any] = []
    lock = threading.Lock()

    def one(action: str, params: dict[str, Any]) -> None:
        task_id = api3(emu, action, params)["TaskId"]
        with lock:
            results.append(task_id)

    for action, params in (
        ("CreateLiveRecord", {"StreamName": "s", "Highlight": 1}),
        ("CreateRecordTask", record_task("s", EndTime=T0 + 600)),
    ):
        results.clear()
        threads = [threading.Thread(target=one, args=(action, params)) for _ in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert len(results) == 20 == len(set(results))
    assert len(emu.tasks()) == 40 == len({t.task_id for t in emu.tasks()})


def test_caps_hold_under_concurrency(emu: Emulator) -> None:
    emu.config.running_task_cap = 5
    params = {"StreamName": "s", "StartTime": "2026-05-21 10:00:00", "EndTime": "2026-05-21 10:30:00"}
    codes: list[str | None] = []
    lock = threading.Lock()

    def one() -> None:
        result = code(api3(emu, "CreateLiveRecord", params))
        with lock:
            codes.append(result)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert codes.count(None) == 5 and codes.count("LimitExceeded.MaximumRunningTask") == 15
    assert len(emu.tasks()) == 5


def test_logs_never_carry_secrets(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="liverec.emulator")
    path = fcgi_path(
        {"interface": "Live_Tape_Start", "Param.s.channel_id": "c", "Param.n.task_sub_type": "1"}, t=T0 + 60
    )
    get_json(emu, path)
    v2(emu, {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"})
    api3(emu, "CreateLiveRecord", {"StreamName": "s", "Highlight": 1})
    send(emu, "GET", "/nope?sign=abcdef123")
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(b"GET /common_access?sign=deadbeef HTTP/1.1 extra\r\n\r\n")
        sock.recv(4096)
    assert emu.wait_idle(2)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/common_access" in text
    sign = path.rsplit("sign=", 1)[1]
    for secret in (CREDS.secret_key, CREDS.fcgi_key, sign, "deadbeef", "abcdef123"):
        assert secret not in text
    assert CREDS.secret_key not in repr(CREDS) and CREDS.fcgi_key not in repr(CREDS)
