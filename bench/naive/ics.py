"""The hand-written iCalendar reader shared/recordings/ics.py had before it parsed with ``icalendar``, kept
as the baseline bench/calendars.py compares (import cost, parse time); no deployed code imports it.

Its reading: a content-line regex, the parameters by regex, the components by a stack, each property read
from its text; the translation is the one shared/recordings/ics.py still does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim

from shared.recordings.calendars import FIRST_YEAR, LAST_YEAR, MAX_EACH
from shared.support.errors import InvalidRequest

MAX_BYTES = 64 * 1024
MAX_LINES = 5000
MAX_DEPTH = 4  # VCALENDAR > VEVENT > VALARM, and one more
MAX_COUNT = 3660  # a COUNT read (ten years of a daily program)
DAYS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}
KNOWN = {"FREQ", "INTERVAL", "UNTIL", "COUNT", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYHOUR", "BYMINUTE"}
KNOWN |= {"BYSECOND", "WKST"}  # WKST changes nothing without INTERVAL or BYWEEKNO, both refused
ORDINALS = (None, "1", "2", "3", "4", "5", "+1", "-1")
LINE = re.compile(r"^([A-Za-z0-9-]{1,64})((?:;[^:]*)?):(.*)$")
PARAM = re.compile(r';([A-Za-z0-9-]{1,64})=("[^"]*"|[^;:]*)')
DURATION = re.compile(r"^P(?:(\d{1,3})W)?(?:(\d{1,3})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?)?$")

Prop = tuple[str, dict[str, str], str]  # name, parameters, value


def refuse(message: str, field: str) -> InvalidRequest:
    return InvalidRequest(f"iCalendar: {message}", field=field)


def program_body(raw: bytes, stream: dict[str, str]) -> dict[str, Any]:
    """The program body an iCalendar file describes, on ``stream`` (``stream``, and ``domain``/``app`` where
    given): validated afterwards as any body is (Program)."""
    master, overrides = _events(_lines(raw))
    return stream | _translate(master, overrides)


def stream_of(query: Mapping[str, str]) -> dict[str, str]:
    """Where the imported program records: the query's ``stream`` (required), ``domain`` and ``app``."""
    if not query.get("stream"):
        raise InvalidRequest("an iCalendar file is imported onto a stream: give ?stream=", field="stream")
    return {key: query[key] for key in ("stream", "domain", "app") if query.get(key)}


def _lines(raw: bytes) -> list[str]:
    if len(raw) > MAX_BYTES:
        raise refuse(f"the file is over {MAX_BYTES} bytes", "body")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("the file is not UTF-8", "body") from None
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]  # unfolded (RFC 5545 3.1)
        elif line.strip():
            lines.append(line)
        if len(lines) > MAX_LINES:
            raise refuse(f"more than {MAX_LINES} lines", "body")
    return lines


def _events(lines: list[str]) -> tuple[list[Prop], list[list[Prop]]]:
    """The one recurring VEVENT and the VEVENTs overriding its occurrences, each its own properties (a
    VALARM's, a VTIMEZONE's are skipped: the zone is the TZID's IANA name)."""
    stack: list[str] = []
    events: list[list[Prop]] = []
    for line in lines:
        found = LINE.match(line)
        if found is None:
            raise refuse(f"not a content line: {line[:60]!r}", "body")
        name, params, value = found.group(1).upper(), found.group(2), found.group(3)
        if name == "BEGIN":
            stack.append(value.upper())
            if len(stack) > MAX_DEPTH:
                raise refuse("components nested too deep", "body")
            if stack[-1] == "VEVENT":
                events.append([])
        elif name == "END":
            if not stack or stack.pop() != value.upper():
                raise refuse(f"END:{value[:30]} does not close the component it ends", "body")
        elif stack and stack[-1] == "VEVENT":
            events[-1].append((name, {k.upper(): v.strip('"') for k, v in PARAM.findall(params)}, value))
        if len(events) > MAX_EACH + 1:
            raise refuse(f"more than {MAX_EACH + 1} events", "VEVENT")
    masters = [e for e in events if _first(e, "RECURRENCE-ID") is None]
    if len(masters) != 1:
        raise refuse(f"{len(masters)} recurring events: a program is imported from exactly one", "VEVENT")
    return masters[0], [e for e in events if e is not masters[0]]


