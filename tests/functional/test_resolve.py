"""An occurrence in doubt, resolved by the operator: ``POST /programs/{name}/resolve``.

The generation cannot look tasks up (live-record, fcgi) and LIVEREC_UNKNOWN_OUTCOME=report, so a create
that got no answer is never booked again by a tick: the program's view shows it ``unknown`` and each tick
reports it. The operator checks Tencent's console and answers ``record`` (nothing was recorded: book it
now) or ``recorded`` with the task id (it was: record that)."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.emulator import Emulator
from shared.edge.program_responses import ProgramDeleted, ProgramView
from tests.functional.conftest import http_event
from tests.functional.test_programs import Configure, api, bare_tick, put, steady

# programs booked at the wall clock: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

CREATE = {"live-record": "CreateLiveRecord", "fcgi": "Live_Tape_Start"}


def in_doubt(api_name: str, emulator: Emulator, fault: str) -> dict[str, Any]:
    """NEWS stored and ticked with the soonest occurrence's create unanswered (``fault``): that occurrence.
    None is under way (steady: half an hour off the clock's minute), so cancel=future reaches them all."""
    assert put("news", steady())[0] == 201
    getattr(emulator.faults, fault)(count=1, action=CREATE[api_name])
    report = bare_tick()
    emulator.faults.clear()
    assert len(report["unresolved"]) == 1, report
    view = ProgramView.model_validate(api(http_event("GET", "/programs/news"))[1])
    doubtful = [o for o in view.occurrences if o.state == "unknown"]
    assert [o.start for o in doubtful] == [report["unresolved"][0]["start"]]
    # every later tick reports it again and books nothing for it
    again = bare_tick()
    assert [u["start"] for u in again["unresolved"]] == [report["unresolved"][0]["start"]]
    return report["unresolved"][0]


def cancel_news() -> ProgramDeleted:
    """DELETE /programs/news?cancel=future: what it cancelled and what it kept."""
    return ProgramDeleted.model_validate(
        api(http_event("DELETE", "/programs/news", query={"cancel": "future"}))[1]
    )


def resolve(body: dict[str, Any]) -> tuple[int, Any]:
    return api(http_event("POST", "/programs/news/resolve", body))


def tasks_at(emulator: Emulator, occurrence: dict[str, Any]) -> list[Any]:
    from shared.support.timeutil import parse_time

    start, end = (parse_time(occurrence[k], k).timestamp() for k in ("start", "end"))
    # booked from its start, or (under way when booked: shortened) from a moment after it, to its end
    return [t for t in emulator.tasks() if t.stream == "news" and t.end == end and t.start >= start]


@pytest.mark.parametrize("api_name", ["live-record", "fcgi"])
def test_record_books_an_occurrence_whose_create_never_arrived(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    configure(api_name)
    doubtful = in_doubt(api_name, fresh_emulator, "drop_before_store")
    assert tasks_at(fresh_emulator, doubtful) == []  # the create never reached Tencent
    status, body = resolve({"start": doubtful["start"], "action": "record"})
    assert status == 200, body
    assert body["booked"] and body["state"] in ("scheduled", "recording")  # recording: its start has passed
    (task,) = tasks_at(fresh_emulator, doubtful)
    assert body["task_id"] == task.task_id
    # settled: the ticks no longer report it, and never book it twice
    report = bare_tick()
    assert report["unresolved"] == [] and doubtful["start"] not in [c["start"] for c in report["created"]]
    assert len(tasks_at(fresh_emulator, doubtful)) == 1
    # and it was booked for the program: cancelling the program cancels it
    gone = cancel_news()
    assert task.task_id in {c.task_id for c in gone.cancelled}


@pytest.mark.parametrize("api_name", ["live-record", "fcgi"])
def test_recorded_records_the_task_the_operator_found(
    api_name: str, configure: Configure, fresh_emulator: Emulator
) -> None:
    configure(api_name)
    doubtful = in_doubt(api_name, fresh_emulator, "drop_after_store")
    (task,) = tasks_at(fresh_emulator, doubtful)  # Tencent made it; liverec never heard
    status, body = resolve({"start": doubtful["start"], "action": "recorded", "task_id": task.task_id})
    assert status == 200, body
    assert body["booked"] and body["task_id"] == task.task_id and body["state"] in ("scheduled", "recording")
    report = bare_tick()
    assert report["unresolved"] == [] and len(tasks_at(fresh_emulator, doubtful)) == 1
    # liverec cannot prove its own create made it: cancelling the program keeps it
    gone = cancel_news()
    assert task.task_id in {k.task_id for k in gone.kept}
    assert task.task_id not in {c.task_id for c in gone.cancelled}


def test_what_cannot_be_resolved_is_refused_naming_the_field(
    configure: Configure, fresh_emulator: Emulator
) -> None:
    configure("live-record")
    doubtful = in_doubt("live-record", fresh_emulator, "drop_after_store")
    view = ProgramView.model_validate(api(http_event("GET", "/programs/news"))[1])
    settled = next(o for o in view.occurrences if o.booked and o.state != "unknown")
    cases = [
        ({"start": settled.start, "action": "record"}, 409, "NotInDoubt", "start"),
        ({"start": "2001-01-01T00:00:00Z", "action": "record"}, 404, "ProgramNotFound", "start"),
        ({"start": doubtful["start"], "action": "recorded"}, 422, "InvalidRequest", "task_id"),
        ({"start": doubtful["start"], "action": "record", "task_id": "1"}, 422, "InvalidRequest", "task_id"),
        ({"start": doubtful["start"], "action": "forget"}, 422, None, "action"),
        ({"start": 1797033597000, "action": "record"}, 422, None, "start"),  # milliseconds
    ]
    for body, status, code, field in cases:
        got, answer = resolve(body)
        assert got == status, (body, answer)
        assert answer["error"]["field"] == field, (body, answer)
        assert code is None or answer["error"]["code"] == code
    status, answer = api(
        http_event("POST", "/programs/nothing/resolve", {"start": doubtful["start"], "action": "record"})
    )
    assert status == 404 and answer["error"]["code"] == "ProgramNotFound"
    # still in doubt after all that
    assert [u["start"] for u in bare_tick()["unresolved"]] == [doubtful["start"]]
