"""Capacity ahead of time: ``GET /programs/forecast`` and ``PUT /programs/{name}``'s warning, through the
routes serverless.yml declares, on a frozen clock shared with the emulator; and ``liverec forecast``."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools import liverec_cli
from devtools.emulator import Emulator
from devtools.events import load_event
from devtools.gateway import Routes
from devtools.kit import LambdaContext, parse
from functions.rollout import handler as rollout
from shared.app import reset, use_clock
from shared.edge.program_responses import ProgramForecast, ProgramView
from shared.edge.responses import ErrorBody
from shared.support.config import get_settings
from tests.functional.conftest import TOKEN, http_event, local_gateway

# programs at fixed UTC hours, against the run's instant: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

ROUTES = Routes.from_serverless()
Configure = Callable[..., None]
# an hour at 20:00 UTC every day
EVENING = {"cron": "0 20 * * *", "timezone": "UTC", "duration": 3600}


def api(event: dict[str, Any]) -> tuple[int, Any]:
    return parse(ROUTES.dispatch(event, LambdaContext()))


def put(name: str, body: dict[str, Any]) -> tuple[int, Any]:
    return api(http_event("PUT", f"/programs/{name}", body))


def get_forecast(**query: str) -> tuple[int, Any]:
    return api(http_event("GET", "/programs/forecast", query=query or None))


def evenings(now: float, days: int) -> list[str]:
    """The 20:00 UTC hours of the forecast window: ``days`` from the start of ``now``'s hour."""
    begin = datetime.fromtimestamp(now, UTC).replace(minute=0, second=0, microsecond=0)
    hours = (begin + timedelta(hours=h) for h in range(24 * days))
    return [h.strftime("%Y-%m-%dT%H:%M:%SZ") for h in hours if h.hour == 20]


@pytest.fixture
def limited(frozen: float, monkeypatch: pytest.MonkeyPatch) -> float:
    """The frozen run (live-record, either store) with a concurrent-recording limit of 2."""
    monkeypatch.setenv("LIVEREC_CONCURRENT_LIMIT", "2")
    get_settings.cache_clear()
    reset()
    return frozen


def test_several_programs_peak_and_a_put_pushing_over_warns(limited: float) -> None:
    for name in ("first", "second"):
        status, body = put(name, EVENING | {"stream": name})
        assert status == 201 and ProgramView.model_validate(body).warnings == [], body
    status, body = get_forecast(days="3")
    assert status == 200, body
    found = ProgramForecast.model_validate(body)
    assert (found.limit, found.limit_source, found.days, len(found.hours)) == (2, "setting", 3, 72)
    assert {h.hour for h in found.hours if h.peak == 2} == set(evenings(limited, 3))
    assert found.over == [] and found.peak == 2 and found.programs == 2
    assert found.recordings == 2 * len(evenings(limited, 3))

    # one on the first's stream and window shares its recording: no more at Tencent, no warning
    status, body = put("twin", EVENING | {"stream": "first"})
    assert status == 201 and body["warnings"] == [], body
    # a third stream at the same hour takes each evening of the next 7 days to 3: stored, with a warning
    status, body = put("third", EVENING | {"stream": "third"})
    assert status == 201, body
    stored = ProgramView.model_validate(body)
    [warning] = stored.warnings
    days7 = evenings(limited, 7)
    assert f"{len(days7)} hour(s)" in warning and "limit of 2" in warning and days7[0] in warning
    status, body = api(http_event("GET", "/programs/third"))
    assert status == 200 and body["name"] == "third"  # stored all the same

    status, body = get_forecast()  # 7 days by default
    found = ProgramForecast.model_validate(body)
    assert [h.hour for h in found.over] == days7 and {h.peak for h in found.over} == {3}
    assert all(h.programs == ["first", "second", "third", "twin"] for h in found.over)
    assert all(h.programs_total == 4 for h in found.over)
    assert found.peak == 3 and found.peak_hour == days7[0]


@pytest.mark.parametrize(
    ("query", "field"), [({"days": "0"}, "days"), ({"days": "32"}, "days"), ({"days": "a"}, "days")]
)
def test_bad_days_are_422_naming_days(query: dict[str, str], field: str, configure: Configure) -> None:
    status, body = get_forecast(**query)
    assert status == 422, body
    assert ErrorBody.model_validate(body).error.field == field


