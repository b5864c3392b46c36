"""What may be shown (an error message, a log line, a logged event): never a credential.

- :func:`redact_url`: a URL without its userinfo (``user:password@``), query (``?token=...``) or fragment,
  whether or not the text parses as a URL (a typo such as ``htps://`` or a missing scheme must not leak either).
- :func:`redact_text`: text from outside (Tencent's error messages, powertools' own debug lines): every known
  secret replaced, every URL in it redacted, the value after a credential's name (``token=...``,
  ``"sign": "..."``, ``Authorization: Bearer ...``) masked, and the whole bounded.
- :func:`redact_event`: a copy of a Lambda event fit to log: every header or field whose name says it holds a
  credential masked (``Authorization``, ``Cookie``, ``Liverec-Signature``, ``X-Api-Key``, a callback's
  ``sign``: any name holding one of :data:`CREDENTIAL_WORDS`), query values masked (their names kept), a JSON
  body read and redacted alike, every string redacted as text; bounded in depth, size and length, walked
  without recursion.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
ELLIPSIS = "…"
# a header or field whose name holds one of these carries a credential: its value is never shown
CREDENTIAL_WORDS = ("auth", "cookie", "sign", "secret", "token", "password", "passwd", "credential", "key")
# names holding one of those words that carry no credential (API Gateway's route key, a caller's idempotency key)
NOT_CREDENTIALS = frozenset({"routekey", "idempotency-key", "idempotency_key"})
# the event's query: its values are masked, its names kept
QUERY_FIELDS = frozenset({"rawquerystring", "querystringparameters", "multivaluequerystringparameters"})
# an Authorization value's first word: the credential is the word after it
AUTH_SCHEMES = frozenset({"bearer", "basic", "digest", "negotiate", "tc3-hmac-sha256", "aws4-hmac-sha256"})
TEXT_CAP = 65536  # characters of a text read; beyond, the text is cut (its last, partial word dropped)

_WORD = re.compile(r"\S++")
_NAMED = re.compile(r"""(?<![\w.-])([\w.-]++)(["']?[ \t]*+[:=][ \t]*+)""")
_BARE = re.compile(r"""[^\s,;&'"}\])]*+""")
_NEXT_WORD = re.compile(r"""[ \t]++[^\s,;&'"}\])]++""")


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
    return shown if len(shown) <= limit else shown[: limit - 1] + ELLIPSIS


def url_origin(url: str) -> str:
    """Scheme and host (and port) only: what a log line needs to say which subscriber it was."""
    shown = redact_url(url, limit=len(url) + len(MASK) * 2)
    scheme, sep, rest = shown.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].removeprefix(f"{MASK}@")
    return f"{scheme}{sep}{host}" if sep else redact_url(url)


def is_credential(name: str) -> bool:
    """Whether a header or field of this name carries a credential (``X-TC-Token``, ``sign``, ...)."""
    lowered = name.lower()
    return lowered not in NOT_CREDENTIALS and any(word in lowered for word in CREDENTIAL_WORDS)


def known_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Each secret as it may appear in text: as is, URL-encoded, JSON-escaped; longest first."""
    forms = set()
    for secret in secrets:
        if secret:
            # surrogatepass: a secret read from the environment may hold a lone surrogate (surrogateescape)
            quoted = quote(secret, safe="", errors="surrogatepass")
            forms |= {secret, quoted, quote_plus(secret, errors="surrogatepass"), json.dumps(secret)[1:-1]}
    return tuple(sorted(forms, key=len, reverse=True))


def redact_text(text: str, known: Iterable[str] = (), limit: int = 512) -> str:
    """``text`` fit to show: the ``known`` secrets replaced, URLs redacted, credentials after their names
    masked, at most ``limit`` characters (an ellipsis marks a cut)."""
    return _redact(text, known_forms(known), limit)


def _redact(text: str, forms: tuple[str, ...], limit: int) -> str:
    text = _head(text)
    for form in forms:
        text = text.replace(form, MASK)
    text = _mask_named(_WORD.sub(_url_word, text))
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _head(text: str) -> str:
    """At most TEXT_CAP characters; a cut drops the last word (it may be part of a URL or a secret), unless
    that word is all there is (only its beginning is ever shown)."""
    if len(text) <= TEXT_CAP:
        return text
    kept = text[:TEXT_CAP]
    space = max(kept.rfind(" "), kept.rfind("\n"), kept.rfind("\t"))
    return (kept[:space] if space > 0 else kept) + f" {ELLIPSIS}"


def _url_word(match: re.Match[str]) -> str:
    word = match.group()
    query = word.find("?")
    userinfo = ":" in word.rpartition("@")[0]
    if "://" in word or userinfo or 0 <= query < len(word.rstrip("?!.,;:)]}'\"")) - 1:
        return redact_url(word, limit=len(word) + 2 * len(MASK))
    return word


def _mask_named(text: str) -> str:
    """Every value after a credential's name and ``=`` or ``:`` masked (quoted: to its closing quote)."""
    spans: list[tuple[int, int]] = []
    for match in _NAMED.finditer(text):
        if (spans and match.start() < spans[-1][1]) or not is_credential(match.group(1)):
            continue
        start = match.end()
        if start < len(text) and text[start] in "\"'":
            end = _closing(text, start)
            spans.append((start + 1, end))
            continue
        bare = _BARE.match(text, start)
        end = bare.end() if bare else start
        if text[start:end].lower() in AUTH_SCHEMES and (more := _NEXT_WORD.match(text, end)):
            start = end + len(more.group()) - len(more.group().lstrip())
            end = more.end()
        if end > start:
            spans.append((start, end))
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], MASK]
        last = end
    return "".join(out) + text[last:]


