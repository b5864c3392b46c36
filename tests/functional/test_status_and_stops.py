"""Issue #29, points 4-6, through the HTTP routes against the emulator, at a frozen clock the functions and the
emulator share: one ``status`` vocabulary in lists and describe answers in every generation (Tencent's word
beside it), stop and delete without ``?stream=`` for what liverec created, the record-task list merged with
what the ledger knows beyond Tencent's window, CreateRecordTask's strict end bound, and a delete that stops a
running recording first where the generation's delete would leave it running."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.gateway import Routes
from devtools.kit import LambdaContext, parse
from shared.app import use_clock
from shared.edge.responses import RecordingDetail, TaskList
from shared.recordings import merging
from tests.functional.conftest import http_event, local_gateway

APIS = ["record-task", "live-record", "v2", "fcgi"]
ROUTES = Routes.from_serverless()
DAY = 86400
# Tencent's own word for a task just created and not started, where Tencent describes tasks
PENDING_WORD = {"record-task": None, "v2": "pending"}


def raw(event: dict[str, Any]) -> dict[str, Any]:
    return ROUTES.dispatch(event, LambdaContext())


def api(event: dict[str, Any]) -> tuple[int, Any]:
    return parse(raw(event))


@pytest.fixture
def at(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[Callable[[str], float]]:
    """Configure a generation at a frozen instant (the functions on the emulator's clock); returns it."""

    def apply(api_name: str) -> float:
        configure(api_name)
        now = float(int(time.time()))
        fresh_emulator.clock.freeze(now)
        use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
        fresh_emulator.config.rate_limits.clear()
        return now

    limits = dict(fresh_emulator.config.rate_limits)
    yield apply
    fresh_emulator.config.rate_limits.update(limits)
    use_clock()


def scheduled(stream: str, start: float, end: float) -> dict[str, Any]:
    status, body = api(
        http_event("POST", "/recordings/scheduled", {"stream": stream, "start": int(start), "end": int(end)})
    )
    assert status == 201, body
    return dict(body)


def listed(stream: str, **query: str) -> list[dict[str, Any]]:
    """Every page of the stream's list."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(50):
        q = {"stream": stream, **query, **({"next": token} if token else {})}
        status, body = api(http_event("GET", "/recordings", query=q))
        assert status == 200, body
        page = TaskList.model_validate(body)
        items += body["tasks"]
        token = page.next
        if token is None:
            return items
    raise AssertionError("more than 50 pages")


def described(task_id: str) -> dict[str, Any]:
    status, body = api(http_event("GET", f"/recordings/{task_id}"))
    assert status == 200, body
    RecordingDetail.model_validate(body)
    return dict(body)


def task_at_tencent(emu: Emulator, task_id: str) -> Any:
    (task,) = [t for t in emu.tasks() if t.task_id == task_id]
    return task


# --- 4: one vocabulary --------------------------------------------------------------------------------


@pytest.mark.dates
@pytest.mark.parametrize("api_name", APIS)
def test_status_is_one_vocabulary_in_lists_and_describe_in_every_generation(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at(api_name)
    task_id = scheduled("vocab", now + 600, now + 1800)["task_id"]
    source = "tencent" if api_name in ("record-task", "v2") else "ledger"
    for advance, expected in ((0, "scheduled"), (900, "recording"), (1200, "finished")):
        fresh_emulator.clock.advance(advance)
        (item,) = [t for t in listed("vocab", **{"from": str(int(now))}) if t["task_id"] == task_id]
        detail = described(task_id)
        assert (item["status"], detail["status"], item["source"]) == (expected, expected, source)
        if expected == "scheduled":
            # Tencent's word beside ours: null where Tencent gave none (the ledger's items, record-task)
            assert item["tencent_status"] == PENDING_WORD.get(api_name)
            assert detail["tencent_status"] == PENDING_WORD.get(api_name)
            assert detail["state"] == "scheduled"  # deprecated, kept
    assert detail["state"] == "ended"  # the deprecated word for finished


@pytest.mark.parametrize("api_name", APIS)
def test_stopped_and_deleted_are_the_status_of_the_list_and_the_recording(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at(api_name)
    task_id = scheduled("halt", now - 60, now + 1800)["task_id"]
    assert described(task_id)["status"] == "recording"
    assert api(http_event("POST", f"/recordings/{task_id}/stop"))[0] == 204
    detail = described(task_id)
    assert detail["status"] == "stopped"
    (item,) = listed("halt", **{"from": str(int(now - 120))})
    if api_name == "v2":  # Tencent's list has no word for stopped: its view (finished) is the list's
        assert (item["status"], item["tencent_status"]) == ("finished", "finished")
    else:
        assert item["status"] == "stopped" and item["stopped_at"] is not None
    status, _ = api(http_event("DELETE", f"/recordings/{task_id}"))
    if api_name == "fcgi":  # no delete in that family
        assert status == 400
        return
    assert status == 204 and described(task_id)["status"] == "deleted"


# --- 5: stop and delete take the stream from the ledger ------------------------------------------------


@pytest.mark.parametrize("api_name", APIS)
def test_stop_needs_no_stream_for_what_liverec_created_and_refuses_another(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at(api_name)
    task_id = scheduled("mine", now - 60, now + 1800)["task_id"]
    # a stream that is not the task's is refused, naming it, and nothing is stopped
    status, body = api(http_event("POST", f"/recordings/{task_id}/stop", query={"stream": "other"}))
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "StreamMismatch", "stream")
    assert task_at_tencent(fresh_emulator, task_id).stopped_at is None
    # none at all: the ledger's
    assert api(http_event("POST", f"/recordings/{task_id}/stop"))[0] == 204
    assert task_at_tencent(fresh_emulator, task_id).stopped_at == now
    # the task's own is fine too
    assert api(http_event("POST", f"/recordings/{task_id}/stop", query={"stream": "mine"}))[0] == 204


@pytest.mark.parametrize("api_name", ["live-record", "v2", "fcgi"])
def test_a_task_liverec_did_not_create_still_needs_its_stream(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    at(api_name)
    for method, path in (("POST", "/recordings/4242/stop"), ("DELETE", "/recordings/4242")):
        status, body = api(http_event(method, path))
        if api_name == "fcgi" and method == "DELETE":
            assert status == 400 and body["error"]["code"] == "UnsupportedOperation"
            continue
        assert (status, body["error"]["field"]) == (422, "stream"), body


@pytest.mark.parametrize("api_name", ["record-task", "live-record", "v2"])
def test_delete_needs_no_stream_and_refuses_another(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at(api_name)
    task_id = scheduled("mine", now + 600, now + 1800)["task_id"]
    status, body = api(http_event("DELETE", f"/recordings/{task_id}", query={"stream": "other"}))
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "StreamMismatch", "stream")
    assert not task_at_tencent(fresh_emulator, task_id).deleted
    answer = raw(http_event("DELETE", f"/recordings/{task_id}"))
    assert answer["statusCode"] == 204
    assert "Liverec-Stopped-First" not in (answer.get("headers") or {})  # not running: nothing to stop
    task = task_at_tencent(fresh_emulator, task_id)
    assert task.deleted and task.stopped_at is None


# --- 6c: a running recording is stopped before it is deleted --------------------------------------------


@pytest.mark.parametrize("api_name", ["record-task", "live-record", "v2"])
def test_deleting_a_running_recording_stops_it_where_the_delete_alone_would_not(
    api_name: str, at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at(api_name)
    task_id = scheduled("live", now - 60, now + 1800)["task_id"]
    assert task_at_tencent(fresh_emulator, task_id).running
    answer = raw(http_event("DELETE", f"/recordings/{task_id}"))
    assert answer["statusCode"] == 204, answer
    task = task_at_tencent(fresh_emulator, task_id)
    assert task.deleted and not task.running  # deleted, and no longer recording
    stopped_first = api_name in ("record-task", "live-record")  # their delete leaves a running task running
    assert (task.stopped_at == now) is stopped_first
    assert ((answer.get("headers") or {}).get("Liverec-Stopped-First") == "true") is stopped_first
    assert described(task_id)["status"] == "deleted"


def test_the_emulator_keeps_a_deleted_running_record_task_running(
    at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    # what liverec guards against: DeleteRecordTask alone leaves the recording running
    now = at("record-task")
    task_id = scheduled("live", now - 60, now + 1800)["task_id"]
    from shared.app import stopper

    stopper().delete(task_id, None)  # the delete alone, as the timer's cancel of what has not started does
    task = task_at_tencent(fresh_emulator, task_id)
    assert task.deleted and task.running and task.stopped_at is None


# --- 6a: the record-task list and what its window cannot show -------------------------------------------


@pytest.mark.dates
def test_the_record_task_list_merges_recordings_that_end_past_tencents_window(
    at: Callable[[str], float], fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = at("record-task")
    fresh_emulator.config.describe_page_size = 2  # Tencent's pages, and the ledger's, several each
    monkeypatch.setattr(merging, "LEDGER_PAGE", 2)
    inside = [scheduled("far", now + 3600 * h, now + 3600 * h + 600)["task_id"] for h in (1, 2, 3)]
    # the default window ends at now + 6 days: these end after it (the last at the very latest end)
    beyond = [
        scheduled("far", now + 6 * DAY - 3600 * h, now + 6 * DAY + 3600 * (23 - h))["task_id"]
        for h in (3, 2, 1)
    ] + [scheduled("far", now + 6 * DAY, now + 7 * DAY - 1)["task_id"]]
    items = listed("far")
    assert [t["task_id"] for t in items] == inside + beyond  # each once, Tencent's first
    assert [t["source"] for t in items] == ["tencent"] * 3 + ["ledger"] * 4
    assert all(t["status"] == "scheduled" for t in items)
    # a window asked for: what starts in it and ends after it is merged too
    window = {"from": str(int(now)), "to": str(int(now + 3600 + 300))}
    items = listed("far", **window)
    assert [(t["task_id"], t["source"]) for t in items] == [(inside[0], "ledger")]
    # another stream's recordings are not merged
    assert listed("near") == []


def test_a_ledger_page_token_needs_its_stream(at: Callable[[str], float]) -> None:
    at("record-task")
    token = merging.LEDGER + merging._write((1, 2, 3, "k"))
    status, body = api(http_event("GET", "/recordings", query={"next": token}))
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "InvalidPageToken", "next")
    for bad in ("l.", "l.!!", "l." + merging._write((1, 2, 3, "")), "l.WzEsMiwzXQ"):
        status, body = api(http_event("GET", "/recordings", query={"stream": "s", "next": bad}))
        assert (status, body["error"]["code"]) == (400, "InvalidPageToken"), bad


# --- 6b: CreateRecordTask's end lies strictly before now + 7 days ----------------------------------------


@pytest.mark.dates
def test_a_record_task_ending_exactly_seven_days_ahead_is_refused_before_tencent(
    at: Callable[[str], float], fresh_emulator: Emulator
) -> None:
    now = at("record-task")
    start = int(now + 6 * DAY)
    body = {"stream": "week", "start": start, "end": start + DAY}
    status, answer = api(http_event("POST", "/recordings/scheduled", body))
    assert (status, answer["error"]["code"], answer["error"]["field"]) == (422, "InvalidRequest", "end")
    assert fresh_emulator.requests() == []  # refused as Tencent would, without asking it
    body["end"] = start + DAY - 1
    status, answer = api(http_event("POST", "/recordings/scheduled", body))
    assert status == 201, answer


# --- the CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def gateway(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[str]:

    configure("live-record", LIVEREC_PROGRAMS="")  # a generation whose stop and delete need the stream
    with local_gateway() as url:
        yield url


def test_the_cli_lists_with_status_and_stops_and_deletes_without_the_stream(
    gateway: str,
    fresh_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from devtools import liverec_cli
    from tests.functional.conftest import TOKEN

    def cli(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        return liverec_cli.main(["--url", gateway, *args], out), out.getvalue()

    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    status, body = api(http_event("POST", "/recordings/realtime", {"stream": "cli", "duration": 600}))
    assert status == 201, body
    task_id = body["task_id"]
    status, out = cli("recordings", "cli")
    assert status == 0 and task_id in out and "recording" in out and "ledger" in out, out
    assert cli("stop", task_id) == (0, f"{task_id} stopped\n")
    assert task_at_tencent(fresh_emulator, task_id).stopped_at is not None
    status, out = cli("recordings", "cli")
    assert "stopped" in out, out
    assert cli("delete", task_id) == (0, f"{task_id} deleted\n")
    assert task_at_tencent(fresh_emulator, task_id).deleted
    # a task liverec did not create: its stream is needed, and the CLI says so
    assert cli("stop", "4242")[0] == 2
    assert "stream" in capsys.readouterr().err
    assert cli("stop", "4242", "--stream", "cli")[0] == 2  # unknown at Tencent too: its refusal
    assert "ResourceNotFound.TaskId" in capsys.readouterr().err
