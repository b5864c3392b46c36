"""Our signers agree byte for byte with the SDK's, across generated inputs; callbacks verify safely."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import pytest
import tencentcloud.common.abstract_client as sdk_client
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign

from shared import signing
from shared.signing import (
    CallbackAuthError,
    fcgi_sign,
    hmac_signature,
    hmac_string_to_sign,
    md5_sign,
    tc3_date,
    tc3_sign_request,
    tc3_signature,
    verify_callback,
)

CST = timezone(timedelta(hours=8))
keys = st.text(min_size=1, max_size=40).filter(lambda k: k.strip() == k and k.strip() != "")
secret_ids = st.from_regex(r"AKID[A-Za-z0-9]{4,32}", fullmatch=True)
hosts = st.sampled_from(["live.tencentcloudapi.com", "127.0.0.1:9100", "localhost:54321"])
stream_names = st.one_of(
    st.text(max_size=30), st.sampled_from(["直播-测试", "🎥live", "a b&c=d", "8888_test123"])
)
timestamps = st.integers(min_value=0, max_value=4_102_444_800)  # 1970 .. 2100
# 00:00-08:00 China Standard Time: the CST date is a day ahead of the UTC date (a CST signer fails here)
cst_small_hours = st.builds(
    lambda day, seconds: int(datetime(day.year, day.month, day.day, tzinfo=CST).timestamp()) + seconds,
    st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2099, 12, 31).date()),
    st.integers(min_value=0, max_value=8 * 3600 - 1),
)


def in_cst_small_hours(day: datetime) -> int:
    """A timestamp between 00:00 and 08:00 CST, when the CST date is one day ahead of the UTC date."""
    return int(day.replace(hour=2, minute=30, tzinfo=CST).timestamp())


class FrozenTime(SimpleNamespace):
    pass


def sdk_tc3(
    monkeypatch: pytest.MonkeyPatch, *, secret_id: str, key: str, host: str, params: dict[str, Any], ts: int
) -> tuple[str, bytes, str]:
    """The SDK's own Authorization header, body and content type for one CreateRecordTask call."""
    client = CommonClient(
        "live",
        "2018-08-01",
        Credential(secret_id, key),
        "ap-guangzhou",
        ClientProfile(httpProfile=HttpProfile(endpoint=host)),
    )
    req = RequestInternal(host, "POST", "/", header={})
    monkeypatch.setattr(sdk_client, "time", FrozenTime(time=lambda: ts))
    client._build_req_with_tc3_signature("CreateRecordTask", params, req)
    body = req.data.encode("utf-8") if isinstance(req.data, str) else req.data
    return req.header["Authorization"], body, req.header["Content-Type"]


