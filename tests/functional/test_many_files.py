"""A recording with thousands of files (issue #26, point 4), on both stores: each file is an entry of its
own, a redelivery adds nothing, ``GET /recordings/{task_id}`` answers its files a page at a time, a file the
ledger refuses for its size is forwarded all the same and answered 413 with the reason (never a 503 "table
unavailable"), and the files an earlier version kept on the recording's own entry are read with the others.

Requests go through the routes serverless.yml declares, to the real handlers, against the emulator; with
``live-record`` a look-up reads the ledger alone (no Tencent call per page).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from devtools.kit import Subscriber
from shared.edge.responses import RecordingDetail
from shared.storage.dynamodb import DynamoDB, Table
from shared.storage.ledger_files import MAX_FILES, RecordFile, file_bytes
from shared.support.errors import FileTooLarge, IdempotencyStoreUnavailable, ItemTooLarge
from tests.functional.conftest import TABLE, http_event
from tests.functional.test_tracking import api, deliver, file_of, highlight, tracking

__all__ = ["tracking"]  # the fixture, used by name

pytestmark = pytest.mark.usefixtures("fresh_emulator")

FILES = 150
WIDE = "\U0001d518"  # 4 bytes in UTF-8: a file_id of 256 of them is the largest a callback may carry


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, tracking: Callable[..., None]) -> Any:
    """The function's ledger in-process, or on DynamoDB under moto (then a boto3 client of the table)."""
    if request.param == "memory":
        tracking("live-record")
        return None
    client = request.getfixturevalue("dynamodb")
    tracking("live-record", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    return client


def every_file(task_id: str) -> tuple[list[dict[str, Any]], int]:
    """All of a recording's files, page after page (``next``), and how many pages that took."""
    files: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"next": token} if token else None
        status, body = api(http_event("GET", f"/recordings/{task_id}", query=query))
        assert status == 200, body
        detail = RecordingDetail.model_validate(body)
        assert len(detail.files) <= 100  # an answer holds a page
        # the coverage of all the files on the first page only: paging reads each file once
        assert (body["coverage"] is None) == (pages > 0), body["coverage"]
        files += body["files"]
        pages += 1
        token = detail.next
        if token is None:
            return files, pages
        assert pages <= MAX_FILES  # a token that never ends would loop forever


def a_minute(task_id: str, n: int, start: int) -> RecordFile:
    """The ``n``-th file of a recording cut into 1-minute files."""
    url = f"http://1234.vod2.myqcloud.com/{task_id}/f{n}.mp4"
    return RecordFile(f"52858908{n:08d}", url, "mp4", start + 60 * n, start + 60 * n + 60, 60, 10**7, 0.0)


def test_thousands_of_files_are_kept_once_each_and_read_back_in_pages(store: Any) -> None:
    """3,000 files in memory; on DynamoDB a day and more of 1-minute files (1,500): under moto every index
    query reads the whole table, so 3,000 files there cost most of a minute (moto's cost, not DynamoDB's)."""
    from shared import app

    count = 3000 if store is None else 1500
    task_id = highlight()["task_id"]
    ledger, now = app.ledger(), app.now()
    files = [a_minute(task_id, n, int(now) - 200_000)._replace(received=now) for n in range(count)]
    # delivered from 4 threads at once, every seventh file twice (Tencent redelivers)
    with ThreadPoolExecutor(4) as pool:
        kept = list(pool.map(lambda f: ledger.add_file("live-record", task_id, f, now), files + files[::7]))
    assert all(kept)

    shown, pages = every_file(task_id)
    assert pages == count // 100
    assert [f["file_id"] for f in shown] == [f.file_id for f in files]  # each once, newest last
    assert shown[-1]["url"] == files[-1].url and shown[-1]["duration"] == 60
    if store is not None:  # one item per file, counted on the task's item: the recording's own never grows
        task = store.get_item(TableName=TABLE, Key={"id": {"S": f"task#live-record:{task_id}"}})["Item"]
        assert task["files"]["N"] == str(count)
        entry = store.get_item(TableName=TABLE, Key={"id": {"S": "rec#" + task["ref"]["S"]}})["Item"]
        assert "files" not in entry


