"""Reading Tencent's record of its callbacks (shared/tencent/callback_records.py): what is asked (a day at a
time, a bounded number of pages), and which records become files (a record-file callback whose body reads as
one; anything else skipped, never an error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.support.config import LiveApi
from shared.support.timeutil import NO_DEADLINE, Deadline
from shared.tencent.callback_records import MAX_PAGES, record_files, reported_file, windows

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def body(**change: Any) -> dict[str, Any]:
    return {
        "event_type": 100,
        "stream_id": "s",
        "task_id": "t1",
        "file_id": "f1",
        "video_url": "http://1.vod2.myqcloud.com/f1.mp4",
        "start_time": 1_800_000_000,
        "end_time": 1_800_000_300,
        "file_format": "MP4",
        "duration": 300,
        "file_size": "1000",
    } | change


def record(fields: Any, event_type: Any = 100) -> dict[str, Any]:
    return {"EventType": event_type, "Request": fields if isinstance(fields, str) else json.dumps(fields)}


class Pages:
    """Answers DescribeCallbackRecordsList from a list of records, noting what was asked."""

    api = LiveApi.RECORD_TASK

    def __init__(self, records: list[dict[str, Any]], total_page: int | None = None) -> None:
        self.records, self.total_page, self.asked = records, total_page, []

    def call(
        self, action: str, params: dict[str, Any], *, creates: bool, deadline: Deadline = NO_DEADLINE
    ) -> dict[str, Any]:
        self.asked.append(params)
        size, page = params["PageSize"], params["PageNum"]
        if self.total_page is not None:  # the same page, however far asked
            return {"DataInfoList": self.records[:size], "TotalPage": self.total_page}
        pages = -(-len(self.records) // size)
        return {"DataInfoList": self.records[(page - 1) * size : page * size], "TotalPage": pages}


def test_a_record_file_is_read_from_its_body_once_and_its_format_lowered() -> None:
    found = record_files(Pages([record(body()), record(body())]), "s", T0, T0 + timedelta(hours=1))
    assert len(found) == 1
    (file,) = found
    assert (file.task_id, file.file_id, file.start, file.end, file.format, file.size) == (
        "t1",
        "f1",
        1_800_000_000,
        1_800_000_300,
        "mp4",
        1000,
    )


@pytest.mark.parametrize(
    "item",
    [
        record(body(), event_type=1),  # not a record file
        record("not json"),
        record("x" * 70_000),
        record(body(video_url="javascript:alert(1)")),
        record(body(video_url="http://127.0.0.1/f.mp4")),  # not a public host
        record(body(start_time=-1)),
        record(body(end_time=10**12)),  # milliseconds
        record(body(file_id="")),
        record(body(stream_id="another")),
        record([1, 2]),
        {"EventType": 100, "Request": None},
    ],
)
def test_a_record_that_is_not_a_usable_file_is_skipped(item: dict[str, Any]) -> None:
    assert reported_file(item, "s", ()) is None


def test_the_hosts_a_callbacks_urls_must_be_on_hold_here_too() -> None:
    assert reported_file(record(body()), "s", ("myqcloud.com",)) is not None
    assert reported_file(record(body()), "s", ("example.com",)) is None


def test_a_long_window_is_asked_a_day_at_a_time_and_pages_are_bounded() -> None:
    assert windows(T0, T0 + timedelta(hours=30)) == [
        (T0, T0 + timedelta(days=1)),
        (T0 + timedelta(days=1), T0 + timedelta(hours=30)),
    ]
    assert windows(T0, T0) == []
    many = [record(body(file_id=f"f{n}")) for n in range(250)]
    pages = Pages(many)
    assert len(record_files(pages, "s", T0, T0 + timedelta(hours=30))) == 250
    assert [p["PageNum"] for p in pages.asked] == [1, 2, 3, 1, 2, 3]  # each day's window, its pages
    assert {p["StartTime"] for p in pages.asked} == {"2026-12-07 20:00:00", "2026-12-08 20:00:00"}  # CST
    endless = Pages([record(body())] * 100, total_page=10**6)  # a TotalPage that never ends
    record_files(endless, "s", T0, T0 + timedelta(hours=1))
    assert len(endless.asked) == MAX_PAGES
