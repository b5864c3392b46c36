"""The webhook outbox's throughput (issue #25, point 4): a backlog of due forwards drained by the timer's
``Forwarder.drain`` to a local subscriber, and whether each was delivered once.

    python -m bench.outbox 2000             # DynamoDB (moto's server), prints the result as JSON
    python -m bench.outbox 2000 --memory    # the in-process store

The backlog is queued as the callbacks queue it (``publish``: written, nothing sent), in the
DynamoDB store on moto's server on 127.0.0.1 (its own process, the table as serverless.yml declares it:
the drain reads the sparse ``due-index``), or the in-process store. The subscriber is the kit's, on
127.0.0.1 in this process, checking every signature (a refused one is not delivered). The timer's ticks
then run back to back, each with its own budget (25 s), until nothing is left: ``seconds`` is their wall
time, ``per_minute`` the deliveries a minute while draining, and ``duplicates`` the deliveries of a payload
id (``Liverec-Delivery``) beyond its first. One tick works at most 25 s of each minute: a backlog larger
than a tick drains goes out at about ``per_minute * 25 / 60`` a minute. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from bench.common import moto_dynamodb
from devtools.kit import Subscriber

TABLE = "liverec-bench-outbox"
SECRET = "bench-outbox-secret-0123456789abcdef"  # noqa: S105 - signs the bench's forwards only
METRICS_OFF = "POWERTOOLS_METRICS_DISABLED"
MAX_TICKS = 20  # a backlog that needs more ticks than this is reported as not all delivered


def outbox_rate(backlog: int, *, store: str = "dynamodb") -> dict[str, Any]:
    """Queue ``backlog`` forwards (``store``: "dynamodb", on moto's server, or "memory"), drain them to the
    kit's subscriber, and return ``{"backlog", "delivered", "seconds", "per_minute", "duplicates"}``."""
    with _store(store) as state, _quiet():
        subscriber = Subscriber(secret=SECRET)
        try:
            _fill(state, subscriber.url, backlog)
            delivered, seconds = _drain(state, subscriber.url, backlog)
            received = Counter(headers["liverec-delivery"] for headers, _ in subscriber.received)
        finally:
            subscriber.down()
    return {
        "backlog": backlog,
        "delivered": delivered,
        "seconds": round(seconds, 2),
        "per_minute": round(delivered / seconds * 60) if seconds > 0 else 0,
        "duplicates": sum(n - 1 for n in received.values()),
    }


@contextmanager
def _store(store: str) -> Iterator[Any]:
    if store == "memory":
        from shared.storage.memory import MemoryState

        yield MemoryState()
        return
    if store != "dynamodb":
        raise ValueError(f"no such store: {store!r} (dynamodb or memory)")
    from shared.storage.dynamodb import DynamoDB
    from shared.storage.state_dynamodb import DynamoDBState

    with moto_dynamodb(TABLE) as aws:
        client = DynamoDB.from_env(aws)
        try:
            yield DynamoDBState(TABLE, client=client)
        finally:
            client.close()


@contextmanager
def _quiet() -> Iterator[None]:
    """No EMF line and no INFO log per delivery meanwhile (thousands of them would be the run's output)."""
    from shared.support.observability import logger

    level, metrics = logger.log_level, os.environ.get(METRICS_OFF)
    logger.setLevel("WARNING")
    os.environ[METRICS_OFF] = "true"
    try:
        yield
    finally:
        logger.setLevel(level)
        if metrics is None:
            os.environ.pop(METRICS_OFF, None)
        else:
            os.environ[METRICS_OFF] = metrics


def _forwarder(state: Any, url: str, **kwargs: Any) -> Any:
    from shared.webhooks.outbox import Forwarder

    return Forwarder(urls=(url,), secret=SecretStr(SECRET), state=state, **kwargs)


def _fill(state: Any, url: str, backlog: int) -> None:
    """``backlog`` record-file events queued for ``url``, none tried yet (published: nothing is sent then)."""
    publisher = _forwarder(state, url)
    for n in range(backlog):
        data = {"event_type": 100, "stream_id": "bench", "file_id": f"f{n}", "video_url": f"http://v/{n}.mp4"}
        publisher.publish(f"bench-{n:06d}", "record.file_ready", data)


def _drain(state: Any, url: str, backlog: int) -> tuple[int, float]:
    """The timer's ticks back to back until the backlog is delivered (or a tick finds nothing it can send):
    the deliveries and the seconds they took."""
    ticker = _forwarder(state, url)
    delivered = 0
    started = time.perf_counter()
    for _ in range(MAX_TICKS):
        tally = ticker.drain()
        delivered += tally["delivered"]
        if delivered >= backlog or tally["delivered"] == 0:
            break
    return delivered, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__)
    parser.add_argument("backlog", type=int, nargs="?", default=2000)
    parser.add_argument("--memory", action="store_true", help="the in-process store, not moto's DynamoDB")
    args = parser.parse_args(argv)
    result = outbox_rate(args.backlog, store="memory" if args.memory else "dynamodb")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0 if result["delivered"] == args.backlog and result["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