def test_no_program_can_be_named_forecast(configure: Configure) -> None:
    status, body = put("forecast", EVENING | {"stream": "s"})
    assert status == 422 and body["error"]["field"] == "name", body
    status, body = get_forecast()  # the route, never a program of that name
    assert status == 200 and body["programs"] == 0 and body["peak"] == 0


@pytest.fixture
def at_instant(fresh_emulator: Emulator) -> Iterator[float]:
    now = float(int(fresh_emulator.clock.now()))
    fresh_emulator.clock.freeze(now)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    yield now
    use_clock()


@pytest.mark.parametrize(
    ("api_name", "limit", "shared_by_name"),
    [("record-task", None, False), ("live-record", 400, False), ("v2", None, True), ("fcgi", 400, True)],
)
def test_each_generation_counts_its_own_recordings(
    api_name: str, limit: int | None, shared_by_name: bool, configure: Configure, at_instant: float
) -> None:
    """The limit is the generation's documented one where it states one; a stream is its name alone in v2
    and fcgi, so one name on two push domains is one recording there, two elsewhere."""
    configure(api_name)
    for name, domain in (("a", "one.example.com"), ("b", "two.example.com")):
        status, body = put(name, EVENING | {"stream": "s", "domain": domain})
        assert status == 201 and body["warnings"] == [], body
    status, body = get_forecast(days="2")
    assert status == 200, body
    found = ProgramForecast.model_validate(body)
    assert found.limit == limit and found.limit_source == ("generation" if limit else None)
    per_evening = 1 if shared_by_name else 2
    assert found.recordings == per_evening * len(evenings(at_instant, 2)) and found.peak == per_evening
    assert {h.hour for h in found.hours if h.peak} == set(evenings(at_instant, 2))


@pytest.fixture
def gateway(limited: float) -> Iterator[str]:
    with local_gateway() as url:
        yield url


def test_the_cli_prints_the_hours_over_the_limit(
    gateway: str, limited: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    out = io.StringIO()
    assert liverec_cli.main(["--url", gateway, "forecast", "--days", "2"], out) == 0
    assert "no hour over the limit" in out.getvalue() and "limit 2 (setting)" in out.getvalue()
    for name in ("first", "second", "third"):
        assert put(name, EVENING | {"stream": name})[0] == 201
    out = io.StringIO()
    assert liverec_cli.main(["--url", gateway, "forecast", "--days", "2"], out) == 0
    lines = out.getvalue().splitlines()
    over = [line for line in lines[1:] if "peak 3 (over by 1)" in line]
    assert [line.split()[0] for line in over] == evenings(limited, 2)
    assert all(line.endswith("first, second, third") for line in over)
    out = io.StringIO()
    assert liverec_cli.main(["--url", gateway, "forecast", "--days", "40"], out) == 2


def test_what_the_forecast_puts_over_the_limit_is_what_tencent_refuses(
    limited: float, fresh_emulator: Emulator
) -> None:
    """The emulator refuses a task past its running cap (LimitExceeded.MaximumRunningTask) as Tencent does:
    with the cap at the limit, the evenings the forecast puts over it are those a tick cannot fully book."""
    fresh_emulator.config.running_task_cap = 2
    for name in ("first", "second", "third"):
        assert put(name, EVENING | {"stream": name})[0] == 201
    assert put("twin", EVENING | {"stream": "first"})[0] == 201  # shares first's recording: no task more
    status, body = get_forecast(days="2")
    over = {h.hour for h in ProgramForecast.model_validate(body).over}
    assert status == 200 and over == set(evenings(limited, 2))

    report = bare_tick()
    refused = [f for f in report["failed"] if f["error"]["code"] == "LimitExceeded.MaximumRunningTask"]
    assert refused and len(refused) == len(report["failed"]), report["failed"]
    # each evening the tick booked: two tasks at Tencent, the third refused; every one of them forecast
    booked = {t.start for t in fresh_emulator.tasks()}
    assert len(refused) == len(booked) and all(
        sum(t.start == start for t in fresh_emulator.tasks()) == 2 for start in booked
    )
    # (an evening under way is booked from now: its hour is the forecast's)
    assert {f"{f['start'][:13]}:00:00Z" for f in refused} <= over


def bare_tick() -> dict[str, Any]:
    result: dict[str, Any] = rollout.lambda_handler(
        load_event("rollout_timer_bare"), LambdaContext(remaining_ms=300_000)
    )
    return result