@settings(max_examples=150, deadline=None)
@given(
    secret_id=secret_ids, key=keys, host=hosts, stream=stream_names, ts=st.one_of(timestamps, cst_small_hours)
)
@example(
    secret_id="AKIDexample",
    key="密钥",
    host="127.0.0.1:9100",
    stream="直播",
    ts=in_cst_small_hours(datetime(2026, 5, 21)),
)
def test_tc3_matches_the_sdk(secret_id: str, key: str, host: str, stream: str, ts: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        params = {"StreamName": stream, "DomainName": "d.push.com", "AppName": "live", "EndTime": ts + 60}
        expected, body, content_type = sdk_tc3(
            mp, secret_id=secret_id, key=key, host=host, params=params, ts=ts
        )
    ours = tc3_sign_request(
        secret_id=secret_id,
        secret_key=SecretStr(key),
        timestamp=ts,
        host=host,
        payload=body,
        content_type=content_type,
    )
    assert ours.authorization == expected
    assert json.loads(body)["StreamName"] == stream


@given(ts=timestamps)
def test_tc3_date_is_the_utc_date(ts: int) -> None:
    assert tc3_date(ts) == datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


@given(ts=cst_small_hours)
def test_in_the_cst_small_hours_the_utc_date_is_the_day_before(ts: int) -> None:
    cst_day = datetime.fromtimestamp(ts, tz=CST).date()
    assert tc3_date(ts) == str(cst_day - timedelta(days=1))


@pytest.mark.parametrize("day", [datetime(2026, 5, 21), datetime(2026, 1, 1), datetime(2024, 2, 29)])
def test_between_midnight_and_8_cst_the_credential_date_is_yesterday_in_china(day: datetime) -> None:
    ts = in_cst_small_hours(day)
    cst_date = datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d")
    assert tc3_date(ts) != cst_date
    assert tc3_date(ts) == (day - timedelta(days=1)).strftime("%Y-%m-%d")


@given(key=keys, date=st.dates().map(str), text=st.text())
def test_tc3_signature_matches_sign_tc3(key: str, date: str, text: str) -> None:
    assert tc3_signature(key, date, "live", text) == Sign.sign_tc3(key, date, "live", text)


param_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,12}", fullmatch=True)
param_values = st.one_of(stream_names, st.integers().map(str))


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["HmacSHA1", "HmacSHA256"]),
    key=keys,
    secret_id=secret_ids,
    host=hosts,
    extra=st.dictionaries(param_names, param_values, max_size=5),
    ts=timestamps,
)
def test_hmac_matches_the_sdk(
    method: str, key: str, secret_id: str, host: str, extra: dict[str, str], ts: int
) -> None:
    # Given the SDK signs a request the old way (it adds Action, Nonce, Timestamp, Version, Region, ...)
    profile = ClientProfile(signMethod=method, httpProfile=HttpProfile(endpoint=host))
    client = CommonClient("live", "2018-08-01", Credential(secret_id, key), "ap-guangzhou", profile)
    req = RequestInternal(host, "POST", "/", header={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_client, "time", FrozenTime(time=lambda: ts))
        client._build_req_with_old_signature("CreateRecord", dict(extra), req, {})
    sent = dict(parse_qsl(req.data, keep_blank_values=True))
    # When we sign exactly what it sent
    ours = hmac_signature(SecretStr(key), hmac_string_to_sign("POST", host, "/", sent), method)  # type: ignore[arg-type]
    # Then the signatures agree
    assert ours == sent["Signature"]


def test_hmac_known_answer() -> None:
    import base64
    import hmac as hmac_mod

    text = hmac_string_to_sign(
        "GET", "live.api.qcloud.com", "/v2/index.php", {"b": "2", "a_x": "1", "Signature": "ignored"}
    )
    assert text == "GETlive.api.qcloud.com/v2/index.php?a.x=1&b=2"
    expected = base64.b64encode(hmac_mod.new(b"k", text.encode(), hashlib.sha1).digest()).decode()
    assert hmac_signature("k", text, "HmacSHA1") == expected


@given(key=st.text(min_size=1), t=st.integers(min_value=0, max_value=2**40))
def test_md5_signatures(key: str, t: int) -> None:
    expected = hashlib.md5((key + str(t)).encode("utf-8")).hexdigest()
    assert md5_sign(key, t) == fcgi_sign(SecretStr(key), t) == expected


# --- callbacks -----------------------------------------------------------------------------------------

KEY = SecretStr("callback-key-123")


def body(t: int, sign: str | None = None) -> dict[str, object]:
    return {"t": t, "sign": sign if sign is not None else md5_sign(KEY, t), "event_type": 1}


def test_valid_callback_passes_until_and_including_t() -> None:
    verify_callback(body(1000), KEY, now=999)
    verify_callback(body(1000), KEY, now=1000)
    verify_callback({"t": "1000", "sign": md5_sign(KEY, 1000).upper()}, KEY, now=1)


@pytest.mark.parametrize(
    ("payload", "now", "code"),
    [
        (body(1000), 1001, "SignatureExpired"),
        (body(1000, sign="0" * 32), 1, "InvalidSignature"),
        ({"t": 1000}, 1, "MissingSignature"),
        ({"sign": "x"}, 1, "MissingSignature"),
        ({"t": "soon", "sign": "x"}, 1, "InvalidSignature"),
        ({"t": True, "sign": "x"}, 1, "InvalidSignature"),
        ({"t": 1000, "sign": 5}, 1, "InvalidSignature"),
    ],
)
def test_invalid_callbacks_are_refused_with_a_code_and_no_key(
    payload: dict[str, object], now: int, code: str
) -> None:
    with pytest.raises(CallbackAuthError) as info:
        verify_callback(payload, KEY, now=now)
    assert info.value.code == code
    assert KEY.get_secret_value() not in str(info.value) and KEY.get_secret_value() not in repr(
        info.value.to_dict()
    )


def test_callback_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = signing.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    verify_callback(body(1000), KEY, now=1)
    with pytest.raises(CallbackAuthError):
        verify_callback(body(1000, sign="f" * 32), KEY, now=1)
    assert len(calls) == 2
