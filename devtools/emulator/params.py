"""Reading an action's parameters: strings, integers, flags, China Standard Time strings, choices.

Each reader raises :class:`ApiError` naming the parameter; the error code is the caller's choice where
the families differ (``InvalidParameter`` in the CreateRecordTask family, ``InvalidParameterValue`` in the
CreateLiveRecord family; v2 and fcgi render both as their one "invalid parameter" number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote_plus

from devtools.emulator.errors import ApiError, invalid, missing

# China Standard Time: UTC+8 all year. Never the machine's local zone.
CST = timezone(timedelta(hours=8))
CST_FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = 86400
INT_TEXT = re.compile(r"^-?[0-9]+$")
_CST_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")


def text(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string; absent or empty is ``None`` (or MissingParameter when required)."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a string", "InvalidParameter")
    return value


def integer(
    params: dict[str, Any], name: str, *, required: bool = False, code: str = "InvalidParameter"
) -> int | None:
    """An integer, as a JSON number or (form and query encodings) a decimal string."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INT_TEXT.match(value.strip()):
        return int(value.strip())
    raise invalid(name, f"must be an integer, got {value!r}", code)


def flag(params: dict[str, Any], name: str, code: str = "InvalidParameterValue") -> int:
    """0 or 1; absent is 0."""
    value = integer(params, name, code=code)
    if value not in (None, 0, 1):
        raise invalid(name, "must be 0 or 1", code)
    return value or 0


def cst_time(params: dict[str, Any], name: str) -> float | None:
    """A China Standard Time 'YYYY-MM-DD HH:MM:SS' string; URL-encoded forms are decoded once."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a 'YYYY-MM-DD HH:MM:SS' China Standard Time string")
    decoded = unquote_plus(value) if ("%" in value or "+" in value) else value
    try:
        if not _CST_TEXT.match(decoded):
            raise ValueError(decoded)
        return datetime.strptime(decoded, CST_FORMAT).replace(tzinfo=CST).timestamp()
    except ValueError:
        raise invalid(name, f"{value!r} is not a 'YYYY-MM-DD HH:MM:SS' China Standard Time string") from None


def cst_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime(CST_FORMAT)


def cst_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CST).strftime("%Y-%m-%d")


def choice(params: dict[str, Any], name: str, allowed: Iterable[str], default: str) -> str:
    """A case-insensitive choice; returns it lower-cased."""
    options = sorted(allowed)
    value = params.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in options:
        raise invalid(name, f"must be one of {', '.join(options)}, got {value!r}")
    return value.lower()


# API 3.0 parameter types, as Tencent declares them per action.
STRING, INT64, UINT64 = "String", "Integer", "UInteger"


def check_declared(
    declared: Mapping[str, str], params: Mapping[str, Any], *, form: bool, tolerated: Iterable[str] = ()
) -> None:
    """API 3.0: a name the action does not declare is UnknownParameter; a value of another type is
    InvalidParameter. A JSON body must carry Integers as numbers and Strings as strings; the form and query
    encodings carry only strings, so there an Integer is a decimal string. An absent (null or, in a form,
    empty) value is left to the action, which decides whether it is required."""
    allowed = set(tolerated)
    for name in params:
        if name not in declared and name not in allowed:
            raise ApiError("UnknownParameter", f"unknown parameter {name}: the action does not declare it")
    for name, kind in declared.items():
        value = params.get(name)
        if value is None or (form and value == ""):
            continue
        if not _fits(kind, value, form):
            raise invalid(name, f"must be {_KIND_TEXT[kind]}, got {value!r}", "InvalidParameter")


_KIND_TEXT = {STRING: "a String", INT64: "an Integer", UINT64: "a non-negative Integer"}


def _fits(kind: str, value: object, form: bool) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if form:
        number = int(value) if isinstance(value, str) and INT_TEXT.match(value) else None
    else:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
    return number is not None and (kind == INT64 or number >= 0)
