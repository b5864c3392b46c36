"""Reading what webhook callers send: the raw body (size-capped), JSON, and the signature checks, in that
order, so an unauthenticated body is never validated field by field."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr

from shared.recordings.models import RealtimeRecordingInput, parse_input
from shared.support import secrets
from shared.support.errors import CallbackAuthError, MalformedBody, PayloadTooLarge
from shared.tencent.signing import md5_sign
from shared.webhooks.signature import delivery_digest, verify

MAX_BODY = 64 * 1024  # bytes: Tencent's callbacks and a highlight hook are well under 4 KiB


def raw_body(event: dict[str, Any], limit: int = MAX_BODY) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(body) > limit * 4 // 3 + 4:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedBody("the body is not valid base64") from None
    else:
        raw = body.encode("utf-8")
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes")
    return raw


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedBody("the body must be a JSON object", code="InvalidBody")
    return data


def callback_body(event: dict[str, Any], key: SecretStr | None, now: float) -> dict[str, Any]:
    """A Tencent callback body, verified: ``sign == md5(key + t)`` and ``now <= t``."""
    body = json_object(raw_body(event))
    if key is None:
        raise CallbackAuthError(
            "LIVE_CALLBACK_KEY is not configured: every callback is refused", code="CallbacksDisabled"
        )
    verify_callback(body, key, now)
    return body


def hook_input(
    event: dict[str, Any],
    signature: str | None,
    idempotency_key: str | None,
    secrets: Iterable[SecretStr],
    now: float,
) -> tuple[RealtimeRecordingInput, str]:
    """A verified highlight hook: its recording input, and the idempotency key that makes a replay (same
    timestamp and body, whichever secret signed it) or a retry with the same ``Idempotency-Key`` answer
    with the first result instead of recording twice."""
    raw = raw_body(event)
    timestamp = verify(signature, raw, secrets, now)
    data = parse_input(RealtimeRecordingInput, json_object(raw))
    key = f"key:{idempotency_key}" if idempotency_key else f"delivery:{delivery_digest(timestamp, raw)}"
    return data, key


def verify_callback(body: Mapping[str, object], key: SecretStr | str, now: float) -> None:
    """Accept a callback body only if ``sign == md5(key + t)`` and ``now <= t`` (constant-time compare)."""
    t_raw = body.get("t")
    sign = body.get("sign")
    if t_raw is None or sign is None:
        raise CallbackAuthError("callback has no t or sign", code="MissingSignature", field="sign")
    if isinstance(t_raw, bool):
        raise CallbackAuthError("callback t is not an integer", code="InvalidSignature", field="t")
    try:
        t = int(str(t_raw))
    except ValueError:
        raise CallbackAuthError("callback t is not an integer", code="InvalidSignature", field="t") from None
    if not isinstance(sign, str):
        raise CallbackAuthError("callback sign is not a string", code="InvalidSignature", field="sign")
    expected = md5_sign(key, t)
    # Compare first, then check expiry, so timing does not reveal which check failed first.
    matches = hmac.compare_digest(expected.encode("ascii"), sign.strip().lower().encode("utf-8"))
    if not matches:
        secrets.refused("LIVE_CALLBACK_KEY")  # rotated in the secret store? read again, once a minute
        raise CallbackAuthError("callback signature does not match", code="InvalidSignature", field="sign")
    if now > t:
        raise CallbackAuthError(f"callback expired at t={t}", code="SignatureExpired", field="t")
