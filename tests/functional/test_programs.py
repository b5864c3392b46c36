"""Programs as data: ``PUT/GET/DELETE /programs/{name}`` on the scheduled function, booked by the timer's
bare tick with the configured programs, through the routes serverless.yml declares, against the emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.events import load_event
from devtools.gateway import Routes
from devtools.kit import LambdaContext, parse
from functions.rollout import handler as rollout
from shared.app import program_store
from shared.edge.program_responses import ProgramDeleted, ProgramList, ProgramView
from shared.edge.responses import ErrorBody
from shared.storage.program_store import MAX_PROGRAMS
from tests.functional.conftest import TABLE, http_event

# programs booked at the wall clock: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

ROUTES = Routes.from_serverless()
Configure = Callable[..., None]
# every 6 hours for 30 min: with a one-day horizon, four occurrences ahead at any time
NEWS = {"stream": "news", "cron": "0 */6 * * *", "timezone": "UTC", "duration": 1800}


def api(event: dict[str, Any]) -> tuple[int, Any]:
    return parse(ROUTES.dispatch(event, LambdaContext()))


def put(name: str, body: dict[str, Any], **kw: Any) -> tuple[int, Any]:
    return api(http_event("PUT", f"/programs/{name}", body, **kw))


def bare_tick() -> dict[str, Any]:
    result: dict[str, Any] = rollout.lambda_handler(
        load_event("rollout_timer_bare"), LambdaContext(remaining_ms=300_000)
    )
    return result


def test_put_list_tick_delete(frozen: float, fresh_emulator: Emulator) -> None:
    """On either store, at the run's instant, frozen: what the tick books is what the PUTs answered."""
    status, body = put("news", NEWS)
    assert status == 201, body
    view = ProgramView.model_validate(body)
    # the PUT answers what the next tick books: every occurrence in the horizon, none booked yet
    assert view.name == "news" and view.program["cron"] == NEWS["cron"]
    assert not view.more and len(view.occurrences) == view.next_tick_books >= 4
    assert all(not o.booked and o.state is None for o in view.occurrences)
    status, body = put("news", NEWS | {"duration": 900})
    assert status == 200 and body["program"]["duration"] == 900  # replaced
    # the shorter occurrence under way may have ended already: what is booked now follows the replacement
    news = ProgramView.model_validate(body)
    assert all(datetime.fromisoformat(o.end) > datetime.fromtimestamp(frozen, UTC) for o in news.occurrences)
    status, body = put("weather", NEWS | {"stream": "weather"})
    assert status == 201
    weather = ProgramView.model_validate(body)

    status, body = api(http_event("GET", "/programs"))
    assert status == 200
    assert [p.name for p in ProgramList.model_validate(body).programs] == ["news", "weather"]

    report = bare_tick()  # no input and no LIVEREC_PROGRAMS: the stored programs alone
    assert "error" not in report, report
    assert len(weather.occurrences) == len(
        view.occurrences
    )  # the same times as news was, at the same instant
    assert len(report["created"]) == len(news.occurrences) + len(weather.occurrences)
    assert {t.stream for t in fresh_emulator.tasks()} == {"news", "weather"}
    status, body = api(http_event("GET", "/programs/news"))
    assert status == 200
    shown = ProgramView.model_validate(body)
    assert all(o.booked and o.task_id and o.state in ("scheduled", "recording") for o in shown.occurrences)
    assert shown.next_tick_books == 0
    assert {o.task_id for o in shown.occurrences} <= {t.task_id for t in fresh_emulator.tasks()}

    status, body = api(http_event("DELETE", "/programs/news"))
    assert status == 200 and ProgramDeleted.model_validate(body).cancelled == []
    assert api(http_event("GET", "/programs/news"))[0] == 404
    before = len(fresh_emulator.tasks())
    second = bare_tick()
    assert second["created"] == [] and len(fresh_emulator.tasks()) == before
    status, body = api(http_event("DELETE", "/programs/news"))
    assert status == 404 and ErrorBody.model_validate(body).error.code == "ProgramNotFound"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "every day"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "a/" * 300 + "b"}, "timezone"),  # was a RecursionError (ZoneInfo, a level a segment)
        ({"timezone": "Europe/" + "x" * 60}, "timezone"),
        ({"cron": "0 " + ",".join(["1"] * 200) + " * * *"}, "cron"),
        ({"duration": 0}, "duration"),
        ({"duration": "an hour"}, "duration"),
        ({"stream": ""}, "stream"),
        ({"colour": "red"}, "colour"),
        ({"name": "another"}, "name"),
    ],
)
def test_a_bad_program_is_422_naming_the_field(
    change: dict[str, Any], field: str, configure: Configure
) -> None:
    status, body = put("news", NEWS | change)
    assert status == 422, body
    assert body["error"]["field"] == field
    assert api(http_event("GET", "/programs"))[1] == {"programs": [], "next": None}  # nothing stored


