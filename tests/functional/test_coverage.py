"""What was recorded: the coverage of a recording (``GET /recordings/{task_id}``) and of a program's occurrences
(``GET /programs/{name}/coverage``, JSON or SVG), from the record-file callbacks liverec kept, and reconciled
with Tencent's record of its callbacks (DescribeCallbackRecordsList, in the emulator) where the generation
can: a file whose callback was lost is found and added, marked reconciled. At a frozen instant, on the
emulator's clock."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from devtools.emulator import Emulator
from devtools.gateway import Routes
from devtools.kit import LambdaContext, parse
from shared.app import use_clock
from shared.edge.program_responses import ProgramCoverageView
from shared.edge.responses import RecordingDetail
from shared.recordings.rollout import COVERAGE_GRACE
from shared.support.timeutil import isoformat
from tests.functional.conftest import TOKEN, cli, http_event, local_gateway
from tests.functional.test_programs import bare_tick, put
from tests.functional.test_tracking import highlight
from tests.functional.test_webhooks import CALLBACK_KEY, drain, record_file, signed

# at the run's instant, frozen: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

ROUTES = Routes.from_serverless()


def api(event: dict[str, Any]) -> tuple[int, Any]:
    return parse(ROUTES.dispatch(event, LambdaContext()))


def iso(ts: int) -> str:
    return isoformat(datetime.fromtimestamp(ts, UTC))


@pytest.fixture
def clock(fresh_emulator: Emulator) -> Iterator[float]:
    """The functions and the emulator on one frozen clock, at the run's instant (rate windows off)."""
    now = float(int(time.time()))
    fresh_emulator.clock.freeze(now)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    limits = dict(fresh_emulator.config.rate_limits)
    fresh_emulator.config.rate_limits.clear()
    yield now
    fresh_emulator.config.rate_limits.update(limits)
    use_clock()


def deliver(emu: Emulator, task_id: str, stream: str, start: int, end: int, n: int) -> None:
    """Tencent's record-file callback for [start, end), signed at the emulator's instant, kept."""
    fields = record_file(
        task_id=task_id,
        stream_id=stream,
        channel_id=stream,
        file_id=f"file-{task_id}-{n}",
        video_url=f"http://1234.vod2.myqcloud.com/{n}.mp4",
        start_time=start,
        end_time=end,
        duration=end - start,
    )
    raw = json.dumps(signed(fields, t=int(emu.clock.now()) + 600))
    status, body = api(http_event("POST", "/callbacks/tencent", raw_body=raw, token=None))
    assert status == 200, body
    drain()


def detail(task_id: str, **query: str) -> RecordingDetail:
    status, body = api(http_event("GET", f"/recordings/{task_id}", query=query or None))
    assert status == 200, body
    return RecordingDetail.model_validate(body)


@pytest.mark.parametrize("generation", ["record-task", "live-record"])
def test_a_lost_callback_is_a_gap_until_reconciliation_finds_it(
    generation: str, configure: Callable[..., None], clock: float, fresh_emulator: Emulator
) -> None:
    configure(generation, LIVE_CALLBACK_KEY=CALLBACK_KEY)
    made = highlight("match-1", 600)
    task_id = made["task_id"]
    start = int(datetime.fromisoformat(made["start"]).timestamp())
    end = int(datetime.fromisoformat(made["end"]).timestamp())
    assert end - start == 600
    deliver(fresh_emulator, task_id, "match-1", start, start + 200, 1)
    deliver(fresh_emulator, task_id, "match-1", start + 150, start + 300, 2)  # overlaps the first
    fresh_emulator.callbacks.record_file(task_id, start + 300, start + 450, lost=True)  # never arrives
    deliver(fresh_emulator, task_id, "match-1", start + 500, end, 3)
    fresh_emulator.clock.advance(end - clock + 60)  # the recording has ended

    seen = detail(task_id)
    assert seen.coverage is not None
    assert (seen.coverage.asked_seconds, seen.coverage.recorded_seconds) == (600, 400)
    assert seen.coverage.gaps == [[iso(start + 300), iso(start + 500)]]
    assert seen.coverage.final and seen.coverage.short and seen.coverage.reconciled_files == 0
    assert {f.source for f in seen.files} == {"callback"} and seen.reconciliation is None

    fixed = detail(task_id, reconcile="true")
    assert fixed.coverage is not None
    assert fixed.coverage.recorded_seconds == 550
    assert fixed.coverage.gaps == [[iso(start + 450), iso(start + 500)]]
    assert fixed.coverage.reconciled_files == 1 and fixed.coverage.files == 4
    reconciled = [f for f in fixed.files if f.source == "reconciled"]
    assert [(f.start, f.end) for f in reconciled] == [(iso(start + 300), iso(start + 450))]
    assert fixed.reconciliation is not None and "1 files added" in fixed.reconciliation
    asked = [r for r in fresh_emulator.requests() if r.action == "DescribeCallbackRecordsList"]
    assert asked and all(r.params["StreamName"] == "match-1" and r.status == 200 for r in asked)

    again = detail(task_id, reconcile="true")  # nothing added twice
    assert again.coverage == fixed.coverage and again.reconciliation is not None
    assert "0 files added" in again.reconciliation


