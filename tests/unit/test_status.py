"""A recording's status: one vocabulary (shared.recordings.status), each generation's table of Tencent's
words in its capability row, the ledger's states, and the clock."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest

from shared.edge.responses import RecordingStatus
from shared.recordings import status
from shared.storage.ledger import Entry, Origin, Recording
from shared.tencent.generations import FCGI, GENERATIONS, LIVE_RECORD, RECORD_TASK, V2
from shared.tencent.types import TaskInfo

NOW = 1_800_000_000.0


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def entry(state: str, start: float = NOW + 60, end: float = NOW + 600) -> Entry:
    rec = Recording("v2", "scheduled", "s", None, None, int(start), int(end), task_id="1")
    return Entry(
        key="http:k",
        state=state,  # type: ignore[arg-type]
        fingerprint="f",
        origin=Origin("http"),
        owner="o",
        claimed_at=NOW,
        lease_until=0,
        expires_at=NOW + 86400,
        recording=rec,
        updated_at=NOW,
    )


def test_the_answers_document_exactly_the_one_vocabulary() -> None:
    assert typing.get_args(RecordingStatus) == status.STATUSES
    assert status.STATUSES == (
        "scheduled",
        "recording",
        "finished",
        "stopped",
        "deleted",
        "failed",
        "in_doubt",
    )


def test_every_generations_table_maps_into_the_vocabulary() -> None:
    for gen in GENERATIONS.values():
        assert {ours for _, ours in gen.statuses} <= set(status.STATUSES), gen.api
        assert len(dict(gen.statuses)) == len(gen.statuses), gen.api  # one meaning a word


@pytest.mark.parametrize(
    ("word", "expected"),
    [("pending", "scheduled"), ("running", "recording"), ("finished", "finished"), ("error", "failed")],
)
def test_v2_words(word: str, expected: str) -> None:
    # the window says otherwise: Tencent's word decides
    task = TaskInfo("1", "s", start=at(NOW - 600), end=at(NOW - 60), status=word)
    assert status.of_task(V2, task, NOW) == expected
    assert status.of_entry(entry("created"), NOW, V2, task) == expected


def test_a_word_no_table_knows_leaves_it_to_the_clock() -> None:
    task = TaskInfo("1", "s", start=at(NOW - 60), end=at(NOW + 60), status="paused")
    assert status.of_task(V2, task, NOW) == "recording"
    for gen in (LIVE_RECORD, FCGI):
        assert status.of_task(gen, task._replace(status="pending"), NOW) == "recording"


def test_record_task_stopped_and_by_clock() -> None:
    task = TaskInfo("Up1", "s", start=at(NOW + 60), end=at(NOW + 600))
    assert status.of_task(RECORD_TASK, task, NOW) == "scheduled"
    assert status.of_task(RECORD_TASK, task, NOW + 60) == "recording"
    assert status.of_task(RECORD_TASK, task, NOW + 600) == "finished"
    stopped = task._replace(stopped_at=at(NOW), status="stopped")
    assert status.of_task(RECORD_TASK, stopped, NOW + 100) == "stopped"


@pytest.mark.parametrize(
    ("state", "expected"),
    [("stopped", "stopped"), ("deleted", "deleted"), ("unknown", "in_doubt"), ("in_progress", "in_doubt")],
)
def test_the_ledgers_own_note_wins(state: str, expected: str) -> None:
    running = TaskInfo("1", "s", start=at(NOW - 60), end=at(NOW + 60), status="running")
    assert status.of_entry(entry(state), NOW, V2, running) == expected


def test_a_created_entry_by_the_clock() -> None:
    assert [status.of_entry(entry("created"), t) for t in (NOW, NOW + 60, NOW + 599, NOW + 600)] == [
        "scheduled",
        "recording",
        "recording",
        "finished",
    ]
