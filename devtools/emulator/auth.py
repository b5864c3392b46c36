"""Signature checks, implemented from Tencent's rules (independently of the package's own signer)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from devtools.emulator.core import Credentials
from devtools.emulator.errors import ApiError

API3_WINDOW = 300  # TC3 / API 3.0: more than 5 minutes off -> AuthFailure.SignatureExpire
V2_WINDOW = 7200  # v2: Timestamp within 2 hours

_TC3 = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)/tc3_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def verify_tc3(
    creds: Credentials,
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
) -> None:
    auth = headers.get("authorization", "")
    match = _TC3.match(auth)
    if not match:
        raise ApiError("AuthFailure.InvalidAuthorization", "Authorization header is missing or malformed")
    if match["id"] != creds.secret_id:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId is not found")
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        raise ApiError(
            "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not an integer"
        ) from None
    if abs(now - timestamp) > API3_WINDOW:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"signature expired: X-TC-Timestamp {timestamp} is more than 5 minutes from server time {int(now)}",
        )
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    if match["date"] != date or match["service"] != "live":
        raise ApiError(
            "AuthFailure.SignatureFailure", "credential scope must be <UTC date of timestamp>/live"
        )
    signed = match["signed"].split(";")
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    canonical = "\n".join(
        [
            method,
            "/",
            query if method == "GET" else "",
            canonical_headers,
            match["signed"],
            _sha256(body if method == "POST" else b""),
        ]
    )
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/live/tc3_request\n{_sha256(canonical.encode('utf-8'))}"
    key = _hmac256(
        _hmac256(_hmac256(("TC3" + creds.secret_key).encode("utf-8"), date), "live"), "tc3_request"
    )
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["sig"]):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")


def hmac_digest(key: str, text: str, method: str) -> str:
    if method == "HmacSHA256":
        mod = hashlib.sha256
    elif method == "HmacSHA1":
        mod = hashlib.sha1
    else:
        raise ApiError("AuthFailure.SignatureFailure", f"unsupported SignatureMethod {method}")
    return base64.b64encode(hmac.new(key.encode("utf-8"), text.encode("utf-8"), mod).digest()).decode("ascii")


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
    """v1/v2-style HMAC over the sorted raw parameters (``_`` in names read as ``.``)."""
    for name in ("SecretId", "Timestamp", "Nonce", "Signature"):
        if not params.get(name):
            raise ApiError("AuthFailure.SignatureFailure", f"missing common parameter {name}")
    if params["SecretId"] != creds.secret_id:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId is not found")
    try:
        timestamp = int(params["Timestamp"])
    except ValueError:
        raise ApiError("AuthFailure.SignatureFailure", "Timestamp is not an integer") from None
    if abs(now - timestamp) > window:
        raise ApiError("AuthFailure.SignatureExpire", f"Timestamp {timestamp} is outside the allowed window")
    renamed = {k.replace("_", "."): v for k, v in params.items() if k != "Signature"}
    text = f"{method}{host}{path}?" + "&".join(f"{k}={renamed[k]}" for k in sorted(renamed))
    expected = hmac_digest(creds.secret_key, text, params.get("SignatureMethod") or "HmacSHA1")
    if not hmac.compare_digest(expected.encode("ascii"), params["Signature"].encode("utf-8")):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")


def verify_fcgi(creds: Credentials, params: Mapping[str, str], now: float) -> None:
    appid = params.get("appid") or params.get("cmd")
    if appid is None:
        raise ApiError("AppidInvalid", "appid is missing")
    if appid != str(creds.fcgi_appid):
        raise ApiError("AppidInvalid", "appid is invalid")
    t_raw, sign = params.get("t"), params.get("sign")
    if not t_raw or not sign:
        raise ApiError("AuthFailure.SignatureFailure", "t and sign are required")
    try:
        t = int(t_raw)
    except ValueError:
        raise ApiError("AuthFailure.SignatureFailure", "t is not an integer") from None
    expected = hashlib.md5((creds.fcgi_key + str(t)).encode("utf-8")).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), sign.lower().encode("utf-8")):
        raise ApiError("AuthFailure.SignatureFailure", "sign is invalid")
    if now > t:
        raise ApiError("AuthFailure.SignatureExpire", f"t={t} has expired")
