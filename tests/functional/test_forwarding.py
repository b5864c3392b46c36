"""The outbox: publishing queues and asks for a drain, sending nothing; a subscriber that is down still gets
the webhook once it is back, or a dead letter says why; a drain works through a backlog on its threads within
its deadline, each item sent once, the payload a kick names first. Both state stores (in-process and DynamoDB
on moto's server) behave the same."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from typing import Any

import pytest
from pydantic import SecretStr

from devtools.kit import Subscriber
from shared.storage.dynamodb import DynamoDB
from shared.storage.memory import MemoryState
from shared.storage.state_dynamodb import DynamoDBState
from shared.support.config import Settings
from shared.support.errors import IdempotencyStoreUnavailable
from shared.webhooks.outbox import PREFIX, Forwarder, backoff, http_send
from shared.webhooks.signature import verify
from tests.functional.conftest import TABLE
from tests.unit.test_http1 import Loopback, drip

SECRET = SecretStr("forward-secret-0123456789abcdef")


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "dynamodb"])
def state(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryState()
    request.getfixturevalue("dynamodb")  # the table, and the AWS environment pointing at it
    return DynamoDBState(TABLE, client=DynamoDB.from_env())


def forwarder(state: Any, url: str, clock: FakeClock, **kwargs: Any) -> Forwarder:
    return Forwarder(urls=(url,), secret=SECRET, state=state, clock=clock, **kwargs)


DATA = {"event_type": 100, "stream_id": "s", "file_id": "f1", "video_url": "http://v/f1.mp4"}


def test_backoff_doubles_from_30s_and_caps_at_an_hour() -> None:
    assert [backoff(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff(20) == 3600


def test_subscriber_down_for_a_while_gets_the_webhook_once_it_is_back(
    state: Any, subscriber: Subscriber
) -> None:
    clock = FakeClock()
    fwd = forwarder(state, subscriber.url, clock, attempt_timeout=0.5)
    # Given the subscriber is down
    subscriber.down()
    # When the record-file event is published (queued: nothing sent), the kick's drain tries it, and the
    # tick runs twice while it is still down
    assert fwd.publish("evt-1", "record.file_ready", DATA) == {"queued": 1, "kicked": 0}
    assert subscriber.received == []
    assert fwd.drain(first="evt-1") == {"delivered": 0, "retrying": 1, "dead": 0, "skipped": 0}
    clock.now += 29
    assert fwd.drain()["retrying"] == 0  # not due before its 30 s backoff
    clock.now += 1
    assert fwd.drain()["retrying"] == 1  # second attempt, still down
    # Then once it is back, the next due tick delivers it, signed, exactly once
    subscriber.up()
    clock.now += backoff(2)
    assert fwd.drain()["delivered"] == 1
    clock.now += 3600
    assert fwd.drain() == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
    ((headers, body),) = subscriber.received
    verify(headers["liverec-signature"], body, [SECRET], now=clock.now - 3600)
    payload = json.loads(body)
    assert payload["id"] == "evt-1" == headers["liverec-delivery"]
    assert payload["data"] == DATA
    # and publishing the same event again (Tencent's redelivery) forwards nothing new
    assert fwd.publish("evt-1", "record.file_ready", DATA)["queued"] == 0


def test_a_subscriber_that_never_comes_back_ends_in_a_dead_letter(
    state: Any, subscriber: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    fwd = forwarder(state, subscriber.url, clock, max_attempts=3, attempt_timeout=0.5)
    subscriber.down()
    with caplog.at_level(logging.WARNING):
        fwd.publish("evt-dead", "record.file_ready", DATA)
        fwd.drain()
        for _ in range(5):
            clock.now += 3600
            fwd.drain()
    dead = [r for r in caplog.records if r.getMessage() == "webhook dead-lettered"]
    assert len(dead) == 1
    record = dead[0].__dict__
    assert record["payload_id"] == "evt-dead" and record["attempts"] == 3
    assert "after 3 attempts" in record["reason"] and record["payload"] == DATA
    assert record["subscriber"] == f"http://127.0.0.1:{subscriber.port}"  # origin only: no path or token
    # the dead letter stays visible in the store, and is not retried
    item = state.get(next(k for k in _keys(state)), clock.now)
    assert item["state"] == "dead"
    assert fwd.drain()["retrying"] == 0


def test_the_default_retries_outlast_a_day_of_subscriber_outage(state: Any, subscriber: Subscriber) -> None:
    clock = FakeClock()
    fwd = forwarder(state, subscriber.url, clock, attempt_timeout=0.5)  # the defaults otherwise
    assert fwd.max_attempts == Settings().webhook_max_attempts
    assert sum(backoff(n) for n in range(1, fwd.max_attempts)) > 25 * 3600
    subscriber.down()
    fwd.publish("evt-day", "record.file_ready", DATA)
    fwd.drain()
    tally = {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
    for _ in range(50):  # a tick every 30 minutes for 25 hours, the subscriber down throughout
        clock.now += 1800
        tally = {k: tally[k] + v for k, v in fwd.drain().items()}
    assert tally["dead"] == 0 and tally["delivered"] == 0 and tally["retrying"] > 0
    subscriber.up()
    for _ in range(3):
        clock.now += 1800
        fwd.drain()
    assert [h["liverec-delivery"] for h, _ in subscriber.received] == ["evt-day"]


def test_dead_letters_are_sent_again_once_redriven(state: Any, subscriber: Subscriber) -> None:
    clock = FakeClock()
    fwd = forwarder(state, subscriber.url, clock, max_attempts=2, attempt_timeout=0.5)
    subscriber.down()
    fwd.publish("evt-redrive", "record.file_ready", DATA)
    fwd.drain()
    clock.now += 60
    assert fwd.drain()["dead"] == 1
    clock.now += 7200
    assert fwd.drain() == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}  # set aside, never due
    subscriber.up()
    assert fwd.redrive() == {"redriven": 1}
    assert fwd.redrive() == {"redriven": 0}  # back in the outbox: nothing dead is left
    assert fwd.drain()["delivered"] == 1
    assert [h["liverec-delivery"] for h, _ in subscriber.received] == ["evt-redrive"]
    clock.now += 3600
    assert fwd.drain()["delivered"] == 0 and fwd.redrive() == {"redriven": 0}


def _keys(state: Any) -> list[str]:
    if isinstance(state, MemoryState):
        return list(state._items)
    items = state.table.call("Scan")["Items"]
    return [i["id"]["S"] for i in items]


@pytest.mark.parametrize(
    ("status", "outcome"), [(400, "dead"), (410, "dead"), (429, "retrying"), (503, "retrying")]
)
def test_permanent_refusals_dead_letter_at_once_and_transient_ones_retry(
    state: Any, status: int, outcome: str
) -> None:
    sent: list[int] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        sent.append(status)
        return status

    fwd = forwarder(state, "http://127.0.0.1:9/x", FakeClock(), send=send)
    fwd.publish("evt", "record.status", DATA)
    assert fwd.drain(first="evt")[outcome] == 1 and sent == [status]


def test_a_leased_item_is_not_sent_twice_by_overlapping_ticks(state: Any) -> None:
    clock = FakeClock()
    calls: list[str] = []
    inner: Forwarder | None = None

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        calls.append(url)
        assert inner is not None
        assert inner.drain()["skipped"] + inner.drain()["delivered"] == 0  # a concurrent tick finds it leased
        return 200

    inner = forwarder(state, "http://127.0.0.1:9/x", clock, send=send)
    inner.publish("evt", "record.status", DATA)
    assert inner.drain(first="evt") == {"delivered": 1, "retrying": 0, "dead": 0, "skipped": 0}
    assert calls == ["http://127.0.0.1:9/x"]


def test_publish_queues_and_kicks_a_drain_and_sends_nothing(state: Any) -> None:
    # Given five subscribers and a kick that notes what it is asked for
    sent: list[str] = []
    kicks: list[str] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        sent.append(url)
        return 200

    def kick(payload_id: str) -> bool:
        kicks.append(payload_id)
        return True

    urls = tuple(f"http://127.0.0.1:9/{i}" for i in range(5))
    clock = FakeClock()
    fwd = Forwarder(urls=urls, secret=SECRET, state=state, clock=clock, send=send, kick=kick)
    # When an event is published, and again (Tencent's redelivery)
    assert fwd.publish("evt", "record.status", DATA) == {"queued": 5, "kicked": 1}
    assert fwd.publish("evt", "record.status", DATA) == {"queued": 0, "kicked": 0}
    # Then nothing was sent, one drain was asked for, and its five items are due now
    assert sent == [] and kicks == ["evt"]
    assert len(state.due(PREFIX, clock.now, 100)) == 5
    # and the kick's drain sends each once
    assert fwd.drain(first="evt") == {"delivered": 5, "retrying": 0, "dead": 0, "skipped": 0}
    assert sorted(sent) == sorted(urls)


def test_a_kicks_drain_sends_its_payload_first_even_before_the_due_index_shows_it(state: Any) -> None:
    # Given an item just written that the due index does not show yet (a global secondary index is
    # eventually consistent), among 20 older ones waiting
    class Lagging:
        """The store, but its due index does not show ``hidden`` yet."""

        hidden = ""

        def __getattr__(self, name: str) -> Any:
            return getattr(state, name)

        def due(self, prefix: str, now: float, limit: int, **kwargs: Any) -> list[tuple[float, str]]:
            return [found for found in state.due(prefix, now, limit, **kwargs) if found[1] != self.hidden]

    lagging = Lagging()
    sent: list[str] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        sent.append(json.loads(body)["id"])
        return 200

    clock = FakeClock()
    fwd = forwarder(lagging, "http://127.0.0.1:9/x", clock, send=send, workers=1, monotonic=lambda: 0.0)
    for n in range(20):
        fwd.publish(f"old-{n}", "record.status", DATA)
    clock.now += 1
    fwd.publish("new", "record.status", DATA)
    lagging.hidden = next(key for key in _keys(state) if key.startswith(f"{PREFIX}new#"))
    assert all(key != lagging.hidden for _, key in lagging.due(PREFIX, clock.now, 100))
    # When the drain its kick asked for runs
    assert fwd.drain(first="new")["delivered"] == 21
    # Then that payload went first, by key, and the backlog after it, each once
    assert sent[0] == "new" and sorted(sent[1:]) == sorted(f"old-{n}" for n in range(20))
    # and a payload that is not due (delivered) is skipped, not sent again
    assert fwd.drain(first="new") == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 1}


def test_a_trickling_subscriber_holds_one_delivery_at_most_its_attempt_timeout() -> None:
    """A subscriber answering 200 a byte every 0.1 s (about 8 s in all) never trips a per-read timeout;
    the delivery's whole budget (attempt_timeout, 1 s here) ends it, and the item is retried later."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"x" * 40
    with Loopback(drip(answer)) as server:
        url = f"http://127.0.0.1:{server.port}/hook"
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            http_send(url, b"{}", {"Content-Type": "application/json"}, 1.0)
        assert time.monotonic() - started < 5
    with Loopback(drip(answer)) as server:
        url = f"http://127.0.0.1:{server.port}/hook"
        fwd = forwarder(MemoryState(), url, FakeClock(), attempt_timeout=1.0)
        fwd.publish("evt", "record.status", DATA)
        started = time.monotonic()
        assert fwd.drain(first="evt")["retrying"] == 1
        assert time.monotonic() - started < 5  # the answer would take 8 s; it held a delivery 55 s


