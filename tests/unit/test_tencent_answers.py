"""Tencent that answers slowly, hugely or strangely, against each generation's adapter over a scripted
loopback server: every call ends by its deadline (LIVE_TIMEOUT, and the invocation's end less the ledger's
reserve), an answer is read within its size cap and parsed within the JSON bounds, and the fields liverec
reads are checked. Whatever goes wrong after a create was sent is an unknown outcome (504), never a 500 or a
"created" with a task id nobody can use; for anything else it is Tencent unavailable (502)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    NotEnoughTime,
    OutcomeUnknown,
    RateLimited,
    TencentInputError,
    TencentUnavailable,
)
from shared.support.timeutil import Deadline
from shared.tencent import adapter as tencent
from shared.tencent.adapter import MESSAGE_LIMIT, LiveAdapter, RetryPolicy, get_adapter
from shared.tencent.types import Mode, RecordingPlan, TaskQuery
from tests.unit.test_http1 import Loopback, Reply, drip, then_close

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
# a created task's answer in each generation's shape
CREATED = {
    LiveApi.RECORD_TASK: {"Response": {"TaskId": "UpTbk5RSVhRQFkAAfHwQCCjcRD0l", "RequestId": "r-1"}},
    LiveApi.LIVE_RECORD: {"Response": {"TaskId": 1234, "RequestId": "r-1"}},
    LiveApi.V2: {"code": 0, "message": "", "task_id": 1},
    LiveApi.FCGI: {"ret": 0, "message": "", "output": {"task_id": 1}},
}
DEEP = b'{"Response":' * 150_000 + b"{}" + b"}" * 150_000  # 300 KB nested 150,000 deep


def http(body: bytes, head: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def answer(data: Any) -> bytes:
    return http(json.dumps(data).encode())


def plan(api: LiveApi) -> RecordingPlan:
    return RecordingPlan(
        api=api,
        mode=Mode.REALTIME,
        stream="s",
        domain="5000.live.push.com",
        app="live",
        start=NOW,
        end=NOW + timedelta(minutes=10),
        send_start=False,
    )


@pytest.fixture
def adapter(make_settings: Callable[..., Settings]) -> Callable[..., LiveAdapter]:
    def build(api: LiveApi, server: Loopback, timeout: str = "3.5") -> LiveAdapter:
        settings = make_settings(api, endpoint=f"http://127.0.0.1:{server.port}", LIVE_TIMEOUT=timeout)
        return get_adapter(settings, clock=NOW.timestamp, sleep=lambda _: None)

    return build


def create(adapter: LiveAdapter, api: LiveApi, reply: Reply) -> Exception:
    with Loopback(reply) as server, pytest.raises(OutcomeUnknown) as caught:
        adapter(api, server).create(plan(api))  # type: ignore[operator]
    assert caught.value.status == 504 and "may exist" in caught.value.message
    return caught.value


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.FCGI])
def test_a_create_answered_a_byte_at_a_time_is_cut_at_live_timeout(api: LiveApi, adapter: Any) -> None:
    """A valid answer dripped a byte every 0.2 s (about 30 s in all) never trips the per-read timeout; the
    call's deadline (LIVE_TIMEOUT 3.5 s) ends it: an unknown outcome, not a create still running at 40 s."""
    started = time.monotonic()
    create(adapter, api, drip(answer(CREATED[api]) + b" " * 100, every=0.2))
    assert time.monotonic() - started < 12


def test_the_deadline_is_live_timeout_and_never_past_the_invocations_end_less_the_reserve() -> None:
    at = time.monotonic()
    assert tencent.call_deadline(10.0) - at == pytest.approx(10.0, abs=1)
    invocation = Deadline(at=5.5, total=29.0, monotonic=lambda: 0.0)  # 5.5 s left: 3.5 s once 2 s are kept
    assert tencent.call_deadline(10.0, invocation) - at == pytest.approx(3.5, abs=1)
    short = Deadline(at=2.0 + tencent.MIN_ATTEMPT - 0.5, total=29.0, monotonic=lambda: 0.0)
    with pytest.raises(NotEnoughTime, match="nothing was sent"):  # under MIN_ATTEMPT: not sent at all
        tencent.call_deadline(10.0, short)


