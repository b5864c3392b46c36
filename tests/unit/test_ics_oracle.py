"""An imported iCalendar file's occurrences against an independent reading of the same file: small random
calendars (a daily, weekly or monthly RRULE with BYDAY, BYMONTHDAY or BYHOUR, COUNT or UNTIL, EXDATEs, an
RDATE, in a few zones) imported by shared/recordings/ics.py, the program's starts expanded by
shared/recordings/calendars.py, compared with ``recurring_ical_events`` (a development dependency, over
icalendar and dateutil's rrule) over four months from DTSTART. Files the translation refuses are skipped
(a refusal is never a wrong program), and so are those whose DTSTART the rule does not make (RFC 5545:
undefined). The windows come from the generated DTSTART, never the clock."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from cronsim import CronSim
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.recordings import calendars
from shared.recordings.ics import program_body
from shared.recordings.programs import Program
from shared.support.errors import InvalidRequest

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WINDOW = timedelta(days=120)
MINUTES = st.sampled_from([0, 15, 30, 45])


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


@st.composite
def rules(draw: st.DrawFn) -> str:
    """An RRULE the translation takes: FREQ with BYDAY, BYMONTHDAY or BYHOUR as cron can say them."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    days = st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)
    shape = draw(
        st.sampled_from(["plain", "byday", "bymonthday"] if freq == "MONTHLY" else ["plain", "byday"])
    )
    if shape == "byday" and freq == "MONTHLY" and draw(st.booleans()):
        nth = st.sampled_from(["1", "2", "3", "4", "-1"])
        parts.append("BYDAY=" + ",".join(f"{draw(nth)}{d}" for d in draw(days)))
    elif shape == "byday":
        parts.append("BYDAY=" + ",".join(draw(days)))
    elif shape == "bymonthday":
        values = draw(
            st.lists(st.sampled_from([1, 2, 10, 15, 28, 30, 31, -1]), min_size=1, max_size=3, unique=True)
        )
        parts.append("BYMONTHDAY=" + ",".join(map(str, values)))
    if draw(st.booleans()):
        hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True))
        parts.append("BYHOUR=" + ",".join(map(str, sorted(hours))))
    return ";".join(parts)


@st.composite
def calendars_files(draw: st.DrawFn) -> tuple[bytes, datetime]:
    """A calendar of one recurring VEVENT, and its DTSTART (aware): the window is read from it."""
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
    rule = draw(rules())
    # DTSTART the rule's first start from a random local time: synchronized with it, as RFC 5545 asks
    local = rrulestr(rule, dtstart=datetime.combine(day, time(draw(st.integers(0, 23)), draw(MINUTES))))[0]
    start = local.replace(tzinfo=ZoneInfo(zone))
    end = draw(st.sampled_from(["", "count", "until"]))
    if end == "count":
        rule += f";COUNT={draw(st.integers(1, 40))}"
    elif end == "until":
        until = start + timedelta(days=draw(st.integers(0, 100)), hours=draw(st.integers(0, 23)))
        rule += f";UNTIL={stamp(until.astimezone(UTC))}Z"
    lines = [f"DTSTART;TZID={zone}:{stamp(local)}", "DURATION:PT45M", f"RRULE:{rule}"]
    for offset in draw(st.lists(st.integers(0, 90), max_size=3, unique=True)):
        lines.append(f"EXDATE;TZID={zone}:{stamp(local + timedelta(days=offset))}")
    if draw(st.booleans()):
        extra = local + timedelta(days=draw(st.integers(0, 90)), hours=draw(st.integers(-5, 5)))
        lines.append(f"RDATE;TZID={zone}:{stamp(extra)}")
    event = ["BEGIN:VEVENT", "UID:oracle@example.com", *lines, "END:VEVENT"]
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//liverec oracle//EN", *event, "END:VCALENDAR", ""]
    )
    return text.encode(), start


def ours(raw: bytes, begin: datetime, end: datetime) -> set[datetime]:
    try:
        body = program_body(raw, {"stream": "s"})
        program = Program.model_validate(body)
    except (InvalidRequest, ValueError):
        assume(False)  # refused: skipped, as the file is at the API
        raise
    # a DTSTART the rule does not make is kept as an added start (or an EXDATE removes it): RFC 5545
    # 3.8.5.3 leaves that set undefined, and recurring_ical_events reads it otherwise (an EXDATE of such a
    # DTSTART takes the rule's first start with it); compared only where DTSTART is the rule's first start
    start = datetime.fromisoformat(body["since"])
    assume(next(CronSim(body["cron"], start - timedelta(seconds=1))) == start)
    starts = (o[0] for o in calendars.expand(program, begin))
    return {s.astimezone(UTC) for s in itertools.takewhile(lambda s: s < end, starts)}


def theirs(raw: bytes, begin: datetime, end: datetime) -> set[datetime]:
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(raw)).between(begin, end)
    return {e["DTSTART"].dt.astimezone(UTC) for e in found if e["DTSTART"].dt < end}


def blind(raw: bytes, start: datetime) -> set[datetime]:
    """The instants recurring_ical_events (3.8) cannot be compared on: it looks an EXDATE up by its UTC wall
    time and by its local one, both without offset, against a start's two, so an EXDATE at 00:00 in New York
    (04:00 UTC) also removes that day's 04:00 start, and one at 00:00 the day's 20:00 start before it (00:00
    UTC). Those starts are left out of both sides: the library's mix-up, not a reading of the file (RFC 5545
    removes the instant an EXDATE names)."""
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    lists = event.get("EXDATE", [])
    times = [d.dt for x in (lists if isinstance(lists, list) else [lists]) for d in x.dts]
    utc_walls = {t.astimezone(UTC).replace(tzinfo=None) for t in times}
    local_walls = {t.replace(tzinfo=None) for t in times}
    return {w.replace(tzinfo=start.tzinfo, fold=f).astimezone(UTC) for w in utc_walls for f in (0, 1)} | {
        w.replace(tzinfo=UTC) for w in local_walls
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(calendars_files())
def test_an_imported_calendar_has_the_occurrences_the_file_means(case: tuple[bytes, datetime]) -> None:
    raw, start = case
    begin, end = start - timedelta(days=1), start + WINDOW
    unsure = blind(raw, start)
    assert ours(raw, begin, end) - unsure == theirs(raw, begin, end) - unsure, raw.decode()
