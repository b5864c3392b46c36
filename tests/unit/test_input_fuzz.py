"""Bad input never escapes as a traceback: any JSON value either plans or raises InvalidRequest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
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
