"""Our signers agree byte for byte with the tencentcloud SDK's; Tencent's callbacks are verified safely.

The SDK (``Sign``, ``AbstractClient``) is the reference: every expected value below is either produced by the
SDK from the same inputs or computed in the test itself with hmac / hashlib / base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import pytest
import tencentcloud.common.abstract_client as sdk_abstract_client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign

from shared.support.config import DEFAULT_CALLBACK_MAX_VALIDITY, LiveApi, Settings
from shared.support.errors import CallbackAuthError
from shared.tencent.adapter import RetryPolicy
from shared.tencent.api3 import Api3Client
from shared.tencent.signing import (
    fcgi_sign,
    hmac_signature,
    hmac_string_to_sign,
    md5_sign,
    tc3_sign_request,
    tc3_signature,
)
from shared.webhooks import inbound
from shared.webhooks.inbound import verify_callback

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CST = timezone(timedelta(hours=8))

# --- strategies --------------------------------------------------------------------------------------

# Anything UTF-8 can carry (no lone surrogates: neither the SDK nor a real request can encode them).
unicode_text = st.characters(blacklist_categories=("Cs",))

# The SDK's Credential refuses empty keys and keys with surrounding whitespace; within that, anything goes.
secret_keys = st.one_of(
    st.sampled_from(["密钥-测试", "🔑-secret", "plain-ascii-key"]),
    st.text(alphabet=unicode_text, min_size=1, max_size=40).filter(lambda k: k.strip() == k != ""),
)
secret_ids = st.from_regex(r"AKID[A-Za-z0-9]{4,32}", fullmatch=True)

host_names = st.one_of(
    st.sampled_from(["live.tencentcloudapi.com", "127.0.0.1", "localhost"]),
    st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,3}", fullmatch=True),
)
hosts = st.builds(
    lambda name, port: name if port is None else f"{name}:{port}",
    host_names,
    st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
)

stream_names = st.one_of(
    st.sampled_from(["直播-测试", "🎥直播😀", "a b&c=d", "8888_test123", 'quote"and\\backslash']),
    st.text(alphabet=unicode_text, max_size=30),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(alphabet=unicode_text, max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet=unicode_text, max_size=5), inner, max_size=3),
    ),
    max_leaves=6,
)
extra_params = st.dictionaries(
    st.text(alphabet=unicode_text, min_size=1, max_size=8), json_values, max_size=3
)

timestamps = st.integers(min_value=0, max_value=4_102_444_800)  # 1970-01-01 .. 2100-01-01


def cst_midnight(day: date) -> int:
    """UNIX seconds of 00:00:00 China Standard Time on ``day`` (computed without our code)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=CST).timestamp())


# 00:00:00-07:59:59 CST: the China date is already tomorrow's UTC date.
cst_small_hours = st.builds(
    lambda day, seconds: cst_midnight(day) + seconds,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=8 * 3600 - 1),
)


def utc_date(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def cst_date(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts + 8 * 3600))


def credential_date(authorization: str) -> str:
    """The date in ``Credential=<id>/<date>/<service>/tc3_request``."""
    credential = authorization.split("Credential=", 1)[1].split(",", 1)[0]
    return credential.split("/")[1]


# --- the SDK as the reference ------------------------------------------------------------------------


def sdk_client(
    secret_id: str, key: str, host: str, profile: ClientProfile | None = None, token: str | None = None
) -> CommonClient:
    profile = profile or ClientProfile()
    profile.httpProfile = HttpProfile(endpoint=host)
    return CommonClient("live", "2018-08-01", Credential(secret_id, key, token), "ap-guangzhou", profile)


