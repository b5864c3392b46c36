"""The operators' CLI against the local gateway of ``make run`` (loopback, a free port, stopped by the test)."""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer

import pytest

from devtools import liverec_cli
from devtools.emulator import Emulator
from devtools.run import Gateway
from tests.functional.conftest import TOKEN

# programs booked at the wall clock: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

NEWS = {"stream": "news", "cron": "0 */6 * * *", "timezone": "UTC", "duration": 1800}


@pytest.fixture
def gateway(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[str]:
    configure("live-record", LIVEREC_PROGRAMS="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def cli(url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return liverec_cli.main(["--url", url, *args], out), out.getvalue()


def test_programs_tick_upcoming_files(
    gateway: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback gateway
        f"{gateway}/programs/news",
        data=json.dumps(NEWS).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 201
    status, out = cli(gateway, "programs")
    found = re.search(r"next tick books (\d+)", out)
    assert status == 0 and "news" in out and found is not None
    due = int(found.group(1))
    assert due >= 4  # every 6 h, a day ahead

    status, out = cli(gateway, "tick")
    assert status == 0, out
    assert "booking: " in out and f"{due} booked" in out  # the progress line, then the tick's report
    status, out = cli(gateway, "upcoming")
    lines = out.strip().splitlines()
    assert status == 0 and due - 1 <= len(lines) <= due and all(" news " in line for line in lines)
    assert "not booked yet" not in out
    task_id = lines[0].split()[-1]
    status, out = cli(gateway, "files", task_id)
    assert status == 0 and task_id in out and "no files yet" in out
    status, out = cli(gateway, "recording-now")
    assert status == 0

    status, out = cli(gateway, "files", "4242")
    assert status == 2 and "RecordingNotFound" in capsys.readouterr().err
    monkeypatch.delenv("LIVEREC_TOKEN")
    status, _ = cli(gateway, "programs")
    err = capsys.readouterr().err
    assert status == 2 and "401" in err and "LIVEREC_TOKEN" in err and TOKEN not in err