@pytest.mark.parametrize("generation", ["v2", "fcgi"])
def test_without_api_3_0_there_is_coverage_and_the_answer_says_there_is_no_reconciliation(
    generation: str, configure: Callable[..., None], clock: float, fresh_emulator: Emulator
) -> None:
    configure(generation, LIVE_CALLBACK_KEY=CALLBACK_KEY)
    made = highlight("match-1", 600)
    start = int(datetime.fromisoformat(made["start"]).timestamp())
    deliver(fresh_emulator, made["task_id"], "match-1", start, start + 600, 1)
    seen = detail(made["task_id"], reconcile="true")
    assert seen.coverage is not None and seen.coverage.recorded_seconds == 600 and not seen.coverage.short
    assert seen.reconciliation is not None
    assert seen.reconciliation.startswith(f"no reconciliation: LIVE_API={generation} cannot reconcile")
    assert not [r for r in fresh_emulator.requests() if r.action == "DescribeCallbackRecordsList"]


HOURLY = {"stream": "news", "cron": "0 * * * *", "timezone": "UTC", "duration": 600}


def emitted(out: str, metric: str) -> list[dict[str, Any]]:
    """The EMF blobs of ``metric`` the functions printed."""
    return [
        b for line in out.splitlines() if line.startswith('{"_aws"') and metric in (b := json.loads(line))
    ]


def logged(out: str, message: str) -> list[dict[str, Any]]:
    return [
        e
        for line in out.splitlines()
        if line.startswith("{") and (e := json.loads(line)).get("message") == message
    ]


