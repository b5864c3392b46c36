"""A highlight's stream: DescribeLiveStreamState on the wire and as read (API 3.0 only, the capability table's
``stream_state``), and the use case that refuses, records or arms (``shared.recordings.highlights``) on the
fake Tencent and the in-process stores, with a clock that moves only when told."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from devtools.kit.tencent import FakeAdapter
from shared.recordings.highlights import (
    AlreadyWaiting,
    Highlights,
    StreamNotLive,
    WaitNotFound,
    wait_id,
)
from shared.recordings.models import HighlightInput
from shared.storage.memory import MemoryLedger, MemoryState
from shared.support.config import LiveApi, Settings
from shared.support.errors import (
    IdempotencyConflict,
    InvalidRequest,
    OutcomeUnknown,
    TencentUnavailable,
    UnsupportedOperation,
)
from shared.tencent.generations import GENERATIONS
from shared.tencent.types import Mode
from tests.unit.test_http1 import Loopback
from tests.unit.test_tencent_answers import answer, plan
from tests.utils import Recordings

T0 = 1_796_000_000.0


def test_only_the_api3_generations_can_tell() -> None:
    assert {api for api, g in GENERATIONS.items() if g.stream_state} == {
        LiveApi.RECORD_TASK,
        LiveApi.LIVE_RECORD,
    }


@pytest.fixture
def adapter(make_settings: Callable[..., Settings]) -> Callable[..., Any]:
    from shared.tencent.adapter import get_adapter

    def build(api: LiveApi, server: Loopback) -> Any:
        settings = make_settings(api, endpoint=f"http://127.0.0.1:{server.port}", LIVE_TIMEOUT="3.5")
        return get_adapter(settings, clock=lambda: T0, sleep=lambda _: None)

    return build


@pytest.mark.parametrize("api", [LiveApi.RECORD_TASK, LiveApi.LIVE_RECORD])
@pytest.mark.parametrize("state", ["active", "inactive", "forbid"])
def test_the_state_is_asked_and_read_as_tencent_documents_it(api: LiveApi, state: str, adapter: Any) -> None:
    with Loopback(answer({"Response": {"StreamState": state, "RequestId": "r"}})) as server:
        assert adapter(api, server).stream_state(plan(api)) == state
    (sent,) = server.requests
    head, _, body = sent.partition(b"\r\n\r\n")
    assert b"X-TC-Action: DescribeLiveStreamState" in head
    assert json.loads(body) == {"AppName": "live", "DomainName": "5000.live.push.com", "StreamName": "s"}


@pytest.mark.parametrize(
    "response",
    [
        {"StreamState": "live", "RequestId": "r"},
        {"StreamState": 1, "RequestId": "r"},
        {"RequestId": "r"},
    ],
)
def test_a_state_liverec_cannot_use_is_no_answer(response: dict[str, Any], adapter: Any) -> None:
    with Loopback(answer({"Response": response})) as server, pytest.raises(TencentUnavailable):
        adapter(LiveApi.RECORD_TASK, server).stream_state(plan(LiveApi.RECORD_TASK))


def test_without_a_push_domain_nothing_is_asked(adapter: Any) -> None:
    with Loopback() as server, pytest.raises(UnsupportedOperation):
        adapter(LiveApi.LIVE_RECORD, server).stream_state(plan(LiveApi.LIVE_RECORD)._replace(domain=None))
    assert server.requests == []


@pytest.mark.parametrize("api", [LiveApi.V2, LiveApi.FCGI])
def test_v2_and_fcgi_cannot_tell(api: LiveApi, adapter: Any) -> None:
    with Loopback() as server, pytest.raises(UnsupportedOperation):
        adapter(api, server).stream_state(plan(api))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts(make_settings: Callable[..., Settings]) -> Callable[..., tuple[Highlights, FakeAdapter, Clock]]:
    def build(api: LiveApi = LiveApi.RECORD_TASK, **extra: str) -> tuple[Highlights, FakeAdapter, Clock]:
        clock, fake = Clock(), FakeAdapter(api)
        svc = Recordings(make_settings(api, **extra), fake, MemoryLedger(), clock)
        return Highlights(svc.creator, MemoryState(), clock), fake, clock

    return build


def start(highlights: Highlights, key: str | None = None, **body: Any) -> Any:
    data = HighlightInput(**({"stream": "s", "duration": 60} | body))
    return highlights.start(data.request(Mode.REALTIME), data.highlight(), key, data.wait)


def test_not_live_is_refused_live_is_created_and_a_failed_look_up_warns(parts: Callable[..., Any]) -> None:
    highlights, fake, _ = parts()
    with pytest.raises(StreamNotLive):
        start(highlights)
    fake.streams["s"] = "forbid"
    with pytest.raises(StreamNotLive):
        start(highlights)
    assert fake.creates == 0
    fake.streams["s"] = "active"
    assert start(highlights).recording.warnings == ()
    fake.streams["s"] = TencentUnavailable("DescribeLiveStreamState failed")
    created = start(highlights)
    assert fake.creates == 2 and any("unknown (TencentUnavailable)" in w for w in created.recording.warnings)


def test_the_check_off_asks_nothing(parts: Callable[..., Any]) -> None:
    highlights, fake, _ = parts(LIVEREC_LIVE_CHECK="off")
    fake.streams["s"] = UnsupportedOperation("never asked")
    assert start(highlights).recording.task_id is not None


def test_a_retry_gets_its_first_answer_whatever_the_stream_does_since(parts: Callable[..., Any]) -> None:
    highlights, fake, _ = parts()
    fake.streams["s"] = "active"
    first = start(highlights, "k")
    fake.streams["s"] = "inactive"
    again = start(highlights, "k")
    assert again.replayed and again.recording.task_id == first.recording.task_id and fake.creates == 1


def test_armed_begun_once_and_shown(parts: Callable[..., Any]) -> None:
    highlights, fake, clock = parts(LiveApi.V2)  # cannot tell: armed even if it were live
    armed = start(highlights, "k", wait=60)
    assert armed.state == "armed" and armed.id == wait_id("k") and armed.expires_at == T0 + 60
    assert armed.warnings == (
        "LIVE_API=v2 cannot tell whether a stream is live: it starts at the stream's next push",
    )
    assert start(highlights, "k", wait=60).replayed
    with pytest.raises(IdempotencyConflict):
        start(highlights, "k", wait=61)
    with pytest.raises(AlreadyWaiting):
        start(highlights, "other-key", wait=60)
    assert highlights.begin("d", "a", "not-s", T0) is None
    clock.now += 10
    began = highlights.begin("d", "a", "s", clock.now)
    assert began is not None and began["action"] == "started" and fake.creates == 1
    assert highlights.begin("d", "a", "s", clock.now) is None  # once
    shown = highlights.show(armed.id)
    assert (shown.state, shown.task_id, shown.started_at) == ("started", began["task_id"], T0 + 10)
    # the stream is free again: a new highlight may wait for it
    assert start(highlights, "k2", wait=60).state == "armed"


def test_an_armed_highlight_expires(parts: Callable[..., Any]) -> None:
    highlights, fake, clock = parts()
    armed = start(highlights, wait=30)
    clock.now += 30
    assert highlights.show(armed.id).state == "expired"
    assert highlights.begin("5000.live.push.com", "live", "s", clock.now) is None and fake.creates == 0
    # a stream begin within the window, redelivered after it, still starts it
    assert highlights.begin("5000.live.push.com", "live", "s", clock.now - 1)["action"] == "started"
    assert fake.creates == 1
    clock.now += 86400  # a day after its window: forgotten
    with pytest.raises(WaitNotFound):
        highlights.show(armed.id)


def test_wait_with_end_or_out_of_bounds_is_refused() -> None:
    from shared.recordings.models import parse_input

    for body in ({"wait": 0}, {"wait": 86401}, {"wait": "5"}):
        with pytest.raises(InvalidRequest) as caught:
            parse_input(HighlightInput, {"stream": "s"} | body)
        assert caught.value.field == "wait"
    with pytest.raises(InvalidRequest) as caught:
        HighlightInput(stream="s", end=int(T0) + 600, wait=60).highlight()
    assert caught.value.field == "wait"


def test_a_begin_whose_create_is_in_doubt_is_never_created_twice(parts: Callable[..., Any]) -> None:
    highlights, fake, clock = parts(LiveApi.LIVE_RECORD)  # cannot look tasks up
    armed = start(highlights, wait=3600)
    fake.then("stored_no_answer")
    at = clock.now
    with pytest.raises(OutcomeUnknown):  # not 200: Tencent redelivers
        highlights.begin("5000.live.push.com", "live", "s", at)
    clock.now += 1000  # the claim's lease is over: the redelivery finds it in doubt
    began = highlights.begin("5000.live.push.com", "live", "s", at)
    assert began is not None and began["action"] == "unknown" and fake.creates == 1
    shown = highlights.show(armed.id)
    assert shown.state == "unknown" and shown.error is not None and shown.error["code"] == "OutcomeUnknown"
    assert highlights.begin("5000.live.push.com", "live", "s", at) is None and fake.creates == 1
