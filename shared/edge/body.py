"""The one body reader of every route (the creates, the signed hooks, Tencent's callbacks).

A body is JSON when its content type says so (``application/json``, ``application/<anything>+json``, with
or without parameters such as ``charset``) or when it has none; any other content type is
``415 UnsupportedMediaType``. The bytes are read within a size cap (``413``), base64-decoded when the event
says so (invalid base64: ``400``), and must be UTF-8 (``400``). The JSON is bounded before and while it is
parsed, so no byte sequence reaches a parser limit: at most ``MAX_DEPTH`` levels of nesting, integers of at
most ``MAX_INT_DIGITS`` digits (Python refuses to parse very long ones), no ``NaN``/``Infinity``, and no
lone UTF-16 surrogate (``"\\ud800"``) in any string (it cannot be written out again as UTF-8). Every refusal
is a :class:`~shared.support.errors.LiverecError` with its status, answered in our error shape. The JSON
bounds are :mod:`shared.support.boundedjson`'s, which Tencent's answers are read with too.

The steps are separate because the routes order them differently: a bearer route reads the body after
authentication (``shared.edge.resolver``); a signed hook verifies its signature over the raw bytes before
the JSON is parsed; a Tencent callback carries its signature inside the JSON, so it is parsed (bounded)
first and verified before any field is used.

A route may take one other media type besides JSON (:class:`OtherBody`: ``PUT /programs/{name}`` an
iCalendar file, ``text/calendar``): its bytes, within that reader's own cap, are turned into the JSON they
stand for by the route's reader, and validated as a JSON body would be.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from shared.support import boundedjson
from shared.support.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType
from shared.support.records import Record

MAX_BODY = 64 * 1024  # bytes: a create, a hook or one of Tencent's callbacks is well under 4 KiB
MAX_DEPTH = 32  # nesting levels of arrays and objects; our bodies use two
MAX_INT_DIGITS = 40  # digits of an integer literal (2**128 has 39); every field we read is far smaller
_REFUSED = {
    "utf8": "the body is not valid UTF-8",
    "depth": f"the body is nested more than {MAX_DEPTH} levels deep",
    "digits": f"a number in the body has more than {MAX_INT_DIGITS} digits",
    "surrogate": "a string in the body has a lone UTF-16 surrogate",
}


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, whatever its case (API Gateway lower-cases them; other callers may not)."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value if isinstance(value, str) else None
    return None


def is_json_media_type(content_type: str | None) -> bool:
    """JSON, or no content type at all (a caller that sends JSON without saying so)."""
    if content_type is None or not content_type.strip():
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_content_type(event: Mapping[str, Any]) -> None:
    content_type = header(event, "content-type")
    if not is_json_media_type(content_type):
        shown = (content_type or "").split(";", 1)[0].strip()[:60]
        raise UnsupportedMediaType(
            f"the body must be JSON (Content-Type: application/json), not {shown!r}", field="Content-Type"
        )


def has_body(event: Mapping[str, Any]) -> bool:
    body = event.get("body")
    return body is not None and body != ""


def raw_body(event: Mapping[str, Any], limit: int = MAX_BODY) -> bytes:
    """The body's bytes as sent: base64-decoded when the event says it is, within ``limit``."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedBody("the body is not text", code="InvalidBody")
    if event.get("isBase64Encoded"):
        if len(body) > limit * 4 // 3 + 4:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedBody("the body is not valid base64", code="InvalidBody") from None
    else:
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in the event's own text
            raise MalformedBody("the body is not valid UTF-8", code="InvalidBody") from None
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes")
    return raw


def parse_json(raw: bytes) -> Any:
    """Any JSON value from UTF-8 bytes, within the bounds above (``MalformedBody`` otherwise)."""
    try:
        return boundedjson.loads(raw, max_depth=MAX_DEPTH, max_int_digits=MAX_INT_DIGITS)
    except boundedjson.JsonRefused as exc:
        if exc.reason == "json":
            raise MalformedBody("the body is not valid JSON") from None
        raise MalformedBody(_REFUSED[exc.reason], code="InvalidBody") from None


def json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from the body's bytes (``400 InvalidBody`` for no body, or any other JSON value)."""
    if not raw.strip():
        raise not_an_object(None)
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise not_an_object(raw.decode("utf-8"))
    return value


def not_an_object(text: str | None) -> MalformedBody:
    """The refusal (``400 InvalidBody``) of a body that a route needs as a JSON object and that is none: no
    body at all, or another JSON value (``text``, named by its kind: ``null``, an array, a string...)."""
    if text is None or not text.strip():
        return MalformedBody("the body is empty: it must be a JSON object", code="InvalidBody")
    first = text.lstrip()[:1]
    kind = {"n": "null", "[": "an array", '"': "a string", "t": "true", "f": "false"}.get(first, "a number")
    return MalformedBody(f"the body must be a JSON object, not {kind}", code="InvalidBody")


def read_json(event: Mapping[str, Any], limit: int = MAX_BODY) -> Any:
    """Content type, bytes, then JSON: the whole reader, for a route whose caller is already known."""
    check_content_type(event)
    return parse_json(raw_body(event, limit))


class OtherBody(Record):
    """A body one route takes in another media type than JSON, read into the JSON it stands for."""

    __slots__ = ()
    media_type: str  # lower case, without parameters (text/calendar)
    method: str  # the route's (PUT)
    path: str  # the route's path as openapi.json writes it (/programs/{name})
    limit: int  # bytes
    read: Callable[[bytes, Mapping[str, str]], Any]  # the bytes and the query's parameters: the JSON value
    description: str  # what openapi.json says of it


def read_body(event: Mapping[str, Any], others: tuple[OtherBody, ...] = ()) -> Any:
    """The body as JSON: read by the route's reader of its media type, where it has one, else as JSON."""
    media = (header(event, "content-type") or "").split(";", 1)[0].strip().lower()
    for other in others:
        if media == other.media_type and _serves(event, other):
            return other.read(raw_body(event, other.limit), event.get("queryStringParameters") or {})
    return read_json(event)


def _serves(event: Mapping[str, Any], other: OtherBody) -> bool:
    http = (event.get("requestContext") or {}).get("http") or {}
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(other.path))
    path = str(http.get("path") or event.get("rawPath") or "")
    return str(http.get("method", "")).upper() == other.method and re.search(pattern + "$", path) is not None
