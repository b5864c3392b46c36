"""Tracking a recording: ``GET /recordings/{task_id}`` with the files Tencent reported, and
``GET /recordings?stream=`` in every generation (from the ledger where Tencent cannot list).

Requests go through the routes serverless.yml declares (the local gateway's dispatch: method and path
matched, the function chosen), to the real handlers, against the emulator; Tencent's record-file callback
is signed as Tencent signs it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.emulator import Emulator
from devtools.gateway import Routes
from devtools.kit import LambdaContext, Subscriber, parse
from shared.edge.responses import ErrorBody, RecordingDetail, TaskList
from shared.support.errors import IdempotencyStoreUnavailable
from tests.functional.conftest import TABLE, http_event
from tests.functional.test_webhooks import CALLBACK_KEY, FORWARD_SECRET, drain, record_file, signed

APIS = ["record-task", "live-record", "v2", "fcgi"]
SOURCE = {"record-task": "tencent", "live-record": "ledger", "v2": "tencent", "fcgi": "ledger"}
ROUTES = Routes.from_serverless()
Configure = Callable[..., None]


def api(event: dict[str, Any]) -> tuple[int, Any]:
    """What the HTTP API answers: the route serverless.yml declares, its function, its answer."""
    return parse(ROUTES.dispatch(event, LambdaContext()))


@pytest.fixture
def tracking(configure: Configure, subscriber: Subscriber) -> Callable[..., None]:
    def apply(api_name: str, **extra: str) -> None:
        configure(
            api_name,
            LIVE_CALLBACK_KEY=CALLBACK_KEY,
            LIVEREC_WEBHOOK_URLS=subscriber.url,
            LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
            **extra,
        )

    return apply


def highlight(stream: str = "match-1", duration: int = 600) -> dict[str, Any]:
    status, body = api(http_event("POST", "/recordings/realtime", {"stream": stream, "duration": duration}))
    assert status == 201, body
    return dict(body)


def file_of(task_id: str, n: int = 1, *, stream: str = "match-1", end: int | None = None) -> dict[str, Any]:
    end = int(time.time()) if end is None else end
    return record_file(
        task_id=task_id,
        stream_id=stream,
        channel_id=stream,
        file_id=f"52858908000000{n:05d}",
        video_url=f"http://1234.vod2.myqcloud.com/{task_id}/f{n}.mp4",
        start_time=end - 300,
        end_time=end,
        duration=300,
        file_size=75_000_000,
    )


def deliver(fields: dict[str, Any]) -> tuple[int, Any]:
    """Tencent's callback, answered; then the drain its kick asks for (which forwards it)."""
    answer = api(http_event("POST", "/callbacks/tencent", raw_body=json.dumps(signed(fields)), token=None))
    drain()
    return answer


