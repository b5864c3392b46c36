"""`make month`'s verdict (devtools/month_verdict.py): it fails on a duplicate, a silent miss, a leftover, a
lost one-off or a stray task, and lets through what a generation may legitimately leave (a miss reported in
doubt or without a clean chance, a leftover the cancel reported, a one-off booked twice where tasks cannot be
looked up). Also the month's oracle pieces and its fork server's ledger faults, which need no emulator."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from devtools.month import calendar, due, occurrences, pieces
from devtools.month_verdict import Asked, Identity, judge

A: Identity = ("d", "a", "news", 1000, 2000)
B: Identity = ("d", "a", "news", 5000, 6000)
C: Identity = ("d", "a", "ops", 7000, 7600)


def asked(**extra: object) -> Asked:
    base = Asked(expected={A, B}, chances=Counter({A: 3, B: 3}))
    for name, value in extra.items():
        setattr(base, name, value)
    return base


def test_every_occurrence_booked_once_passes() -> None:
    verdict = judge(asked(), [(A, True), (B, True)])
    assert verdict.failures == {} and (verdict.expected, verdict.booked, verdict.missed) == (2, 2, 0)


def test_a_second_live_task_is_a_duplicate_a_deleted_one_is_not() -> None:
    assert judge(asked(), [(A, True), (A, True), (B, True)]).failures == {"duplicated": [A]}
    assert judge(asked(), [(A, True), (A, False), (B, True)]).failures == {}


def test_a_miss_is_silent_unless_reported_in_doubt_or_never_given_a_clean_chance() -> None:
    assert judge(asked(), [(A, True)]).failures == {"silent miss": [B]}
    in_doubt = judge(asked(unresolved={B}), [(A, True)])
    assert in_doubt.failures == {} and in_doubt.in_doubt == [B]
    no_chance = judge(asked(chances=Counter({A: 1})), [(A, True)])
    assert no_chance.failures == {} and no_chance.no_chance == [B]
    # a stopped or deleted task records nothing: still a miss
    assert judge(asked(), [(A, True), (B, False)]).failures == {"silent miss": [B]}


def test_a_cancelled_programs_live_task_is_left_behind_unless_the_cancel_reported_it() -> None:
    assert judge(asked(cancelled={C}), [(A, True), (B, True), (C, True)]).failures == {"left behind": [C]}
    assert judge(asked(cancelled={C}), [(A, True), (B, True), (C, False)]).failures == {}
    told = judge(asked(cancelled={C}, not_cancelled={C}), [(A, True), (B, True), (C, True)])
    assert told.failures == {} and told.left_reported == [C]


def test_a_recording_another_program_or_a_one_off_still_wants_is_not_left_behind() -> None:
    tasks = [(A, True), (B, True), (C, True)]
    assert judge(asked(cancelled={C}, allowed={C}), tasks).failures == {}
    assert judge(asked(cancelled={C}, oneoffs={C}), tasks).failures == {}


def test_one_offs_must_survive_and_a_double_is_allowed_only_where_tasks_cannot_be_looked_up() -> None:
    assert judge(asked(oneoffs={C}), [(A, True), (B, True)]).failures == {"one-off lost": [C]}
    twice = [(A, True), (B, True), (C, True), (C, True)]
    assert judge(asked(oneoffs={C}, lists=True), twice).failures == {"duplicated": [C]}
    unlisted = judge(asked(oneoffs={C}, lists=False), twice)
    assert unlisted.failures == {} and unlisted.oneoff_twice == [C]


def test_a_task_nobody_asked_for_is_stray() -> None:
    assert judge(asked(), [(A, True), (B, True), (C, True)]).failures == {"stray": [C]}


def test_a_task_booked_under_way_counts_for_its_occurrence_once() -> None:
    late = ("d", "a", "news", 1060, 2000)  # A booked a minute into its window (a retried tick): shortened
    assert judge(asked(), [(late, True), (B, True)]).failures == {}
    assert judge(asked(), [(late, True), (A, True), (B, True)]).failures == {"duplicated": [A]}
    early_end = ("d", "a", "news", 1060, 1900)  # another end: not A's
    assert judge(asked(), [(early_end, True), (A, True), (B, True)]).failures == {"stray": [early_end]}


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_pieces_split_at_the_generations_cap_and_due_follows_the_horizon() -> None:
    marathon = {"cron": "0 8 * * SAT", "timezone": "Asia/Shanghai", "duration": 30 * 3600}
    saturday = int(at("2027-03-06T00:00:00"))  # 08:00 in Shanghai
    found = pieces("v2", marathon, at("2027-03-01T00:00:00"), at("2027-03-08T00:00:00"))
    assert found == [(saturday, saturday + 86400), (saturday + 86400, saturday + 30 * 3600)]
    assert pieces("live-record", marathon, at("2027-03-01T00:00:00"), at("2027-03-08T00:00:00")) == [
        (saturday, saturday + 30 * 3600)
    ]
    assert due(found[0], saturday - 86400, 86400) and not due(found[0], saturday - 86401, 86400)
    assert due(found[0], saturday + 86399, 86400) and not due(found[0], saturday + 86400, 86400)


def test_the_calendar_programs_oracle_applies_each_exception_and_agrees_with_the_product() -> None:
    """The month's calendar program read by the oracle (devtools.month.occurrences, written apart from
    shared/recordings/calendars.py) and by the product: the same windows; and the oracle's own reading of
    each exception, by hand."""
    from shared.recordings.programs import Program, starts_after

    start = at("2027-03-01T00:00:00")
    body = calendar(start, again=True)
    found = occurrences(body, start, start + 30 * 86400)
    product = []
    for begin, end in starts_after(
        Program.model_validate(body | {"name": "holidays"}), datetime.fromtimestamp(start - 1, UTC)
    ):
        if begin.timestamp() >= start + 30 * 86400:
            break
        product.append((int(begin.timestamp()), int((end - begin).total_seconds())))
    assert found == product
    starts = {begin for begin, _ in found}
    for day in ("2027-03-08", "2027-03-10", "2027-03-12", "2027-03-16"):  # skipped, skipped, moved, skipped
        assert int(at(f"{day}T19:00:00")) not in starts
    assert (int(at("2027-03-12T21:30:00")), 1800) in found  # moved later
    assert (int(at("2027-03-14T08:00:00")), 900) in found  # added
    assert (int(at("2027-03-28T17:00:00")), 3600) in found  # moved, 18:00 BST on the day clocks go forward
    assert (int(at("2027-03-29T18:00:00")), 1800) in found  # 19:00 BST
    assert len(found) == 30 - 3 + 1  # 30 days, 3 skipped, 1 added (a move keeps the count)


@pytest.mark.parametrize("mode", ["before", "after", "outage"])
def test_the_fork_servers_ledger_fault_fails_the_nth_request_as_asked(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devtools import forkserver
    from shared.support.aws import AwsError, AwsJsonClient

    sent: list[str] = []
    monkeypatch.setattr(AwsJsonClient, "_send", lambda self, op, body, until: sent.append(op) or {})
    forkserver._ledger_fault({"nth": 2, "mode": mode})
    client = object.__new__(AwsJsonClient)
    outcomes = []
    for op in ("GetItem", "PutItem", "GetItem"):
        try:
            outcomes.append(AwsJsonClient._send(client, op, b"{}", 0.0) == {})
        except AwsError:
            outcomes.append(False)
    assert outcomes == [True, False, mode != "outage"]
    # "after": the write reached the store, its answer was lost
    assert sent == {"before": ["GetItem", "GetItem"], "after": ["GetItem", "PutItem", "GetItem"]}.get(
        mode, ["GetItem"]
    )