def sdk_tc3_request(
    secret_id: str, key: str, host: str, params: dict[str, Any], ts: int, token: str | None = None
) -> RequestInternal:
    """The request the SDK itself builds and signs for CreateRecordTask at the frozen instant ``ts``."""
    client = sdk_client(secret_id, key, host, token=token)
    req = RequestInternal(host, "POST", "/", header={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_abstract_client, "time", SimpleNamespace(time=lambda: ts))
        client._build_req_with_tc3_signature("CreateRecordTask", params, req)
    assert req.header["X-TC-Timestamp"] == str(ts), "the SDK did not use the frozen clock"
    return req


# --- TC3-HMAC-SHA256 -------------------------------------------------------------------------------


@FAST
@given(
    secret_id=secret_ids,
    key=secret_keys,
    host=hosts,
    stream=stream_names,
    extra=extra_params,
    ts=st.one_of(timestamps, cst_small_hours),
)
@example(
    secret_id="AKIDexample0000",
    key="密钥",
    host="127.0.0.1:9100",
    stream="直播-测试",
    extra={"备注": "🎥"},
    ts=cst_midnight(date(2026, 5, 21)) + 2 * 3600 + 30 * 60,  # 2026-05-21 02:30 CST
)
def test_tc3_authorization_matches_the_sdk(
    secret_id: str, key: str, host: str, stream: str, extra: dict[str, Any], ts: int
) -> None:
    # Given the SDK's own signed CreateRecordTask request
    params = {**extra, "DomainName": "5000.live.push.com", "AppName": "live", "StreamName": stream}
    req = sdk_tc3_request(secret_id, key, host, params, ts)
    payload = req.data.encode("utf-8")
    assert json.loads(payload)["StreamName"] == stream

    # When we sign the very same bytes, host, content type and instant
    ours = tc3_sign_request(
        secret_id=secret_id,
        secret_key=SecretStr(key),
        timestamp=ts,
        host=host,
        payload=payload,
        content_type=req.header["Content-Type"],
    )

    # Then the Authorization headers are identical, and the credential date is the UTC date
    assert ours.authorization == req.header["Authorization"]
    assert ours.timestamp == ts
    assert ours.date == credential_date(ours.authorization) == utc_date(ts)


@FAST
@given(
    secret_id=secret_ids,
    key=secret_keys,
    host=hosts,
    stream=stream_names,
    extra=extra_params,
    ts=st.one_of(timestamps, cst_small_hours),
    token=st.none() | st.text(alphabet="abcdefXYZ0123456789+/=", min_size=8, max_size=64),
)
def test_api3_client_sends_the_headers_the_sdk_sends(
    secret_id: str, key: str, host: str, stream: str, extra: dict[str, Any], ts: int, token: str | None
) -> None:
    # Given the SDK's own signed CreateRecordTask request (with temporary credentials or without)
    params = {**extra, "DomainName": "5000.live.push.com", "AppName": "live", "StreamName": stream}
    req = sdk_tc3_request(secret_id, key, host, params, ts, token)
    # When our API 3.0 client builds the headers for the same bytes, host, region and instant
    settings = Settings(
        secret_id=secret_id,
        secret_key=SecretStr(key),
        session_token=None if token is None else SecretStr(token),
        endpoint=f"http://{host}",
        region="ap-guangzhou",
    )
    client = Api3Client(
        settings,
        LiveApi.RECORD_TASK,
        region="ap-guangzhou",
        clock=lambda: ts,
        sleep=time.sleep,
        retry=RetryPolicy(),
    )
    ours = {"Host": client.host, **client.headers("CreateRecordTask", req.data.encode("utf-8"), ts)}
    # Then every header Tencent reads is the SDK's, byte for byte (the client name and trace id are ours)
    theirs = {
        k: v
        for k, v in req.header.items()
        if k not in ("X-TC-RequestClient", "X-TC-TraceId", "X-TC-Language")
    }
    assert {k: v for k, v in ours.items() if k != "X-TC-RequestClient"} == theirs


@FAST
@given(secret_id=secret_ids, key=secret_keys, host=hosts, stream=stream_names, ts=cst_small_hours)
@example(  # the first second of the China day: UTC is still on the previous day (16:00)
    secret_id="AKIDexample0000",
    key="k",
    host="live.tencentcloudapi.com",
    stream="直播",
    ts=cst_midnight(date(2026, 5, 21)),
)
@example(  # the last second before 08:00 CST
    secret_id="AKIDexample0000",
    key="k",
    host="live.tencentcloudapi.com",
    stream="直播",
    ts=cst_midnight(date(2026, 5, 21)) + 8 * 3600 - 1,
)
@example(  # New Year in China is still New Year's Eve in UTC
    secret_id="AKIDexample0000",
    key="k",
    host="127.0.0.1:9100",
    stream="🎆",
    ts=cst_midnight(date(2026, 1, 1)) + 3600,
)
@example(  # 1 March in China, 29 February in UTC
    secret_id="AKIDexample0000",
    key="k",
    host="127.0.0.1:9100",
    stream="闰日",
    ts=cst_midnight(date(2024, 3, 1)) + 60,
)
def test_tc3_between_midnight_and_8_cst_uses_the_utc_date(
    secret_id: str, key: str, host: str, stream: str, ts: int
) -> None:
    # Given an instant in the 00:00-08:00 CST window, where the China date is one day ahead of UTC's
    assert cst_date(ts) != utc_date(ts)
    req = sdk_tc3_request(secret_id, key, host, {"StreamName": stream}, ts)

    # When we sign it
    ours = tc3_sign_request(
        secret_id=secret_id,
        secret_key=key,
        timestamp=ts,
        host=host,
        payload=req.data.encode("utf-8"),
        content_type=req.header["Content-Type"],
    )

    # Then we agree with the SDK, and the credential scope carries the UTC date, not the China date
    assert ours.authorization == req.header["Authorization"]
    assert credential_date(ours.authorization) == ours.date == utc_date(ts)
    assert ours.date != cst_date(ts)
    assert f"/{cst_date(ts)}/" not in ours.authorization


def test_at_8_cst_the_utc_and_china_dates_coincide_again() -> None:
    ts = cst_midnight(date(2026, 5, 21)) + 8 * 3600
    ours = tc3_sign_request(secret_id="AKIDx", secret_key="k", timestamp=ts, host="h", payload=b"{}")
    assert ours.date == utc_date(ts) == cst_date(ts) == "2026-05-21"


@FAST
@given(
    secret_id=secret_ids,
    key=secret_keys,
    host=hosts,
    stream=stream_names.filter(lambda s: not s.isascii()),
    ts=st.one_of(timestamps, cst_small_hours),
)
def test_tc3_signs_raw_utf8_payloads_like_the_sdk(
    secret_id: str, key: str, host: str, stream: str, ts: int
) -> None:
    # Given a body that is *not* ASCII-escaped (json.dumps(ensure_ascii=False)), signed by the SDK's TC3 routine
    body = json.dumps({"StreamName": stream, "AppName": "live"}, ensure_ascii=False)
    assert not body.isascii()
    client = sdk_client(secret_id, key, host)
    req = RequestInternal(host, "POST", "/", header={})
    req.header.update({"Content-Type": "application/json", "Host": host, "X-TC-Timestamp": str(ts)})
    req.data = body
    expected = client._get_tc3_signature({}, req, utc_date(ts), "live", key)

    # When we sign the UTF-8 bytes of the same body
    ours = tc3_sign_request(
        secret_id=secret_id, secret_key=key, timestamp=ts, host=host, payload=body.encode("utf-8")
    )

    # Then the signatures agree (the SDK hashes the UTF-8 encoding too)
    assert ours.authorization.endswith(f"Signature={expected}")


def test_tc3_default_content_type_is_the_one_the_sdk_sends() -> None:
    req = sdk_tc3_request(
        "AKIDexample0000", "key", "live.tencentcloudapi.com", {"StreamName": "s"}, 1_700_000_000
    )
    ours = tc3_sign_request(
        secret_id="AKIDexample0000",
        secret_key="key",
        timestamp=1_700_000_000,
        host="live.tencentcloudapi.com",
        payload=req.data.encode("utf-8"),
    )
    assert ours.authorization == req.header["Authorization"]


def test_tc3_signature_depends_on_every_signed_input() -> None:
    # Given one signed request
    base = {
        "secret_id": "AKIDexample0000",
        "secret_key": "key",
        "timestamp": 1_700_000_000,
        "host": "live.tencentcloudapi.com",
        "payload": b'{"StreamName":"a"}',
    }
    reference = tc3_sign_request(**base).authorization  # type: ignore[arg-type]
    # When any one signed input changes, Then the signature changes
    for change in (
        {"secret_key": "key2"},
        {"timestamp": 1_700_000_001},
        {"host": "live.tencentcloudapi.com:443"},
        {"payload": b'{"StreamName":"b"}'},
        {"content_type": "application/x-www-form-urlencoded"},
        {"service": "cvm"},
    ):
        changed = tc3_sign_request(**{**base, **change}).authorization  # type: ignore[arg-type]
        assert changed.rsplit("Signature=", 1)[1] != reference.rsplit("Signature=", 1)[1], change


@FAST
@given(
    key=secret_keys,
    day=st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 1, 1)).map(date.isoformat),
    service=st.one_of(st.sampled_from(["live", "cvm"]), st.text(alphabet=unicode_text, max_size=10)),
    string_to_sign=st.text(alphabet=unicode_text, max_size=200),
)
def test_tc3_signature_equals_sign_tc3(key: str, day: str, service: str, string_to_sign: str) -> None:
    expected = Sign.sign_tc3(key, day, service, string_to_sign)
    assert tc3_signature(key, day, service, string_to_sign) == expected
    assert tc3_signature(SecretStr(key), day, service, string_to_sign) == expected


