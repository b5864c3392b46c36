"""The recordings ledger, in-process and on DynamoDB (moto's server, through the standard-library client):
claim, replay, conflict, unknown -> reconcile -> reclaim, leases never taken over blindly, retention, the
task index; and the functions using it end to end."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.scheduled import handler as scheduled
from shared.storage.dynamodb import DynamoDB
from shared.storage.ledger import (
    AFTER_END,
    CLOCK_SKEW,
    MIN_RETENTION,
    Claim,
    Origin,
    Recording,
    Summary,
)
from shared.storage.ledger_dynamodb import DynamoDBLedger
from shared.storage.ledger_files import MAX_FILES, RecordFile
from shared.storage.memory import MemoryLedger
from shared.storage.program_store import MemoryProgramStore
from shared.storage.program_store_dynamodb import DynamoDBProgramStore
from tests.functional.conftest import TABLE, http_event

PLAN = Recording("record-task", "scheduled", "s", "d.example", "live", 10_000, 13_600)
HTTP = Origin("http")


@pytest.fixture(params=["dynamodb", "memory"])
def ledger(request: pytest.FixtureRequest) -> Any:
    """Both ledgers must behave the same."""
    if request.param == "memory":
        return MemoryLedger()
    request.getfixturevalue("dynamodb")
    return DynamoDBLedger(TABLE, client=DynamoDB.from_env())


def claim(
    key: str = "k", now: float = 1000, *, lease: float = 60, fp: str = "fp", plan: Recording = PLAN
) -> Claim:
    return Claim(key, fp, HTTP, now, now + lease, plan)


def test_claim_then_replay(ledger: Any) -> None:
    first = claim()
    assert ledger.claim(first) is None
    held = ledger.claim(claim(now=1001))
    assert held is not None and held.state == "in_progress" and held.held(1001) and held.owner == first.owner
    assert held.recording == PLAN  # the plan is there for whoever must reconcile
    created = Recording(**{**PLAN.to_dict(), "task_id": "t1", "warnings": ()})
    assert ledger.settle("k", first.owner, "created", created, 1002)
    done = ledger.claim(claim(now=1003))
    assert done.state == "created" and done.recording.task_id == "t1" and not done.held(1003)


def test_a_claim_notes_that_it_is_sending_and_only_its_owner_can(ledger: Any) -> None:
    first = claim(lease=10)
    assert ledger.claim(first) is None
    assert not ledger.get("k", 1001).sent and not ledger.get("k", 1011).in_doubt(1011)  # died before sending
    assert not ledger.sending("k", "someone-else", 1001)
    assert ledger.sending("k", first.owner, 1001)
    entry = ledger.get("k", 1011)
    # held until its lease has run out by any clock that may disagree with the holder's
    assert entry.sent and not entry.in_doubt(1011) and entry.in_doubt(1011 + CLOCK_SKEW)
    assert ledger.settle("k", first.owner, "created", PLAN._replace(task_id="t1"), 1002)
    assert not ledger.sending("k", first.owner, 1003)  # settled: nothing is sent again


def test_a_claim_written_before_the_sending_mark_is_read_as_sent(dynamodb: Any) -> None:
    ledger = DynamoDBLedger(TABLE, client=DynamoDB.from_env())
    first = claim(lease=10)
    assert ledger.claim(first) is None
    dynamodb.update_item(TableName=TABLE, Key={"id": {"S": "rec#k"}}, UpdateExpression="REMOVE sent")
    # it may have sent: reconciled, never simply created again
    assert ledger.get("k", 1011).in_doubt(1011 + CLOCK_SKEW)


def test_a_task_found_at_tencent_reads_back_as_found(ledger: Any) -> None:
    first, second = claim("mine"), claim("adopted")
    assert ledger.claim(first) is None and ledger.claim(second) is None
    assert ledger.settle("mine", first.owner, "created", PLAN._replace(task_id="t1"), 1002)
    assert ledger.settle("adopted", second.owner, "created", PLAN._replace(task_id="t2", found=True), 1002)
    read = ledger.get_many(["mine", "adopted"], 1003)
    assert (read["mine"].recording.found, read["adopted"].recording.found) == (False, True)


def test_the_rollout_summary_keeps_settled_and_unresolved_occurrences(ledger: Any) -> None:
    (empty,) = ledger.settled(["7"], 1000).values()
    assert empty.done == {} and empty.unresolved == {}
    ledger.note_settled("7", empty, {"a": 2000}, {}, 1000, unresolved={"b": 3000, "c": 2500})
    (seen,) = ledger.settled(["7"], 1001).values()
    assert seen.done == {"a": 2000} and seen.unresolved == {"b": 3000, "c": 2500}
    # noted done, an occurrence is no longer in doubt; ended ones are dropped from both
    ledger.note_settled("7", seen, {"b": 3000}, {"a": 2000, "c": 2500}, 2600)
    (after,) = ledger.settled(["7"], 2601).values()
    assert after.done == {"b": 3000} and after.unresolved == {} and after.version > seen.version


def test_the_program_store_reads_only_what_is_asked_each_in_a_bounded_number_of_requests(ledger: Any) -> None:
    """The stored programs: pages by name, the programs due soonest first (with the due of the first left
    out), a due moved only when the program was not stored again meanwhile; on DynamoDB each read one
    request (and a batch read for the items due)."""
    on_dynamodb = isinstance(ledger, DynamoDBLedger)
    store = DynamoDBProgramStore(TABLE, client=DynamoDB.from_env()) if on_dynamodb else MemoryProgramStore()
    for i, due in enumerate((500.0, 300.0, 900.0, 300.0, 2000.0)):
        assert store.put(f"p{i}", f'{{"stream":"s{i}"}}', 100.0 + i, due=due)
    assert not store.put("p4", '{"stream":"s4"}', 200.0, due=2000.0)  # replaced
    sent = Counter(store.table.requests) if on_dynamodb else Counter()  # type: ignore[attr-defined]
    due = store.due(600.0, 2)
    assert [p.name for p in due.programs] == ["p1", "p3"] and due.next_due == 500.0
    assert [p.name for p in store.due(600.0, 10).programs] == ["p1", "p3", "p0"]
    assert store.due(600.0, 10).next_due is None
    first, after = store.page(2)
    second, end = store.page(10, after)
    assert [p.name for p in first] == ["p0", "p1"] and after == "p1"
    assert [p.name for p in second] == ["p2", "p3", "p4"] and end is None
    if on_dynamodb:
        used = Counter(store.table.requests) - sent  # type: ignore[attr-defined]
        assert used == Counter({"Query": 5, "BatchGetItem": 3}), used
    assert store.set_due("p1", 700.0, seen=101.0) and store.get("p1").due == 700.0  # type: ignore[union-attr]
    assert not store.set_due("p4", 10.0, seen=104.0)  # stored again since it was read: its due stands
    assert not store.set_due("gone", 10.0, seen=1.0)  # never creates a program
    assert sorted(store.get_many(["p0", "p2", "gone"])) == ["p0", "p2"] and store.total() == 5
    assert store.delete("p0") is not None and store.delete("p0") is None and store.total() == 4


def test_the_summaries_of_a_ticks_shards_are_read_at_once(ledger: Any) -> None:
    old = 1000 - 8 * 86400  # noted more than a week ago
    ledger.note_settled("3", Summary.empty(), {"a": 2000}, {}, 1000, unresolved={"b": 2500})
    ledger.note_settled("9", Summary.empty(), {"c": 1500}, {}, old)
    settled = ledger.settled(["3", "9", "12"], 1001)
    assert settled["3"].done == {"a": 2000} and settled["3"].unresolved == {"b": 2500}
    if isinstance(ledger, DynamoDBLedger):  # the summary item's TTL: a week unwritten, it holds nothing
        assert settled["9"].done == {} and settled["9"].version == 1
    assert settled["12"] == Summary.empty()


def test_only_the_owner_settles_or_releases(ledger: Any) -> None:
    mine = claim()
    ledger.claim(mine)
    assert not ledger.settle("k", "someone-else", "created", PLAN, 1001)
    ledger.release("k", "someone-else")
    assert ledger.get("k", 1001).state == "in_progress"
    ledger.release("k", mine.owner)
    assert ledger.claim(claim(now=1002)) is None


def test_a_claim_whose_lease_ran_out_is_returned_not_taken_over(ledger: Any) -> None:
    ledger.claim(claim(lease=60))
    stale = ledger.claim(claim(now=1061))
    # the holder may have died after its create reached Tencent: the caller gets the entry to reconcile
    assert stale is not None and stale.state == "in_progress" and not stale.held(1061)


def test_one_reconciler_reclaims_what_it_observed(ledger: Any) -> None:
    first = claim()
    ledger.claim(first)
    ledger.settle("k", first.owner, "unknown", PLAN, 1001)
    observed = ledger.get("k", 1002)
    assert observed.state == "unknown" and observed.recording == PLAN
    a, b = claim(now=1003), claim(now=1003)
    assert ledger.reclaim(observed, a) is True
    assert ledger.reclaim(observed, b) is False  # it changed since b read it
    assert ledger.get("k", 1004).owner == a.owner


def test_retention_is_a_day_and_a_day_past_the_window(ledger: Any) -> None:
    long = Recording("record-task", "scheduled", "s", None, None, 5000, 500_000)
    mine = claim(plan=long)
    ledger.claim(mine)
    assert ledger.get("k", 1000).expires_at >= 500_000 + AFTER_END
    short = Recording("record-task", "realtime", "s", None, None, 1000, 1300)
    other = claim("short", plan=short)
    ledger.claim(other)
    assert ledger.settle("short", other.owner, "created", short, 1001)
    gone = max(1001 + MIN_RETENTION, 1300 + AFTER_END)
    assert ledger.get("short", gone - 1) is not None
    assert ledger.get("short", gone + 1) is None  # forgotten: the key is free again
    assert ledger.claim(claim("short", gone + 1, fp="other")) is None


def test_tasks_are_found_by_id_and_marked(ledger: Any) -> None:
    mine = claim()
    ledger.claim(mine)
    created = Recording(**{**PLAN.to_dict(), "task_id": "t-9", "warnings": ()})
    ledger.settle("k", mine.owner, "created", created, 1001)
    assert ledger.by_task("record-task", "t-9", 1002).key == "k"
    assert ledger.by_task("v2", "t-9", 1002) is None
    assert ledger.mark("record-task", "t-9", "stopped", 1003).state == "stopped"
    assert ledger.claim(claim(now=1004)).state == "stopped"  # a replay still answers the recording
    assert ledger.mark("record-task", "unknown-task", "stopped", 1005) is None


def created(ledger: Any, key: str, task_id: str, *, stream: str = "s", start: int = 10_000) -> Recording:
    """An entry settled as created, with its task id."""
    plan = PLAN._replace(stream=stream, start=start, end=start + 3600)
    mine = claim(key, plan=plan)
    assert ledger.claim(mine) is None
    done = plan._replace(task_id=task_id)
    assert ledger.settle(key, mine.owner, "created", done, 1001)
    return done


def a_file(
    file_id: str = "f1", *, url: str = "http://vod.example/f1.mp4", received: float = 1100
) -> RecordFile:
    return RecordFile(file_id, url, "mp4", 10_000, 10_600, 600, 1024, received)


def files_of(ledger: Any, task_id: str, now: float) -> list[RecordFile]:
    entry = ledger.by_task("record-task", task_id, now)
    return [] if entry is None else ledger.files(entry, now, limit=MAX_FILES).files


def test_files_are_kept_once_each(ledger: Any) -> None:
    created(ledger, "k", "t-1")
    assert ledger.add_file("record-task", "t-1", a_file(), 1100)
    assert files_of(ledger, "t-1", 1100) == [a_file()]
    # Tencent redelivers the same file (its 13 deliveries): still one file, the first arrival kept
    again = a_file(url="http://vod.example/other.mp4", received=1160)
    assert ledger.add_file("record-task", "t-1", again, 1160)
    assert files_of(ledger, "t-1", 1160) == [a_file()]
    second = RecordFile("f2", "http://vod.example/f2.mp4", None, 10_600, 11_200, 600, None, 1200)
    assert ledger.add_file("record-task", "t-1", second, 1200)
    assert files_of(ledger, "t-1", 1201) == [a_file(), second]  # newest last, optional fields absent
    # stopping keeps them, and they expire with the entry
    ledger.mark("record-task", "t-1", "stopped", 1300)
    assert files_of(ledger, "t-1", 1300) == [a_file(), second]
    gone = ledger.get("k", 1301).expires_at
    assert ledger.by_task("record-task", "t-1", gone + 1) is None
    assert not ledger.add_file("record-task", "t-1", a_file("f3"), gone + 1)


def test_a_file_for_a_task_the_ledger_does_not_know_is_not_kept(ledger: Any) -> None:
    assert not ledger.add_file("record-task", "nobody", a_file(), 1100)
    created(ledger, "k", "t-1")
    assert not ledger.add_file("v2", "t-1", a_file(), 1100)  # another generation's task


def test_files_per_recording_are_bounded(ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import shared.storage.ledger_files_dynamodb as on_dynamodb
    import shared.storage.memory as in_memory
    from shared.support.errors import TooManyFiles

    monkeypatch.setattr(on_dynamodb, "MAX_FILES", 2)
    monkeypatch.setattr(in_memory, "MAX_FILES", 2)
    created(ledger, "k", "t-1")
    for n in range(2):
        assert ledger.add_file("record-task", "t-1", a_file(f"f{n}", received=1100 + n), 1100 + n)
    with pytest.raises(TooManyFiles) as refused:
        ledger.add_file("record-task", "t-1", a_file("f2", received=1102), 1102)
    assert refused.value.status == 413 and "holds 2 files" in refused.value.message
    assert ledger.add_file("record-task", "t-1", a_file("f1"), 1103)  # a redelivery of a kept one: kept
    assert sorted(f.file_id for f in files_of(ledger, "t-1", 1200)) == ["f0", "f1"]
    assert MAX_FILES >= 1440  # a day of 1-minute files


def test_created_entries_are_listed_by_stream_in_pages(ledger: Any) -> None:
    for n in range(5):
        created(ledger, f"k{n}", f"t-{n}", start=20_000 - n * 100)  # created in reverse order of start
    created(ledger, "other", "t-other", stream="other")
    ledger.claim(claim("pending", plan=PLAN))  # claimed, no task yet: not listed
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = ledger.by_stream("record-task", "s", 1002, after=after, limit=2)
        seen += [e.recording.task_id for e in page.entries]
        after = page.after
        if after is None:
            break
    assert seen == ["t-4", "t-3", "t-2", "t-1", "t-0"]  # by start, each once
    window = ledger.by_stream("record-task", "s", 1002, start_from=19_700, start_to=19_900)
    assert [e.recording.task_id for e in window.entries] == ["t-3", "t-2", "t-1"] and window.after is None
    assert ledger.by_stream("v2", "s", 1002).entries == []
    assert ledger.by_stream("record-task", "s", 10**7).entries == []  # expired entries are not listed


def test_many_entries_are_read_at_once(ledger: Any) -> None:
    for i in range(0, 130, 2):
        ledger.claim(claim(f"k{i}"))
    found = ledger.get_many([f"k{i}" for i in range(130)], 1001)
    assert sorted(found) == sorted(f"k{i}" for i in range(0, 130, 2))
    assert ledger.get_many([f"k{i}" for i in range(130)], 1000 + 3 * 86400 + 100_000) == {}


def test_functions_use_dynamodb_when_configured(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    now = int(time.time())
    body = {"stream": "s", "start": now + 600, "end": now + 1200}
    event = http_event("POST", "/recordings/scheduled", body, headers={"Idempotency-Key": "ddb-1"})
    first = parse(scheduled.lambda_handler(event, lambda_context))
    second = parse(scheduled.lambda_handler(event, lambda_context))
    assert first == second and first[0] == 201
    assert len(fresh_emulator.tasks()) == 1
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "rec#http:ddb-1"}})["Item"]
    assert item["state"]["S"] == "created" and item["task_id"]["S"] == fresh_emulator.tasks()[0].task_id
    assert int(item["expiration"]["N"]) >= now + 1200 + 86400  # a day past the window's end


def test_an_unreachable_table_refuses_to_create(
    dynamodb: Any,
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a table the function cannot reach (nothing listens on the endpoint's port)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port}")
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "k"})
    from functions.realtime import handler as realtime

    status, body = parse(realtime.lambda_handler(event, lambda_context))
    # Then it answers 503 and creates nothing (it cannot promise there is no duplicate)
    assert status == 503 and body["error"]["code"] == "IdempotencyStoreUnavailable"
    assert "ConnectFailed" in body["error"]["message"]
    assert fresh_emulator.tasks() == []


def test_a_table_without_aws_credentials_is_a_configuration_error(
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a table but no AWS credentials in the environment (profiles and metadata are not consulted)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_REGION", "ap-east-1")
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "k"})
    from functions.realtime import handler as realtime

    status, body = parse(realtime.lambda_handler(event, lambda_context))
    # Then the deployment is to blame (500, the variable named) and nothing is created
    assert status == 500 and body["error"] == {
        "code": "ConfigError",
        "message": "the function is misconfigured; see its logs",
        "field": "AWS_ACCESS_KEY_ID",
    }
    assert fresh_emulator.tasks() == []


def test_memory_selects_the_in_process_ledger(
    configure: Callable[..., None], lambda_context: LambdaContext
) -> None:
    from shared.app import ledger

    configure(LIVEREC_IDEMPOTENCY_TABLE="memory")
    assert isinstance(ledger(), MemoryLedger)


def test_serverless_yml_grants_every_operation_the_stores_send(dynamodb: Any) -> None:
    from shared.storage.state_dynamodb import DynamoDBState
    from tests.unit.test_packaging import serverless_yml

    client = DynamoDB.from_env()
    sent: set[str] = set()
    send = client.call

    def recording(operation: str, **params: Any) -> dict[str, Any]:
        sent.add(operation)
        return send(operation, **params)

    client.call = recording  # type: ignore[method-assign]
    ledger, state = DynamoDBLedger(TABLE, client=client), DynamoDBState(TABLE, client=client)
    # every method of both stores, each path that sends a different operation
    mine = claim()
    ledger.claim(mine)
    ledger.claim(claim(now=1001))  # taken: read back
    ledger.get_many(["k", "other"], 1002)
    ledger.settle("k", mine.owner, "created", Recording(**{**PLAN.to_dict(), "task_id": "t"}), 1003)
    ledger.by_task("record-task", "t", 1004)
    ledger.mark("record-task", "t", "stopped", 1005)
    ledger.add_file("record-task", "t", RecordFile("f", "u", None, 1, 2, None, None, 1005), 1005)
    ledger.add_file("record-task", "t", RecordFile("g", "u", None, 1, 2, None, None, 1005), 1005)
    ledger.files(ledger.by_task("record-task", "t", 1005), 1005)
    ledger.by_stream("record-task", PLAN.stream, 1005, after=(PLAN.start, "k"), limit=1)
    ledger.reclaim(ledger.get("k", 1006), claim(now=1006))
    ledger.release("k", "nobody")
    summaries = ledger.settled(["0"], 1007)
    ledger.note_settled("0", summaries["0"], {"k": 2000}, {}, 1008)
    state.add("s", {"v": 1}, 1000, 60, due=1000)
    state.put("s", {"v": 2}, 1000, 60, due=1000)
    state.get("s", 1001)
    state.due("s", 1001, 10)
    state.lease("s", 1001, 30)
    state.delete("s")
    doc = serverless_yml()  # the HTTP functions' role (provider.iam) and the timer functions' own roles
    statements = doc["provider"]["iam"]["role"]["statements"] + [
        st
        for role in doc["resources"]["Resources"].values()
        if role["Type"] == "AWS::IAM::Role"
        for policy in role["Properties"]["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
    ]
    granted = {action.removeprefix("dynamodb:") for st in statements for action in st["Action"]}
    assert sent <= granted, sent - granted
