"""Signature checks, implemented from Tencent's rules (independently of the package's own signer and of
the SDK). Every comparison of a secret-derived value is constant-time; no secret is logged or echoed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from devtools.emulator.core import Credentials
from devtools.emulator.errors import ApiError, missing

API3_WINDOW = 300  # API 3.0: more than 5 minutes off -> AuthFailure.SignatureExpire
V2_WINDOW = 7200  # v2: Timestamp within 2 hours; a Nonce may not repeat within the same window

_TC3 = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s,]+)/tc3_request,"
    r"\s*SignedHeaders=(?P<signed>[a-z0-9-]+(?:;[a-z0-9-]+)*),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)
_INT = re.compile(r"^-?[0-9]+$")
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential-scope date: the UTC date of the timestamp (never China or local time)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def tc3_signature(secret_key: str, date: str, string_to_sign: str) -> str:
    k_date = _hmac256(("TC3" + secret_key).encode("utf-8"), date)
    k_signing = _hmac256(_hmac256(k_date, "live"), "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_tc3(
    creds: Credentials,
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
) -> None:
    """TC3-HMAC-SHA256. ``headers`` has lower-cased names; values are used as sent (only trimmed)."""
    auth = headers.get("authorization", "").strip()
    match = _TC3.match(auth)
    if not match:
        raise ApiError(
            "AuthFailure.InvalidAuthorization",
            "the Authorization header is missing or is not 'TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'",
        )
    signed = match["signed"].split(";")
    if "content-type" not in signed or "host" not in signed:
        raise ApiError("AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host")
    raw_ts = headers.get("x-tc-timestamp", "").strip()
    if not _INT.match(raw_ts):
        raise ApiError("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not an integer")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > API3_WINDOW:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"signature expired: X-TC-Timestamp {timestamp} is more than 5 minutes from server time {int(now)}",
        )
    if match["id"] != creds.secret_id:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId in Credential is not found")
    date = utc_date(timestamp)
    if match["date"] != date:
        raise ApiError(
            "AuthFailure.SignatureFailure",
            f"the Credential date {match['date']} is not the UTC date of X-TC-Timestamp ({date})",
        )
    if match["service"] != "live":
        raise ApiError("AuthFailure.SignatureFailure", "the Credential service must be 'live'")
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    if headers.get("x-tc-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
        payload_hash = sha256_hex(UNSIGNED_PAYLOAD.encode("ascii"))
    else:
        payload_hash = sha256_hex(b"" if method == "GET" else body)
    canonical = "\n".join(
        [method, "/", query if method == "GET" else "", canonical_headers, match["signed"], payload_hash]
    )
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/live/tc3_request\n{sha256_hex(canonical.encode('utf-8'))}"
    )
    expected = tc3_signature(creds.secret_key, date, to_sign)
    if not hmac.compare_digest(expected, match["sig"]):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")


def hmac_signature(key: str, text: str, method: str) -> str:
    if method == "HmacSHA256":
        digest = hashlib.sha256
    elif method == "HmacSHA1":
        digest = hashlib.sha1
    else:
        raise ApiError("AuthFailure.SignatureFailure", "SignatureMethod must be HmacSHA1 or HmacSHA256")
    mac = hmac.new(key.encode("utf-8"), text.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode("ascii")


def hmac_string_to_sign(method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """METHOD + host + path + '?' + k=v joined by '&', over every parameter but Signature, with '_' in
    names read as '.', sorted by that name; values raw (decoded)."""
    renamed = {k.replace("_", "."): v for k, v in params.items() if k != "Signature"}
    return f"{method}{host}{path}?" + "&".join(f"{k}={renamed[k]}" for k in sorted(renamed))


def verify_hmac(
    creds: Credentials,
    *,
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    now: float,
    window: int,
) -> None:
    """v2 and the SDK's HmacSHA1/HmacSHA256 API 3.0 signing (common parameters in the query or form)."""
    for name in ("SecretId", "Timestamp", "Nonce", "Signature"):
        if not params.get(name):
            raise ApiError("AuthFailure.InvalidAuthorization", f"missing common parameter {name}")
    if not _INT.match(params["Timestamp"]):
        raise ApiError("AuthFailure.InvalidAuthorization", "Timestamp is not an integer")
    timestamp = int(params["Timestamp"])
    if abs(now - timestamp) > window:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"signature expired: Timestamp {timestamp} is more than {window} s from server time {int(now)}",
        )
    if params["SecretId"] != creds.secret_id:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId is not found")
    text = hmac_string_to_sign(method, host, path, params)
    expected = hmac_signature(creds.secret_key, text, params.get("SignatureMethod") or "HmacSHA1")
    if not hmac.compare_digest(expected.encode("ascii"), params["Signature"].encode("utf-8")):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")


def verify_fcgi(creds: Credentials, params: Mapping[str, str], now: float) -> None:
    """fcgi: ``appid`` (seed 001) or ``cmd`` (seed 000), ``t`` = expiry, ``sign = md5_hex(key + str(t))``."""
    appid = params.get("appid") or params.get("cmd")
    if not appid:
        raise ApiError("AppidInvalid", "appid is missing (send appid, or cmd)")
    if appid != str(creds.fcgi_appid):
        raise ApiError("AppidInvalid", "appid is invalid")
    t_raw, sign = params.get("t", ""), params.get("sign", "")
    if not t_raw:
        raise missing("t")
    if not _INT.match(t_raw):
        raise ApiError("InvalidParameter", "invalid parameter t: must be a UNIX time (decimal integer)")
    if not sign:
        raise missing("sign")
    t = int(t_raw)
    expected = hashlib.md5((creds.fcgi_key + str(t)).encode("utf-8")).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), sign.lower().encode("utf-8")):
        raise ApiError("AuthFailure.SignatureFailure", "sign is invalid (md5(key + t) does not match)")
    if now > t:
        raise ApiError("AuthFailure.SignatureExpire", f"t={t} has expired (server time {int(now)})")