def test_a_programs_occurrences_with_their_coverage_in_json_and_svg_and_the_tick_counts_a_short_one(
    frozen: float,
    fresh_emulator: Emulator,
    configure: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On either store (the frozen fixture: live-record), a program's ended occurrence with a gap: shown,
    drawn, then counted short once by the tick after its grace, reconciled first."""
    configure("live-record", LIVE_CALLBACK_KEY=CALLBACK_KEY)  # the frozen fixture's store and clock kept
    status, body = put("news", HOURLY)
    assert status == 201, body
    first = next(o for o in body["occurrences"] if datetime.fromisoformat(o["start"]).timestamp() > frozen)
    begin = int(datetime.fromisoformat(first["start"]).timestamp())
    assert "error" not in bare_tick()
    status, body = api(http_event("GET", "/programs/news", query={"from": iso(begin), "to": iso(begin + 1)}))
    task_id = body["occurrences"][0]["task_id"]
    assert task_id
    fresh_emulator.clock.advance(begin - frozen)
    deliver(fresh_emulator, task_id, "news", begin, begin + 300, 1)
    fresh_emulator.callbacks.record_file(task_id, begin + 300, begin + 350, lost=True)
    deliver(fresh_emulator, task_id, "news", begin + 400, begin + 600, 2)
    fresh_emulator.clock.advance(700)

    query = {"from": iso(begin - 60), "to": iso(begin + 700)}
    status, body = api(http_event("GET", "/programs/news/coverage", query=query))
    assert status == 200, body
    view = ProgramCoverageView.model_validate(body)
    assert [o.task_id for o in view.occurrences] == [task_id]
    cover = view.occurrences[0].coverage
    assert cover is not None and cover.gaps == [[iso(begin + 300), iso(begin + 400)]]
    assert (view.asked_seconds, view.recorded_seconds, view.short, view.threshold) == (600, 500, 1, 0.95)
    assert view.reconciliation is None

    event = http_event("GET", "/programs/news/coverage", query=query, headers={"Accept": "image/svg+xml"})
    answer = ROUTES.dispatch(event, LambdaContext())
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(answer["body"])  # noqa: S314 - our own answer
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    gaps = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == "#d22"]
    assert len(gaps) == 1

    def tick() -> list[dict[str, Any]]:
        """A bare tick: the short recordings it logged, each counted once (an occurrence under way when
        the program was stored, booked late, may end short too: a test at hh:00:05 has one)."""
        capsys.readouterr()
        caplog.clear()
        assert "error" not in bare_tick()
        shorts = [r.__dict__ for r in caplog.records if r.getMessage().startswith("recording short")]
        assert [b["api"] for b in emitted(capsys.readouterr().out, "CoverageShort")] == ["live-record"] * len(
            shorts
        )
        return [s for s in shorts if s["task_id"] == task_id]

    assert tick() == []  # within the grace: not judged yet (a late callback may come)
    # past its grace, at the tick that next reads the program: a stored one is read when due, here when
    # its next hour enters the horizon
    fresh_emulator.clock.advance(begin + 3600 - fresh_emulator.clock.now())
    assert fresh_emulator.clock.now() >= begin + 600 + COVERAGE_GRACE
    (short,) = tick()
    assert short["program"] == "news"
    # reconciled first: the lost file is found, 550 of 600 s is still under 0.95
    assert (short["recorded_seconds"], short["reconciled_files"], short["gaps"]) == (550, 1, 1)
    assert tick() == []  # once per recording


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "to"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"reconcile": "maybe"}, "reconcile"),
    ],
)
def test_a_bad_period_is_422_naming_the_field(
    query: dict[str, str], field: str, configure: Callable[..., None]
) -> None:
    assert put("news", HOURLY)[0] == 201
    status, body = api(http_event("GET", "/programs/news/coverage", query=query))
    assert status == 422, body
    assert body["error"]["field"] == field
    status, body = api(http_event("GET", "/programs/nothing/coverage"))
    assert status == 404 and body["error"]["code"] == "ProgramNotFound"


@pytest.fixture
def gateway(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[str]:
    configure("record-task", LIVE_CALLBACK_KEY=CALLBACK_KEY)
    with local_gateway() as url:
        yield url


def test_the_cli_shows_coverage_and_writes_the_timeline(
    gateway: str,
    clock: float,
    fresh_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    made = highlight("match-1", 600)
    start = int(datetime.fromisoformat(made["start"]).timestamp())
    deliver(fresh_emulator, made["task_id"], "match-1", start, start + 300, 1)
    fresh_emulator.callbacks.record_file(made["task_id"], start + 300, start + 600, lost=True)
    fresh_emulator.clock.advance(700)
    status, out = cli(gateway, "files", made["task_id"])
    assert status == 0
    assert f"coverage: 300 of 600 s (50.0%) SHORT, 1 gaps: {iso(start + 300)}-{iso(start + 600)}" in out

    assert put("news", HOURLY)[0] == 201
    status, out = cli(gateway, "coverage", "news", "--reconcile")
    assert status == 0 and out.startswith("news ") and "0 short" in out
    assert "DescribeCallbackRecordsList: 0 recordings reconciled" in out  # none of news ended yet
    target = tmp_path / "news.svg"
    status, out = cli(gateway, "coverage", "news", "--svg", str(target))
    assert status == 0 and str(target) in out
    root = ElementTree.fromstring(target.read_text(encoding="utf-8"))  # noqa: S314 - our own answer
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    status, _ = cli(
        gateway, "coverage", "news", "--from", "2026-01-01T00:00:00Z", "--to", "2026-03-01T00:00:00Z"
    )
    assert status == 2 and "InvalidRequest" in capsys.readouterr().err
