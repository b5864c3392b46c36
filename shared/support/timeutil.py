"""Time handling that never consults the machine's local time zone.

- China Standard Time is a fixed UTC+8 offset (China has no DST).
- Inputs are ISO-8601 strings *with* an offset, or integer UNIX seconds. Naive strings and millisecond
  timestamps are rejected with a message that says why.
"""

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from shared.support.errors import ConfigError, InvalidRequest, NotEnoughTime
from shared.support.records import Record

CST = timezone(timedelta(hours=8), "CST")
CST_FORMAT = "%Y-%m-%d %H:%M:%S"

# 10**11 seconds is the year 5138: anything that large is a millisecond (or finer) timestamp.
_MILLIS_THRESHOLD = 10**11
# The times a caller may name: from the UNIX epoch to the end of 2100. Far beyond any recording window, and
# far enough inside datetime's range that adding a duration or a zone offset can never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)

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


def human_span(delta: timedelta) -> str:
    """A span for messages: "24 h", "6 days", "30 min", "2 h 05 min"."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0 and seconds >= 86400:
        days = seconds // 86400
        return "24 h" if days == 1 else f"{days} days"
    hours, rem = divmod(seconds, 3600)
    minutes, secs = divmod(rem, 60)
    if not hours and not secs:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d} min" + (f" {secs:02d} s" if secs else "")


def parse_time(value: object, field: str) -> datetime:
    """Parse a caller-supplied time into an aware UTC datetime between :data:`EARLIEST` and
    :data:`LATEST`, or raise :class:`InvalidRequest` naming ``field``."""
    parsed = _parse_time(value, field)
    if not EARLIEST <= parsed <= LATEST:
        raise InvalidRequest(
            f"{field} is outside the supported range of times (1970-01-01 to 2100-12-31 UTC)", field=field
        )
    return parsed


def _parse_time(value: object, field: str) -> datetime:
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


# What a create needs beyond Tencent's timeout: the ledger's writes and the answer.
RESERVE = 2.0


class Deadline(Record):
    """When the running function will be stopped (Lambda's context), on the monotonic clock.

    ``at`` None: no limit is known (tests, the local gateway). ``total``: the seconds the invocation had
    when it began, which tells a deployment whose ``LIVE_TIMEOUT`` can never fit from one that merely ran
    out of time.
    """

    __slots__ = ()
    at: float | None = None
    total: float | None = None
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def from_context(cls, context: Any) -> "Deadline":
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if not callable(remaining):
            return cls()
        millis = remaining()
        if isinstance(millis, bool) or not isinstance(millis, int | float) or not math.isfinite(millis):
            return cls()
        seconds = max(float(millis), 0.0) / 1000
        return cls(at=time.monotonic() + seconds, total=seconds)

    def remaining(self) -> float:
        return math.inf if self.at is None else self.at - self.monotonic()

    def allows(self, timeout: float) -> bool:
        """Whether a call that may take ``timeout`` seconds still fits, with the ledger's writes after it."""
        return self.remaining() >= timeout + RESERVE

    def require(self, timeout: float) -> None:
        """Refuse to send a create that could be cut off before its answer (an unknown outcome)."""
        if self.allows(timeout):
            return
        if self.total is not None and self.total < timeout + RESERVE:
            raise ConfigError(
                f"LIVE_TIMEOUT={timeout:g} s does not fit this function's timeout ({self.total:.0f} s): "
                f"the function timeout must exceed LIVE_TIMEOUT by at least {RESERVE:g} s",
                field="LIVE_TIMEOUT",
            )
        raise NotEnoughTime(
            f"{max(self.remaining(), 0):.1f} s left in this invocation, less than LIVE_TIMEOUT ({timeout:g} s) "
            f"+ {RESERVE:g} s: nothing was sent; retry"
        )


NO_DEADLINE = Deadline()
