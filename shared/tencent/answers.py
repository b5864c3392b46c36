"""What liverec reads from Tencent's answers, checked as it is read, like any other input.

The transport parses an answer with the bounded JSON reader (:mod:`shared.support.boundedjson`: depth,
digits, surrogates) within its size cap; the dialects read their fields through the functions here, which
check each field's type and bound it: a task id is printable ASCII without spaces (at most :data:`MAX_ID`
characters; a numbered one a 64-bit number, as an integer or its ASCII digits), a code or token the same,
times and counts integers within :data:`MAX_INT`, names at most :data:`MAX_TEXT` printable characters;
Tencent's free-text messages are kept, cut to :data:`MAX_MESSAGE` (then redacted and cut shorter where
the error is built). Anything else raises :class:`BadAnswer`,
which :func:`reading` turns into "no usable answer" (:func:`shared.tencent.adapter.no_answer`): for a create
an unknown outcome (Tencent may have made the task), for anything else ``TencentUnavailable`` (502).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.support.config import LiveApi
from shared.tencent.adapter import no_answer

MAX_ID = 256  # characters of a task id, a code, a request id or a page token (CreateRecordTask's: 57)
MAX_TEXT = 1024  # characters of a name (stream, domain, app)
# characters of Tencent's message read: the error built from it redacts the known secrets, then cuts it to
# adapter.MESSAGE_LIMIT (cut first, a secret across the cut would show its beginning)
MAX_MESSAGE = 65536
MAX_INT = 2**63  # times, counts and codes: far beyond any real one, within what datetime takes as seconds
_UINT64 = 2**64


class BadAnswer(ValueError):
    """An answer's field is not what the dialect documents (its type, or its bounds)."""


@contextmanager
def reading(api: LiveApi, action: str, *, creates: bool, params: dict[str, Any]) -> Iterator[None]:
    """Read an answer's fields: a :class:`BadAnswer` is no usable answer (for a create, an unknown outcome)."""
    try:
        yield
    except BadAnswer as exc:
        why = f"an answer liverec cannot use: {exc}"
        raise no_answer(api, action, creates=creates, why=why, params=params) from None


def obj(value: object, what: str, *, optional: bool = False) -> dict[str, Any]:
    """A JSON object (absent or null: ``{}`` when ``optional``)."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise BadAnswer(f"{what} is not an object")
    return value


def objects(value: object, what: str) -> list[dict[str, Any]]:
    """A list of JSON objects; absent or null is none."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadAnswer(f"{what} is not a list of objects")
    return value


def token(value: object, what: str, *, optional: bool = False) -> str | None:
    """An identifier (a string task id, a code, a request id, a page token): 1 to MAX_ID characters of
    printable ASCII, no spaces. Absent, null or empty: None when ``optional``."""
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise BadAnswer(f"{what} is not a string")
    if not 0 < len(value) <= MAX_ID or not (value.isascii() and value.isprintable()) or " " in value:
        raise BadAnswer(f"{what} is not 1 to {MAX_ID} characters of printable ASCII without spaces")
    return value


def task_id(value: object, what: str, *, numbered: bool) -> str:
    """A task id as liverec keeps it: a string one as it is (:func:`token`); a numbered one (fcgi, v2,
    CreateLiveRecord) a 64-bit number, sent as an integer or as its ASCII digits, kept as its digits."""
    if not numbered:
        return token(value, what) or ""
    number = integer(value, what, limit=_UINT64, digits=True)
    if number is None:
        raise BadAnswer(f"{what} is missing")
    return str(number)


def integer(value: object, what: str, *, limit: int = MAX_INT, digits: bool = False) -> int | None:
    """An integer from 0 to ``limit`` (exclusive), or None when absent or null; ``digits``: its ASCII digits
    in a string are taken too."""
    if value is None:
        return None
    if digits and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise BadAnswer(f"{what} is not a whole number from 0 to {limit - 1}")
    return value


def count(value: object) -> int | None:
    """A non-negative whole number (seconds, bytes) as Tencent may send it in a callback (a number or its
    digits), else None: what such a field holds is informative, never a reason to refuse the callback."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2**53:
        return int(value)
    return None


def code(value: object, what: str) -> int:
    """A v2 ``code`` or fcgi ``ret``, which every answer carries: an integer (negative ones too)."""
    if value is None:
        raise BadAnswer(f"{what} is missing")
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_INT < value < MAX_INT:
        raise BadAnswer(f"{what} is not a whole number")
    return value


def text(value: object, what: str) -> str | None:
    """A name (stream, domain, app): at most MAX_TEXT printable characters, or None when absent or null."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
        raise BadAnswer(f"{what} is not a name of at most {MAX_TEXT} printable characters")
    return value


def message(value: object, what: str) -> str:
    """Tencent's message: a string (absent: empty), its first MAX_MESSAGE characters, what is not printable
    (a line break, a NUL) shown as a space."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadAnswer(f"{what} is not a string")
    cut = value[:MAX_MESSAGE]
    return cut if cut.isprintable() else "".join(c if c.isprintable() else " " for c in cut)
