"""Bad input never escapes as a traceback: any JSON value either plans or raises InvalidRequest, and any
bytes sent as an iCalendar file either import or raise InvalidRequest (icalendar's errors included)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.recordings.ics import program_body
from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
from shared.recordings.programs import Program
from shared.recordings.rules import plan_recording
from shared.support.config import LiveApi
from shared.support.errors import InvalidRequest
from shared.tencent.types import Mode

NOW = datetime(2026, 5, 20, 18, 30, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
plausible_times = st.one_of(
    st.integers(min_value=NOW_TS - 10 * 86400, max_value=NOW_TS + 10 * 86400),
    st.integers(min_value=-5, max_value=2**64),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),  # naive
    json_values,
)
fields = {
    "stream": st.one_of(st.text(max_size=300), json_values),
    "domain": st.one_of(st.text(max_size=20), json_values),
    "app": st.one_of(st.text(max_size=20), json_values),
    "start": plausible_times,
    "end": plausible_times,
    "duration": st.one_of(st.integers(min_value=-10, max_value=200000), json_values),
    "format": st.one_of(st.sampled_from(["flv", "HLS", "mp4", "aac", "mp3", "avi"]), json_values),
    "record_type": st.one_of(st.sampled_from(["video", "Audio", "both"]), json_values),
    "template_id": st.one_of(st.integers(min_value=-2, max_value=10), json_values),
    "stream_type": st.one_of(st.integers(min_value=-1, max_value=2), json_values),
    "record_interval": st.one_of(st.integers(min_value=1700, max_value=7300), json_values),
    "storage_time": st.one_of(st.integers(min_value=-1, max_value=10**9), json_values),
    "unexpected": json_values,
}
bodies = st.fixed_dictionaries(
    {"stream": fields["stream"]}, optional={k: v for k, v in fields.items() if k != "stream"}
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(bodies, json_values), api=st.sampled_from(list(LiveApi)), mode=st.sampled_from(list(Mode))
)
# found by this test once: huge durations overflowed timedelta arithmetic
@example(body={"stream": "s", "duration": 2**70}, api=LiveApi.RECORD_TASK, mode=Mode.REALTIME)
@example(
    body={"stream": "s", "start": NOW_TS + 3600, "duration": 2**62},
    api=LiveApi.LIVE_RECORD,
    mode=Mode.SCHEDULED,
)
@example(
    body={"stream": "s", "start": 99999999999, "duration": 10**9},
    api=LiveApi.RECORD_TASK,
    mode=Mode.SCHEDULED,
)
def test_any_body_plans_or_fails_with_invalid_request(body: Any, api: LiveApi, mode: Mode) -> None:
    model = ScheduledRecordingInput if mode is Mode.SCHEDULED else RealtimeRecordingInput
    try:
        req = (parse_input(model, body), mode)
        plan = plan_recording(
            req[0].request(req[1]), api, NOW, default_domain="d.push.com", default_app="live"
        )
    except InvalidRequest as exc:
        assert exc.message  # a clear message, never empty
        assert exc.field is None or isinstance(exc.field, str)
        return
    # whatever got through satisfies the generation's invariants
    assert plan.end > plan.start and plan.end > NOW
    if api is not LiveApi.LIVE_RECORD:
        assert (plan.end - plan.start).total_seconds() <= 86400
    if mode is Mode.REALTIME and api is not LiveApi.RECORD_TASK:
        assert (plan.end - NOW).total_seconds() <= 1800


ICS_SAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:u@example.com\r\nDTSTART;TZID=Europe/Berlin:20261020T200000\r\n"
    "DTEND;TZID=Europe/Berlin:20261020T210000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU;UNTIL=20261229T190000Z\r\n"
    "EXDATE;TZID=Europe/Berlin:20261026T200000\r\nRDATE:20261025T013000Z\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:u@example.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261027T200000\r\n"
    "DTSTART;TZID=Europe/Berlin:20261027T220000\r\nDURATION:PT1H30M\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
ics_pieces = st.sampled_from(
    [*"\r\n:;=,\" \t", "\r\n ", "BEGIN:", "END:", "VEVENT", "VTIMEZONE", "VALUE=DATE", "VALUE=PERIOD", "TZID=",
     "RRULE:", "RDATE:", "EXDATE:", "COUNT=", "UNTIL=", "BYDAY=", "DURATION:P", "RECURRENCE-ID:", "Z", "T",
     "99991231", "00010101", "STATUS:CANCELLED", "\x00", "é", "-1"]
)  # fmt: skip


@st.composite
def garbled_calendars(draw: st.DrawFn) -> bytes:
    """A well-formed calendar with a few edits (insertions, deletions, replacements), or random bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    text = ICS_SAMPLE
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.one_of(ics_pieces, st.text(max_size=3), st.just(""))) + text[at + cut :]
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbled_calendars())
def test_any_icalendar_file_imports_or_fails_with_invalid_request(raw: bytes) -> None:
    """A malformed file is a 422 naming what is wrong (icalendar's ValueErrors and recorded errors included),
    never a traceback; what imports is a program as any other (validated as a PUT's body is)."""
    try:
        body = program_body(raw, {"stream": "s"})
    except InvalidRequest as refused:
        assert refused.field
        return
    with contextlib.suppress(ValidationError):  # the PUT's own validation: a 422 there too
        Program.model_validate(body)