def test_a_program_the_timer_would_skip_is_refused_and_not_stored(configure: Configure) -> None:
    # every minute for a week, in a generation that books a day ahead: 1,440 occurrences of 7 days each
    configure("live-record", LIVEREC_ROLLOUT_HORIZON="2592000")
    flood = {"stream": "flood", "cron": "* * * * *", "timezone": "UTC", "duration": 7 * 86400}
    status, body = put("flood", flood)
    assert status == 422 and body["error"]["field"] == "cron", body
    assert api(http_event("GET", "/programs"))[1] == {
        "programs": [],
        "next": None,
    }  # a refused PUT stores nothing
    assert api(http_event("GET", "/programs/flood"))[0] == 404


@pytest.mark.parametrize("store", ["memory", "dynamodb"])
def test_a_stored_program_the_tick_cannot_read_is_skipped_and_reported(
    store: str, request: pytest.FixtureRequest, configure: Configure, fresh_emulator: Emulator
) -> None:
    extra = {}
    if store == "dynamodb":
        request.getfixturevalue("dynamodb")
        extra["LIVEREC_IDEMPOTENCY_TABLE"] = TABLE
    configure("live-record", **extra)
    assert put("news", NEWS)[0] == 201
    # items no PUT would store (an earlier version's looser rules, or another writer): a time zone of 250
    # slashes (it used to recurse in ZoneInfo and crash the tick), a body that is not JSON, a bad cron
    bad = {
        "deep": json.dumps(NEWS | {"timezone": "/" * 250}),
        "broken": '{"stream": "x", "cron": ',
        "cronless": json.dumps(NEWS | {"cron": "61 * * * *"}),
    }
    store_ = program_store()
    for name, body in bad.items():
        assert store_.put(name, body, time.time(), due=0.0)
    for _ in range(2):  # reported by every tick until PUT again or deleted, the others booked as usual
        report = bare_tick()
        assert "error" not in report, report
        skipped = {s["program"]: s["error"] for s in report["skipped"]}
        assert set(skipped) == set(bad), report["skipped"]
        assert {e["code"] for e in skipped.values()} == {"InvalidStoredProgram"}
        assert skipped["deep"]["field"] == "timezone" and skipped["cronless"]["field"] == "cron"
        assert {t.stream for t in fresh_emulator.tasks()} == {"news"}
    assert put("deep", NEWS | {"stream": "deep"})[0] == 200  # replaced, valid: booked, no longer skipped
    report = bare_tick()
    assert {s["program"] for s in report["skipped"]} == {"broken", "cronless"}
    assert {t.stream for t in fresh_emulator.tasks()} == {"news", "deep"}


@pytest.mark.parametrize("name", ["-dash-first", "a" * 129, "sp%20ace", "%C3%A9t%C3%A9"])
def test_a_bad_name_is_422(name: str, configure: Configure) -> None:
    status, body = put(name, NEWS)
    assert status == 422 and body["error"]["field"] == "name", body


def test_no_token_is_401(configure: Configure) -> None:
    for method, path, body in (
        ("PUT", "/programs/news", NEWS),
        ("GET", "/programs", None),
        ("GET", "/programs/news", None),
        ("DELETE", "/programs/news", None),
    ):
        status, answer = api(http_event(method, path, body, token=None))
        assert status == 401 and answer["error"]["code"] == "Unauthorized"
    assert api(http_event("PUT", "/programs/news", NEWS, token="wrong-token-0123456789"))[0] == 401


