"""Reading an iCalendar file (RFC 5545) for shared/recordings/ics.py: bounded first, then parsed by
``icalendar``, then each property the translation uses read as an aware time, a duration or a rule.

The bounds are ours, checked on the text before the library sees it, without recursion: its size
(:data:`MAX_BYTES`), UTF-8, its lines (:data:`MAX_LINES`), components nested at most :data:`MAX_DEPTH` deep
and each END closing its BEGIN, at most ``MAX_EACH + 1`` events. VTIMEZONE blocks are dropped there: a TZID
is read as the IANA zone it names (zoneinfo), never as a zone the file defines. What the library cannot
parse (an exception, or an error it records against a property read here) is a 422 naming ``body`` or that
property; no input reaches the translation in a shape it does not check.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from shared.recordings.calendars import FIRST_YEAR, LAST_YEAR, MAX_EACH
from shared.support.errors import InvalidRequest

MAX_BYTES = 64 * 1024
MAX_LINES = 5000
MAX_DEPTH = 4  # VCALENDAR > VEVENT > VALARM, and one more
EDGE = re.compile(r"(BEGIN|END):([A-Za-z0-9-]{1,64})\s*", re.IGNORECASE)
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]{1,32}(/[A-Za-z0-9_+\-]{1,32}){0,2}")
# the properties the translation reads: an error icalendar records against one of them is refused
READ = frozenset({"DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RDATE", "RECURRENCE-ID", "STATUS"})

Event = icalendar.Component


def refuse(message: str, field: str) -> InvalidRequest:
    return InvalidRequest(f"iCalendar: {message}", field=field)


def events(raw: bytes) -> tuple[Event, list[Event]]:
    """The one recurring VEVENT and the VEVENTs overriding its occurrences (RECURRENCE-ID)."""
    text = _bounded(raw)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:  # icalendar.InvalidCalendar too; fuzzing found nothing else raised
        raise refuse(f"not a well-formed calendar: {str(error)[:120]}", "body") from None
    found = [c for c in calendar.walk() if c.name == "VEVENT"]
    for component in calendar.walk():
        for name, message in component.errors:
            if name is None:
                raise refuse(f"not a well-formed calendar: {str(message)[:120]}", "body")
            if component.name == "VEVENT" and name.upper() in READ:
                raise refuse(f"{name.upper()}: {str(message)[:120]}", _part(name.upper(), component))
    masters = [e for e in found if "RECURRENCE-ID" not in e]
    if len(masters) != 1:
        raise refuse(f"{len(masters)} recurring events: a program is imported from exactly one", "VEVENT")
    return masters[0], [e for e in found if e is not masters[0]]


def _bounded(raw: bytes) -> str:
    """The text, unfolded, its blank lines and VTIMEZONE blocks dropped, once it is within the bounds."""
    if len(raw) > MAX_BYTES:
        raise refuse(f"the file is over {MAX_BYTES} bytes", "body")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("the file is not UTF-8", "body") from None
    lines = [
        line for line in re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n").split("\n") if line.strip()
    ]
    if len(lines) > MAX_LINES:
        raise refuse(f"more than {MAX_LINES} lines", "body")
    stack: list[str] = []
    kept: list[str] = []
    count = 0
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        edge = EDGE.fullmatch(line) if name in ("BEGIN", "END") else None
        if name in ("BEGIN", "END") and edge is None:
            raise refuse(f"not a BEGIN or END line: {line[:60]!r}", "body")
        inside = "VTIMEZONE" in stack
        if edge is not None and name == "BEGIN":
            stack.append(edge.group(2).upper())
            count += stack[-1] == "VEVENT"
            if len(stack) > MAX_DEPTH:
                raise refuse("components nested too deep", "body")
            if count > MAX_EACH + 1:
                raise refuse(f"more than {MAX_EACH + 1} events", "VEVENT")
        elif edge is not None and (not stack or stack.pop() != edge.group(2).upper()):
            raise refuse(f"END:{edge.group(2)[:30]} does not close the component it ends", "body")
        if not inside and "VTIMEZONE" not in stack:
            kept.append(line)
    if stack:
        raise refuse(f"BEGIN:{stack[-1][:30]} is never closed", "body")
    return "\r\n".join([*kept, ""])


def _part(name: str, event: Event) -> str:
    """The field a broken property is refused under: an RRULE's broken part (``RRULE.UNTIL``), else its name."""
    rule = event.get(name)
    if name != "RRULE" or not isinstance(rule, icalendar.prop.vBroken):
        return name
    for part in str(rule).split(";")[:20]:
        try:
            icalendar.vRecur.from_ical(part)
        except ValueError:
            return f"RRULE.{part.partition('=')[0].strip().upper()[:20]}"
    return name


