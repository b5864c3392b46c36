"""Tencent answering slowly, hugely or strangely, through the functions: a create whose answer drips in, is
announced as a petabyte, is nested 150,000 deep, or carries a task id nobody can use is answered 504
OutcomeUnknown within LIVE_TIMEOUT, and its ledger entry is the unknown outcome (reconciled by the next
attempt), never a claim left in progress behind a 500 or a 201 with that id. A read gets a 502."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from devtools.kit import LambdaContext, parse
from functions.realtime import handler as realtime
from functions.tasks import handler as tasks
from tests.functional.conftest import http_event
from tests.unit.test_http1 import Loopback, Reply, drip, then_close
from tests.unit.test_tencent_answers import DEEP, answer, http

CREATED = {"Response": {"TaskId": "UpTbk5RSVhRQFkAAfHwQCCjcRD0l", "RequestId": "r-1"}}


@pytest.mark.parametrize(
    ("case", "reply"),
    [
        ("dripping", drip(answer(CREATED) + b" " * 100, every=0.2)),  # about 30 s in all
        ("huge", then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}")),
        ("deep", http(DEEP)),
        ("task-id-object", answer({"Response": {"TaskId": {"id": "x"}, "RequestId": "r"}})),
        ("task-id-60kb", answer({"Response": {"TaskId": "Up" + "a\r\nb\x00c" * 10_000, "RequestId": "r"}})),
    ],
)
def test_a_create_tencent_answers_unusably_is_504_and_its_entry_the_unknown_outcome(
    case: str, reply: Reply, configure: Callable[..., None]
) -> None:
    from shared.app import ledger, now

    with Loopback(reply) as server:
        configure(LIVE_ENDPOINT=f"http://127.0.0.1:{server.port}", LIVE_TIMEOUT="3.5")
        event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": case})
        started = time.monotonic()
        status, body = parse(realtime.lambda_handler(event, LambdaContext()))
        assert time.monotonic() - started < 15  # within LIVE_TIMEOUT, where the dripping answer takes 30 s
    assert (status, body["error"]["code"]) == (504, "OutcomeUnknown"), body
    assert len(json.dumps(body)) < 2000  # nothing of the answer is quoted
    entry = ledger().get(f"http:{case}", now())
    assert entry is not None and entry.state == "unknown" and entry.recording.task_id is None


def test_a_list_tencent_answers_unusably_is_502(configure: Callable[..., None]) -> None:
    with Loopback(http(DEEP)) as server:
        configure(LIVE_ENDPOINT=f"http://127.0.0.1:{server.port}")
        event = http_event("GET", "/recordings", query={"stream": "s"})
        status, body = parse(tasks.lambda_handler(event, LambdaContext()))
    assert (status, body["error"]["code"]) == (502, "TencentUnavailable"), body


def test_an_unknown_outcome_is_reconciled_by_the_next_attempt(
    configure: Callable[..., None], fresh_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry a huge answer left in doubt is looked up at Tencent (the emulator, which has no such task)
    by the retry with the same key, and created then: the claim was never stuck."""
    huge = then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}")
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "again"})
    with Loopback(huge) as server:
        configure(LIVE_ENDPOINT=f"http://127.0.0.1:{server.port}")
        assert parse(realtime.lambda_handler(event, LambdaContext()))[0] == 504
    from shared.app import ledger
    from shared.support.config import get_settings

    kept = ledger()
    monkeypatch.setenv("LIVE_ENDPOINT", fresh_emulator.base_url)
    get_settings.cache_clear()  # the settings read again, as after a secret's TTL: the container's ledger stays
    assert ledger() is kept  # the same ledger (one per table), now with the real (emulated) Tencent behind it
    status, body = parse(realtime.lambda_handler(event, LambdaContext()))
    assert status == 201 and body["task_id"] == fresh_emulator.tasks()[0].task_id, body