def test_state_add_is_first_writer_wins_and_expires(state: Any) -> None:
    assert state.add("k", {"v": 1}, 1000, 60) is True
    assert state.add("k", {"v": 2}, 1001, 60) is False
    assert state.get("k", 1001) == {"v": 1}
    assert state.get("k", 1061) is None
    assert state.add("k", {"v": 3}, 1061, 60) is True


def test_due_reads_the_backlog_page_after_page_oldest_first(state: Any) -> None:
    # Given 25 waiting items, ten at a time due at the same instant, one of them leased, one not yet due
    for n in range(25):
        state.add(f"outbox#{n:02d}", {"n": n}, 1000, 600, due=1000 + n // 10)
    state.add("outbox#later", {}, 1000, 600, due=2000)
    state.add("other#0", {}, 1000, 600, due=1000)
    assert state.lease("outbox#05", 1010, 60) is not None
    # When they are read ten at a time, each page from where the previous one ended
    pages: list[list[tuple[float, str]]] = []
    after = None
    while page := state.due("outbox#", 1010, 10, after=after):
        pages.append(page)
        after = page[-1]
    # Then every due item no one holds comes once, oldest due first, with its due time
    assert [len(p) for p in pages] == [10, 10, 4]
    assert [key for p in pages for _, key in p] == [f"outbox#{n:02d}" for n in range(25) if n != 5]
    assert pages[0][0] == (1000.0, "outbox#00") and pages[-1][-1] == (1002.0, "outbox#24")


def test_drain_without_subscribers_reads_nothing() -> None:
    class Untouchable(MemoryState):
        def due(self, prefix: str, now: float, limit: int, **kwargs: Any) -> list[tuple[float, str]]:
            raise AssertionError("the outbox was scanned with no subscribers configured")

    fwd = Forwarder(urls=(), secret=None, state=Untouchable(), clock=FakeClock())
    assert fwd.drain() == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}