def test_a_stored_program_wins_over_a_configured_one_of_its_name(
    configure: Configure, fresh_emulator: Emulator
) -> None:
    configured = [NEWS | {"name": "news"}, NEWS | {"name": "sport", "stream": "sport"}]
    configure("v2", LIVEREC_PROGRAMS=json.dumps(configured))
    assert put("news", NEWS | {"stream": "news-hd"})[0] == 201
    report = bare_tick()
    assert report["failed"] == [], report
    assert {t.stream for t in fresh_emulator.tasks()} == {"news-hd", "sport"}
    # a tick with its own input books the stored programs too
    fresh = rollout.lambda_handler({"programs": [NEWS | {"name": "film", "stream": "film"}]}, LambdaContext())
    assert fresh["failed"] == [] and {t.stream for t in fresh_emulator.tasks()} == {
        "news-hd",
        "sport",
        "film",
    }


@pytest.mark.parametrize("api_name", ["record-task", "live-record", "v2", "fcgi"])
def test_delete_with_cancel_future_cancels_what_has_not_started(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    configure(api_name)
    assert put("news", NEWS)[0] == 201
    since = time.time()
    booked = bare_tick()["created"]
    assert booked
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    status, body = api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))
    assert status == 200, body
    deleted = ProgramDeleted.model_validate(body)
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    # what starts after the cancel is cancelled, what had started before it is kept; an occurrence that
    # starts while the cancel runs (midnight, when the clock reads Friday 23:59:59) may go either way
    future = {b["task_id"] for b in booked if b["start"] > after}
    started = {b["task_id"] for b in booked if b["start"] <= before}
    cancelled = {c.task_id for c in deleted.cancelled}
    assert future <= cancelled and not cancelled & started and deleted.not_cancelled == []
    assert cancelled  # the program books into the horizon: something was ahead
    action = "stopped" if api_name == "fcgi" else "deleted"  # fcgi has no delete call: its row says so
    assert {c.action for c in deleted.cancelled} == {action}
    tasks = {t.task_id: t for t in fresh_emulator.tasks()}
    for task_id in cancelled:
        assert task_id not in tasks or tasks[task_id].deleted or tasks[task_id].stopped_at is not None
    # the ledger says so, and nothing is booked again
    status, body = api(http_event("GET", f"/recordings/{next(iter(cancelled))}"))
    assert status == 200 and body["state"] == action
    assert put("news", NEWS)[0] == 201  # stored again: its cancelled occurrences stay cancelled
    assert rebooked(bare_tick()["created"], api_name, since) == []


def rebooked(created: list[dict[str, Any]], api_name: str, since: float) -> list[dict[str, Any]]:
    """What a later tick booked again: anything but an occurrence that entered the horizon (6 days for
    record-task, else one) after ``since``, which a tick at any instant may rightly book."""
    reach = since + (6 if api_name == "record-task" else 1) * 86400
    return [c for c in created if datetime.fromisoformat(c["start"]).timestamp() <= reach]


def steady() -> dict[str, Any]:
    """NEWS at a minute half an hour from the clock's: no occurrence enters the horizon (whose edge is now
    plus whole days) during a test that ticks more than once."""
    minute = (datetime.now(UTC).minute + 30) % 60
    return NEWS | {"cron": f"{minute} */6 * * *"}


def live(emulator: Emulator) -> set[str]:
    """The emulator's tasks that are still booked: neither deleted nor stopped."""
    return {t.task_id for t in emulator.tasks() if not t.deleted and t.stopped_at is None}


def first_then_second(api_name: str, configure: Configure) -> set[str]:
    """Two programs asking for the very same recording (stream and window), the second stored after the
    first was booked: the second's tick finds the first one's tasks at Tencent, adopts them and books none
    again. Returns the first's tasks."""
    configure(api_name)
    news = steady()
    assert put("first", news)[0] == 201
    since = time.time()
    booked = {b["task_id"] for b in bare_tick()["created"]}
    assert booked and put("second", news)[0] == 201
    assert rebooked(bare_tick()["created"], api_name, since) == []
    return booked


