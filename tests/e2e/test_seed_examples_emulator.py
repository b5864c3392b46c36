"""Each seed's example, sent by our adapter at the seed's own date, accepted by the emulator, answered in
the shape the seed documents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from devtools.emulator import Emulator
from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
from shared.recordings.rules import plan_recording
from shared.support.config import LiveApi
from shared.support.timeutil import parse_cst
from shared.tencent.adapter import LiveAdapter
from shared.tencent.types import Mode

pytestmark = pytest.mark.e2e


def create(adapter: LiveAdapter, api: LiveApi, mode: Mode, body: dict[str, Any], now: datetime) -> None:
    model = ScheduledRecordingInput if mode is Mode.SCHEDULED else RealtimeRecordingInput
    plan = plan_recording(parse_input(model, body).request(mode), api, now)
    adapter.create(plan)


def last_response(emulator: Emulator) -> dict[str, Any]:
    record = emulator.requests()[-1]
    assert record.status == 200 and record.auth_ok
    assert isinstance(record.response, dict)
    return record.response


def test_seed_001_fcgi_real_time(
    emulator: Emulator, adapter_for: Callable[..., LiveAdapter], at: Callable[[datetime], None]
) -> None:
    now = parse_cst("2017-05-20 10:00:00")
    at(now)
    body = {"stream": "8888_test123", "end": "2017-05-20T10:30:00+08:00"}
    create(adapter_for(LiveApi.FCGI), LiveApi.FCGI, Mode.REALTIME, body, now)
    response = last_response(emulator)
    assert response["ret"] == 0 and response["message"] == ""
    assert isinstance(response["output"]["task_id"], int)
    [task] = emulator.tasks()
    assert (task.start, task.end) == (now.timestamp(), parse_cst("2017-05-20 10:30:00").timestamp())


def test_seed_000_fcgi_scheduled(
    emulator: Emulator, adapter_for: Callable[..., LiveAdapter], at: Callable[[datetime], None]
) -> None:
    now = parse_cst("2017-05-20 09:00:00")
    at(now)
    body = {
        "stream": "8888_test123",
        "start": "2017-05-20T10:00:00+08:00",
        "end": "2017-05-20T10:30:00+08:00",
    }
    create(adapter_for(LiveApi.FCGI), LiveApi.FCGI, Mode.SCHEDULED, body, now)
    assert last_response(emulator)["ret"] == 0
    [task] = emulator.tasks()
    assert task.mode == "scheduled" and task.end - task.start == 1800


def test_seed_002_create_live_record(
    emulator: Emulator, adapter_for: Callable[..., LiveAdapter], at: Callable[[datetime], None]
) -> None:
    now = parse_cst("2018-09-11 12:00:00")
    at(now)
    body = {
        "stream": "livetest",
        "app": "live",
        "domain": "5000.live.push.com",
        "start": "2018-09-11T12:04:01+08:00",
        "end": "2018-09-11T12:08:01+08:00",
        "record_type": "video",
        "format": "flv",
    }
    create(adapter_for(LiveApi.LIVE_RECORD), LiveApi.LIVE_RECORD, Mode.SCHEDULED, body, now)
    response = last_response(emulator)["Response"]
    assert isinstance(response["TaskId"], int) and isinstance(response["RequestId"], str)
    assert emulator.requests()[-1].params["StartTime"] == "2018-09-11 12:04:01"


def test_seed_003_v2_create_record(
    emulator: Emulator, adapter_for: Callable[..., LiveAdapter], at: Callable[[datetime], None]
) -> None:
    now = parse_cst("2016-01-21 11:45:00")
    at(now)
    create(
        adapter_for(LiveApi.V2),
        LiveApi.V2,
        Mode.REALTIME,
        {"stream": "123", "end": "2016-01-21T12:00:00+08:00"},
        now,
    )
    response = last_response(emulator)
    assert response["code"] == 0 and response["message"] == "" and isinstance(response["task_id"], int)
    [task] = emulator.tasks()
    assert task.end == parse_cst("2016-01-21 12:00:00").timestamp()


def test_seed_004_create_record_task(
    emulator: Emulator, adapter_for: Callable[..., LiveAdapter], at: Callable[[datetime], None]
) -> None:
    now = datetime.fromtimestamp(1589880000, tz=parse_cst("2020-01-01 00:00:00").tzinfo)
    at(now)
    body = {
        "stream": "livetest",
        "app": "live",
        "domain": "5000.live.push.com",
        "start": 1589889600,
        "end": 1589904000,
        "template_id": 0,
    }
    create(adapter_for(LiveApi.RECORD_TASK), LiveApi.RECORD_TASK, Mode.SCHEDULED, body, now)
    response = last_response(emulator)["Response"]
    assert isinstance(response["TaskId"], str) and response["TaskId"] and response["RequestId"]
    [task] = emulator.tasks()
    assert (task.start, task.end) == (1589889600, 1589904000)
