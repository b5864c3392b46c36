"""Every signature the four Tencent Live generations use.

The keyed primitives are the Tencent SDK's own (``tencentcloud.common.sign.Sign``, from
``tencentcloud-sdk-python-common``: ``sign_tc3`` and ``sign``); the strings they sign are built here, and
the tests hold every header byte for byte to the SDK's full client. Only ``tencentcloud.common.sign`` is
imported: the SDK's client, its ``requests`` stack and its generated models stay out of the runtime.

- TC3-HMAC-SHA256 (API 3.0): the credential date is the **UTC** date of the timestamp.
- v1/v2 HMAC-SHA1 / HMAC-SHA256 over the sorted query.
- fcgi ``md5(key + t)`` (also Tencent's callback signature, verified in ``shared.webhooks.inbound``).
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr
from tencentcloud.common.sign import Sign

from shared.support.records import Record

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
    signature: str = Sign.sign_tc3(_secret(secret_key), date, service, string_to_sign)
    return signature


class Tc3Signed(Record):
    __slots__ = ()
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
    if method not in ("HmacSHA1", "HmacSHA256"):  # Literal keeps callers honest; defend against untyped ones
        raise ValueError(f"unsupported signature method {method!r}")
    signature: str = Sign.sign(_secret(secret_key), string_to_sign, method)
    return signature


# --- fcgi (and Tencent's callbacks, verified in shared.webhooks.inbound) -----------------------------------------------------------------------------


def md5_sign(key: SecretStr | str, t: int) -> str:
    """``md5_hex(key + str(t))``: fcgi's request signature and Tencent's callback signature."""
    return hashlib.md5((_secret(key) + str(t)).encode("utf-8")).hexdigest()


fcgi_sign = md5_sign