@pytest.mark.parametrize("api_name", ["record-task", "v2"])  # the generations that find tasks at Tencent
def test_cancelling_one_program_never_cancels_another_programs_recording(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    booked = first_then_second(api_name, configure)
    assert booked <= live(fresh_emulator)
    # When the second is cancelled, nothing of the first's is touched: found at Tencent, not the second's
    status, body = api(http_event("DELETE", "/programs/second", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    assert status == 200 and gone.cancelled == [] and gone.not_cancelled == []
    assert {k.code for k in gone.kept} == {"FoundAtTencent"} and booked <= live(fresh_emulator)
    # and the first, once alone, cancels what it booked
    status, body = api(http_event("DELETE", "/programs/first", query={"cancel": "future"}))
    assert status == 200 and live(fresh_emulator) <= booked - {
        c.task_id for c in ProgramDeleted.model_validate(body).cancelled
    }
    assert {
        c.task_id for c in ProgramDeleted.model_validate(body).cancelled
    } and ProgramDeleted.model_validate(body).kept == []


@pytest.mark.parametrize("api_name", ["record-task", "live-record", "v2", "fcgi"])
def test_two_programs_asking_for_one_recording_share_one_task(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    # Given two programs on one stream and window, stored together and booked by the same tick (in v2 and
    # fcgi a stream is its name alone: they differ in push domain, which those generations do not record)
    configure(api_name)
    other = NEWS | ({"domain": "other.push.example"} if api_name in ("v2", "fcgi") else {})
    assert put("first", NEWS)[0] == 201 and put("second", other)[0] == 201
    since = time.time()
    tick = bare_tick()
    booked = [(t.stream, t.start, t.end) for t in fresh_emulator.tasks()]
    # Then each recording is booked once, and both programs show it with the same task
    assert tick["failed"] == [] and len(booked) == len(set(booked)) == len(tick["created"])
    first, second = (
        ProgramView.model_validate(api(http_event("GET", f"/programs/{n}"))[1]) for n in ("first", "second")
    )
    assert [o.task_id for o in first.occurrences] == [o.task_id for o in second.occurrences]
    # every task booked is shown (one that entered the horizon after the tick is shown without one yet)
    assert {o.task_id for o in first.occurrences if o.task_id} == {t.task_id for t in fresh_emulator.tasks()}
    again = bare_tick()["created"]  # and stays so (but for what entered the horizon meanwhile)
    assert rebooked(again, api_name, since) == [] and len(fresh_emulator.tasks()) == len(booked) + len(again)


@pytest.mark.parametrize("api_name", ["record-task", "live-record"])
def test_a_shared_recording_whose_create_got_no_answer_is_not_created_again_for_the_other_program(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    # Given two programs asking for the same recordings, and the tick's first create unanswered (made)
    configure(api_name)
    news = steady()
    assert put("first", news)[0] == 201 and put("second", news)[0] == 201
    action = {"record-task": "CreateRecordTask", "live-record": "CreateLiveRecord"}[api_name]
    fresh_emulator.faults.drop_after_store(count=1, action=action)
    bare_tick()
    windows = [(t.stream, t.start, t.end) for t in fresh_emulator.tasks()]
    # Then the other program did not create it again in that tick, nor does the next tick
    assert windows and len(windows) == len(set(windows))
    bare_tick()
    again = [(t.stream, t.start, t.end) for t in fresh_emulator.tasks()]
    assert len(again) == len(set(again)) and set(windows) <= set(again)


@pytest.mark.parametrize("api_name", ["record-task", "v2"])
def test_a_recording_another_program_holds_too_stays_when_its_booker_is_cancelled(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    booked = first_then_second(api_name, configure)
    # the first booked them, but the second's bookings hold the same tasks: cancelling the first keeps them
    status, body = api(http_event("DELETE", "/programs/first", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    assert status == 200 and gone.cancelled == [] and {k.code for k in gone.kept} == {"SharedRecording"}
    assert booked <= live(fresh_emulator)
    # and once the second, their last owner, is cancelled too, none is left behind
    status, body = api(http_event("DELETE", "/programs/second", query={"cancel": "future"}))
    last = ProgramDeleted.model_validate(body)
    assert status == 200 and last.kept == [] and last.not_cancelled == []
    future = {t.task_id for t in fresh_emulator.tasks() if t.start > time.time() + 1}
    assert future and future <= {c.task_id for c in last.cancelled} and not future & live(fresh_emulator)


@pytest.mark.parametrize("api_name", ["record-task", "v2"])
def test_a_booker_deleted_without_cancel_keeps_its_recordings_when_a_sharer_is_cancelled(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    booked = first_then_second(api_name, configure)
    # the first is deleted, its bookings kept (no cancel): they are still what it booked, not the second's
    assert api(http_event("DELETE", "/programs/first"))[0] == 200
    status, body = api(http_event("DELETE", "/programs/second", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    assert status == 200 and gone.cancelled == [] and {k.code for k in gone.kept} == {"FoundAtTencent"}
    assert booked <= live(fresh_emulator)


@pytest.mark.parametrize("api_name", ["record-task", "live-record", "v2", "fcgi"])
def test_cancel_never_deletes_a_one_off_recording_the_tick_found(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    # Given a one-off scheduled recording, then a program that asks for the very same stream and window
    # (found in the ledger by every generation: those that cannot list Tencent's tasks too)
    configure(api_name)
    start = (int(time.time()) // 3600 + 2) * 3600
    one_off = {"stream": "news", "start": start, "end": start + 1800}
    status, created = api(
        http_event("POST", "/recordings/scheduled", one_off, headers={"Idempotency-Key": "one-off-1"})
    )
    assert status == 201, created
    hourly = {"stream": "news", "cron": "0 * * * *", "timezone": "UTC", "duration": 1800}
    assert put("hourly", hourly)[0] == 201
    assert created["task_id"] not in {b["task_id"] for b in bare_tick()["created"]}  # found, not booked again
    assert [t.task_id for t in fresh_emulator.tasks() if t.start == start] == [created["task_id"]]
    status, body = api(http_event("DELETE", "/programs/hourly", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    assert status == 200 and created["task_id"] in {k.task_id for k in gone.kept}
    assert created["task_id"] in live(fresh_emulator) and created["task_id"] not in {
        c.task_id for c in gone.cancelled
    }


@pytest.mark.parametrize("api_name", ["record-task", "live-record"])
def test_cancel_reaches_what_a_replaced_schedule_booked(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    # Given a program booked on one schedule, then replaced by another and booked again
    configure(api_name)
    assert put("news", NEWS)[0] == 201
    first = {b["task_id"] for b in bare_tick()["created"]}
    assert put("news", NEWS | {"cron": "15 */6 * * *"})[0] == 200
    second = {b["task_id"] for b in bare_tick()["created"]}
    assert first and second and not first & second
    # When it is deleted with cancel=future, both schedules' bookings that have not started are cancelled
    began = time.time()
    status, body = api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    upcoming = {t.task_id for t in fresh_emulator.tasks() if t.start > began + 1}
    assert status == 200 and upcoming & first and upcoming & second
    assert upcoming <= {c.task_id for c in gone.cancelled} and not upcoming & live(fresh_emulator)


@pytest.mark.parametrize("store", ["memory", "dynamodb"])
def test_cancel_reaches_what_the_program_booked_on_a_stream_a_put_replaced(
    store: str, request: pytest.FixtureRequest, configure: Configure, fresh_emulator: Emulator
) -> None:
    # Given a program booked on one stream, then moved to another by a PUT and booked there too
    extra = {"LIVEREC_IDEMPOTENCY_TABLE": TABLE} if store == "dynamodb" else {}
    if store == "dynamodb":
        request.getfixturevalue("dynamodb")
    configure("record-task", **extra)
    news = steady()
    assert put("news", news)[0] == 201
    first = {b["task_id"] for b in bare_tick()["created"]}
    assert put("news", news | {"stream": "news-hd"})[0] == 200
    second = {b["task_id"] for b in bare_tick()["created"]}
    assert first and second and not first & second
    # When it is deleted with cancel=future, the bookings on both streams are cancelled
    status, body = api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))
    gone = ProgramDeleted.model_validate(body)
    assert status == 200 and first | second <= {c.task_id for c in gone.cancelled}
    assert not (first | second) & live(fresh_emulator)


@pytest.mark.parametrize("api_name", ["record-task", "fcgi"])
@pytest.mark.parametrize("deleted", ["before its bookings settle", "after"])
def test_a_tick_running_when_its_program_is_deleted_leaves_no_booking_of_it(
    api_name: str,
    deleted: str,
    configure: Configure,
    fresh_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a tick that has read the stored programs, and one of them deleted (cancel=future) while it runs
    configure(api_name)
    assert put("news", NEWS)[0] == 201 and put("other", NEWS | {"stream": "other"})[0] == 201
    real_tick = rollout.tick

    def delete() -> None:
        assert api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))[0] == 200

    def racing_tick(*args: Any, **kwargs: Any) -> Any:
        if deleted == "after":
            report = real_tick(*args, **kwargs)
            delete()  # the cancel finds the tick's settled bookings
            return report
        delete()  # the cancel finds nothing yet: the tick, on what it read, books the program anyway
        return real_tick(*args, **kwargs)

    monkeypatch.setattr(rollout, "tick", racing_tick)
    report = bare_tick()
    # Then no booking of the deleted program that has not started is left; the other program's all stand
    upcoming = {t.task_id for t in fresh_emulator.tasks() if t.stream == "news" and t.start > time.time() + 1}
    assert upcoming and not upcoming & live(fresh_emulator)
    assert {t.task_id for t in fresh_emulator.tasks() if t.stream == "other"} <= live(fresh_emulator)
    if deleted != "after":  # the tick itself saw the deletion and cancelled what it had booked
        assert upcoming <= {r["task_id"] for r in report["revoked"]}


@pytest.mark.parametrize("api_name", ["record-task", "fcgi"])
def test_a_shared_booking_whose_booker_is_deleted_during_the_tick_is_left_to_the_other_then_cancelled(
    api_name: str, configure: Configure, fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two programs asking for the same recordings, one deleted (cancel=future) while a tick books both
    configure(api_name)
    other = NEWS | ({"domain": "other.push.example"} if api_name == "fcgi" else {})
    assert put("first", NEWS)[0] == 201 and put("second", other)[0] == 201
    real_tick = rollout.tick

    def racing_tick(*args: Any, **kwargs: Any) -> Any:
        assert api(http_event("DELETE", "/programs/first", query={"cancel": "future"}))[0] == 200
        return real_tick(*args, **kwargs)

    monkeypatch.setattr(rollout, "tick", racing_tick)
    report = bare_tick()
    monkeypatch.undo()
    # Then the second keeps every recording (whichever program's entry created it), none revoked
    upcoming = {t.task_id for t in fresh_emulator.tasks() if t.start > time.time() + 1}
    assert upcoming and upcoming <= live(fresh_emulator) and report["revoked"] == []
    # and cancelling the second, the last owner, leaves nothing behind
    status, body = api(http_event("DELETE", "/programs/second", query={"cancel": "future"}))
    assert status == 200 and ProgramDeleted.model_validate(body).kept == []
    assert not upcoming & live(fresh_emulator)


def test_cancel_reports_what_it_could_not(configure: Configure, fresh_emulator: Emulator) -> None:
    configure("record-task")
    assert put("news", NEWS)[0] == 201
    assert bare_tick()["created"]
    fresh_emulator.faults.http_error(status=500, count=100, action="DeleteRecordTask")
    status, body = api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))
    fresh_emulator.faults.clear()
    assert status == 200, body
    deleted = ProgramDeleted.model_validate(body)
    assert deleted.cancelled == [] and deleted.not_cancelled
    assert all(c.reason and c.code for c in deleted.not_cancelled)
    status, body = api(http_event("DELETE", "/programs/x", query={"cancel": "past"}))
    assert status == 422 and body["error"]["field"] == "cancel"


@pytest.mark.parametrize("store", ["memory", "dynamodb"])
def test_the_store_has_a_bound(store: str, request: pytest.FixtureRequest, configure: Configure) -> None:
    extra = {"LIVEREC_MAX_PROGRAMS": "2"}  # a setting: 10,000 by default
    if store == "dynamodb":
        request.getfixturevalue("dynamodb")
        extra["LIVEREC_IDEMPOTENCY_TABLE"] = TABLE
    configure(**extra)
    assert put("a", NEWS)[0] == 201 and put("b", NEWS)[0] == 201
    status, body = put("c", NEWS)
    assert status == 422 and body["error"]["field"] == "name" and "2 programs" in body["error"]["message"]
    assert put("a", NEWS)[0] == 200  # replacing one is fine
    assert api(http_event("DELETE", "/programs/b"))[0] == 200
    assert put("c", NEWS)[0] == 201  # a deleted program gives its place back
    assert put("d", NEWS)[0] == 422
    assert MAX_PROGRAMS == 10_000


def test_programs_across_fresh_containers_on_dynamodb(
    dynamodb: Any, configure: Configure, fresh_emulator: Emulator
) -> None:
    """The acceptance, each call in a fresh process (a cold container: nothing in memory), on DynamoDB."""
    from tests.functional.test_crash import answer, container

    configure("live-record", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    at = time.time()

    def run(function: str, event: dict[str, Any], later: float = 0) -> tuple[int, Any]:
        return parse(answer(container(function, at + later, event)))

    def tick(later: float) -> dict[str, Any]:
        fresh_emulator.clock.freeze(at + later)  # Tencent's clock moves with ours (request timestamps)
        return answer(container("rollout", at + later, load_event("rollout_timer_bare")))

    assert run("scheduled", http_event("PUT", "/programs/news", NEWS))[0] == 201
    assert run("scheduled", http_event("PUT", "/programs/weather", NEWS | {"stream": "weather"}))[0] == 201
    status, body = run("scheduled", http_event("GET", "/programs"), 1)
    assert status == 200 and [p["name"] for p in body["programs"]] == ["news", "weather"]
    first = tick(2)
    assert first.get("failed") == [], first
    assert first["created"], first
    assert {t.stream for t in fresh_emulator.tasks()} == {"news", "weather"}
    status, body = run("scheduled", http_event("DELETE", "/programs/news"), 3)
    assert status == 200 and body["deleted"]
    created = len(fresh_emulator.tasks())
    # a day later, new occurrences have entered the horizon: the remaining program books them, news none
    second = tick(86400)
    assert second.get("failed") == [], second
    assert second["created"] and {c["stream"] for c in second["created"]} == {"weather"}, second
    assert len(fresh_emulator.tasks()) == created + len(second["created"])
    third = tick(86401)
    # nothing booked again; only an occurrence that entered the one-day horizon in that second is new
    entered = [c for c in third["created"] if datetime.fromisoformat(c["start"]).timestamp() > at + 2 * 86400]
    assert third["created"] == entered and len(fresh_emulator.tasks()) == created + len(
        second["created"]
    ) + len(entered)
    status, body = run("scheduled", http_event("PUT", "/programs/news", NEWS | {"cron": "61 * * * *"}), 4)
    assert status == 422 and body["error"]["field"] == "cron"
    status, body = run("scheduled", http_event("GET", "/programs", token=None), 4)
    assert status == 401

    def item(key: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": key}}).get("Item")
        return found

    assert item("program#news") is None and item("program#weather") is not None  # one small item each
    assert item("programs#count") == {"id": {"S": "programs#count"}, "total": {"N": "1"}}


@pytest.mark.parametrize("offset", [-1, 0, 1], ids=["a-second-before", "on-the-start", "a-second-after"])
def test_what_a_put_shows_the_next_tick_books_at_an_occurrence_boundary(
    offset: int, configure: Configure, fresh_emulator: Emulator
) -> None:
    """The PUT's view says what the next tick books, also when an occurrence starts on the horizon's last
    second (seen failing when a run reached this test at 06:00:00 with the news every six hours)."""
    from shared.app import use_clock

    configure("live-record")  # a one-day horizon
    now = time.time()
    boundary = float(int(now // 21600 + 1) * 21600 + offset)  # the next 00/06/12/18 UTC, to the second
    fresh_emulator.clock.freeze(boundary)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    try:
        status, body = put("news", NEWS)
        assert status == 201, body
        view = ProgramView.model_validate(body)
        report = bare_tick()
    finally:
        use_clock()
    # by their ends: one under way is booked from now (shortened), shown from its start
    booked = {c["end"] for c in report["created"]}
    shown = {o.end for o in view.occurrences if not o.booked}
    assert len(booked) == view.next_tick_books and booked <= shown, (booked, shown)