def _closing(text: str, start: int) -> int:
    """The index of the quote closing the one at ``start`` (an escaped quote does not), or the text's end."""
    quote_char, at = text[start], start
    while (at := text.find(quote_char, at + 1)) >= 0:
        if text[at - 1] != "\\":
            return at
    return len(text)


def redact_event(
    event: Any,
    known: Iterable[str] = (),
    *,
    text_limit: int = 1024,
    max_depth: int = 16,
    max_items: int = 100,
    max_nodes: int = 2000,
) -> Any:
    """A copy of ``event`` fit to log (see the module's docstring): at most ``max_depth`` levels, ``max_items``
    items a container and ``max_nodes`` values in all (the rest shown as an ellipsis), each string at most
    ``text_limit`` characters. Walked with a stack, never by recursion, whatever the event's depth."""
    forms = known_forms(known)
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any, str, Any, int]] = [(root, "event", "", _read_body(event), 0)]
    nodes = 1
    while stack:
        parent, slot, name, value, depth = stack.pop()
        if is_credential(name):
            parent[slot] = MASK
        elif name.lower() in QUERY_FIELDS:
            parent[slot] = _query(value, forms)
        elif isinstance(value, Mapping | list | tuple):
            if depth >= max_depth:
                parent[slot] = ELLIPSIS
                continue
            items = list(value.items()) if isinstance(value, Mapping) else list(enumerate(value, 0))
            room = max(0, min(max_items, max_nodes - nodes, len(items)))
            nodes += room
            copy: Any = {} if isinstance(value, Mapping) else [None] * room
            for key, item in items[:room]:
                shown = _redact(str(key), forms, 128) if isinstance(value, Mapping) else key
                if isinstance(value, Mapping):
                    copy[shown] = None
                stack.append((copy, shown, str(key) if isinstance(value, Mapping) else "", item, depth + 1))
            if room < len(items):
                more = f"{ELLIPSIS} {len(items) - room} more"
                copy.__setitem__(ELLIPSIS, more) if isinstance(copy, dict) else copy.append(more)
            parent[slot] = copy
        elif value is None or isinstance(value, bool | int | float):
            parent[slot] = value
        else:
            parent[slot] = _redact(value if isinstance(value, str) else repr(value), forms, text_limit)
    return root["event"]


def _read_body(event: Any) -> Any:
    """An HTTP event with its body as the JSON it holds (decoded from base64 if need be), else as text."""
    if not isinstance(event, Mapping) or not isinstance(event.get("body"), str):
        return event
    body: str = event["body"]
    if len(body) > TEXT_CAP:
        return {**event, "body": f"{MASK} ({len(body)} characters)"}
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return {**event, "body": f"{MASK} ({len(body)} characters, not base64)"}
    try:
        return {**event, "body": json.loads(body)}
    except (ValueError, RecursionError):
        return {**event, "body": body}


def _query(value: Any, forms: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        names = (part.partition("=")[0] for part in value.split("&") if part)
        return "&".join(f"{_redact(n, forms, 128)}={MASK}" for n in names)
    if isinstance(value, Mapping):
        return {_redact(str(k), forms, 128): MASK for k in list(value)[:100]}
    return None if value is None else MASK
