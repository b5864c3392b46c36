"""``make run``: the replay exits 0, and the gateway turns real HTTP into function invocations."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

pytestmark = pytest.mark.e2e
LOCAL_TOKEN = "local-dev-token-0123456789"
LOCAL_HOOK_SECRET = "local-hook-secret-0123456789"  # what make run configures and prints


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVE", "TENCENTCLOUD", "LIVEREC"))}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def test_run_once_replays_the_samples_and_exits_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BAD" not in out.stdout and out.stdout.count(" ok ") >= 5
    assert "booked" in out.stdout and "the emulator now holds" in out.stdout
    # the webhook loop closed: push -> callback -> recording -> file ready -> forwarded, verified webhook
    for step in ("callback 1 ->", "callback 332 ->", "callback 0 ->", "callback 100 ->"):
        (line,) = [line for line in out.stdout.splitlines() if step in line]
        assert line.strip().startswith("ok"), line
    assert "/vod/" in out.stdout  # the file's URL, as the subscriber received it


@contextlib.contextmanager
def make_run() -> Iterator[int]:
    """``make run`` serving on a free port until the block ends; then SIGTERM, and it exits 0."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.run", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        for line in proc.stdout:
            if "gateway on" in line or time.monotonic() > deadline:
                break
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_gateway_serves_http_until_terminated() -> None:
    with make_run() as port:
        # a highlight of a stream that is not live is refused where the generation can tell: push it first
        push = urllib.request.Request(
            f"http://127.0.0.1:{port}/_push", data=json.dumps({"stream": "gw"}).encode(), method="POST"
        )
        with urllib.request.urlopen(push, timeout=10) as resp:  # noqa: S310 - loopback
            assert resp.status == 200
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/recordings/realtime",
            data=json.dumps({"stream": "gw", "duration": 60}).encode(),
            headers={"Authorization": f"Bearer {LOCAL_TOKEN}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
            body = json.loads(resp.read())
            assert resp.status == 201 and body["stream"] == "gw" and body["mode"] == "realtime"
        # a signed highlight hook, as the printed openssl snippet signs it; the same request again is a replay
        body = json.dumps({"stream": "gw-hook", "duration": 60}).encode()
        t = int(time.time())
        digest = hmac.new(LOCAL_HOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        answers = []
        for _ in range(2):
            hook = urllib.request.Request(
                f"http://127.0.0.1:{port}/hooks/highlight",
                data=body,
                headers={"Liverec-Signature": f"t={t},v1={digest}", "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(hook, timeout=10) as resp:  # noqa: S310 - loopback
                answers.append(
                    (resp.status, resp.headers.get("Idempotent-Replayed"), json.loads(resp.read()))
                )
        assert [a[:2] for a in answers] == [(201, None), (201, "true")]
        assert answers[0][2]["task_id"] == answers[1][2]["task_id"]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/recordings?stream=gw", timeout=10)
        except urllib.error.HTTPError as err:  # no token: refused
            assert err.code == 401
        else:
            pytest.fail("an unauthenticated listing was answered")
        # what matches no route of serverless.yml is the gateway's 404, as the HTTP API answers it: an
        # unknown path, and a known path with another method
        for method, path in (
            ("GET", "/nope"),
            ("PUT", "/recordings/realtime"),
            ("GET", "/recordings/x/stop"),
            ("TRACE", "/recordings"),  # methods http.server has no handler for: 404 too, never its 501
            ("QUERY", "/recordings/realtime"),
        ):
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method), timeout=10
                )
            except urllib.error.HTTPError as err:
                assert (err.code, json.loads(err.read())) == (404, {"message": "Not Found"}), (method, path)
            else:
                pytest.fail(f"{method} {path} was answered")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_busy_port_is_one_clear_line_and_a_way_to_choose() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "devtools.run", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
            check=False,
        )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    (line,) = out.stderr.strip().splitlines()
    assert f"port {port}" in line and "in use" in line and f"PORT={port + 1}" in line and "--port" in line


# the walkthrough at today's instant, and at instants where its programs are on air (a tick books them late,
# which logs a warning): Monday 20:47 in Shanghai (evening-news), Saturday 09:00 there (weekend-marathon)
AT = [None, "2026-12-07T12:47:00Z", "2027-01-02T01:00:00Z"]


@pytest.mark.parametrize("instant", AT, ids=["now", "weekday-show-on-air", "weekend-show-on-air"])
def test_exported_tencent_credentials_alone_never_reach_a_real_account(instant: str | None) -> None:
    env = clean_env() | {"TENCENTCLOUD_SECRET_ID": "AKIDexported0000", "TENCENTCLOUD_SECRET_KEY": "exported"}
    at = [sys.executable, "-m", "devtools.fakenow", instant, "--"] if instant else []
    out = subprocess.run(
        [*at, sys.executable, "-m", "devtools.run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    notices = [line for line in out.stdout.splitlines() if "TENCENTCLOUD_SECRET_ID" in line]
    assert len(notices) == 1 and "ignored" in notices[0] and "--real" in notices[0]
    assert "Tencent Live at http://127.0.0.1:" in out.stdout  # the emulator answered
    # a quiet replay: the expected refusals are the replay's own short lines, no JSON log line
    assert not [line for line in out.stdout.splitlines() if line.lstrip().startswith("{")]
    refusals = [line for line in out.stdout.splitlines() if "-> 4" in line]
    assert len(refusals) == 2 and all(len(line) <= 120 for line in refusals), refusals


def test_real_is_asked_for_explicitly_and_needs_credentials() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.run", "--once", "--real"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        check=False,
    )
    assert out.returncode == 2 and "TENCENTCLOUD_SECRET_ID" in out.stderr and "Traceback" not in out.stderr


def readme_routes_block() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    (block,) = [b for b in blocks if "/recordings/scheduled" in b and "TOKEN=local-dev-token" in b]
    return block


def test_the_readme_examples_carry_no_fixed_date() -> None:
    # a literal date in an example is wrong some day (a start in the past is a 422)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL):
        if "curl" in block:
            assert not re.search(r"\b20\d\d-\d\d-\d\d", block), block


def concatenated_json(text: str) -> list[Any]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def readme_block(*markers: str) -> str:
    """The README's one ``sh`` block that holds every marker."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    (block,) = [b for b in blocks if all(m in b for m in markers)]
    return block


def run_block(block: str, env: dict[str, str] | None = None) -> tuple[list[Any], str]:
    """``block`` run by bash, as written, against a fresh ``make run`` (its port for 3000): the JSON answers
    it printed, and all it printed."""
    if not shutil.which("curl"):
        pytest.skip("curl is not on this machine")
    with make_run() as port:
        out = subprocess.run(
            [shutil.which("bash") or "/bin/bash", "-c", block.replace("127.0.0.1:3000", f"127.0.0.1:{port}")],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=clean_env() | (env or {}),
        )
    return concatenated_json(out.stdout), out.stdout


@pytest.mark.dates
def test_the_readme_examples_run_as_written_against_make_run() -> None:
    if not shutil.which("curl"):
        pytest.skip("curl is not on this machine")
    with make_run() as port:
        script = readme_routes_block().replace("127.0.0.1:3000", f"127.0.0.1:{port}")
        out = subprocess.run(
            [shutil.which("bash") or "/bin/bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=clean_env(),
        )
        answers = concatenated_json(out.stdout)  # curl -s prints each answer without a newline
        created = [a for a in answers if "task_id" in a and "mode" in a and "files" not in a]
        assert {a["mode"] for a in created} == {"scheduled", "realtime"}, out.stdout
        listing = next(a for a in answers if "tasks" in a)
        assert {a["task_id"] for a in created} <= {t["task_id"] for t in listing["tasks"]}
        assert all(t["status"] in ("scheduled", "recording") for t in listing["tasks"]), listing
        # the recording looked up, then stopped and deleted without its stream (204s print nothing)
        described = [a for a in answers if "files" in a]
        assert [d["status"] for d in described] == ["recording", "deleted"], out.stdout


@pytest.mark.dates
def test_the_readme_programs_walkthrough_runs_as_written_against_make_run() -> None:
    (stored, tick, shown, forecast, deleted), printed = run_block(
        readme_block("PUT http://127.0.0.1:3000/programs/noon")
    )
    assert stored["name"] == "noon" and stored["next_tick_books"] > 0, printed
    # make run's record-task states no limit: the forecast shows the peaks, noon's hours, and none over
    assert stored["warnings"] == [] and forecast["limit"] is None and forecast["over"] == [], forecast
    assert {h["hour"][11:] for h in forecast["hours"] if h["peak"]} == {"12:00:00Z"}, forecast
    # the bare tick ({}) booked the stored program (an occurrence the sample programs already booked, the
    # same stream and window, is found and not booked twice): its occurrences now carry task ids
    assert "error" not in tick and tick["failed"] == [] and tick["created"], tick
    assert shown["occurrences"] and all(o["task_id"] for o in shown["occurrences"]), shown
    assert deleted["deleted"] is True and deleted["cancelled"], deleted


@pytest.mark.dates
def test_the_readme_coverage_walkthrough_runs_as_written_against_make_run(tmp_path: Path) -> None:
    (_callback, recording, stored, tick, coverage), _ = run_block(
        readme_block("/programs/hourly/coverage"), {"TMPDIR": str(tmp_path)}
    )
    assert recording["coverage"]["asked_seconds"] == 120 and recording["coverage"]["files"] == 1, recording
    assert recording["reconciliation"].startswith("DescribeCallbackRecordsList: 1 recordings reconciled")
    assert stored["name"] == "hourly" and "error" not in tick and tick["failed"] == [], tick
    assert coverage["name"] == "hourly" and coverage["reconciliation"].startswith(
        "DescribeCallbackRecordsList"
    )
    svg = (tmp_path / "hourly-coverage.svg").read_text(encoding="utf-8")
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 - our own answer


def test_the_readme_wait_walkthrough_runs_as_written_against_make_run() -> None:
    (refused, armed, pushed, shown), printed = run_block(readme_block("/_push", '"wait": 600'))
    assert refused["error"]["code"] == "StreamNotLive", printed
    assert armed["state"] == "armed" and armed["stream"] == "match-7", printed
    assert pushed["pushed"] == "begin", printed
    assert shown["wait_id"] == armed["wait_id"] and shown["state"] == "started" and shown["task_id"], printed
