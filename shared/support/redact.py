"""URLs as they may be shown (in an error message, a log line): never their credentials.

A URL can carry a secret in its userinfo (``user:password@``), its query (``?token=...``) or its fragment;
:func:`redact_url` keeps the scheme, host, port and path and replaces the rest with ``***``, whether or not the
text parses as a URL (a typo such as ``htps://`` or a missing scheme must not leak either).
"""

from __future__ import annotations

MASK = "***"


def redact_url(text: str, limit: int = 80) -> str:
    """``scheme://***@host:port/path?***``: userinfo, query and fragment masked, at most ``limit`` characters."""
    cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
    head, tail = (text[:cut], f"{text[cut]}{MASK}") if cut >= 0 else (text, "")
    scheme, sep, rest = head.partition("://")
    if not sep:
        scheme, rest = "", head
    if "@" in rest:
        # everything up to the last "@" may be userinfo (a password may hold "/" or "@"): mask it all
        rest = f"{MASK}@{rest.rpartition('@')[2]}"
    shown = f"{scheme}{sep}{rest}{tail}"
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def url_origin(url: str) -> str:
    """Scheme and host (and port) only: what a log line needs to say which subscriber it was."""
    shown = redact_url(url, limit=len(url) + len(MASK) * 2)
    scheme, sep, rest = shown.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].removeprefix(f"{MASK}@")
    return f"{scheme}{sep}{host}" if sep else redact_url(url)
