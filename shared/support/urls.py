"""Whether a URL someone else gave us (a Tencent callback's file URL) may be stored and handed on.

Such a URL is shown by ``GET /recordings/{task_id}`` and forwarded, signed by us, to the subscribers, who
may fetch it or show it as a link. Tencent's sign does not cover a callback's body, so the URL is checked
as if anyone had written it: ``http`` or ``https``; a public DNS host name (at least two labels of letters,
digits and hyphens, the last a top-level domain of letters), never an IP address in any notation (dotted,
decimal, hex, IPv6), ``localhost`` or another special-use name (``.local``, ``.internal``, ``.test``, ...);
no ``user@`` part; no port but 80 and 443; only the characters RFC 3986 lets a URL carry (no whitespace,
control character, quote, backslash or non-ASCII character); at most :data:`MAX_URL` characters. A host
name is not resolved: one that resolves to a private address passes here, which the allow-list of host
suffixes (``LIVEREC_CALLBACK_URL_HOSTS``, e.g. Tencent's storage domains) closes.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

MAX_URL = 2048
MAX_HOST = 253
_URL_CHARS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# names that never reach the public internet (RFC 6761, 6762, 8375, 9476 and common private suffixes)
SPECIAL_USE = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "home.arpa",
    "arpa",
    "test",
    "invalid",
    "example",
    "onion",
    "alt",
)


# What openapi.json states of such a URL, as one JSON Schema pattern (ECMA-262, Rust's regex and Python read
# it alike): every URL it admits passes url_problem but for a special-use name, a host over MAX_HOST
# characters, or one outside LIVEREC_CALLBACK_URL_HOSTS, which the document says in words
_PATTERN_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = (
    f"^[Hh][Tt][Tt][Pp][Ss]?://(?:{_PATTERN_LABEL}\\.)+(?:[A-Za-z]{{2,63}}|[Xx][Nn]--[A-Za-z0-9-]{{0,58}}[A-Za-z0-9])"
    "(?::(?:80|443))?(?:[/?#][A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?$"
)


def host_problem(host: str) -> str | None:
    """Why ``host`` (lower case) is not a public DNS host name, or None when it is one."""
    if len(host) > MAX_HOST:
        return f"has a host name longer than {MAX_HOST} characters"
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return "has a host that is not a DNS name of letters, digits and hyphens"
    if len(labels) < 2 or not _TOP_LEVEL.fullmatch(labels[-1]):
        return "has a host that is an IP address or not a fully qualified public name"
    if any(host == name or host.endswith("." + name) for name in SPECIAL_USE):
        return "has a host under a special-use name that is not on the public internet"
    return None


def within(host: str, suffixes: tuple[str, ...]) -> bool:
    """``host`` is one of ``suffixes`` or a name under one (``a.vod2.myqcloud.com`` under ``myqcloud.com``)."""
    return any(host == suffix or host.endswith("." + suffix) for suffix in suffixes)


def url_problem(url: str, hosts: tuple[str, ...] = ()) -> str | None:
    """Why ``url`` may not be stored or forwarded, or None when it may. ``hosts``: when not empty, the host
    suffixes its host must be one of or under. The reason never repeats the URL (it may carry a token)."""
    if len(url) > MAX_URL:
        return f"is longer than {MAX_URL} characters"
    if not set(url) <= _URL_CHARS:
        return (
            "contains a character a URL may not carry (whitespace, a control character, a quote, a "
            "backslash or a non-ASCII character)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "is not an http or https URL"
    if "@" in parts.netloc:
        return "carries a user name or password (user@host)"
    if "[" in parts.netloc:
        return "has a host that is an IP address or not a fully qualified public name"
    if port not in (None, 80, 443):
        return "names a port other than 80 or 443"
    host = parts.hostname or ""
    problem = host_problem(host) if host else "has no host"
    if problem is None and hosts and not within(host, hosts):
        return "has a host outside LIVEREC_CALLBACK_URL_HOSTS"
    return problem