def first(event: Event, name: str) -> Any:
    """The property's first value (a property given twice is a list), or None."""
    value = event.get(name)
    return value[0] if isinstance(value, list) else value


def every(event: Event, name: str) -> list[Any]:
    value = event.get(name)
    return [] if value is None else value if isinstance(value, list) else [value]


def zone_of(prop: Any, field: str) -> ZoneInfo | None:
    """The IANA zone a property's TZID names, or None without one."""
    name = prop.params.get("TZID")
    if name is None:
        return None
    if not ZONE_NAME.fullmatch(str(name)):
        raise refuse(f"TZID {str(name)[:40]!r} is not an IANA zone name (e.g. Europe/Berlin)", field)
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(f"TZID {name!r} is not an IANA zone (e.g. Europe/Berlin)", field) from None


def moment(value: Any, own: ZoneInfo | None, zone: ZoneInfo, field: str) -> datetime:
    """A DATE-TIME (local in ``own``, its TZID's zone, else in the program's ``zone``, or UTC with Z) as an
    aware time in ``zone``."""
    if not isinstance(value, datetime):
        raise refuse(f"{field} is not a DATE-TIME: a program's occurrences start at a time", field)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise refuse(f"{field} is not between {FIRST_YEAR} and the end of {LAST_YEAR}", field)
    wall = datetime(value.year, value.month, value.day, value.hour, value.minute, value.second)
    if own is None and value.tzinfo is not None:  # Z: the only offset a time without TZID carries
        return wall.replace(tzinfo=UTC).astimezone(zone)
    return wall.replace(tzinfo=own or zone).astimezone(zone)


def _dated(prop: Any, field: str) -> Any:
    """The property, once its VALUE is DATE-TIME (icalendar reads a DATE with a TZID as its midnight)."""
    if str(prop.params.get("VALUE", "DATE-TIME")).upper() != "DATE-TIME":
        raise refuse(f"{field} is not a DATE-TIME: a program's occurrences start at a time", field)
    return prop


def time_of(prop: Any, zone: ZoneInfo, field: str) -> datetime:
    _dated(prop, field)
    return moment(getattr(prop, "dt", None), zone_of(prop, field), zone, field)


def times_of(props: list[Any], zone: ZoneInfo, field: str) -> list[datetime]:
    """Every time of a property's lines (EXDATE, RDATE: each a comma-separated list)."""
    values = [(v, _dated(p, field)) for p in props for v in getattr(p, "dts", [])]
    if len(values) > MAX_EACH:
        raise refuse(f"{field} lists more than {MAX_EACH} times", field)
    return [moment(v.dt, zone_of(p, field), zone, field) for v, p in values]


def seconds_of(prop: Any, field: str) -> int:
    value = getattr(prop, "dt", None)
    if not isinstance(value, timedelta):
        raise refuse(f"{field} is not a duration (e.g. PT1H30M)", field)
    return int(value.total_seconds())


def rule_of(prop: Any, known: frozenset[str]) -> tuple[dict[str, str], date | datetime | None]:
    """An RRULE's parts (each a comma-separated text, as written) and its UNTIL, a part not known refused."""
    parts: dict[str, str] = {}
    until = None
    for name, values in list(prop.items())[:20]:
        key = str(name).upper()
        if key not in known:
            raise refuse(f"RRULE's {key[:20]} has no cron equivalent", f"RRULE.{key[:20]}")
        if key == "UNTIL":
            until = values[0] if isinstance(values, list) and values else None
        parts[key] = ",".join(str(v) for v in values).upper() if isinstance(values, list) else ""
    return parts, until
