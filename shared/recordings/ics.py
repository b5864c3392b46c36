"""A program from an iCalendar file (RFC 5545): one recurring VEVENT, with DTSTART;TZID, DTEND or
DURATION, RRULE, EXDATE and RDATE, and the events overriding single occurrences (RECURRENCE-ID), turned into
the body ``PUT /programs/{name}`` takes: the rule as a cron in the event's zone, DTSTART and UNTIL (or COUNT)
as ``since`` and ``until``, EXDATE as ``except``, RDATE as ``added``, an override as ``moved`` (cancelled:
``except``).

The rule is translated, not kept: a program's occurrences come from its cron and its exceptions alone
(shared/recordings/calendars.py), so what is imported is what ``GET /programs/{name}`` shows and what a tick
books, whatever the file. A rule part with no cron equivalent (INTERVAL above 1, BYSETPOS, BYWEEKNO,
BYYEARDAY, BYMONTHDAY with BYDAY, ...) is refused, 422 naming it (``RRULE.INTERVAL``), never approximated;
so is what RFC 5545 and a cron read differently (tests/unit/test_ics_oracle.py compares with another reader):
a COUNT from a DTSTART the rule does not make, a start the rule puts in a DST gap.
The file is parsed by ``icalendar`` (shared/recordings/ics_read.py), after bounds of ours on the text; its
import costs about 29 ms of CPU, against 4.6 ms for the hand-written reader it replaced (bench/RESULTS.md,
"Calendars": fresh processes, 2-core AMD EPYC), paid only by a ``text/calendar`` PUT:
functions/scheduled/handler.py imports this module inside that branch, and no module imports it at load.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim

from shared.recordings.ics_read import (
    MAX_BYTES,
    Event,
    events,
    every,
    first,
    moment,
    refuse,
    rule_of,
    seconds_of,
    time_of,
    times_of,
    zone_of,
)
from shared.support.errors import InvalidRequest

__all__ = ["MAX_BYTES", "program_body", "stream_of"]

GAP_YEARS = 28  # the Gregorian calendar's weekdays repeat every 28 years (within 1901-2099)
MAX_COUNT = 3660  # a COUNT read (ten years of a daily program)
DAYS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}
KNOWN = {"FREQ", "INTERVAL", "UNTIL", "COUNT", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYHOUR", "BYMINUTE"}
KNOWN |= {"BYSECOND", "WKST"}  # WKST changes nothing without INTERVAL or BYWEEKNO, both refused
ORDINALS = (None, "1", "2", "3", "4", "5", "+1", "-1")


def program_body(raw: bytes, stream: dict[str, str]) -> dict[str, Any]:
    """The program body an iCalendar file describes, on ``stream`` (``stream``, and ``domain``/``app`` where
    given): validated afterwards as any body is (Program)."""
    master, overrides = events(raw)
    return stream | _translate(master, overrides)


def stream_of(query: Mapping[str, str]) -> dict[str, str]:
    """Where the imported program records: the query's ``stream`` (required), ``domain`` and ``app``."""
    if not query.get("stream"):
        raise InvalidRequest("an iCalendar file is imported onto a stream: give ?stream=", field="stream")
    return {key: query[key] for key in ("stream", "domain", "app") if query.get(key)}


def _translate(master: Event, overrides: list[Event]) -> dict[str, Any]:
    start, zone = _start(master)
    rules = every(master, "RRULE")
    if len(rules) > 1:
        raise refuse("more than one RRULE: a program is one rule", "RRULE")
    if not rules:
        raise refuse("the event has no RRULE: one recording is POST /recordings/scheduled", "RRULE")
    rule, until_value = rule_of(rules[0], frozenset(KNOWN))
    cron = _cron(rule, start)
    body: dict[str, Any] = {"cron": cron, "timezone": zone.key, "duration": _duration(master, start, zone)}
    body["since"] = _local(start)
    until = _until(rule, until_value, cron, start, zone)
    _no_gap(cron, start, until, zone, "RRULE.BYHOUR" if "BYHOUR" in rule else "DTSTART")
    if until is not None:
        body["until"] = _local(until)
    gone = times_of(every(master, "EXDATE"), zone, "EXDATE")
    skipped = [_local(t) for t in gone]
    # DTSTART is always the first occurrence (RFC 5545 3.8.5.3); an RDATE the rule makes too is one
    # occurrence, and an EXDATE removes an RDATE as it does the rule's
    extra = [start, *times_of(every(master, "RDATE"), zone, "RDATE")]
    made = [t for t in extra if t >= start and (until is None or t <= until) and _cron_makes(cron, t, zone)]
    added = [{"start": _local(t)} for t in dict.fromkeys(extra) if t not in made and t not in gone]
    moved = _overrides(overrides, zone, body["duration"], skipped)
    for key, value in (("except", skipped), ("moved", moved), ("added", added)):
        if value:
            body[key] = value
    return body


def _start(master: Event) -> tuple[datetime, ZoneInfo]:
    """DTSTART, in the zone of its TZID (or UTC, given with Z): the program's zone."""
    prop = first(master, "DTSTART")
    if prop is None:
        raise refuse("the event has no DTSTART", "DTSTART")
    zone = zone_of(prop, "DTSTART")
    if zone is None:
        if not isinstance(getattr(prop, "dt", None), datetime) or prop.dt.tzinfo is None:
            raise refuse(
                "DTSTART is a floating time or a date: give a time and its TZID (an IANA zone)", "DTSTART"
            )
        zone = ZoneInfo("UTC")
    start = time_of(prop, zone, "DTSTART")
    if start.second:
        raise refuse("DTSTART has seconds: a program starts on a minute", "DTSTART")
    return start, zone