def _first(event: list[Prop], name: str) -> Prop | None:
    return next((p for p in event if p[0] == name), None)


def _translate(master: list[Prop], overrides: list[list[Prop]]) -> dict[str, Any]:
    start_prop = _first(master, "DTSTART")
    if start_prop is None:
        raise refuse("the event has no DTSTART", "DTSTART")
    zone = _zone(start_prop)
    start = _time(start_prop, zone, "DTSTART")
    if start.second:
        raise refuse("DTSTART has seconds: a program starts on a minute", "DTSTART")
    rule_prop = _first(master, "RRULE")
    if sum(p[0] == "RRULE" for p in master) > 1:
        raise refuse("more than one RRULE: a program is one rule", "RRULE")
    if rule_prop is None:
        raise refuse("the event has no RRULE: one recording is POST /recordings/scheduled", "RRULE")
    rule = _rule(rule_prop[2])
    cron = _cron(rule, start)
    body: dict[str, Any] = {"cron": cron, "timezone": zone.key, "duration": _duration(master, start, zone)}
    body["since"] = _local(start)
    until = _until(rule, cron, start, zone)
    if until is not None:
        body["until"] = _local(until)
    gone = [t for p in master if p[0] == "EXDATE" for t in _times(p, zone, "EXDATE")]
    skipped = [_local(t) for t in gone]
    # DTSTART is always the first occurrence (RFC 5545 3.8.5.3); an RDATE the rule makes too is one
    # occurrence, and an EXDATE removes an RDATE as it does the rule's
    extra = [start] + [t for p in master if p[0] == "RDATE" for t in _times(p, zone, "RDATE")]
    made = [t for t in extra if t >= start and (until is None or t <= until) and _cron_makes(cron, t, zone)]
    added = [{"start": _local(t)} for t in dict.fromkeys(extra) if t not in made and t not in gone]
    moved = _overrides(overrides, zone, body["duration"], skipped)
    for key, value in (("except", skipped), ("moved", moved), ("added", added)):
        if value:
            body[key] = value
    return body


def _zone(prop: Prop) -> ZoneInfo:
    name = prop[1].get("TZID")
    if name is None:
        if prop[2].upper().endswith("Z"):
            return ZoneInfo("UTC")
        raise refuse("DTSTART is a floating time: give its TZID (an IANA zone)", "DTSTART")
    if not re.fullmatch(r"[A-Za-z0-9_+\-]{1,32}(/[A-Za-z0-9_+\-]{1,32}){0,2}", name):
        raise refuse(f"TZID {name[:40]!r} is not an IANA zone name (e.g. Europe/Berlin)", "DTSTART")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(f"TZID {name!r} is not an IANA zone (e.g. Europe/Berlin)", "DTSTART") from None


