"""``python -m devtools.emulator``: one line on stdout, credentials from the environment, clean exit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ENV_NAMES = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "LIVE_FCGI_APPID", "LIVE_FCGI_KEY")
LISTENING = re.compile(r"^Tencent Live emulator listening on (http://127\.0\.0\.1:(\d+))\n$")


@contextmanager
def emulator_process(env: dict[str, str], *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    base = {k: v for k, v in os.environ.items() if k not in ENV_NAMES and "proxy" not in k.lower()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.emulator", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=ROOT,
        env=base | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = LISTENING.match(line)
        assert match, line
        yield proc, match.group(1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback only
        result: dict[str, Any] = json.loads(resp.read())
        return result


def fcgi_start(base_url: str, appid: str, key: str) -> dict[str, Any]:
    t = int(time.time()) + 60
    sign = hashlib.md5((key + str(t)).encode()).hexdigest()
    return get(
        f"{base_url}/common_access?appid={appid}&interface=Live_Tape_Start&Param.s.channel_id=c"
        f"&Param.n.task_sub_type=1&t={t}&sign={sign}"
    )


def test_credentials_from_the_environment_and_sigterm_exits_zero() -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": "AKIDcli",
        "TENCENTCLOUD_SECRET_KEY": "cli-secret-value",
        "LIVE_FCGI_APPID": "4321",
        "LIVE_FCGI_KEY": "cli-fcgi-value",
    }
    with emulator_process(env) as (proc, base_url):
        assert get(f"{base_url}/_emulator/health") == {"ok": True}
        assert fcgi_start(base_url, "4321", "cli-fcgi-value")["ret"] == 0
        assert fcgi_start(base_url, "1234", "emulator-fcgi-key")["ret"] == 1002
        assert len(get(f"{base_url}/_emulator/tasks")["tasks"]) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        out, err = proc.communicate(timeout=5)
    assert out == "" and err == ""  # nothing but the one line; every variable was set
    for secret in ("cli-secret-value", "cli-fcgi-value"):
        assert secret not in out + err


def test_development_defaults_and_ctrl_c_exits_zero() -> None:
    with emulator_process({}) as (proc, base_url):
        assert fcgi_start(base_url, "1234", "emulator-fcgi-key")["ret"] == 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
        _, err = proc.communicate(timeout=5)
    assert all(name in err for name in ENV_NAMES)  # it says which defaults are in use, by name only
    assert "emulator-secret-key" not in err and "emulator-fcgi-key" not in err


@pytest.mark.parametrize(("args", "words"), [(("--host", "0.0.0.0"), "127.0.0.1"), (("--port", "x"), "port")])  # noqa: S104
def test_refuses_bad_arguments(args: tuple[str, ...], words: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.emulator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert out.returncode == 2 and words in out.stderr and out.stdout == ""
