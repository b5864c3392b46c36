"""Reading what webhook callers send, with the one body reader (``shared.edge.body``), in the order each
signature needs, so an unauthenticated body is never validated field by field: a Tencent callback's
signature is inside its JSON (read, bounded, then verified before any field is used); a signed hook's
signature covers the raw bytes (verified before the content type is looked at or the JSON parsed)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr

from shared.edge.body import check_content_type, json_object, raw_body
from shared.recordings.models import RealtimeRecordingInput, parse_input
from shared.support import secrets
from shared.support.config import DEFAULT_CALLBACK_MAX_VALIDITY
from shared.support.errors import CallbackAuthError, InvalidRequest
from shared.tencent.signing import md5_sign
from shared.webhooks.signature import delivery_digest, verify


def callback_body(
    event: dict[str, Any],
    key: SecretStr | None,
    now: float,
    max_validity: float = DEFAULT_CALLBACK_MAX_VALIDITY,
) -> dict[str, Any]:
    """A Tencent callback body, verified: ``sign == md5(key + t)`` and ``now <= t <= now + max_validity``. Tencent sends JSON;
    a body of another content type is refused (415) like on every route."""
    check_content_type(event)
    body = json_object(raw_body(event))
    if key is None:
        raise CallbackAuthError(
            "LIVE_CALLBACK_KEY is not configured: every callback is refused", code="CallbacksDisabled"
        )
    verify_callback(body, key, now, max_validity)
    return body


MAX_IDEMPOTENCY_KEY = 128  # as on the bearer creates


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
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(
            f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters", field="Idempotency-Key"
        )
    check_content_type(event)
    data = parse_input(RealtimeRecordingInput, json_object(raw))
    key = f"key:{idempotency_key}" if idempotency_key else f"delivery:{delivery_digest(timestamp, raw)}"
    return data, key


def verify_callback(
    body: Mapping[str, object],
    key: SecretStr | str,
    now: float,
    max_validity: float = DEFAULT_CALLBACK_MAX_VALIDITY,
) -> None:
    """Accept a callback body only if ``sign == md5(key + t)`` (constant-time compare) and ``now <= t <=
    now + max_validity``: a signed body is replayable until its ``t``, so a ``t`` further ahead than
    ``LIVE_CALLBACK_MAX_VALIDITY`` is refused too."""
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
    if t > now + max_validity:
        raise CallbackAuthError(
            f"callback t={t} is more than {max_validity:g} s ahead (LIVE_CALLBACK_MAX_VALIDITY): refused like "
            "an expired one, since a signed callback can be replayed until its t",
            code="SignatureTooFarAhead",
            field="t",
        )