# --- v1 / v2 HMAC ------------------------------------------------------------------------------------

# Names the SDK sets itself (it would overwrite ours) and Signature are left to the SDK.
SDK_PARAMS = {"Action", "RequestClient", "Nonce", "Timestamp", "Version", "Region", "Token", "SecretId"}
SDK_PARAMS |= {"SignatureMethod", "Language", "Signature"}
param_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}(_[A-Za-z0-9]{1,6}){0,2}", fullmatch=True).filter(
    lambda n: n not in SDK_PARAMS
)
param_values = st.one_of(
    st.sampled_from(["直播-测试", "🎥😀", "a b&c=d", "x+y/z?", ""]),
    st.text(alphabet=unicode_text, max_size=20),
    st.integers(min_value=-(10**12), max_value=10**12),
)


@FAST
@given(
    method=st.sampled_from(["HmacSHA1", "HmacSHA256"]),
    key=secret_keys,
    secret_id=secret_ids,
    host=hosts,
    params=st.dictionaries(param_names, param_values, max_size=6),
    ts=timestamps,
)
@example(
    method="HmacSHA256",
    key="密钥",
    secret_id="AKIDexample0000",
    host="live.api.qcloud.com",
    params={"StreamName": "直播-测试", "Record_Type": "video", "aZ": "1", "a_b": "🎥"},
    ts=1_700_000_000,
)
def test_hmac_matches_the_sdk(
    method: str, key: str, secret_id: str, host: str, params: dict[str, object], ts: int
) -> None:
    # Given a request the SDK signs the old way (it adds Action, Nonce, Timestamp, Version, Region, SecretId, ...)
    client = sdk_client(secret_id, key, host, ClientProfile(signMethod=method))
    req = RequestInternal(host, "POST", "/", header={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_abstract_client, "time", SimpleNamespace(time=lambda: ts))
        client._build_req_with_old_signature("CreateRecord", dict(params), req, {})
    sent = dict(parse_qsl(req.data, keep_blank_values=True))
    sdk_signature = sent.pop("Signature")
    assert sent["Timestamp"] == str(ts)
    assert sent["SignatureMethod"] == method
    assert {k: str(v) for k, v in params.items()}.items() <= sent.items()

    # When we build the string to sign and sign it from exactly the parameters the SDK sent
    to_sign = hmac_string_to_sign("POST", host, "/", sent)
    ours = hmac_signature(SecretStr(key), to_sign, method)  # type: ignore[arg-type]

    # Then both the string to sign and the signature are the SDK's
    assert to_sign == client._format_sign_string(sent)
    assert ours == sdk_signature
    assert ours == Sign.sign(key, to_sign, method)


def test_hmac_known_answer() -> None:
    # Given v2 parameters, one with "_" that must sort as "." ("a.b" < "aZ" although "a_b" > "aZ")
    params = {
        "Action": "CreateRecord",
        "SecretId": "AKIDexample",
        "Nonce": 12345,
        "Timestamp": 1700000000,
        "SignatureMethod": "HmacSHA256",
        "StreamName": "直播-测试",
        "aZ": "2",
        "a_b": "x y",
        "Signature": "must be left out",
    }
    # When we build the string to sign
    text = hmac_string_to_sign("GET", "live.api.qcloud.com", "/v2/index.php", params)
    # Then it is the documented GET + host + path + ? + sorted raw pairs
    assert text == (
        "GETlive.api.qcloud.com/v2/index.php?"
        "Action=CreateRecord&Nonce=12345&SecretId=AKIDexample&SignatureMethod=HmacSHA256"
        "&StreamName=直播-测试&Timestamp=1700000000&a.b=x y&aZ=2"
    )
    # And the signature is Base64(HMAC(key, text)) for either digest
    key = "密钥-v2"
    for method, digest in (("HmacSHA1", hashlib.sha1), ("HmacSHA256", hashlib.sha256)):
        expected = base64.b64encode(hmac.new(key.encode(), text.encode(), digest).digest()).decode()
        assert hmac_signature(key, text, method) == expected  # type: ignore[arg-type]
        assert hmac_signature(SecretStr(key), text, method) == expected  # type: ignore[arg-type]


# --- md5 (fcgi and callbacks) -------------------------------------------------------------------------


@FAST
@given(key=st.text(alphabet=unicode_text, max_size=40), t=st.integers(min_value=0, max_value=2**40))
@example(key="fcgi-key", t=1_700_000_600)
def test_md5_sign_is_md5_of_key_then_t(key: str, t: int) -> None:
    expected = hashlib.md5((key + str(t)).encode("utf-8")).hexdigest()
    assert md5_sign(key, t) == expected
    assert md5_sign(SecretStr(key), t) == expected
    assert fcgi_sign(key, t) == expected
    assert fcgi_sign(SecretStr(key), t) == expected


# --- callbacks ---------------------------------------------------------------------------------------

CALLBACK_KEY = "cb-秘密-9f8e7d6c5b4a"
KEY = SecretStr(CALLBACK_KEY)
T = 1_800_000_000


def good_sign(t: int, key: str = CALLBACK_KEY) -> str:
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


def callback(t: object = T, sign: object = None) -> dict[str, object]:
    """A stream-begin callback body as Tencent posts it."""
    return {"event_type": 1, "stream_id": "s", "t": t, "sign": good_sign(t) if sign is None else sign}  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [KEY, CALLBACK_KEY], ids=["SecretStr", "str"])
