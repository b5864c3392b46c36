"""JSON from bytes nobody vouches for (a caller's body, Tencent's answer), bounded before and while it is
parsed, so no byte sequence reaches a parser limit (``RecursionError``, ``int``'s digit limit) or yields a
value that cannot be written out again as UTF-8.

The bounds: UTF-8; at most ``max_depth`` levels of arrays and objects (checked on the text, before the
parser recurses); integer literals of at most ``max_int_digits`` digits; no ``NaN``/``Infinity``; no lone
UTF-16 surrogate (``"\\ud800"``) in any string or key. The size is the reader's to bound (the edge's body
cap, the HTTP client's answer cap). Every refusal is a :class:`JsonRefused` naming which bound, for the
caller to turn into its own error (``shared.edge.body``: a 400; ``shared.tencent.transport``: no usable
answer).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # nesting levels of arrays and objects
MAX_INT_DIGITS = 40  # digits of an integer literal (2**128 has 39)

# Compiled on first use (re caches them): a text with few brackets, or only ASCII, never needs them, and
# compiling the three costs about 2.5 M instructions on a cold start.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_NOT_BRACKET = r"[^\[\]{}]+"
_SURROGATE = r"[\ud800-\udfff]"


class JsonRefused(ValueError):
    """Not JSON within the bounds. ``reason``: ``utf8``, ``depth``, ``digits``, ``json`` (not JSON at all,
    or ``NaN``/``Infinity``) or ``surrogate``; the message says it in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def loads(raw: bytes, *, max_depth: int = MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS) -> Any:
    """Any JSON value from UTF-8 bytes, within the bounds above; :class:`JsonRefused` otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRefused("utf8", "not valid UTF-8") from None
    if too_deep(text, max_depth):
        raise JsonRefused("depth", f"nested more than {max_depth} levels deep")

    def bounded_int(literal: str) -> int:
        if len(literal.lstrip("-")) > max_int_digits:
            raise _TooLong(literal[:8])
        return int(literal)

    try:
        value = json.loads(text, parse_int=bounded_int, parse_constant=_no_constant)
    except _TooLong:
        raise JsonRefused("digits", f"a number has more than {max_int_digits} digits") from None
    except ValueError:  # JSONDecodeError, a NaN or Infinity
        raise JsonRefused("json", "not valid JSON") from None
    if has_surrogate(value):
        raise JsonRefused("surrogate", "a string has a lone UTF-16 surrogate")
    return value


def too_deep(text: str, max_depth: int) -> bool:
    """Whether the text nests arrays and objects more than ``max_depth`` deep (brackets outside strings only;
    an unterminated string leaves its brackets in, which at worst refuses a text that is not JSON anyway)."""
    if text.count("[") + text.count("{") <= max_depth:  # too few brackets to nest that deep, strings or not
        return False
    depth = 0
    for bracket in re.sub(_NOT_BRACKET, "", re.sub(_STRING, "", text, flags=re.DOTALL)):
        depth = depth + 1 if bracket in "[{" else depth - 1
        if depth > max_depth:
            return True
    return False


def has_surrogate(value: Any) -> bool:
    """Whether a parsed value holds a lone UTF-16 surrogate in a string or a key (its depth already bounded)."""
    if isinstance(value, str):
        return not value.isascii() and re.search(_SURROGATE, value) is not None
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogate(v) for v in value)
    return False


class _TooLong(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
