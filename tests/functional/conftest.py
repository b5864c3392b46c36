"""Functional tests: the real handlers, fed API Gateway HTTP API (payload v2) events, against the emulator."""

from __future__ import annotations

import functools
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from devtools import kit, liverec_cli
from devtools.emulator import Emulator
from devtools.kit import Subscriber
from devtools.kit.moto import REGION as AWS_REGION
from devtools.kit.moto import aws_env, ledger_table, moto_server
from devtools.run import Gateway
from shared.app import reset, use_clock
from shared.support.config import get_settings
from tests.conftest import FCGI_APPID, FCGI_KEY, SECRET_ID, SECRET_KEY

TABLE = "liverec-test-table"  # the idempotency table (also holds the webhook state), on moto's server
TOKEN = "test-token-0123456789abcdef"
EVENTS_TOKEN = "local-dev-token-0123456789"  # the token the events/ samples carry


@pytest.fixture(scope="session")
def moto_dynamodb() -> Iterator[tuple[str, Any]]:
    """moto's server in its own process (devtools.kit.moto), started once and stopped at the end of the session;
    yields its URL and a boto3 client to inspect tables with (boto3 and moto are test-only: the functions
    reach the server through their own standard-library client)."""
    import boto3

    with moto_server() as url:
        client = boto3.client(
            "dynamodb",
            region_name=AWS_REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield url, client
        client.close()


@pytest.fixture
def dynamodb(moto_dynamodb: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh, empty ledger table on moto's server; the AWS environment points the functions at it.
    Yields a boto3 client to inspect the table."""
    url, client = moto_dynamodb
    for var, value in aws_env(url).items():
        monkeypatch.setenv(var, value)
    ledger_table(url, TABLE)
    try:
        yield client
    finally:
        client.delete_table(TableName=TABLE)


@pytest.fixture
def configure(fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point the functions at the emulator with a given LIVE_API; rebuilds settings and the service."""

    def apply(api: str = "record-task", **extra: str) -> None:
        env = {
            "LIVE_API": api,
            "LIVE_ENDPOINT": fresh_emulator.base_url,
            "TENCENTCLOUD_SECRET_ID": SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "LIVE_FCGI_APPID": str(FCGI_APPID),
            "LIVE_FCGI_KEY": FCGI_KEY,
            "LIVE_DOMAIN": "5000.live.push.com",
            "LIVE_APP": "live",
            "LIVEREC_API_TOKENS": f"{TOKEN},{EVENTS_TOKEN}",
            "POWERTOOLS_METRICS_NAMESPACE": "LiverecTest",
            # the suite's highlights record streams nobody pushes: the tests of the live check
            # (test_highlights.py) configure the default, LIVEREC_LIVE_CHECK="" (refuse)
            "LIVEREC_LIVE_CHECK": "off",
        }
        env.update(extra)
        for key, value in env.items():
            if value == "":
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        reset()

    apply()
    yield apply
    get_settings.cache_clear()
    reset()


@pytest.fixture(autouse=True)
def system_clock_after() -> Iterator[None]:
    """Every test leaves the functions on the real clock and real sleeps: a test that set a simulated one
    (use_clock) and did not restore it would leave the next test in its worker pacing on frozen time, its
    requests flooding the emulator's real-time rate windows and its backoff never waiting."""
    yield
    use_clock()


@pytest.fixture(params=["memory", "dynamodb"])
def frozen(
    request: pytest.FixtureRequest,
    configure: Callable[..., None],
    fresh_emulator: Emulator,
) -> Iterator[float]:
    """live-record (a one-day horizon) on the given store, at the run's instant, frozen (the functions and
    the emulator share the clock); yields that instant."""
    extra = {}
    if request.param == "dynamodb":
        request.getfixturevalue("dynamodb")
        extra["LIVEREC_IDEMPOTENCY_TABLE"] = TABLE
    configure("live-record", **extra)
    now = float(int(time.time()))
    fresh_emulator.clock.freeze(now)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    limits = dict(fresh_emulator.config.rate_limits)  # real-time windows: pacing runs on the frozen clock
    fresh_emulator.config.rate_limits.clear()
    yield now
    fresh_emulator.config.rate_limits.update(limits)
    use_clock()


@pytest.fixture
def simulated(fresh_emulator: Emulator) -> Iterator[Callable[[], None]]:
    """One simulated clock for the emulator and the functions (the week, the dated ticks): pacing and
    backoff advance it; each call is a fresh container (settings, clients, adapter). The emulator's own rate
    windows run on real time, so they are off here; rate limiting comes as injected bursts."""
    limits = dict(fresh_emulator.config.rate_limits)
    fresh_emulator.config.rate_limits.clear()
    clock = fresh_emulator.clock

    def new_container() -> None:
        get_settings.cache_clear()
        use_clock(clock.now, clock.advance, clock.now)

    yield new_container
    fresh_emulator.config.rate_limits.update(limits)
    use_clock()


# the kit's builder, carrying the tests' bearer token unless told otherwise (token=None: none)
http_event = functools.partial(kit.http_event, token=TOKEN)


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    sub = Subscriber()
    yield sub
    sub.down()


@contextmanager
def local_gateway() -> Iterator[str]:
    """``make run``'s local gateway on a free loopback port, in front of the functions as configured; its
    base URL. Stopped on leaving."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cli(url: str, *args: str) -> tuple[int, str]:
    """The operators' CLI against ``url``: its exit code and what it printed."""
    out = io.StringIO()
    return liverec_cli.main(["--url", url, *args], out), out.getvalue()
