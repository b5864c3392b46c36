"""An iCalendar event translated into a program (shared/recordings/ics.py): each rule a broadcaster writes
into the cron it means, the parts with no cron equivalent refused naming them, and what RFC 5545 says of
DTSTART (always the first occurrence), COUNT (counted before EXDATE) and a date UNTIL (its whole day)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.recordings.ics import MAX_BYTES, program_body
from shared.recordings.programs import Program
from shared.support.errors import InvalidRequest


def ics(*lines: str, start: str = "DTSTART;TZID=Europe/Berlin:20260105T200000") -> bytes:
    event = ["BEGIN:VEVENT", "UID:u@example.com", start, "DURATION:PT1H", *lines, "END:VEVENT"]
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *event, "END:VCALENDAR", ""]).encode()


def body(*lines: str, **kw: str) -> dict[str, Any]:
    found = program_body(ics(*lines, **kw), {"stream": "s"})
    Program.model_validate(found)  # and it is a program
    return found


@pytest.mark.parametrize(
    ("rule", "cron"),
    [
        ("FREQ=DAILY", "0 20 * * *"),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "0 20 * * 1,2,3,4,5"),
        ("FREQ=WEEKLY", "0 20 * * 1"),  # 5 January 2026 is a Monday
        ("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9,21;BYMINUTE=15", "15 9,21 * * 6,0"),
        ("FREQ=MONTHLY", "0 20 5 * *"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,-1", "0 20 1,L * *"),
        ("FREQ=MONTHLY;BYDAY=1MO,-1FR", "0 20 * * 1#1,5L"),
        ("FREQ=YEARLY", "0 20 5 1 *"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "0 20 29 2 *"),  # leap years only, as RFC 5545 says
        ("FREQ=YEARLY;BYMONTH=12;BYDAY=-1SU", "0 20 * 12 7L"),
    ],
)
def test_rules_become_the_cron_they_mean(rule: str, cron: str) -> None:
    assert body(f"RRULE:{rule}")["cron"] == cron


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("FREQ=WEEKLY;INTERVAL=2", "RRULE.INTERVAL"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "RRULE.BYSETPOS"),
        ("FREQ=YEARLY;BYWEEKNO=20", "RRULE.BYWEEKNO"),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "RRULE.BYMONTHDAY"),
        ("FREQ=YEARLY;BYDAY=20MO", "RRULE.BYDAY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "RRULE.BYDAY"),
        ("FREQ=MINUTELY", "RRULE.FREQ"),
        ("FREQ=DAILY;COUNT=0", "RRULE.COUNT"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "RRULE.COUNT"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "RRULE.BYMONTHDAY"),
        ("FREQ=DAILY\r\nRRULE:FREQ=WEEKLY", "RRULE"),
    ],
)
def test_what_cron_cannot_say_is_refused_naming_it(rule: str, field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        body(f"RRULE:{rule}")
    assert refused.value.field == field


def test_count_until_and_the_first_occurrence() -> None:
    # COUNT=3 from Monday 5 January: Mon, Wed, Fri; the EXDATE does not make a fourth (counted before)
    found = body("RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=3", "EXDATE;TZID=Europe/Berlin:20260107T200000")
    assert found["since"] == "2026-01-05T20:00:00+01:00" and found["until"] == "2026-01-09T20:00:00+01:00"
    assert found["except"] == ["2026-01-07T20:00:00+01:00"]
    # a date UNTIL holds its whole local day
    assert body("RRULE:FREQ=DAILY;UNTIL=20260110")["until"] == "2026-01-10T23:59:59+01:00"
    # a DTSTART the rule does not make is its first occurrence all the same (RFC 5545 3.8.5.3)
    sunday = body("RRULE:FREQ=WEEKLY;BYDAY=MO", start="DTSTART;TZID=Europe/Berlin:20260104T200000")
    assert sunday["added"] == [{"start": "2026-01-04T20:00:00+01:00"}]


def test_rdates_the_rule_makes_or_exdate_removes_add_nothing() -> None:
    found = body(
        "RRULE:FREQ=DAILY;UNTIL=20260110T190000Z",
        "RDATE;TZID=Europe/Berlin:20260106T200000,20260107T090000,20260108T090000,20260111T200000",
        "EXDATE;TZID=Europe/Berlin:20260108T090000",
    )
    # the 6th at 20:00 is the rule's own; the 8th's 09:00 is removed; the 11th is past UNTIL: added
    assert found["added"] == [{"start": "2026-01-07T09:00:00+01:00"}, {"start": "2026-01-11T20:00:00+01:00"}]


def test_dates_in_other_zones_and_overrides() -> None:
    found = body(
        "RRULE:FREQ=DAILY",
        "EXDATE:20260110T190000Z",  # UTC: 20:00 in Berlin
        "RDATE;TZID=America/New_York:20260111T080000",  # 14:00 in Berlin
    )
    assert found["except"] == ["2026-01-10T20:00:00+01:00"]
    assert found["added"] == [{"start": "2026-01-11T14:00:00+01:00"}]
    text = (
        ics("RRULE:FREQ=DAILY")
        .decode()
        .replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:u@example.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260112T200000\r\n"
            "STATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR",
        )
    )
    assert program_body(text.encode(), {"stream": "s"})["except"] == ["2026-01-12T20:00:00+01:00"]


def test_folded_lines_and_bounds() -> None:
    folded = ics("RRULE:FREQ=WEEKLY;\r\n BYDAY=TU")
    assert program_body(folded, {"stream": "s"})["cron"] == "0 20 * * 2"
    with pytest.raises(InvalidRequest, match="bytes"):
        program_body(b" " * (MAX_BYTES + 1), {"stream": "s"})
    nested = b"BEGIN:VCALENDAR\r\n" + b"BEGIN:X\r\n" * 10_000
    with pytest.raises(InvalidRequest) as refused:
        program_body(nested, {"stream": "s"})
    assert refused.value.field == "body"
    with pytest.raises(InvalidRequest, match="DATE-TIME"):
        body("RRULE:FREQ=DAILY", start="DTSTART;TZID=Europe/Berlin;VALUE=DATE:20260105")


def test_what_rfc_5545_and_cron_read_differently_is_refused() -> None:
    """Found by tests/unit/test_ics_oracle.py against recurring_ical_events: a COUNT from a DTSTART the rule
    does not make (RFC 5545 leaves the set undefined; readers differ on whether DTSTART counts), and a start
    the rule puts in a DST gap (RFC 5545 reads 02:15 on 29 March in Berlin as 03:15, a cron starts at 03:00)."""
    with pytest.raises(InvalidRequest) as refused:
        body("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3", start="DTSTART;TZID=Europe/Berlin:20260104T200000")
    assert refused.value.field == "RRULE.COUNT"
    for rule, field in (("FREQ=DAILY", "DTSTART"), ("FREQ=MONTHLY;BYMONTHDAY=29", "DTSTART")):
        with pytest.raises(InvalidRequest, match="2026-03-29 02:15 does not exist") as refused:
            body(f"RRULE:{rule}", start="DTSTART;TZID=Europe/Berlin:20260101T021500")
        assert refused.value.field == field
    with pytest.raises(InvalidRequest, match="DST") as refused:
        body("RRULE:FREQ=DAILY;BYHOUR=2,20", start="DTSTART;TZID=America/New_York:20260101T201500")
    assert refused.value.field == "RRULE.BYHOUR"
    # the same times where no change skips them: a Wednesday, a zone without DST, a rule ending before it
    assert body("RRULE:FREQ=WEEKLY;BYDAY=WE", start="DTSTART;TZID=Europe/Berlin:20260107T021500")["cron"]
    assert body("RRULE:FREQ=DAILY", start="DTSTART;TZID=Asia/Kolkata:20260101T021500")["cron"] == "15 2 * * *"
    found = body(
        "RRULE:FREQ=DAILY;UNTIL=20260328T120000Z", start="DTSTART;TZID=Europe/Berlin:20260101T021500"
    )
    assert found["until"] == "2026-03-28T13:00:00+01:00"  # UNTIL itself, the day before the change
