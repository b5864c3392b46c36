"""The operators' CLI against the local gateway of ``make run`` (loopback, a free port, stopped by the test);
and against servers that redirect elsewhere or answer with terminal escape sequences."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devtools.emulator import Emulator
from tests.functional.conftest import TOKEN, cli, local_gateway

# programs booked at the wall clock: make test-dates runs these at awkward instants
pytestmark = pytest.mark.dates

NEWS = {"stream": "news", "cron": "0 */6 * * *", "timezone": "UTC", "duration": 1800}


@pytest.fixture
def gateway(configure: Callable[..., None], fresh_emulator: Emulator) -> Iterator[str]:
    configure("live-record", LIVEREC_PROGRAMS="")
    with local_gateway() as url:
        yield url


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


# --- what the CLI sends where, and what it prints -------------------------------------------------------------

Route = tuple[int, dict[str, str], Any]


class FakeApi(BaseHTTPRequestHandler):
    """A server answering each path (query left out) with its route's status, headers and JSON body, and
    noting every request's path and Authorization header."""

    def do_GET(self) -> None:
        server: Any = self.server
        server.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = server.routes.get(self.path.split("?", 1)[0], (404, {}, {"error": {}}))
        raw = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value.format(port=server.other_port))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Route]], Any]]:
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> Any:
        server: Any = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
        server.daemon_threads = True
        server.routes, server.seen, server.other_port = routes, [], 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def url_of(server: Any) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_the_token_never_follows_a_redirect_to_another_origin(
    serve: Callable[[dict[str, Route]], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    elsewhere = serve({"/programs": (200, {}, {"programs": [], "next": None})})
    api = serve(
        {"/programs": (302, {"Location": "http://127.0.0.1:{port}/programs?ticket=redirect-secret"}, {})}
    )
    api.other_port = elsewhere.server_address[1]
    status, _ = cli(url_of(api), "programs")
    err = capsys.readouterr().err
    assert status == 2 and elsewhere.seen == []  # not followed: the other origin got nothing, no token
    assert f"redirects to http://127.0.0.1:{api.other_port}/programs?***" in err and "another origin" in err
    assert "redirect-secret" not in err and TOKEN not in err


def test_a_redirect_within_the_origin_is_followed_with_the_token(
    serve: Callable[[dict[str, Route]], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    api = serve(
        {
            "/programs": (301, {"Location": "/v1/programs?limit=100"}, {}),
            "/v1/programs": (200, {}, {"programs": [], "next": None}),
        }
    )
    status, out = cli(url_of(api), "programs")
    assert status == 0 and out == "no stored programs\n"
    assert [auth for _, auth in api.seen] == [f"Bearer {TOKEN}"] * 2


ESC = "\x1b"
HOSTILE = f"{ESC}]0;owned{chr(7)}{ESC}[2J\r\u202eevil\x9b"


def test_what_the_server_says_is_printed_escaped_and_urls_redacted(
    serve: Callable[[dict[str, Route]], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)
    recording = {
        "task_id": f"task{HOSTILE}",
        "stream": f"s{HOSTILE}",
        "state": "recorded",
        "start": "2026-01-01T00:00:00Z",
        "end": f"2026-01-01T01:00:00Z{HOSTILE}",
        "files": [
            {
                "end": "2026-01-01T01:00:00Z",
                "url": f"https://u:file-password@vod.example/f.mp4?sign=file-sig{ESC}",
            }
        ],
    }
    refusal = {
        "error": {
            "code": f"Boom{HOSTILE}",
            "message": f"see https://u:pw-in-msg@h.example/?token=msg-token {HOSTILE}",
        }
    }
    api = serve({"/recordings/t1": (200, {}, recording), "/recordings/t2": (500, {}, refusal)})
    status, out = cli(url_of(api), "files", "t1")
    assert status == 0 and "https://***@vod.example/f.mp4?***" in out
    status, _ = cli(url_of(api), "files", "t2")
    err = capsys.readouterr().err
    assert status == 2 and "Boom" in err and "https://***@h.example/?***" in err
    for shown in (out, err):
        assert not any(c in shown for c in (ESC, chr(7), "\r", "\u202e", "\x9b"))
        assert "\\x1b]0;owned\\x07\\x1b[2J\\r\\u202eevil\\x9b" in shown  # escaped as repr escapes them
        assert not any(s in shown for s in ("file-password", "file-sig", "pw-in-msg", "msg-token", TOKEN))
