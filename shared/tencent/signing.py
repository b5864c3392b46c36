"""Every signature the four Tencent Live generations use, plus verification of Tencent's callbacks.

- TC3-HMAC-SHA256 (API 3.0): what every API 3.0 call is signed with, tested byte for byte against the
  SDK's ``Sign.sign_tc3`` and ``AbstractClient`` (the SDK itself is not deployed). The credential date is
  the **UTC** date.
- v1/v2 HMAC-SHA1 / HMAC-SHA256 over the sorted query (``Sign.sign`` is the reference).
- fcgi ``md5(key + t)``.
- Callback verification ``md5(callback_key + t)`` with expiry, in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr

HmacMethod = Literal["HmacSHA1", "HmacSHA256"]
TC3_ALGORITHM = "TC3-HMAC-SHA256"


def _secret(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


# --- TC3-HMAC-SHA256 -------------------------------------------------------------------------------


def tc3_date(timestamp: int) -> str:
    """The credential-scope date: the UTC date of the request timestamp (never China time)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def tc3_canonical_request(
    *, method: str, host: str, content_type: str, payload: bytes, canonical_query: str = "", uri: str = "/"
) -> str:
    return "\n".join(
        [
            method,
            uri,
            canonical_query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def tc3_string_to_sign(*, timestamp: int, service: str, canonical_request: str) -> str:
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{TC3_ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def tc3_signature(secret_key: SecretStr | str, date: str, service: str, string_to_sign: str) -> str:
    def _h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k_date = _h(("TC3" + _secret(secret_key)).encode("utf-8"), date)
    k_service = _h(k_date, service)
    k_signing = _h(k_service, "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Tc3Signed:
    authorization: str
    timestamp: int
    date: str


def tc3_sign_request(
    *,
    secret_id: str,
    secret_key: SecretStr | str,
    timestamp: int,
    host: str,
    payload: bytes,
    service: str = "live",
    method: str = "POST",
    content_type: str = "application/json",
    canonical_query: str = "",
) -> Tc3Signed:
    """The ``Authorization`` header for one API 3.0 request."""
    canonical = tc3_canonical_request(
        method=method, host=host, content_type=content_type, payload=payload, canonical_query=canonical_query
    )
    date = tc3_date(timestamp)
    to_sign = tc3_string_to_sign(timestamp=timestamp, service=service, canonical_request=canonical)
    signature = tc3_signature(secret_key, date, service, to_sign)
    auth = (
        f"{TC3_ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
    return Tc3Signed(authorization=auth, timestamp=timestamp, date=date)


# --- v1 / v2 HMAC ------------------------------------------------------------------------------------


def hmac_string_to_sign(method: str, host: str, path: str, params: Mapping[str, object]) -> str:
    """``GET`` + host + path + ``?`` + sorted ``k=v`` pairs, raw values, ``_`` in names read as ``.``."""
    renamed = {k.replace("_", "."): v for k, v in params.items() if k != "Signature"}
    query = "&".join(f"{k}={renamed[k]}" for k in sorted(renamed))
    return f"{method}{host}{path}?{query}"


def hmac_signature(secret_key: SecretStr | str, string_to_sign: str, method: HmacMethod) -> str:
    """Base64 of HMAC-SHA1 or HMAC-SHA256; URL-encode it when it goes on the wire."""
    if method == "HmacSHA256":
        digestmod = hashlib.sha256
    elif method == "HmacSHA1":
        digestmod = hashlib.sha1
    else:  # pragma: no cover - Literal keeps callers honest; defend against untyped callers
        raise ValueError(f"unsupported signature method {method!r}")
    mac = hmac.new(_secret(secret_key).encode("utf-8"), string_to_sign.encode("utf-8"), digestmod)
    return base64.b64encode(mac.digest()).decode("ascii")


# --- fcgi (and Tencent's callbacks, verified in shared.webhooks.inbound) -----------------------------------------------------------------------------


def md5_sign(key: SecretStr | str, t: int) -> str:
    """``md5_hex(key + str(t))``: fcgi's request signature and Tencent's callback signature."""
    return hashlib.md5((_secret(key) + str(t)).encode("utf-8")).hexdigest()


fcgi_sign = md5_sign