def test_an_outbox_tick_reads_what_is_due_not_the_table(dynamodb: Any, subscriber: Subscriber) -> None:
    # Given 10,000 idle items in the table (ledger entries, delivered forwards) and 3 forwards waiting
    for first in range(0, 10_000, 25):
        dynamodb.batch_write_item(
            RequestItems={
                TABLE: [
                    {
                        "PutRequest": {
                            "Item": {"id": {"S": f"rec#http:k{i}"}, "expiration": {"N": "9999999999"}}
                        }
                    }
                    for i in range(first, first + 25)
                ]
            }
        )
    clock = FakeClock()
    state = DynamoDBState(TABLE, client=DynamoDB.from_env())
    subscriber.down()
    fwd = forwarder(state, subscriber.url, clock, attempt_timeout=0.5)
    for n in range(3):
        fwd.publish(f"evt-{n}", "record.file_ready", DATA | {"file_id": f"f{n}"})
    fwd.drain()
    subscriber.up()
    clock.now += 31
    before = (state.table.requests.copy(), state.table.items_read)
    # When the outbox tick runs
    assert fwd.drain()["delivered"] == 3
    # Then it asked the sparse index once and read the three items waiting, never the table
    sent = state.table.requests - before[0]
    assert sent["Query"] == 1 and "Scan" not in sent
    assert state.table.items_read - before[1] == 3  # the three waiting (each is then leased by a write)