@pytest.mark.parametrize("api_name", APIS)
def test_a_highlight_its_file_and_the_list_in_every_generation(
    api_name: str, tracking: Callable[..., None], fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    tracking(api_name)
    created = highlight()
    task_id = created["task_id"]
    fields = file_of(task_id)
    # Tencent's record-file callback for its task (delivered twice: Tencent redelivers)
    assert deliver(fields) == (200, {"code": 0})
    assert deliver(fields) == (200, {"code": 0})

    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200, body
    detail = RecordingDetail.model_validate(body)
    assert detail.task_id == task_id and detail.api == api_name and detail.mode == "realtime"
    assert detail.stream == "match-1" and detail.state == "recording"
    assert (detail.start, detail.end) == (created["start"], created["end"])
    assert detail.origin.kind == "http" and detail.origin.name is None
    assert [f.url for f in detail.files] == [fields["video_url"]]  # one file, whatever the redeliveries
    (file,) = detail.files
    assert (file.file_id, file.format, file.duration, file.size) == (
        fields["file_id"],
        "mp4",
        300,
        75_000_000,
    )
    if api_name in ("record-task", "v2"):  # the generation describes the task: Tencent's view merged in
        assert detail.tencent is not None and detail.tencent.found
        assert (
            detail.tencent.action
            == {"record-task": "DescribeRecordTask", "v2": "DescribeRecordList"}[api_name]
        )
    else:
        assert detail.tencent is None
    assert subscriber.wait_for(1) and len(subscriber.received) == 1  # and forwarded once

    status, body = api(http_event("GET", "/recordings", query={"stream": "match-1"}))
    assert status == 200, body
    listed = TaskList.model_validate(body)
    assert listed.source == SOURCE[api_name] and [t.task_id for t in listed.tasks] == [task_id]

    status, body = api(http_event("GET", "/recordings/4242424242"))
    assert status == 404 and ErrorBody.model_validate(body).error.code == "RecordingNotFound"
    assert body["error"]["field"] == "task_id"
    for path in (f"/recordings/{task_id}", "/recordings"):
        status, body = api(http_event("GET", path, query={"stream": "match-1"}, token=None))
        assert status == 401 and body["error"]["code"] == "Unauthorized"


@pytest.mark.parametrize("api_name", ["live-record", "fcgi"])
def test_the_ledger_lists_what_liverec_created_by_stream_in_pages(
    api_name: str, tracking: Callable[..., None], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.recordings import tracking as tracking_module

    monkeypatch.setattr(tracking_module, "LEDGER_PAGE", 2)
    tracking(api_name)
    ids = [highlight()["task_id"] for _ in range(3)]
    highlight("another-stream")
    seen: list[str] = []
    query = {"stream": "match-1"}
    for _ in range(4):
        status, body = api(http_event("GET", "/recordings", query=query))
        assert status == 200 and body["source"] == "ledger", body
        seen += [t["task_id"] for t in body["tasks"]]
        assert all(t["status"] == "recording" and t["stream"] == "match-1" for t in body["tasks"])
        if body["next"] is None:
            break
        query = {"stream": "match-1", "next": body["next"]}
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    # the ledger lists by stream: without one it says so, naming the field
    status, body = api(http_event("GET", "/recordings"))
    assert status == 422 and body["error"]["field"] == "stream"
    status, body = api(http_event("GET", "/recordings", query={"stream": "match-1", "next": "not-a-token"}))
    assert status == 400 and body["error"]["field"] == "next"


@pytest.mark.parametrize("store", ["memory", "dynamodb"])
@pytest.mark.parametrize("api_name", ["live-record", "fcgi"])
def test_the_ledger_lists_a_recording_in_doubt_without_a_task_id(
    api_name: str,
    store: str,
    request: pytest.FixtureRequest,
    tracking: Callable[..., None],
    fresh_emulator: Emulator,
) -> None:
    # Given a highlight whose create reached Tencent but got no answer, where tasks cannot be looked up
    if store == "dynamodb":
        request.getfixturevalue("dynamodb")
    tracking(api_name, **({"LIVEREC_IDEMPOTENCY_TABLE": TABLE} if store == "dynamodb" else {}))
    made = highlight()["task_id"]
    fresh_emulator.faults.drop_after_store(count=1)
    status, body = api(http_event("POST", "/recordings/realtime", {"stream": "match-1", "duration": 600}))
    assert status == 504 and body["error"]["code"] == "OutcomeUnknown", body
    # Then the stream's list shows it, in doubt, beside the one created
    status, body = api(http_event("GET", "/recordings", query={"stream": "match-1"}))
    listed = TaskList.model_validate(body)
    assert status == 200 and sorted((t.task_id or "", t.status) for t in listed.tasks) == sorted(
        [(made, "recording"), ("", "in_doubt")]
    )
    assert all(t.tencent_status is None and t.source == "ledger" for t in listed.tasks)


@pytest.mark.parametrize("api_name", APIS)
def test_state_follows_stop_and_delete_and_files_stay(
    api_name: str, tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    tracking(api_name)
    task_id = highlight()["task_id"]
    deliver(file_of(task_id, 1, end=int(time.time()) - 10))
    status, _ = api(http_event("POST", f"/recordings/{task_id}/stop", query={"stream": "match-1"}))
    assert status == 204
    deliver(file_of(task_id, 2))  # the last file arrives after the stop
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200 and body["state"] == "stopped"
    assert [f["file_id"][-1] for f in body["files"]] == ["1", "2"]  # newest last
    if api_name == "record-task":  # Tencent says so too
        assert body["tencent"]["stopped_at"] is not None
    status, _ = api(http_event("DELETE", f"/recordings/{task_id}", query={"stream": "match-1"}))
    if status == 204:
        status, body = api(http_event("GET", f"/recordings/{task_id}"))
        assert status == 200 and body["state"] == "deleted" and len(body["files"]) == 2


def test_a_scheduled_recording_is_scheduled_then_recording_then_ended(
    tracking: Callable[..., None], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking("live-record")  # no Tencent view: the ledger and the clock alone
    now = int(time.time())
    status, created = api(
        http_event(
            "POST", "/recordings/scheduled", {"stream": "sched", "start": now + 600, "end": now + 1200}
        )
    )
    assert status == 201, created
    from shared.app import lookup

    for at, state in ((now, "scheduled"), (now + 700, "recording"), (now + 1300, "ended")):
        monkeypatch.setattr(lookup(), "clock", lambda at=at: float(at))
        status, body = api(http_event("GET", f"/recordings/{created['task_id']}"))
        assert (status, body["state"]) == (200, state)


def test_a_file_for_a_task_liverec_did_not_create_is_forwarded_not_kept(
    tracking: Callable[..., None], fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    tracking("record-task")
    assert deliver(file_of("console-made-task")) == (200, {"code": 0})
    assert subscriber.wait_for(1)
    status, body = api(http_event("GET", "/recordings/console-made-task"))
    assert status == 404 and body["error"]["code"] == "RecordingNotFound"


def test_the_file_is_kept_before_it_is_forwarded(
    tracking: Callable[..., None],
    fresh_emulator: Emulator,
    subscriber: Subscriber,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracking("fcgi")
    task_id = highlight()["task_id"]
    from shared.app import ledger as the_ledger

    ledger = the_ledger()

    def down(*args: Any, **kwargs: Any) -> None:
        raise IdempotencyStoreUnavailable("the table is unavailable")

    monkeypatch.setattr(ledger, "add_file", down)
    status, body = deliver(file_of(task_id))
    # not 200: Tencent redelivers; nothing was forwarded that the ledger does not have
    assert status == 503 and body["error"]["code"] == "IdempotencyStoreUnavailable"
    assert subscriber.received == []
    monkeypatch.undo()
    assert deliver(file_of(task_id)) == (200, {"code": 0})
    assert subscriber.wait_for(1)
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200 and len(body["files"]) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"file_format": None, "duration": "n/a", "file_size": -1},
        {"file_format": ["mp4"], "duration": True, "file_size": 10**30},
        {"duration": "600", "file_size": 1.5e9},
    ],
)
def test_odd_descriptive_fields_never_lose_the_file(
    extra: dict[str, Any], tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    tracking("v2")
    task_id = highlight()["task_id"]
    assert deliver(file_of(task_id) | extra) == (200, {"code": 0})
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200
    (file,) = body["files"]
    assert file["url"].endswith("/f1.mp4")
    assert file["duration"] in (None, 600) and file["size"] in (None, 1_500_000_000)


def test_an_overlong_task_id_is_422_naming_it(tracking: Callable[..., None]) -> None:
    tracking("record-task")
    status, body = api(http_event("GET", "/recordings/" + "x" * 300))
    assert status == 422 and body["error"]["field"] == "task_id"


def test_tencent_unreachable_still_answers_from_the_ledger(
    tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    tracking("record-task")
    task_id = highlight()["task_id"]
    fresh_emulator.faults.http_error(status=502, count=5)
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200 and body["tencent"] is None and body["state"] == "recording"
    assert any("DescribeRecordTask failed" in w for w in body["warnings"])
    fresh_emulator.faults.clear()


def test_tracking_with_the_dynamodb_ledger(
    dynamodb: Any, tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    tracking("live-record", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    task_id = highlight()["task_id"]
    fields = file_of(task_id)
    for _ in range(2):
        assert deliver(fields) == (200, {"code": 0})
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200 and [f["url"] for f in body["files"]] == [fields["video_url"]]
    status, body = api(http_event("GET", "/recordings", query={"stream": "match-1"}))
    assert status == 200 and body["source"] == "ledger" and [t["task_id"] for t in body["tasks"]] == [task_id]


@pytest.mark.parametrize("api_name", ["live-record", "record-task"])
def test_tracking_across_containers_on_dynamodb(
    api_name: str, dynamodb: Any, tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    """Each request in a fresh process (a cold container: nothing in memory), the ledger on DynamoDB."""
    from tests.functional.test_crash import answer, container

    tracking(api_name, LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    at = time.time()

    def run(function: str, event: dict[str, Any], later: float = 0) -> tuple[int, Any]:
        result = answer(container(function, at + later, event))
        return parse(result)

    create = http_event("POST", "/recordings/realtime", {"stream": "match-1", "duration": 600})
    status, created = run("realtime", create)
    assert status == 201, created
    task_id = created["task_id"]
    fields = file_of(task_id, end=int(at) + 5)
    callback = http_event("POST", "/callbacks/tencent", raw_body=json.dumps(signed(fields)), token=None)
    assert run("webhooks", callback, 5) == (200, {"code": 0})
    assert run("webhooks", callback, 65) == (200, {"code": 0})  # redelivered a minute later: one file

    status, body = run("tasks", http_event("GET", f"/recordings/{task_id}"), 70)
    assert status == 200, body
    assert body["state"] == "recording" and [f["url"] for f in body["files"]] == [fields["video_url"]]
    status, body = run("tasks", http_event("GET", "/recordings", query={"stream": "match-1"}), 70)
    assert status == 200 and [t["task_id"] for t in body["tasks"]] == [task_id]
    assert body["source"] == SOURCE[api_name]
    status, body = run("tasks", http_event("GET", "/recordings/4242424242"), 70)
    assert status == 404 and body["error"]["code"] == "RecordingNotFound"
    status, body = run("tasks", http_event("GET", f"/recordings/{task_id}", token=None), 70)
    assert status == 401
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": f"task#{api_name}:{task_id}"}})["Item"]
    entry = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "rec#" + item["ref"]["S"]}})["Item"]
    assert "files" not in entry and item["files"]["N"] == "1"  # one item per file, counted on the task's
    files = dynamodb.query(
        TableName=TABLE,
        IndexName="file-index",
        KeyConditionExpression="files_of = :t",
        ExpressionAttributeValues={":t": {"S": f"{api_name}:{task_id}"}},
    )["Items"]
    assert [f["file_id"]["S"] for f in files] == [fields["file_id"]]
    assert entry["by_stream"]["S"] == f"{api_name}|match-1"


NASTY_TOKENS = [
    "",
    "=",
    "W10",  # []
    "WzEsMiwzXQ",  # [1,2,3]
    "eyJhIjoxLCJiIjoyfQ",  # {"a":1,"b":2}
    "WzFlMzAwLCJrIl0",  # [1e300,"k"]
    "Wy0xLCJrIl0",  # [-1,"k"]
    "Wzk5OTk5OTk5OTk5OTk5OTk5OTksImsiXQ",  # [99999999999999999999,"k"]
    "WzEsIiJd",  # [1,""]
    "\u00e9\u00e9",
    "x" * 2048,
]


@pytest.mark.parametrize("store", ["memory", "dynamodb"])
def test_no_task_id_token_or_window_gives_a_5xx(
    store: str, request: pytest.FixtureRequest, tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    extra = {}
    if store == "dynamodb":
        request.getfixturevalue("dynamodb")
        extra["LIVEREC_IDEMPOTENCY_TABLE"] = TABLE
    tracking("fcgi", **extra)
    highlight()
    for token in NASTY_TOKENS:
        status, body = api(http_event("GET", "/recordings", query={"stream": "match-1", "next": token}))
        assert status in (200, 400), (token, body)
    windows = [
        {"to": "0001-01-02T00:00:00Z"},
        {"from": "9999-12-31T00:00:00Z"},
        {"from": "0", "to": "1"},
        {"from": "5", "to": "1"},
    ]
    for window in windows:
        status, body = api(http_event("GET", "/recordings", query={"stream": "match-1"} | window))
        assert status in (200, 422), (window, body)
        assert status == 422 or body["tasks"] == []
    for task_id in ("%00", "a" * 256, "rec#x", "task#fcgi:1", " ", "\u2603", "1" * 40):
        status, body = api(http_event("GET", "/recordings/" + quote(task_id, safe="")))
        assert status in (404, 422), (task_id, body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(task_id=st.text(min_size=1, max_size=300), token=st.text(max_size=64))
def test_fuzzed_ids_and_tokens_never_500(
    task_id: str, token: str, tracking: Callable[..., None], fresh_emulator: Emulator
) -> None:
    tracking("live-record")
    status, _ = api(http_event("GET", "/recordings/" + quote(task_id, safe="")))  # as a client sends it
    assert status in (404, 422)
    status, _ = api(http_event("GET", "/recordings", query={"stream": "s", "next": token}))
    assert status in (200, 400)


@pytest.mark.parametrize("api_name", ["v2", "live-record", "fcgi"])
@pytest.mark.parametrize("token", ["²", "0", "-1", "1" * 10, "not-a-token"])
def test_a_next_no_page_gave_is_400_naming_it(api_name: str, token: str, configure: Configure) -> None:
    """A ``next`` this API never gave: 400 naming it, whether Tencent pages (v2's page numbers; "²" is a
    digit to str.isdigit but not to int) or the ledger does."""
    configure(api_name)
    status, body = api(http_event("GET", "/recordings", query={"stream": "s", "next": token}))
    assert status == 400, body
    assert body["error"]["code"] == "InvalidPageToken" and body["error"]["field"] == "next"
