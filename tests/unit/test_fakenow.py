"""A run at a chosen instant: the instant is read everywhere under it, and make test-dates picks the instants
issue #23 names, whatever day it is run on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools.dates import instants, next_weekday, run
from devtools.fakenow import carried, environment, parse_instant

PROBE = "import time, subprocess; print(time.time()); print(subprocess.run(['date', '+%s'], capture_output=True, text=True).stdout)"


def test_an_instant_needs_an_offset() -> None:
    assert parse_instant("2027-03-14T06:59:00Z") == datetime(2027, 3, 14, 6, 59, tzinfo=UTC)
    assert parse_instant("2027-03-15T07:30:00+08:00") == datetime(2027, 3, 14, 23, 30, tzinfo=UTC)
    with pytest.raises(SystemExit, match="no offset"):
        parse_instant("2027-03-14T06:59:00")
    with pytest.raises(SystemExit, match="not an ISO-8601 instant"):
        parse_instant("next saturday")


def test_the_offset_is_computed_once_and_never_nested() -> None:
    env = environment(datetime(2038, 1, 19, 3, 14, tzinfo=UTC), 1_000_000_000.0, {"LD_PRELOAD": "other.so"})
    assert env["FAKETIME"] == f"{2147483640 - 1_000_000_000:+.3f}s"
    assert env["LD_PRELOAD"].endswith(":other.so") and env["DONT_FAKE_MONOTONIC"] == "1"
    assert env["LIVEREC_NOW"] == "2038-01-19T03:14:00Z"
    with pytest.raises(SystemExit, match="already under a fake clock"):
        environment(datetime(2038, 1, 19, tzinfo=UTC), time.time(), env)


def test_every_process_of_the_run_reads_the_instant_advancing() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.fakenow", "2028-02-29T12:00:00Z", "--", sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k not in ("FAKETIME", "LD_PRELOAD")},
    )
    python_now, date_now = (float(line) for line in out.stdout.split())
    instant = datetime(2028, 2, 29, 12, 0, tzinfo=UTC).timestamp()
    # the run advances from the instant (never behind it); a child process (`date`) reads the same clock
    assert instant <= python_now < instant + 600 and instant <= date_now + 1 and date_now < instant + 600


def test_carried_names_only_the_clock() -> None:
    assert set(carried()) <= {
        "LD_PRELOAD",
        "FAKETIME",
        "DONT_FAKE_MONOTONIC",
        "FAKETIME_FORCE_MONOTONIC_FIX",
        "LIVEREC_NOW",
    }


@pytest.mark.parametrize("offset", range(7))
def test_the_weekday_instants_are_the_next_ones_whatever_today_is(offset: int) -> None:
    today = date(2026, 12, 6) + timedelta(days=offset)  # a week of todays, each weekday once
    found = {name: (at, zone) for name, at, zone in instants(today)}
    saturday, sunday, friday, monday = (
        found[n][0] for n in ("saturday-noon", "sunday-late-china", "friday-last-seconds", "monday-mid-show")
    )
    assert saturday.astimezone(UTC).strftime("%a %H:%M:%S") == "Sat 12:00:00"
    assert sunday.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%a %H:%M") == "Sun 23:30"
    assert friday.astimezone(UTC).strftime("%a %H:%M:%S") == "Fri 23:59:30"
    assert monday.astimezone(UTC).strftime("%a %H:%M:%S") == "Mon 06:20:00"
    for instant in (saturday, sunday, friday, monday):
        assert today < instant.date() <= today + timedelta(days=7)
    assert next_weekday(today, today.weekday()) == today + timedelta(days=7)
    # the fixed ones, as the issue names them; every run under a machine zone of its own
    assert {
        n: a.astimezone(UTC)
        for n, (a, _) in found.items()
        if n not in ("saturday-noon", "sunday-late-china", "friday-last-seconds", "monday-mid-show")
    } == {
        "us-dst-starts": datetime(2027, 3, 14, 6, 59, tzinfo=UTC),
        "us-dst-ends": datetime(2027, 11, 7, 5, 59, tzinfo=UTC),
        "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
        "year-end": datetime(2027, 12, 31, 23, 55, tzinfo=UTC),
        "y2038": datetime(2038, 1, 19, 3, 14, tzinfo=UTC),
    }
    assert len({zone for _, zone in found.values()}) >= 7


@pytest.mark.parametrize(
    ("script", "crash_only"),
    [
        # an xdist worker's crash: the run fails, and only because of it
        (
            "print(\"FAILED t.py::a - worker 'gw1' crashed while running 't.py::a'\"); raise SystemExit(1)",
            True,
        ),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", True),  # pytest itself killed by a signal
        # a test that fails is a verdict, with or without a crash beside it
        ("print('FAILED t.py::b - assert 1 == 2'); raise SystemExit(1)", False),
        (
            "print(\"FAILED t.py::a - worker 'gw0' crashed while running 't.py::a'\"); "
            "print('FAILED t.py::b - assert 1 == 2'); raise SystemExit(1)",
            False,
        ),
        ("print('ERROR t.py::c - fixture'); raise SystemExit(1)", False),
        ("print('all passed')", False),
    ],
)
def test_make_test_dates_runs_again_only_what_a_crash_alone_failed(
    script: str, crash_only: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    code, crashed = run([sys.executable, "-c", script], dict(os.environ))
    assert crashed is crash_only
    assert (code != 0) is (script != "print('all passed')")
    assert "all passed" in capsys.readouterr().out or code != 0