# --- the tick works through a backlog: pages, concurrent sends, its deadline --------------------------


class Ticking:
    """A monotonic clock that moves only when told to (from any thread)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> float:
        """Move on by ``seconds``; the time it was before."""
        with self._lock:
            self.now += seconds
            return self.now - seconds


def backlog(state: Any, url: str, clock: FakeClock, n: int) -> list[str]:
    """``n`` events waiting for ``url``, none tried yet (published, their drain not run); their ids."""
    fwd = forwarder(state, url, clock)
    ids = [f"evt-{i:04d}" for i in range(n)]
    for i, payload_id in enumerate(ids):
        assert fwd.publish(payload_id, "record.file_ready", DATA | {"file_id": f"f{i}"})["queued"] == 1
    return ids


def deliveries(subscriber: Subscriber) -> Counter[str]:
    """How many times the subscriber received each payload id (``Liverec-Delivery``)."""
    return Counter(headers["liverec-delivery"] for headers, _ in subscriber.received)


def test_one_tick_delivers_a_backlog_of_300_each_exactly_once(state: Any, subscriber: Subscriber) -> None:
    # Given 300 events waiting for a subscriber (three pages of the tick's queries)
    clock = FakeClock()
    ids = backlog(state, subscriber.url, clock, 300)
    # When one tick drains the outbox, on its threads (its clock stands still: time is never short here)
    fwd = forwarder(state, subscriber.url, clock, monotonic=lambda: 0.0)
    assert fwd.workers > 1
    assert fwd.drain() == {"delivered": 300, "retrying": 0, "dead": 0, "skipped": 0}
    # Then the subscriber got every event once, signed, and nothing is left due
    assert deliveries(subscriber) == Counter(ids)
    headers, body = subscriber.received[-1]
    verify(headers["liverec-signature"], body, [SECRET], now=clock.now)
    clock.now += 3600
    assert fwd.drain() == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
    assert len(subscriber.received) == 300


@pytest.mark.parametrize("workers", [1, 8])
def test_a_slow_subscriber_ends_the_tick_before_its_deadline_and_the_next_tick_sends_the_rest(
    state: Any, subscriber: Subscriber, workers: int
) -> None:
    # Given 60 events waiting for a subscriber that takes a second to answer each
    clock, ticking = FakeClock(), Ticking()
    ids = backlog(state, subscriber.url, clock, 60)
    started: list[float] = []
    slow = True

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        started.append(ticking.advance(1.0 if slow else 0.0))
        return http_send(url, body, headers, timeout)

    fwd = forwarder(state, subscriber.url, clock, send=send, workers=workers, monotonic=ticking)
    # When a tick drains it (25 s, 2 s an attempt)
    first = fwd.drain()
    # Then it sent only what could end in time: 24 sends started at 0..23 s, each done by 25 s (and, with
    # more threads, the few already under way when the clock passed 23 s, each having seen time enough)
    assert fwd.drain_budget == 25.0 and fwd.attempt_timeout == 2.0
    assert 24 <= first["delivered"] <= 23 + workers and first["dead"] == first["skipped"] == 0
    assert max(started) <= 25.0 - 2.0 + (workers - 1)
    # and the rest stays due, never leased: no item lost
    assert first["retrying"] == 60 - first["delivered"] == len(state.due(PREFIX, clock.now, 100))
    # When the subscriber is fast again, the next tick sends the rest
    slow = False
    clock.now += 60
    assert fwd.drain()["delivered"] == 60 - first["delivered"]
    assert deliveries(subscriber) == Counter(ids)


def test_two_ticks_at_once_never_send_an_item_twice(state: Any, subscriber: Subscriber) -> None:
    # Given 300 events waiting, and two ticks (two containers) draining the outbox together
    clock = FakeClock()
    ids = backlog(state, subscriber.url, clock, 300)
    ticks = [forwarder(state, subscriber.url, clock, monotonic=lambda: 0.0) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def tick(fwd: Forwarder) -> None:
        barrier.wait()
        results.append(fwd.drain())

    threads = [threading.Thread(target=tick, args=(fwd,)) for fwd in ticks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then between them they delivered each event once: what one leased, the other skipped
    assert sum(r["delivered"] for r in results) == 300
    assert sum(r["retrying"] + r["dead"] for r in results) == 0
    assert deliveries(subscriber) == Counter(ids)


def test_a_store_failing_mid_tick_fails_the_tick_and_leaves_the_rest_due(subscriber: Subscriber) -> None:
    class Failing(MemoryState):
        leases = 0

        def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
            self.leases += 1
            if self.leases == 10:
                raise IdempotencyStoreUnavailable("the table is unavailable")
            return super().lease(key, now, seconds)

    state, clock = Failing(), FakeClock()
    backlog(state, subscriber.url, clock, 200)
    fwd = forwarder(state, subscriber.url, clock, workers=1, monotonic=lambda: 0.0)
    with pytest.raises(IdempotencyStoreUnavailable):
        fwd.drain()  # the timer's failure queue records the tick
    # what was queued behind the failure was not tried: 9 delivered, the other 191 still due
    assert len(subscriber.received) == 9
    assert len(state.due(PREFIX, clock.now, 1000)) == 191