def _time(prop: Prop, zone: ZoneInfo, field: str, value: str | None = None) -> datetime:
    """A DATE-TIME (local in the property's TZID, else the program's zone, or UTC with Z) as an aware time."""
    text = (value if value is not None else prop[2]).strip()
    if prop[1].get("VALUE", "DATE-TIME").upper() != "DATE-TIME" or "T" not in text.upper():
        raise refuse(f"{field} is not a DATE-TIME: a program's occurrences start at a time", field)
    try:
        moment = datetime.strptime(text.upper().removesuffix("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise refuse(f"{field} {text[:40]!r} is not a DATE-TIME (YYYYMMDDTHHMMSS)", field) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise refuse(f"{field} is not between {FIRST_YEAR} and the end of {LAST_YEAR}", field)
    if text.upper().endswith("Z"):
        return moment.replace(tzinfo=UTC).astimezone(zone)
    own = _zone(prop) if "TZID" in prop[1] else zone
    return moment.replace(tzinfo=own).astimezone(zone)


def _times(prop: Prop, zone: ZoneInfo, field: str) -> list[datetime]:
    values = prop[2].split(",")
    if len(values) > MAX_EACH:
        raise refuse(f"{field} lists more than {MAX_EACH} times", field)
    return [_time(prop, zone, field, v) for v in values]


def _local(moment: datetime) -> str:
    """A time as a program holds it: local, with its offset (unambiguous across a DST change)."""
    return moment.isoformat(timespec="seconds")


def _duration(event: list[Prop], start: datetime, zone: ZoneInfo) -> int:
    end_prop, length_prop = _first(event, "DTEND"), _first(event, "DURATION")
    if end_prop is not None:
        seconds = int((_time(end_prop, zone, "DTEND") - start).total_seconds())
    elif length_prop is not None:
        seconds = _seconds(length_prop[2], "DURATION")
    else:
        raise refuse("the event has neither DTEND nor DURATION: how long is each recording?", "DTEND")
    if not 0 < seconds <= 7 * 86400:
        raise refuse("an occurrence lasts more than 0 s and at most 7 days", "DTEND")
    return seconds


def _seconds(text: str, field: str) -> int:
    found = DURATION.fullmatch(text.strip().upper())
    if found is None or text.strip().upper() in ("P", "PT"):
        raise refuse(f"{field} {text[:40]!r} is not a duration (e.g. PT1H30M)", field)
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def _rule(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.split(";")[:20]:
        key, _, value = part.partition("=")
        key = key.strip().upper()
        if key not in KNOWN:
            raise refuse(f"RRULE's {key[:20]} has no cron equivalent", f"RRULE.{key[:20]}")
        parts[key] = value.strip().upper()
    return parts


def _cron(rule: dict[str, str], start: datetime) -> str:
    """The cron of a rule: a minute, an hour, days of the month, months, days of the week."""
    freq = rule.get("FREQ")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise refuse(f"FREQ={(freq or '')[:10]}: daily, weekly, monthly or yearly", "RRULE.FREQ")
    if rule.get("INTERVAL", "1") != "1":
        raise refuse("INTERVAL above 1 (every other week...) has no cron equivalent", "RRULE.INTERVAL")
    if rule.get("BYSECOND", "0") != "0":
        raise refuse("BYSECOND: a program starts on a minute", "RRULE.BYSECOND")
    minute = _numbers(rule, "BYMINUTE", start.minute, 0, 59)
    hour = _numbers(rule, "BYHOUR", start.hour, 0, 23)
    months = _numbers(rule, "BYMONTH", start.month if freq == "YEARLY" else None, 1, 12)
    if "BYDAY" in rule and "BYMONTHDAY" in rule:
        raise refuse("BYDAY with BYMONTHDAY (both must hold) has no cron equivalent", "RRULE.BYMONTHDAY")
    if "BYDAY" in rule:
        if freq == "YEARLY" and "BYMONTH" not in rule:
            raise refuse("a yearly BYDAY without BYMONTH has no cron equivalent", "RRULE.BYDAY")
        return (
            f"{minute} {hour} * {months} {_weekdays(rule['BYDAY'], ordinals=freq in ('MONTHLY', 'YEARLY'))}"
        )
    if freq == "WEEKLY":
        if "BYMONTHDAY" in rule:
            raise refuse("BYMONTHDAY is not a weekly rule's part (RFC 5545)", "RRULE.BYMONTHDAY")
        return f"{minute} {hour} * {months} {start.isoweekday() % 7}"
    day = None if freq == "DAILY" else start.day
    return f"{minute} {hour} {_monthdays(rule, day)} {months} *"


def _numbers(rule: dict[str, str], key: str, default: int | None, low: int, high: int) -> str:
    if key not in rule:
        return "*" if default is None else str(default)
    values = rule[key].split(",")
    if not all(v.isdigit() and low <= int(v) <= high for v in values) or len(values) > 60:
        raise refuse(f"{key}={rule[key][:30]}: numbers {low} to {high}", f"RRULE.{key}")
    return ",".join(str(int(v)) for v in values)


def _monthdays(rule: dict[str, str], default: int | None) -> str:
    if "BYMONTHDAY" not in rule:
        return "*" if default is None else str(default)
    out = []
    for value in rule["BYMONTHDAY"].split(",")[:31]:
        if value == "-1":
            out.append("L")
        elif value.isdigit() and 1 <= int(value) <= 31:
            out.append(str(int(value)))
        else:
            raise refuse(f"BYMONTHDAY={value[:10]}: 1 to 31, or -1 (the last)", "RRULE.BYMONTHDAY")
    return ",".join(out)


def _weekdays(text: str, *, ordinals: bool) -> str:
    out = []
    for value in text.split(",")[:35]:
        found = re.fullmatch(r"([+-]?\d)?(SU|MO|TU|WE|TH|FR|SA)", value)
        nth = found.group(1) if found else None
        if found is None or (nth is not None and not ordinals) or nth not in ORDINALS:
            raise refuse(
                f"BYDAY={value[:10]}: a day, or its 1st to 5th or last (-1) in the month", "RRULE.BYDAY"
            )
        day = DAYS[found.group(2)]
        out.append(str(day) if nth is None else f"{day or 7}L" if nth == "-1" else f"{day}#{int(nth)}")
    return ",".join(out)


def _until(rule: dict[str, str], cron: str, start: datetime, zone: ZoneInfo) -> datetime | None:
    """The last start the rule allows: UNTIL, or the COUNTth occurrence (DTSTART the first)."""
    if "UNTIL" in rule and "COUNT" in rule:
        raise refuse("UNTIL and COUNT together", "RRULE.COUNT")
    if "UNTIL" in rule:
        text = rule["UNTIL"]
        if re.fullmatch(r"\d{8}", text):  # a date: its whole local day
            return _time(("UNTIL", {}, f"{text}T235959"), zone, "RRULE.UNTIL")
        return _time(("UNTIL", {}, text), zone, "RRULE.UNTIL")
    if "COUNT" not in rule:
        return None
    count = rule["COUNT"]
    if not count.isdigit() or not 1 <= int(count) <= MAX_COUNT:
        raise refuse(f"COUNT is 1 to {MAX_COUNT}", "RRULE.COUNT")
    # the first occurrence is DTSTART, whether the cron makes it or not; then the cron's after it
    later = list(itertools.islice(CronSim(cron, start), int(count) - 1))
    return later[-1] if later else start


def _cron_makes(cron: str, start: datetime, zone: ZoneInfo) -> bool:
    found = next(iter(CronSim(cron, (start - timedelta(seconds=1)).astimezone(zone))), None)
    return found is not None and found == start


def _overrides(
    events: list[list[Prop]], zone: ZoneInfo, duration: int, skipped: list[str]
) -> list[dict[str, Any]]:
    """Each override of one occurrence: moved (its new start, and its own duration where it differs), or,
    cancelled, skipped."""
    moved = []
    for event in events:
        origin = _first(event, "RECURRENCE-ID")
        if origin is None:
            continue  # only the master has none
        was = _time(origin, zone, "RECURRENCE-ID")
        status = _first(event, "STATUS")
        if status is not None and status[2].strip().upper() == "CANCELLED":
            skipped.append(_local(was))
            continue
        start_prop = _first(event, "DTSTART")
        start = _time(start_prop, zone, "DTSTART") if start_prop is not None else was
        length = _duration(event, start, zone) if {"DTEND", "DURATION"} & {p[0] for p in event} else duration
        move = {"from": _local(was), "to": _local(start)}
        moved.append(move | ({"duration": length} if length != duration else {}))
    return moved