def test_files_past_400_kb_together_are_all_kept_and_forwarded(store: Any, subscriber: Subscriber) -> None:
    """Each file about 3 KB: kept on the recording's own item, DynamoDB refuses that item at about the
    130th, and every callback after it was answered 503 before its forward."""
    task_id = highlight()["task_id"]
    base = "http://1234.vod2.myqcloud.com/"
    sent = []
    for n in range(FILES):  # the largest a callback may carry: a 2048-character URL (ASCII), a wide file_id
        fields = file_of(task_id, n) | {
            "file_id": f"{n:05d}" + WIDE * 251,
            "video_url": base + "a" * (2048 - len(base)),
        }
        sent.append(fields)
    # kept on the recording's own entry, as before, these files would be an item past DynamoDB's 400 KB
    entries = [RecordFile(f["file_id"], f["video_url"], "mp4", 0, 0, 0, 0, 0) for f in sent]
    assert sum(file_bytes(f) for f in entries) > 450_000
    for fields in sent:
        assert deliver(fields) == (200, {"code": 0})
    assert subscriber.wait_for(FILES)
    forwarded = {json.loads(body)["data"]["file_id"] for _, body in subscriber.received}
    assert forwarded == {f["file_id"] for f in sent}
    for fields in sent[:3]:  # Tencent redelivers some: nothing more kept, nothing more forwarded
        assert deliver(fields) == (200, {"code": 0})
    assert len(subscriber.received) == FILES
    if store is not None:  # moto checks an item's size only where a top-level attribute is set: here too
        pages = store.get_paginator("scan").paginate(TableName=TABLE)
        assert max(item_bytes(item) for page in pages for item in page["Items"]) < 400_000
    # the recording is still written to (stopped: its entry updated) and read back with every file
    status, body = api(http_event("POST", f"/recordings/{task_id}/stop", query={"stream": "match-1"}))
    assert status == 204, body
    shown, _ = every_file(task_id)
    assert sorted(f["file_id"] for f in shown) == sorted(f["file_id"] for f in sent)
    assert api(http_event("GET", f"/recordings/{task_id}"))[1]["state"] == "stopped"


