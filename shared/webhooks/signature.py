"""Signed webhooks, in both directions: ``HMAC-SHA256(secret, timestamp + "." + body)``.

The header carries the timestamp and one or more signatures (several while a secret is being rotated)::

    Liverec-Signature: t=1763856000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

- a receiver recomputes ``hex(HMAC-SHA256(secret, f"{t}.{raw_body}"))`` over the exact bytes received and
  compares it in constant time with each ``v1``;
- ``t`` must be within :data:`TOLERANCE` seconds of the receiver's clock (both directions);
- the same ``(t, body)`` seen again within the tolerance is a replay: callers deduplicate on
  :func:`delivery_digest`.

Inbound ``POST /hooks/highlight`` accepts any of ``LIVEREC_HOOK_SECRETS``; outbound forwards are signed with
``LIVEREC_WEBHOOK_SECRET``. No secret ever appears in an error or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from pydantic import SecretStr

from shared.support import secrets as secret_store
from shared.support.errors import WebhookAuthError

HEADER = "Liverec-Signature"
TOLERANCE = 300  # seconds, either side of the receiver's clock
MAX_HEADER = 1024  # characters: t and a few v1 signatures (one per secret in rotation)
MAX_SIGNATURES = 8  # v1 entries considered per header (bounds the work an attacker can ask for)


def signature(secret: SecretStr | str, timestamp: int, body: bytes) -> str:
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return hmac.new(key.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_header(secrets: Iterable[SecretStr | str], timestamp: int, body: bytes) -> str:
    """The header value: one ``v1`` per secret (send two while rotating)."""
    parts = [f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)]
    return ",".join(parts)


def parse_header(value: str | None) -> tuple[int, list[str]]:
    if not value:
        raise WebhookAuthError(
            f"send a {HEADER} header: t=<unix seconds>,v1=<hex>", code="MissingSignature", field=HEADER
        )
    if len(value) > MAX_HEADER:
        raise WebhookAuthError(
            f"{HEADER} is over {MAX_HEADER} characters", code="MalformedSignature", field=HEADER
        )
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t" and item.isascii() and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif name == "v1" and len(signatures) < MAX_SIGNATURES:
            signatures.append(item.strip().lower())
    if timestamp is None or not signatures:
        raise WebhookAuthError(
            f"{HEADER} must look like t=<unix seconds>,v1=<hex>", code="MalformedSignature", field=HEADER
        )
    return timestamp, signatures


def verify(
    header: str | None, body: bytes, secrets: Iterable[SecretStr], now: float, tolerance: int = TOLERANCE
) -> int:
    """Accept ``body`` if one ``v1`` matches one secret and ``t`` is within ``tolerance``; return ``t``.

    Every (secret, signature) pair is compared, in constant time, without stopping at the first match.
    """
    timestamp, presented = parse_header(header)
    keys = list(secrets)
    if not keys:
        raise WebhookAuthError(
            "no LIVEREC_HOOK_SECRETS configured: every signed hook is refused", code="HooksDisabled"
        )
    matched = False
    for key in keys:
        expected = signature(key, timestamp, body).encode("ascii")
        for candidate in presented:
            matched |= hmac.compare_digest(expected, candidate.encode("utf-8"))
    if not matched:
        secret_store.refused("LIVEREC_HOOK_SECRETS")  # rotated in the secret store? read again, once a minute
        raise WebhookAuthError("the signature does not match the body", code="InvalidSignature", field=HEADER)
    if abs(now - timestamp) > tolerance:
        raise WebhookAuthError(
            f"the signature's timestamp t={timestamp} is more than {tolerance} s from now",
            code="SignatureExpired",
            field=HEADER,
        )
    return timestamp


def delivery_digest(timestamp: int, body: bytes) -> str:
    """What a replay shares with the original, whichever secret signed it."""
    return hashlib.sha256(f"{timestamp}.".encode() + body).hexdigest()
