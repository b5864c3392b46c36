"""``make run``: the replay exits 0, and the gateway turns real HTTP into function invocations."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

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


def test_gateway_serves_http_until_terminated() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
                headers={"Liverec-Signature": f"t={t},v1={digest}"},
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
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
