"""Our adapters against the emulator over real loopback HTTP, for every generation."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from devtools.emulator import Emulator
from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
from shared.recordings.rules import plan_recording
from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    InvalidRequest,
    OutcomeUnknown,
    RateLimited,
    TaskNotFound,
    TencentAuthError,
    TencentError,
    TencentUnavailable,
    UnsupportedOperation,
)
from shared.support.timeutil import from_unix
from shared.tencent.adapter import LiveAdapter
from shared.tencent.types import Mode, RecordingPlan, TaskQuery
from tests.e2e.conftest import Sleeps

pytestmark = pytest.mark.e2e
AdapterFor = Callable[..., LiveAdapter]


def make_plan(api: LiveApi, emulator: Emulator, mode: Mode = Mode.SCHEDULED, **body: object) -> RecordingPlan:
    now = from_unix(emulator.clock.now())
    if mode is Mode.SCHEDULED:
        body.setdefault("start", int((now + timedelta(minutes=10)).timestamp()))
        body.setdefault("end", int((now + timedelta(minutes=40)).timestamp()))
    model = ScheduledRecordingInput if mode is Mode.SCHEDULED else RealtimeRecordingInput
    req = (parse_input(model, {"stream": "livetest", **body}), mode)
    return plan_recording(
        req[0].request(req[1]), api, now, default_domain="5000.live.push.com", default_app="live"
    )


@pytest.mark.parametrize("api", list(LiveApi))
def test_scheduled_create_stores_exactly_the_planned_window(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor
) -> None:
    # Given a scheduled plan for this generation
    plan = make_plan(api, emulator, stream="直播测试")
    # When the adapter creates it
    created = adapter_for(api).create(plan)
    # Then the emulator stored one task for that stream with exactly that window
    [task] = emulator.tasks()
    assert task.api == api.value and task.task_id == created.task_id
    assert task.stream == "直播测试" and task.mode == "scheduled"
    assert (int(task.start), int(task.end)) == (int(plan.start.timestamp()), int(plan.end.timestamp()))
    assert created.api is api


@pytest.mark.parametrize("api", list(LiveApi))
def test_realtime_create_records_from_now_to_the_effective_end(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor
) -> None:
    emulator.clock.freeze(emulator.clock.now())
    plan = make_plan(api, emulator, Mode.REALTIME, duration=3600)
    adapter_for(api).create(plan)
    [task] = emulator.tasks()
    assert task.mode == "realtime"
    # the window we report is the one Tencent (the emulator) actually applies
    assert int(task.end) == int(plan.end.timestamp())
    assert int(task.start) == int(emulator.clock.now())
    if api is not LiveApi.RECORD_TASK:
        assert plan.warnings and plan.end - plan.start == timedelta(minutes=30)


def test_v2_region_goes_in_v2s_short_form_and_the_emulator_takes_it(
    emulator: Emulator, adapter_for: AdapterFor
) -> None:
    adapter_for(LiveApi.V2).create(make_plan(LiveApi.V2, emulator))  # LIVE_REGION=ap-guangzhou
    [request] = emulator.requests()
    assert request.params["Region"] == "gz" and request.response == {
        "code": 0,
        "message": "",
        "task_id": int(emulator.tasks()[0].task_id),
    }


def test_task_ids_keep_each_generations_type(emulator: Emulator, adapter_for: AdapterFor) -> None:
    ids = {api: adapter_for(api).create(make_plan(api, emulator)).task_id for api in LiveApi}
    assert not ids[LiveApi.RECORD_TASK].isdigit()  # CreateRecordTask: opaque string
    for api in (LiveApi.LIVE_RECORD, LiveApi.V2, LiveApi.FCGI):
        assert ids[api].isdigit()  # uint64


@pytest.mark.parametrize("api", list(LiveApi))
def test_stop_marks_the_task_stopped(api: LiveApi, emulator: Emulator, adapter_for: AdapterFor) -> None:
    adapter = adapter_for(api)
    created = adapter.create(make_plan(api, emulator))
    adapter.stop(created.task_id, stream="livetest")
    [task] = emulator.tasks()
    assert task.stopped_at is not None


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.LIVE_RECORD, LiveApi.V2])
def test_delete_marks_the_task_deleted(api: LiveApi, emulator: Emulator, adapter_for: AdapterFor) -> None:
    adapter = adapter_for(api)
    created = adapter.create(make_plan(api, emulator))
    adapter.delete(created.task_id, stream="livetest")
    [task] = emulator.tasks()
    assert task.deleted


def test_fcgi_has_no_delete_and_no_list(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(LiveApi.FCGI)
    with pytest.raises(UnsupportedOperation):
        adapter.delete("1", stream="s")
    with pytest.raises(UnsupportedOperation):
        adapter.list_tasks(TaskQuery(stream="s"))


def test_live_record_cannot_list(adapter_for: AdapterFor) -> None:
    with pytest.raises(UnsupportedOperation):
        adapter_for(LiveApi.LIVE_RECORD).list_tasks(TaskQuery())


@pytest.mark.parametrize("api", [LiveApi.LIVE_RECORD, LiveApi.V2, LiveApi.FCGI])
def test_numbered_generations_need_the_stream_and_a_numeric_id_to_stop(
    api: LiveApi, adapter_for: AdapterFor
) -> None:
    adapter = adapter_for(api)
    with pytest.raises(InvalidRequest) as info:
        adapter.stop("123", stream=None)
    assert info.value.field == "stream"
    with pytest.raises(InvalidRequest) as info:
        adapter.stop("not-a-number", stream="s")
    assert info.value.field == "task_id"


def test_record_task_list_pages_through_scroll_tokens(
    emulator: Emulator, adapter_for: AdapterFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = adapter_for(LiveApi.RECORD_TASK)
    monkeypatch.setattr(emulator.config, "describe_page_size", 2)  # the emulator is shared by the session
    created = {adapter.create(make_plan(LiveApi.RECORD_TASK, emulator)).task_id for _ in range(5)}
    adapter.create(make_plan(LiveApi.RECORD_TASK, emulator, stream="other"))
    now = from_unix(emulator.clock.now())
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = adapter.list_tasks(
            TaskQuery(
                stream="livetest",
                start=now - timedelta(hours=1),
                end=now + timedelta(days=1),
                page_token=token,
            )
        )
        pages += 1
        seen += [t.task_id for t in page.tasks]
        token = page.next_token
        if not token:
            break
    assert set(seen) == created and len(seen) == 5 and pages >= 3


def test_v2_lists_a_channels_tasks(emulator: Emulator, adapter_for: AdapterFor) -> None:
    adapter = adapter_for(LiveApi.V2)
    ids = {adapter.create(make_plan(LiveApi.V2, emulator)).task_id for _ in range(3)}
    page = adapter.list_tasks(TaskQuery(stream="livetest"))
    assert {t.task_id for t in page.tasks} == ids and page.next_token is None
    assert all(isinstance(t.start, datetime) for t in page.tasks)


# --- errors, passed through with Tencent's code ---------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "operation", "code"),
    [
        (LiveApi.RECORD_TASK, "stop", "InvalidParameter"),  # StopRecordTask's only parameter is TaskId
        (LiveApi.RECORD_TASK, "delete", "InvalidParameter"),
        (LiveApi.LIVE_RECORD, "stop", "ResourceNotFound.TaskId"),
        (LiveApi.LIVE_RECORD, "delete", "ResourceNotFound.TaskId"),
        (LiveApi.V2, "stop", "5000"),  # resource does not exist
        (LiveApi.V2, "delete", "5000"),
        (LiveApi.FCGI, "stop", "1006"),  # fcgi has no documented numbers: the emulator's
    ],
)
def test_unknown_task_on_stop_or_delete_is_task_not_found_404(
    api: LiveApi, operation: str, code: str, adapter_for: AdapterFor
) -> None:
    adapter = adapter_for(api)
    unknown = "no-such-task" if api is LiveApi.RECORD_TASK else "987654321"
    with pytest.raises(TaskNotFound) as info:
        getattr(adapter, operation)(unknown, stream="livetest")
    assert info.value.code == code and info.value.action is not None
    assert info.value.status == 404


@pytest.mark.parametrize(
    ("api", "code"),
    [
        (LiveApi.RECORD_TASK, "AuthFailure.SignatureFailure"),
        (LiveApi.LIVE_RECORD, "AuthFailure.SignatureFailure"),
        (LiveApi.V2, "4100"),
    ],
)
def test_wrong_key_is_an_auth_error_with_tencents_code(
    api: LiveApi,
    code: str,
    emulator: Emulator,
    adapter_for: AdapterFor,
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(api, endpoint=emulator.base_url, TENCENTCLOUD_SECRET_KEY="wrong-key")
    with pytest.raises(TencentAuthError) as info:
        adapter_for(api, settings).create(make_plan(api, emulator))
    assert info.value.code == code
    assert "wrong-key" not in str(info.value)
    assert emulator.tasks() == []


def test_v2_with_our_clock_two_hours_off_is_an_auth_error(
    emulator: Emulator, make_settings: Callable[..., Settings]
) -> None:
    # v2 answers a Timestamp more than 2 hours off as a replay (4500): our clock, so an auth error
    from shared.tencent.adapter import get_adapter

    settings = make_settings(LiveApi.V2, endpoint=emulator.base_url)
    adapter = get_adapter(settings, clock=lambda: emulator.clock.now() - 3 * 3600)
    with pytest.raises(TencentAuthError) as info:
        adapter.create(make_plan(LiveApi.V2, emulator))
    assert info.value.code == "4500" and info.value.status == 502
    assert emulator.tasks() == []


def test_fcgi_wrong_key_is_refused(
    emulator: Emulator, adapter_for: AdapterFor, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(LiveApi.FCGI, endpoint=emulator.base_url, LIVE_FCGI_KEY="wrong-key")
    with pytest.raises(TencentError) as info:
        adapter_for(LiveApi.FCGI, settings).create(make_plan(LiveApi.FCGI, emulator))
    assert info.value.code != "0" and emulator.tasks() == []


def test_emulator_rejects_what_we_would_not_send(emulator: Emulator, adapter_for: AdapterFor) -> None:
    # A plan built past our rules (end in the past for the emulator's clock) still gets Tencent's own error.
    plan = make_plan(LiveApi.RECORD_TASK, emulator)
    emulator.clock.advance(3 * 3600)
    with pytest.raises(TencentError) as info:
        adapter_for(LiveApi.RECORD_TASK).create(plan)
    # signed with the adapter's clock (the emulator's), so it is Tencent's rule that refuses it, not TC3
    assert info.value.code == "InvalidParameter" and "EndTime" in info.value.message
    assert emulator.tasks() == []


# --- retry safety ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", list(LiveApi))
def test_connection_dropped_after_store_is_outcome_unknown_and_not_retried(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor
) -> None:
    # Given Tencent stores the task, then the connection dies before the answer
    emulator.faults.drop_after_store(count=1)
    # When we create
    with pytest.raises(OutcomeUnknown) as info:
        adapter_for(api).create(make_plan(api, emulator))
    # Then the caller is told the outcome is unknown, and nothing retried the create (one request, one task)
    assert info.value.api == api.value
    assert len([r for r in emulator.requests() if r.action in CREATE_ACTIONS]) == 1
    assert len(emulator.tasks()) == 1


CREATE_ACTIONS = {"CreateRecordTask", "CreateLiveRecord", "CreateRecord", "Live_Tape_Start"}


@pytest.mark.parametrize("api", list(LiveApi))
def test_gateway_5xx_on_create_is_outcome_unknown_but_on_stop_is_unavailable(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor
) -> None:
    adapter = adapter_for(api)
    emulator.faults.http_error(status=502, count=1)
    with pytest.raises(OutcomeUnknown):
        adapter.create(make_plan(api, emulator))
    created = adapter.create(make_plan(api, emulator))
    emulator.faults.http_error(status=502, count=1)
    with pytest.raises(TencentUnavailable):
        adapter.stop(created.task_id, stream="livetest")


@pytest.mark.parametrize("api", list(LiveApi))
def test_unreachable_endpoint_is_unavailable_not_unknown(
    api: LiveApi, adapter_for: AdapterFor, make_settings: Callable[..., Settings], emulator: Emulator
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(api, endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(TencentUnavailable):
        adapter_for(api, settings).create(make_plan(api, emulator))


@pytest.mark.parametrize("api", list(LiveApi))
def test_read_timeout_on_create_is_outcome_unknown_and_not_retried(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor, make_settings: Callable[..., Settings]
) -> None:
    # Timeout below Tencent's 3 s floor only to keep the test quick: from_env refuses it; _replace copies
    # without checking.
    settings = make_settings(api, endpoint=emulator.base_url)._replace(timeout=0.3)
    emulator.faults.latency(0.8, count=1)
    with pytest.raises(OutcomeUnknown):
        adapter_for(api, settings).create(make_plan(api, emulator))
    emulator.faults.clear()
    # the slow request completes at the emulator, and no second one follows
    import time

    deadline = time.monotonic() + 3
    while not emulator.tasks() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len(emulator.tasks()) == 1
    assert len([r for r in emulator.requests() if r.action in CREATE_ACTIONS]) == 1


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.LIVE_RECORD])
def test_request_limit_exceeded_backs_off_and_then_succeeds(
    api: LiveApi, emulator: Emulator, adapter_for: AdapterFor, sleeps: Sleeps
) -> None:
    emulator.faults.rate_limit(count=2)
    created = adapter_for(api).create(make_plan(api, emulator))
    assert sleeps == [0.25, 0.5]
    assert [t.task_id for t in emulator.tasks()] == [created.task_id]


def test_request_limit_exceeded_that_persists_is_rate_limited(
    emulator: Emulator, adapter_for: AdapterFor, sleeps: Sleeps
) -> None:
    emulator.faults.rate_limit(count=10)
    with pytest.raises(RateLimited) as info:
        adapter_for(LiveApi.RECORD_TASK).create(make_plan(LiveApi.RECORD_TASK, emulator))
    assert info.value.code == "RequestLimitExceeded"
    assert sleeps == [0.25, 0.5, 1.0] and emulator.tasks() == []


def test_a_burst_above_20_per_second_is_absorbed_by_backoff(
    emulator: Emulator, make_settings: Callable[..., Settings]
) -> None:
    # Real sleeps here: the emulator's CreateRecordTask limit is 20 requests per second.
    from shared.tencent.adapter import get_adapter

    adapter = get_adapter(
        make_settings(LiveApi.RECORD_TASK, endpoint=emulator.base_url), clock=emulator.clock.now
    )
    plans = [make_plan(LiveApi.RECORD_TASK, emulator, stream=f"s{i}") for i in range(30)]
    ids = [adapter.create(p).task_id for p in plans]
    assert len(set(ids)) == 30 and len(emulator.tasks()) == 30
    limited = [r for r in emulator.requests() if r.response and "RequestLimitExceeded" in str(r.response)]
    assert limited, "the burst should have met the emulator's rate limit at least once"