@pytest.mark.parametrize(
    "now",
    [T - DEFAULT_CALLBACK_MAX_VALIDITY, T - 600, T - 0.5, T],
    ids=["the-longest-validity-before", "ten-minutes-before", "half-second-before", "exactly-t"],
)
def test_valid_callback_passes_up_to_and_including_t(key: SecretStr | str, now: float) -> None:
    assert verify_callback(callback(), key, now=now) is None


def test_uppercase_and_string_forms_are_accepted() -> None:
    verify_callback(callback(sign=good_sign(T).upper()), KEY, now=T)
    verify_callback({"t": str(T), "sign": good_sign(T)}, KEY, now=T)


@FAST
@given(
    key=st.text(alphabet=unicode_text, min_size=1, max_size=30),
    t=timestamps,
    delta=st.integers(0, DEFAULT_CALLBACK_MAX_VALIDITY),
)
def test_any_key_and_t_verify_until_t_and_expire_after(key: str, t: int, delta: int) -> None:
    body = {"t": t, "sign": good_sign(t, key)}
    verify_callback(body, key, now=t - delta)
    with pytest.raises(CallbackAuthError) as info:
        verify_callback(body, key, now=t + 1 + delta)
    assert info.value.code == "SignatureExpired"


@FAST
@given(ahead=st.integers(1, 10 * 365 * 86400), max_validity=st.integers(600, 30 * 86400))
def test_a_t_beyond_the_maximum_validity_is_refused_like_an_expired_one(
    ahead: int, max_validity: int
) -> None:
    # a callback signed for now + 10 years would stay replayable for 10 years
    now = T - max_validity - ahead
    with pytest.raises(CallbackAuthError) as info:
        verify_callback(callback(), KEY, now=now, max_validity=max_validity)
    assert (info.value.status, info.value.code, info.value.field) == (401, "SignatureTooFarAhead", "t")
    verify_callback(callback(), KEY, now=T - max_validity, max_validity=max_validity)  # the bound itself