def item_bytes(value: Any) -> int:
    """An item's size as DynamoDB counts it (attribute names and values, in UTF-8), near enough."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("S", "N", "BOOL", "M", "L"):
        ((kind, inner),) = value.items()
        return item_bytes(inner) if kind in ("M", "L") else len(str(inner).encode("utf-8"))
    if isinstance(value, dict):
        return sum(len(name.encode("utf-8")) + item_bytes(inner) for name, inner in value.items())
    if isinstance(value, list):
        return sum(item_bytes(inner) for inner in value)
    return len(str(value).encode("utf-8"))


def test_a_recording_past_the_bound_is_413_with_the_reason_and_still_forwarded(
    store: Any, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shared.storage.ledger_files_dynamodb as on_dynamodb
    import shared.storage.memory as in_memory

    monkeypatch.setattr(on_dynamodb, "MAX_FILES", 3)
    monkeypatch.setattr(in_memory, "MAX_FILES", 3)
    task_id = highlight()["task_id"]
    fields = [file_of(task_id, n, end=1_900_000_000 + 300 * n) for n in range(4)]
    for n in range(3):
        assert deliver(fields[n]) == (200, {"code": 0})
    for _ in range(2):  # refused, and refused again when Tencent redelivers it
        status, body = deliver(fields[3])
        assert status == 413, body
        assert body["error"]["code"] == "TooManyFiles" and body["error"]["field"] == "file_id"
        assert "holds 3 files" in body["error"]["message"]
    assert deliver(fields[0]) == (200, {"code": 0})  # a kept one redelivered: still kept
    assert subscriber.wait_for(4)
    forwarded = [json.loads(body)["data"]["file_id"] for _, body in subscriber.received]
    assert sorted(forwarded) == sorted(f["file_id"] for f in fields)  # each once, the refused one too
    shown, _ = every_file(task_id)
    assert [f["file_id"] for f in shown] == [f["file_id"] for f in fields[:3]]


def test_a_file_whose_entry_is_over_the_bound_is_413_and_still_forwarded(
    store: Any, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import app
    from shared.storage import ledger_files

    task_id = highlight()["task_id"]
    ledger, now = app.ledger(), app.now()
    # past the bound itself (a callback's fields cannot reach it): refused by both stores alike, for a task
    # they know (another task's file is not kept whatever its size)
    huge = a_minute(task_id, 1, 0)._replace(url="x" * 20_000)
    with pytest.raises(FileTooLarge):
        ledger.add_file("live-record", task_id, huge, now)
    assert not ledger.add_file("live-record", "not-ours", huge, now)
    monkeypatch.setattr(ledger_files, "MAX_FILE_BYTES", 200)
    fields = file_of(task_id) | {"video_url": "http://1234.vod2.myqcloud.com/" + "a" * 300}
    status, body = deliver(fields)
    assert status == 413 and body["error"]["code"] == "FileTooLarge", body
    assert body["error"]["field"] == "video_url" and "over the 200" in body["error"]["message"]
    assert subscriber.wait_for(1)
    assert every_file(task_id) == ([], 1)


def test_dynamodb_refusing_an_item_for_its_size_is_413_never_503(dynamodb: Any) -> None:
    table = Table(TABLE, client=DynamoDB.from_env())
    with pytest.raises(ItemTooLarge) as put:
        table.call("PutItem", Item={"id": {"S": "big"}, "blob": {"S": "x" * 500_000}})
    assert put.value.status == 413 and put.value.code == "ItemTooLarge"
    table.call("PutItem", Item={"id": {"S": "grows"}, "blob": {"S": "x" * 300_000}})
    with pytest.raises(ItemTooLarge):
        table.call(
            "UpdateItem",
            Key={"id": {"S": "grows"}},
            UpdateExpression="SET more = :m",
            ExpressionAttributeValues={":m": {"S": "y" * 200_000}},
        )
    # any other request DynamoDB finds invalid is not a size refusal
    with pytest.raises(IdempotencyStoreUnavailable):
        table.call("PutItem", Item={"id": {"S": ""}})


def test_files_an_earlier_version_kept_on_the_entry_are_read_with_the_new_ones(
    dynamodb: Any, tracking: Callable[..., None]
) -> None:
    from shared import app

    tracking("live-record", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    task_id = highlight()["task_id"]
    old = [file_of(task_id, n, end=1_900_000_000 + 300 * n) for n in range(3)]
    # the shape earlier versions wrote: a map file_id -> its fields, on the recording's own item
    inline = {
        f["file_id"]: {
            "M": {
                "url": {"S": f["video_url"]},
                "format": {"S": "mp4"},
                "start": {"N": str(f["start_time"])},
                "end": {"N": str(f["end_time"])},
                "duration": {"N": "300"},
                "size": {"N": "75000000"},
                "received": {"N": "1.0"},
            }
        }
        for f in old
    }
    task = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": f"task#live-record:{task_id}"}})["Item"]
    dynamodb.update_item(
        TableName=TABLE,
        Key={"id": {"S": "rec#" + task["ref"]["S"]}},
        UpdateExpression="SET files = :f",
        ExpressionAttributeValues={":f": {"M": inline}},
    )
    new = [file_of(task_id, n, end=1_900_000_000 + 300 * n) for n in (3, 4)]
    for fields in [*new, old[1]]:  # one of the old files redelivered after the upgrade
        assert deliver(fields) == (200, {"code": 0})

    shown, _ = every_file(task_id)
    assert [f["file_id"] for f in shown] == [f["file_id"] for f in old + new]  # each once, newest last
    assert shown[0]["url"] == old[0]["video_url"] and shown[0]["size"] == 75_000_000
    ledger, now = app.ledger(), app.now()
    entry = ledger.by_task("live-record", task_id, now)
    after, paged = None, []
    for _ in range(3):  # pages of two run across both shapes
        page = ledger.files(entry, now, after=after, limit=2)
        paged += [f.file_id for f in page.files]
        after = page.after
    assert after is None and paged == [f["file_id"] for f in old + new]


@pytest.mark.parametrize("token", ["garbage", "W10", "MDAwMDAwMDAwMDA", "x" * 128])
def test_a_next_no_answer_gave_is_400_naming_it(store: Any, token: str) -> None:
    task_id = highlight()["task_id"]
    status, body = api(http_event("GET", f"/recordings/{task_id}", query={"next": token}))
    assert status == 400 and body["error"]["code"] == "InvalidPageToken", body
    assert body["error"]["field"] == "next"