@pytest.mark.parametrize("api", list(CREATED))
def test_a_huge_content_length_is_an_unknown_outcome_not_a_memory_error(api: LiveApi, adapter: Any) -> None:
    err = create(adapter, api, then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}"))
    assert "over" in err.message  # type: ignore[attr-defined]


@pytest.mark.parametrize("api", list(CREATED))
def test_an_answer_nested_150000_deep_is_an_unknown_outcome_not_a_recursion_error(
    api: LiveApi, adapter: Any
) -> None:
    assert len(DEEP) > 300_000
    err = create(adapter, api, http(DEEP))
    assert "nested" in err.message  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("api", "data"),
    [
        (LiveApi.RECORD_TASK, {"Response": {"TaskId": {"id": "x"}, "RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": {"TaskId": "Up" + "a\r\nb\x00c" * 10_000, "RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": {"TaskId": "Up a", "RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": {"RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": {"TaskId": "Up1", "RequestId": {"x": 1}}}),
        (LiveApi.RECORD_TASK, {"Response": {"Error": {"Code": {"x": 1}, "Message": "m"}, "RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": {"Error": "InternalError", "RequestId": "r"}}),
        (LiveApi.RECORD_TASK, {"Response": ["TaskId"]}),
        (LiveApi.LIVE_RECORD, {"Response": {"TaskId": "12ab", "RequestId": "r"}}),
        (LiveApi.LIVE_RECORD, {"Response": {"TaskId": 2**64, "RequestId": "r"}}),
        (LiveApi.LIVE_RECORD, {"Response": {"TaskId": True, "RequestId": "r"}}),
        (LiveApi.V2, {"code": 0, "message": "", "task_id": {"id": 1}}),
        (LiveApi.V2, {"code": 0, "message": "", "task_id": -1}),
        (LiveApi.V2, {"message": "", "task_id": 1}),
        (LiveApi.V2, {"code": "0", "message": "", "task_id": 1}),
        (LiveApi.FCGI, {"ret": 0, "message": "", "output": {"task_id": [1]}}),
        (LiveApi.FCGI, {"ret": 0, "message": "", "output": "1"}),
        (LiveApi.FCGI, {"ret": 0, "message": ""}),
        (LiveApi.FCGI, {"ret": 1, "message": {"x": "y"}}),
    ],
)
def test_an_answer_liverec_cannot_use_is_an_unknown_outcome_never_created(
    api: LiveApi, data: dict[str, Any], adapter: Any
) -> None:
    err = create(adapter, api, answer(data))
    assert "cannot use" in err.message  # type: ignore[attr-defined]
    assert len(str(err)) < 2000  # nothing of the answer's 60 KB is quoted


def test_a_task_id_that_is_fine_is_kept_as_sent(adapter: Any) -> None:
    for api, data in CREATED.items():
        with Loopback(answer(data)) as server:
            task = adapter(api, server).create(plan(api))
        assert task.task_id == {LiveApi.RECORD_TASK: "UpTbk5RSVhRQFkAAfHwQCCjcRD0l"}.get(api, task.task_id)
        assert task.task_id.isprintable() and len(task.task_id) < 64
    with Loopback(answer({"code": 0, "message": "", "task_id": "18446744073709551615"})) as server:
        assert adapter(LiveApi.V2, server).create(plan(LiveApi.V2)).task_id == "18446744073709551615"


def test_tencents_messages_are_cut_and_kept_printable(adapter: Any) -> None:
    error = {"Code": "InvalidParameter", "Message": "bad\r\nthing\x00" + "x" * 5000}
    reply = answer({"Response": {"Error": error, "RequestId": "r"}})
    with Loopback(reply) as server, pytest.raises(TencentInputError) as caught:
        adapter(LiveApi.RECORD_TASK, server).create(plan(LiveApi.RECORD_TASK))
    message = caught.value.message
    assert caught.value.code == "InvalidParameter" and message.isprintable()
    assert len(message) <= MESSAGE_LIMIT and message.endswith("…")  # cut where the error is built


@pytest.mark.parametrize(
    "reply",
    [
        http(DEEP),
        answer({"Response": {"TaskList": [{"TaskId": {"x": 1}}], "RequestId": "r"}}),
        answer({"Response": {"TaskList": [{"TaskId": "a\nb"}], "RequestId": "r"}}),
        answer({"Response": {"TaskList": [{"TaskId": "t", "StartTime": 10**30}], "RequestId": "r"}}),
        answer({"Response": {"TaskList": [{"TaskId": "t", "StreamName": ["s"]}], "RequestId": "r"}}),
        answer({"Response": {"TaskList": {"TaskId": "t"}, "RequestId": "r"}}),
        answer({"Response": {"TaskList": [], "ScrollToken": "x" * 5000, "RequestId": "r"}}),
    ],
)
def test_a_list_answer_liverec_cannot_use_is_a_502(reply: bytes, adapter: Any) -> None:
    with Loopback(reply) as server, pytest.raises(TencentUnavailable) as caught:
        adapter(LiveApi.RECORD_TASK, server).list_tasks(TaskQuery(stream="s"))
    assert caught.value.status == 502


@pytest.mark.parametrize(
    "data",
    [
        {"code": 0, "taskSet": [{"id": {"x": 1}}], "totalCount": 1},
        {"code": 0, "taskSet": [{"id": 1, "status": "²"}], "totalCount": 1},
        {"code": 0, "taskSet": [], "totalCount": "many"},
    ],
)
def test_a_v2_list_answer_liverec_cannot_use_is_a_502(data: dict[str, Any], adapter: Any) -> None:
    with Loopback(answer(data)) as server, pytest.raises(TencentUnavailable):
        adapter(LiveApi.V2, server).list_tasks(TaskQuery(stream="s"))


def test_a_listed_task_is_read_as_before(adapter: Any) -> None:
    task = {"TaskId": "Up1", "StreamName": "s", "StartTime": 1_800_000_000, "EndTime": 1_800_000_600}
    reply = answer({"Response": {"TaskList": [task | {"Stopped": 0, "TemplateId": 0}], "RequestId": "r"}})
    with Loopback(reply) as server:
        page = adapter(LiveApi.RECORD_TASK, server).list_tasks(TaskQuery(stream="s"))
    (info,) = page.tasks
    assert (info.task_id, info.stream, info.stopped_at, page.next_token) == ("Up1", "s", None, None)


def test_a_refusal_is_retried_only_while_an_attempt_still_fits(
    make_settings: Callable[..., Settings],
) -> None:
    """RequestLimitExceeded is retried with backoff, but never into an attempt with under MIN_ATTEMPT
    seconds: LIVE_TIMEOUT 3.5 s leaves room for the first retry only."""
    limited = answer(
        {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "m"}, "RequestId": "r"}}
    )
    with Loopback(*[limited] * 4) as server:
        settings = make_settings(
            LiveApi.RECORD_TASK, endpoint=f"http://127.0.0.1:{server.port}", LIVE_TIMEOUT="3.5"
        )
        slept: list[float] = []
        live = get_adapter(
            settings, clock=NOW.timestamp, sleep=slept.append, retry=RetryPolicy(base_delay=0.25)
        )
        with pytest.raises(RateLimited):
            live.create(plan(LiveApi.RECORD_TASK))
    assert slept == [0.25] and len(server.requests) == 2
