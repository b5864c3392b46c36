"""The emulator's DescribeCallbackRecordsList: Tencent's record of the callbacks it sent (and those told lost),
filtered by stream, window, event type and result, paged, its request's rules refused by name."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devtools.emulator import Emulator, EmulatorConfig
from devtools.emulator.params import cst_text
from tests.unit.emulator.test_emulator import CREDS, T0, api3, code, record_task

ACTION = "DescribeCallbackRecordsList"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running(host="127.0.0.1", port=0):
        e.clock.freeze(T0)
        yield e


def query(
    stream: str = "s", start: float = T0 - 60, end: float = T0 + 3600, **extra: object
) -> dict[str, object]:
    return {
        "StartTime": cst_text(start),
        "EndTime": cst_text(end),
        "StreamName": stream,
        "PageNum": 1,
        "PageSize": 100,
    } | extra


def test_a_lost_record_file_is_listed_with_its_body_and_a_failed_result(emu: Emulator) -> None:
    task_id = api3(emu, "CreateRecordTask", record_task("s", EndTime=T0 + 600))["TaskId"]
    fields = emu.callbacks.record_file(task_id, T0, T0 + 300, lost=True)
    emu.callbacks.record_file(task_id, T0 + 300, T0 + 600, lost=True)
    assert not emu.callbacks.deliveries()  # lost: never sent
    found = api3(emu, ACTION, query(EventType=100, PageSize=1))
    assert (found["TotalNum"], found["TotalPage"], found["PageNum"], found["PageSize"]) == (2, 2, 1, 1)
    (record,) = found["DataInfoList"]
    assert record["EventType"] == 100 and record["ResultCode"] == 1 and record["StreamId"] == "s"
    assert record["EventTime"] == cst_text(T0)
    body = json.loads(record["Request"])
    assert {k: body[k] for k in ("task_id", "file_id", "start_time", "end_time")} == {
        k: fields[k] for k in ("task_id", "file_id", "start_time", "end_time")
    }
    second = api3(emu, ACTION, query(EventType=100, PageSize=1, PageNum=2))["DataInfoList"]
    assert json.loads(second[0]["Request"])["start_time"] == T0 + 300
    # filtered out: another stream, another window, another type, a successful result
    assert api3(emu, ACTION, query("other"))["TotalNum"] == 0
    assert api3(emu, ACTION, query(start=T0 + 1, end=T0 + 60))["TotalNum"] == 0
    assert api3(emu, ACTION, query(EventType=1))["TotalNum"] == 0
    assert api3(emu, ACTION, query(ResultCode=0))["TotalNum"] == 0
    emu.reset()
    assert api3(emu, ACTION, query())["TotalNum"] == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"EndTime": cst_text(T0 + 86401 - 60)}, "InvalidParameterValue"),  # over a day
        ({"EndTime": cst_text(T0 - 120)}, "InvalidParameterValue"),  # before StartTime
        ({"PageSize": 101}, "InvalidParameterValue"),
        ({"PageNum": 0}, "InvalidParameterValue"),
        ({"EventType": 332}, "InvalidParameterValue"),
        ({"StreamName": ""}, "MissingParameter"),
        ({"StartTime": "yesterday"}, "InvalidParameterValue"),
    ],
)
def test_its_rules_are_refused_by_name(emu: Emulator, change: dict[str, object], expected: str) -> None:
    assert code(api3(emu, ACTION, query() | change)) == expected
