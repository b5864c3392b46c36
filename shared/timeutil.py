"""Time handling that never consults the machine's local time zone.

- China Standard Time is a fixed UTC+8 offset (China has no DST).
- Inputs are ISO-8601 strings *with* an offset, or integer UNIX seconds. Naive strings and millisecond
  timestamps are rejected with a message that says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from shared.errors import InvalidRequest

CST = timezone(timedelta(hours=8), "CST")
CST_FORMAT = "%Y-%m-%d %H:%M:%S"

# 10**11 seconds is the year 5138: anything that large is a millisecond (or finer) timestamp.
_MILLIS_THRESHOLD = 10**11

Clock = Callable[[], float]
"""A source of the current UNIX time in seconds; ``time.time`` in production, a fake in tests."""

system_clock: Clock = time.time


def from_unix(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def to_unix(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return int(dt.timestamp())


def format_cst(dt: datetime) -> str:
    """``2017-05-20 10:00:00`` in China Standard Time, whatever zone ``dt`` is in."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(CST).strftime(CST_FORMAT)


def parse_cst(text: str) -> datetime:
    """Inverse of :func:`format_cst`."""
    return datetime.strptime(text, CST_FORMAT).replace(tzinfo=CST)


def isoformat(dt: datetime) -> str:
    """ISO-8601 with an explicit offset, seconds precision (what our API returns)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: object, field: str) -> datetime:
    """Parse a caller-supplied time into an aware UTC datetime, or raise :class:`InvalidRequest`."""
    if isinstance(value, bool):  # bool is an int subclass; True is not a time
        raise InvalidRequest(f"{field} must be an ISO-8601 time with an offset or UNIX seconds", field=field)
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidRequest(f"{field} must be whole UNIX seconds, got a fraction", field=field)
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        # isascii: "²" and "①" are digits to str.isdigit() but not to int()
        value = int(value.strip())
    if isinstance(value, int):
        if value < 0:
            raise InvalidRequest(f"{field} must not be negative", field=field)
        if value >= _MILLIS_THRESHOLD:
            raise InvalidRequest(
                f"{field}={value} looks like a millisecond timestamp; send UNIX seconds", field=field
            )
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidRequest(
                f"{field}={value!r} is not an ISO-8601 time (e.g. 2026-05-20T10:00:00+08:00) or UNIX seconds",
                field=field,
            ) from None
        if parsed.tzinfo is None:
            raise InvalidRequest(
                f"{field}={value!r} has no UTC offset; add one (e.g. +08:00 for China Standard Time) "
                "so the time is not guessed from a server's zone",
                field=field,
            )
        if parsed.microsecond:
            parsed = parsed.replace(microsecond=0)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC instant in datetime's range
            raise InvalidRequest(
                f"{field}={value!r} is outside the supported range of times", field=field
            ) from None
    raise InvalidRequest(f"{field} must be an ISO-8601 time with an offset or UNIX seconds", field=field)