REFUSED = [
    pytest.param(callback(), T + 1, "SignatureExpired", id="expired-by-one-second"),
    pytest.param(callback(), T + 0.001, "SignatureExpired", id="expired-by-a-millisecond"),
    pytest.param(callback(sign="0" * 32), T - 1, "InvalidSignature", id="wrong-sign"),
    pytest.param(callback(sign=good_sign(T, "another-key")), T - 1, "InvalidSignature", id="other-key"),
    pytest.param(callback(t=T + 3600, sign=good_sign(T)), T, "InvalidSignature", id="t-extended-sign-kept"),
    pytest.param(callback(sign=good_sign(T)[:-1]), T - 1, "InvalidSignature", id="truncated-sign"),
    pytest.param(callback(sign=""), T - 1, "InvalidSignature", id="empty-sign"),
    pytest.param(callback(sign=12345), T - 1, "InvalidSignature", id="sign-not-a-string"),
    pytest.param({"event_type": 1, "t": T}, T - 1, "MissingSignature", id="no-sign"),
    pytest.param({"event_type": 1, "sign": good_sign(T)}, T - 1, "MissingSignature", id="no-t"),
    pytest.param({"event_type": 1}, T - 1, "MissingSignature", id="neither"),
    pytest.param(callback(t=None, sign=good_sign(T)), T - 1, "MissingSignature", id="t-null"),
    pytest.param(callback(t="soon", sign="0" * 32), T - 1, "InvalidSignature", id="t-text"),
    pytest.param(callback(t=f"{T}.5", sign=good_sign(T)), T - 1, "InvalidSignature", id="t-decimal-string"),
    pytest.param(callback(t=float(T), sign=good_sign(T)), T - 1, "InvalidSignature", id="t-float"),
    pytest.param(callback(t=True, sign=good_sign(1)), 0, "InvalidSignature", id="t-true"),
    pytest.param(callback(t=False, sign=good_sign(0)), 0, "InvalidSignature", id="t-false"),
    pytest.param(callback(t=[T], sign=good_sign(T)), T - 1, "InvalidSignature", id="t-list"),
    pytest.param(
        callback(), T - DEFAULT_CALLBACK_MAX_VALIDITY - 1, "SignatureTooFarAhead", id="t-too-far-ahead"
    ),
]


