"""Every documented rule (api-notes.md) has a test that shows the clear error a caller gets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
from shared.recordings.rules import plan_recording
from shared.support.config import LiveApi
from shared.support.errors import InvalidRequest
from shared.tencent.record_task import check_task_query
from shared.tencent.types import Mode, RecordingPlan, TaskQuery

ALL = list(LiveApi)
ONE_DAY_APIS = [LiveApi.RECORD_TASK, LiveApi.V2, LiveApi.FCGI]
CAPPED_REALTIME = [LiveApi.LIVE_RECORD, LiveApi.V2, LiveApi.FCGI]


def ts(dt: datetime) -> int:
    return int(dt.timestamp())


def plan(api: LiveApi, body: dict[str, Any], now: datetime, mode: Mode = Mode.SCHEDULED) -> RecordingPlan:
    model = ScheduledRecordingInput if mode is Mode.SCHEDULED else RealtimeRecordingInput
    req = (parse_input(model, body), mode)
    return plan_recording(
        req[0].request(req[1]), api, now, default_domain="5000.live.push.com", default_app="live"
    )


def rejects(api: LiveApi, body: dict[str, Any], now: datetime, mode: Mode = Mode.SCHEDULED) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        plan(api, body, now, mode)
    return info.value


def window(now: datetime, start_in: timedelta, length: timedelta) -> dict[str, Any]:
    start = now + start_in
    return {"stream": "livetest", "start": ts(start), "end": ts(start + length)}


# --- scheduled ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ALL)
def test_scheduled_window_is_passed_through_unchanged(api: LiveApi, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(minutes=90))
    p = plan(api, body, now)
    assert (ts(p.start), ts(p.end)) == (body["start"], body["end"])
    assert p.send_start and p.mode is Mode.SCHEDULED and p.warnings == ()


@pytest.mark.parametrize("api", ALL)
def test_end_before_start_is_rejected_naming_end(api: LiveApi, now: datetime) -> None:
    body = window(now, timedelta(hours=2), timedelta(hours=-1))
    err = rejects(api, body, now)
    assert err.field == "end" and "after start" in err.message


@pytest.mark.parametrize("api", ALL)
def test_end_in_the_past_is_rejected(api: LiveApi, now: datetime) -> None:
    body = window(now, timedelta(hours=-3), timedelta(hours=1))
    err = rejects(api, body, now)
    assert err.field == "end" and "not in the future" in err.message


@pytest.mark.parametrize("api", ONE_DAY_APIS)
def test_scheduled_longer_than_a_day_is_rejected(api: LiveApi, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=24, seconds=1))
    err = rejects(api, body, now)
    assert err.field == "end" and "24 h" in err.message


@pytest.mark.parametrize("api", ONE_DAY_APIS)
def test_scheduled_exactly_a_day_is_accepted(api: LiveApi, now: datetime) -> None:
    p = plan(api, window(now, timedelta(hours=1), timedelta(hours=24)), now)
    assert p.end - p.start == timedelta(hours=24)


def test_live_record_states_no_scheduled_cap(now: datetime) -> None:
    p = plan(LiveApi.LIVE_RECORD, window(now, timedelta(hours=1), timedelta(hours=30)), now)
    assert p.end - p.start == timedelta(hours=30)


def test_duration_instead_of_end_and_its_cap_names_duration(now: datetime) -> None:
    body = {"stream": "s", "start": ts(now + timedelta(hours=1)), "duration": 3600}
    p = plan(LiveApi.RECORD_TASK, body, now)
    assert p.end - p.start == timedelta(hours=1)
    body["duration"] = 86401
    assert rejects(LiveApi.RECORD_TASK, body, now).field == "duration"


def test_record_task_six_day_horizon(now: datetime) -> None:
    ok = plan(LiveApi.RECORD_TASK, window(now, timedelta(days=6), timedelta(hours=1)), now)
    assert ok.start == now + timedelta(days=6)
    err = rejects(LiveApi.RECORD_TASK, window(now, timedelta(days=6, seconds=1), timedelta(hours=1)), now)
    assert err.field == "start" and "6 days" in err.message


@pytest.mark.parametrize("given", ["end", "duration"])
def test_record_task_end_lies_strictly_before_now_plus_seven_days(given: str, now: datetime) -> None:
    # the latest start (now + 6 days) and a whole day: its end is exactly now + 7 days, which CreateRecordTask
    # refuses (EndTime < now + 7 days); a second shorter is the latest end it takes
    def body(length: timedelta) -> dict[str, Any]:
        start = ts(now + timedelta(days=6))
        length_s = int(length.total_seconds())
        return {"stream": "s", "start": start, given: start + length_s if given == "end" else length_s}

    err = rejects(LiveApi.RECORD_TASK, body(timedelta(days=1)), now)
    assert (err.status, err.code, err.field) == (422, "InvalidRequest", given)
    assert "7 days" in err.message and "strictly" in err.message
    ok = plan(LiveApi.RECORD_TASK, body(timedelta(days=1, seconds=-1)), now)
    assert ok.end == now + timedelta(days=7, seconds=-1)


@pytest.mark.parametrize("api", [LiveApi.LIVE_RECORD, LiveApi.V2, LiveApi.FCGI])
def test_an_end_seven_days_ahead_is_refused_by_record_task_only(api: LiveApi, now: datetime) -> None:
    p = plan(api, window(now, timedelta(days=6), timedelta(days=1)), now)  # no end bound stated
    assert p.end == now + timedelta(days=7)


@pytest.mark.parametrize("api", [LiveApi.LIVE_RECORD, LiveApi.V2, LiveApi.FCGI])
def test_six_day_horizon_is_record_task_only(api: LiveApi, now: datetime) -> None:
    assert plan(api, window(now, timedelta(days=9), timedelta(hours=1)), now).start == now + timedelta(days=9)


def test_scheduled_needs_start_and_an_end(now: datetime) -> None:
    err = rejects(LiveApi.RECORD_TASK, {"stream": "s", "end": ts(now + timedelta(hours=1))}, now)
    assert err.field == "start" and err.code == "MissingField"
    err = rejects(LiveApi.RECORD_TASK, {"stream": "s", "start": ts(now + timedelta(hours=1))}, now)
    assert err.field == "end" and "end or duration" in err.message


def test_end_and_duration_together_are_ambiguous(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"duration": 60}
    assert rejects(LiveApi.RECORD_TASK, body, now).field == "duration"


# --- record-task specifics ------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["domain", "app"])
def test_record_task_needs_domain_and_app(missing: str, now: datetime) -> None:
    req = (
        parse_input(ScheduledRecordingInput, window(now, timedelta(hours=1), timedelta(hours=1))),
        Mode.SCHEDULED,
    )
    defaults = {"default_domain": "d.example.com", "default_app": "live"}
    defaults[f"default_{missing}"] = None  # type: ignore[assignment]
    with pytest.raises(InvalidRequest) as info:
        plan_recording(req[0].request(req[1]), LiveApi.RECORD_TASK, now, **defaults)  # type: ignore[arg-type]
    assert info.value.field == missing and f"LIVE_{missing.upper()}" in info.value.message


def test_request_domain_overrides_the_default(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"domain": "other.push.com", "app": "app2"}
    p = plan(LiveApi.RECORD_TASK, body, now)
    assert (p.domain, p.app) == ("other.push.com", "app2")


@pytest.mark.parametrize("api", [LiveApi.V2, LiveApi.FCGI])
def test_channel_generations_drop_domain_and_warn_only_when_the_caller_sent_it(
    api: LiveApi, now: datetime
) -> None:
    base = window(now, timedelta(hours=1), timedelta(hours=1))
    quiet = plan(api, base, now)
    assert quiet.domain is None and quiet.warnings == ()
    loud = plan(api, base | {"domain": "x.push.com"}, now)
    assert loud.domain is None and any("domain ignored" in w for w in loud.warnings)


# --- real-time / highlight ------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ALL)
def test_realtime_defaults_to_300_seconds_from_now(api: LiveApi, now: datetime) -> None:
    p = plan(api, {"stream": "s"}, now, Mode.REALTIME)
    assert p.start == now and p.end == now + timedelta(seconds=300) and not p.send_start


@pytest.mark.parametrize("api", CAPPED_REALTIME)
def test_realtime_beyond_30_minutes_is_clamped_and_reported(api: LiveApi, now: datetime) -> None:
    p = plan(api, {"stream": "s", "duration": 3600}, now, Mode.REALTIME)
    assert p.end == now + timedelta(minutes=30)
    assert len(p.warnings) == 1 and "capped at 30 min" in p.warnings[0]


@pytest.mark.parametrize("api", CAPPED_REALTIME)
def test_realtime_end_beyond_30_minutes_is_clamped_too(api: LiveApi, now: datetime) -> None:
    p = plan(api, {"stream": "s", "end": ts(now + timedelta(hours=2))}, now, Mode.REALTIME)
    assert p.end == now + timedelta(minutes=30) and p.warnings


@pytest.mark.parametrize("api", CAPPED_REALTIME)
def test_realtime_of_exactly_30_minutes_is_not_a_clamp(api: LiveApi, now: datetime) -> None:
    p = plan(api, {"stream": "s", "duration": 1800}, now, Mode.REALTIME)
    assert p.end == now + timedelta(minutes=30) and p.warnings == ()


def test_record_task_realtime_is_not_capped_at_30_minutes_but_at_24_hours(now: datetime) -> None:
    p = plan(LiveApi.RECORD_TASK, {"stream": "s", "duration": 7200}, now, Mode.REALTIME)
    assert p.end == now + timedelta(hours=2) and p.warnings == ()
    err = rejects(LiveApi.RECORD_TASK, {"stream": "s", "duration": 86401}, now, Mode.REALTIME)
    assert err.field == "duration" and "24 h" in err.message


@pytest.mark.parametrize("api", ALL)
def test_realtime_end_in_the_past_is_rejected(api: LiveApi, now: datetime) -> None:
    err = rejects(api, {"stream": "s", "end": ts(now - timedelta(seconds=1))}, now, Mode.REALTIME)
    assert err.field == "end"


@pytest.mark.parametrize("api", ALL)
def test_realtime_start_is_ignored_with_a_warning(api: LiveApi, now: datetime) -> None:
    p = plan(api, {"stream": "s", "start": ts(now + timedelta(hours=1))}, now, Mode.REALTIME)
    assert p.start == now and any("start ignored" in w for w in p.warnings)


@pytest.mark.parametrize("duration", [0, -5, True, 1.5, "60"])
def test_duration_must_be_a_positive_integer(duration: object, now: datetime) -> None:
    err = rejects(LiveApi.RECORD_TASK, {"stream": "s", "duration": duration}, now, Mode.REALTIME)
    assert err.field == "duration"


# --- formats and options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "fmt", "rtype"),
    [
        (LiveApi.FCGI, "mp3", "audio"),  # fcgi has no mp3
        (LiveApi.FCGI, "aac", "video"),  # seed 001: video allows flv, hls, mp4
        (LiveApi.FCGI, "aac", None),  # record_type defaults to video
        (LiveApi.LIVE_RECORD, "mp3", "video"),
        (LiveApi.LIVE_RECORD, "aac", None),
    ],
)
def test_format_and_record_type_combinations_are_checked(
    api: LiveApi, fmt: str, rtype: str | None, now: datetime
) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"format": fmt}
    if rtype:
        body["record_type"] = rtype
    err = rejects(api, body, now)
    assert err.field == "format" and fmt in err.message


@pytest.mark.parametrize(
    ("api", "fmt", "rtype"),
    [
        (LiveApi.FCGI, "aac", "audio"),
        (LiveApi.FCGI, "hls", "audio"),
        (LiveApi.FCGI, "MP4", "VIDEO"),  # case-insensitive
        (LiveApi.LIVE_RECORD, "mp3", "audio"),
        (LiveApi.LIVE_RECORD, "Flv", None),
    ],
)
def test_allowed_format_combinations(api: LiveApi, fmt: str, rtype: str | None, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"format": fmt}
    if rtype:
        body["record_type"] = rtype
    p = plan(api, body, now)
    assert p.file_format == fmt.lower() and p.record_type == (rtype.lower() if rtype else None)


def test_unknown_format_is_rejected_by_the_model(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"format": "avi"}
    assert rejects(LiveApi.LIVE_RECORD, body, now).field == "format"


@pytest.mark.parametrize(
    ("api", "field", "value"),
    [
        (LiveApi.RECORD_TASK, "format", "mp4"),
        (LiveApi.RECORD_TASK, "record_type", "audio"),
        (LiveApi.RECORD_TASK, "record_interval", 3600),
        (LiveApi.RECORD_TASK, "storage_time", 86400),
        (LiveApi.LIVE_RECORD, "template_id", 7),
        (LiveApi.V2, "format", "flv"),
        (LiveApi.V2, "template_id", 1),
        (LiveApi.V2, "stream_type", 1),
        (LiveApi.FCGI, "record_interval", 3600),
        (LiveApi.FCGI, "stream_type", 1),
        (LiveApi.FCGI, "template_id", 1),
    ],
)
def test_options_a_generation_cannot_express_are_rejected_by_name(
    api: LiveApi, field: str, value: object, now: datetime
) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {field: value}
    err = rejects(api, body, now)
    assert err.field == field and err.code == "UnsupportedField" and api.value in err.message


@pytest.mark.parametrize(("value", "ok"), [(1799, False), (1800, True), (7200, True), (7201, False)])
def test_record_interval_is_1800_to_7200(value: int, ok: bool, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"record_interval": value}
    if ok:
        assert plan(LiveApi.LIVE_RECORD, body, now).record_interval == value
    else:
        assert rejects(LiveApi.LIVE_RECORD, body, now).field == "record_interval"


@pytest.mark.parametrize(
    ("field", "value"), [("stream_type", 2), ("template_id", -1), ("template_id", True), ("storage_time", 0)]
)
def test_option_values_are_range_checked(field: str, value: object, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {field: value}
    assert rejects(LiveApi.RECORD_TASK, body, now).field == field


def test_template_and_stream_type_reach_the_record_task_plan(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"template_id": 0, "stream_type": 1}
    p = plan(LiveApi.RECORD_TASK, body, now)
    assert (p.template_id, p.stream_type) == (0, 1)


# --- input shape -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["", "has space", "tab\tin", "x" * 257, "nl\n"])
def test_bad_stream_names_are_rejected(stream: str, now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"stream": stream}
    assert rejects(LiveApi.RECORD_TASK, body, now).field == "stream"


def test_non_ascii_stream_names_are_fine(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"stream": "直播_测试"}
    assert plan(LiveApi.RECORD_TASK, body, now).stream == "直播_测试"


def test_unknown_fields_are_named(now: datetime) -> None:
    body = window(now, timedelta(hours=1), timedelta(hours=1)) | {"strat": 1}
    err = rejects(LiveApi.RECORD_TASK, body, now)
    assert (err.field, err.code) == ("strat", "UnknownField")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-05-21T10:00:00", "no UTC offset"),
        (1779300000000, "millisecond"),
        ("tomorrow", "not an ISO-8601"),
        (-1, "negative"),
    ],
)
def test_bad_times_say_why(value: object, words: str, now: datetime) -> None:
    err = rejects(LiveApi.RECORD_TASK, {"stream": "s", "start": value, "duration": 60}, now)
    assert err.field == "start" and words in err.message


def test_iso_times_with_offsets_are_the_same_instant_as_unix_seconds(now: datetime) -> None:
    start = now + timedelta(hours=1)
    cst = start.astimezone(__import__("shared.support.timeutil", fromlist=["CST"]).CST).isoformat()
    a = plan(LiveApi.RECORD_TASK, {"stream": "s", "start": cst, "duration": 60}, now)
    b = plan(LiveApi.RECORD_TASK, {"stream": "s", "start": ts(start), "duration": 60}, now)
    assert a.start == b.start == start


def test_body_must_be_an_object() -> None:
    with pytest.raises(InvalidRequest):
        parse_input(ScheduledRecordingInput, ["not", "an", "object"])


# --- DescribeRecordTask window -------------------------------------------------------------------------------


def test_describe_window_rules(now: datetime) -> None:
    start, end = check_task_query(TaskQuery(), now)
    assert (start, end) == (now - timedelta(days=1), now + timedelta(days=6))  # upcoming tasks included
    start, end = check_task_query(TaskQuery(start=now), now)
    assert end - start == timedelta(weeks=1)
    too_wide = TaskQuery(start=now - timedelta(days=8), end=now)
    assert _query_error(too_wide, now).field == "to"
    too_old = TaskQuery(start=now - timedelta(days=91), end=now - timedelta(days=88))
    assert _query_error(too_old, now).field == "from"
    backwards = TaskQuery(start=now, end=now - timedelta(hours=1))
    assert _query_error(backwards, now).field == "to"


def _query_error(query: TaskQuery, now: datetime) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        check_task_query(query, now)
    return info.value


def test_a_tick_waits_for_a_chunk_ending_on_record_tasks_end_horizon() -> None:
    # a whole-day program starting exactly at the 6-day horizon ends at now + 7 days, which CreateRecordTask
    # refuses: the tick at that instant leaves it, the next one (a minute on) books it
    from datetime import UTC

    from shared.recordings.planning import plan_chunks
    from shared.recordings.programs import Program

    now = datetime(2026, 5, 20, 18, 30, tzinfo=UTC)
    program = Program(stream="day", cron="30 18 * * *", timezone="UTC", duration=86400)
    horizon = timedelta(days=6)
    ends = [c.end for c in plan_chunks([program], LiveApi.RECORD_TASK, now, horizon)]
    assert now + timedelta(days=7) not in ends and now + timedelta(days=6) in ends
    later = now + timedelta(minutes=1)
    ends = [c.end for c in plan_chunks([program], LiveApi.RECORD_TASK, later, horizon)]
    assert now + timedelta(days=7) in ends
    # no end bound elsewhere: the same tick plans it
    ends = [c.end for c in plan_chunks([program], LiveApi.V2, now, horizon)]
    assert now + timedelta(days=7) in ends