def _local(moment: datetime) -> str:
    """A time as a program holds it: local, with its offset (unambiguous across a DST change)."""
    return moment.isoformat(timespec="seconds")


def _duration(event: Event, start: datetime, zone: ZoneInfo) -> int:
    end_prop, length_prop = first(event, "DTEND"), first(event, "DURATION")
    if end_prop is not None:
        seconds = int((time_of(end_prop, zone, "DTEND") - start).total_seconds())
    elif length_prop is not None:
        seconds = seconds_of(length_prop, "DURATION")
    else:
        raise refuse("the event has neither DTEND nor DURATION: how long is each recording?", "DTEND")
    if not 0 < seconds <= 7 * 86400:
        raise refuse("an occurrence lasts more than 0 s and at most 7 days", "DTEND")
    return seconds


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


def _until(rule: dict[str, str], value: Any, cron: str, start: datetime, zone: ZoneInfo) -> datetime | None:
    """The last start the rule allows: UNTIL (a date: its whole local day), or the COUNTth occurrence
    (DTSTART the first)."""
    if "UNTIL" in rule and "COUNT" in rule:
        raise refuse("UNTIL and COUNT together", "RRULE.COUNT")
    if "UNTIL" in rule:
        if not isinstance(value, datetime) and hasattr(value, "year"):
            value = datetime.combine(value, time(23, 59, 59))
        return moment(value, None, zone, "RRULE.UNTIL")
    if "COUNT" not in rule:
        return None
    count = rule["COUNT"]
    if not count.isdigit() or not 1 <= int(count) <= MAX_COUNT:
        raise refuse(f"COUNT is 1 to {MAX_COUNT}", "RRULE.COUNT")
    # RFC 5545 3.8.5.3 leaves the set undefined when DTSTART is not one of the rule's starts: readers count
    # it (RFC's "first occurrence") or not (dateutil's rrule); refused rather than one reading guessed
    if not _cron_makes(cron, start, zone):
        raise refuse("COUNT with a DTSTART the rule does not make (RFC 5545: undefined)", "RRULE.COUNT")
    later = list(itertools.islice(CronSim(cron, start), int(count) - 1))
    return later[-1] if later else start


def _no_gap(cron: str, start: datetime, until: datetime | None, zone: ZoneInfo, field: str) -> None:
    """A start the cron makes at a local time a DST change skips (02:30 on Europe/Berlin's spring change) is
    refused: RFC 5545 reads that time with the offset before the change (03:30), a cron starts at the
    change's end (03:00). The zone's changes are looked for over the program's span, at most GAP_YEARS (the
    calendar's cycle: a 29 March falls on the change's Sunday again)."""
    last = start + timedelta(days=GAP_YEARS * 366)
    last = min(last, until) if until is not None else last
    first, final = start.replace(tzinfo=None), last.astimezone(zone).replace(tzinfo=None)
    walls = [(h, m) for h in _field(cron, 1) for m in _field(cron, 0)]
    day = first.date()
    offset = _noon_offset(day, zone)
    while day <= final.date():
        later = _noon_offset(day + timedelta(days=7), zone)
        days = [day + timedelta(days=n) for n in range(8)] if later != offset else []
        for wall in (datetime.combine(d, time(h, m)) for d in days for h, m in walls):
            there = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            if there == wall or not first <= wall <= final:
                continue
            if (
                next(iter(CronSim(cron, wall - timedelta(minutes=1)))) == wall
            ):  # naive: the wall clock's fields
                raise refuse(f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key} (a DST change)", field)
        day, offset = day + timedelta(days=7), later


def _field(cron: str, index: int) -> list[int]:
    """The minutes (0) or hours (1) of a cron this module wrote: numbers, comma-separated."""
    return [int(v) for v in cron.split()[index].split(",")]


def _noon_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    return datetime.combine(day, time(12), tzinfo=zone).utcoffset()


def _cron_makes(cron: str, start: datetime, zone: ZoneInfo) -> bool:
    found = next(iter(CronSim(cron, (start - timedelta(seconds=1)).astimezone(zone))), None)
    return found is not None and found == start


def _overrides(
    events: list[Event], zone: ZoneInfo, duration: int, skipped: list[str]
) -> list[dict[str, Any]]:
    """Each override of one occurrence: moved (its new start, and its own duration where it differs), or,
    cancelled, skipped."""
    moved = []
    for event in events:
        origin = first(event, "RECURRENCE-ID")
        if origin is None:
            continue  # only the master has none
        was = time_of(origin, zone, "RECURRENCE-ID")
        status = first(event, "STATUS")
        if status is not None and str(status).strip().upper() == "CANCELLED":
            skipped.append(_local(was))
            continue
        start_prop = first(event, "DTSTART")
        start = time_of(start_prop, zone, "DTSTART") if start_prop is not None else was
        length = _duration(event, start, zone) if "DTEND" in event or "DURATION" in event else duration
        move = {"from": _local(was), "to": _local(start)}
        moved.append(move | ({"duration": length} if length != duration else {}))
    return moved