@pytest.mark.parametrize(("body", "now", "code"), REFUSED)
def test_refused_callbacks_say_why_and_never_show_the_key(
    body: dict[str, object], now: float, code: str
) -> None:
    with pytest.raises(CallbackAuthError) as info:
        verify_callback(body, KEY, now=now)
    err = info.value
    assert err.code == code
    shown = " ".join([str(err), repr(err), err.message, json.dumps(err.to_dict(), ensure_ascii=False)])
    assert CALLBACK_KEY not in shown
    # nor any signature (an expected one would be a valid signature an attacker could reuse)
    assert re.search(r"[0-9a-fA-F]{32}", shown) is None


@pytest.fixture
def compare_digest_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, object]]]:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(inbound.hmac, "compare_digest", spy)
    yield calls


def test_signature_is_compared_in_constant_time(compare_digest_calls: list[tuple[object, object]]) -> None:
    # Given a valid, a forged and an expired callback
    verify_callback(callback(), KEY, now=T)
    with pytest.raises(CallbackAuthError):
        verify_callback(callback(sign="f" * 32), KEY, now=T)
    with pytest.raises(CallbackAuthError, match="expired"):
        verify_callback(callback(sign=good_sign(T).upper()), KEY, now=T + 1)

    # Then each went through hmac.compare_digest exactly once (the expired one too: compare before expiry),
    # comparing the expected signature with the one sent (case-folded)
    expected = good_sign(T).encode()
    assert [set(call) for call in compare_digest_calls] == [{expected}, {expected, b"f" * 32}, {expected}]
