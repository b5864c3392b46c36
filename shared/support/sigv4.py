"""AWS Signature Version 4 for the APIs liverec calls with the standard library: a signed ``POST`` of a
JSON-protocol API (DynamoDB, any ``X-Amz-Target`` API: ``POST /``) or of a REST path (Lambda's Invoke,
``POST /2015-03-31/functions/<name>/invocations``). Held byte for byte to botocore by the tests. The secret
parts of the credentials are ``SecretStr`` and never appear in ``repr``, ``str`` or errors."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import SecretStr


class Credentials:
    """AWS credentials; the secret parts never appear in ``repr`` or ``str``."""

    __slots__ = ("access_key_id", "secret_access_key", "session_token")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str | SecretStr,
        session_token: str | SecretStr | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = _secret(secret_access_key)
        self.session_token = None if session_token is None else _secret(session_token)

    def __repr__(self) -> str:
        token = ", session_token=**********" if self.session_token is not None else ""
        return f"Credentials(access_key_id=**********, secret_access_key=**********{token})"


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


def sign(
    credentials: Credentials,
    *,
    service: str,
    content_type: str,
    region: str,
    host: str,
    target: str | None,
    body: bytes,
    when: datetime,
    path: str = "/",
    query: str = "",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a signed ``POST`` of ``path`` (SigV4), ``Authorization`` included: ``X-Amz-Target``
    when ``target`` is given (the JSON protocol), and ``extra`` headers, signed too (e.g.
    ``X-Amz-Invocation-Type``). ``path`` is sent and signed as given: its segments must need no
    percent-encoding; so is ``query`` (``name=value`` pairs joined by ``&``, sorted, none needing it). ``when`` is converted to UTC (a naive datetime is taken as UTC, never as local time)."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    named = {"Content-Type": content_type, "Host": host, "X-Amz-Date": amz_date}
    if target is not None:
        named["X-Amz-Target"] = target
    named.update(extra or {})
    headers = {name.lower(): value for name, value in named.items()}
    if credentials.session_token is not None:
        headers["x-amz-security-token"] = credentials.session_token.get_secret_value()
    names = sorted(headers)
    signed_headers = ";".join(names)
    canonical = "\n".join(
        [
            "POST",
            path,
            query,
            *(f"{name}:{' '.join(headers[name].split())}" for name in names),
            "",
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{credentials.secret_access_key.get_secret_value()}".encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = named | {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}",
    }
    if "x-amz-security-token" in headers:
        out["X-Amz-Security-Token"] = headers["x-amz-security-token"]
    return out
