"""HmacSHA1 / HmacSHA256 request signing, checked from Tencent's rules (not from the package's signer nor
the SDK): v2 signs this way, and so does the SDK's form-encoded API 3.0 (``signMethod="HmacSHA256"``).

Every comparison of a secret-derived value is constant-time; no secret is logged or echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from devtools.emulator.config import Credentials
from devtools.emulator.errors import ApiError
from devtools.emulator.params import INT_TEXT


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
    """The common parameters (SecretId, Timestamp, Nonce, Signature, SignatureMethod) in the query or form;
    ``Timestamp`` within ``window`` seconds of ``now``."""
    for name in ("SecretId", "Timestamp", "Nonce", "Signature"):
        if not params.get(name):
            raise ApiError("AuthFailure.InvalidAuthorization", f"missing common parameter {name}")
    if not INT_TEXT.match(params["Timestamp"]):
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
