"""The emulator's CLI and ``make run`` stop cleanly, exit 0, on any number of SIGTERM/SIGINT.

Real subprocesses, signalled in bursts 0-2 ms apart (TERM and INT mixed), several at once: a handler that
took a lock could deadlock on the second signal of a burst, or end the process with another status.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BURSTS = (1, 2, 5)


def clean_env() -> dict[str, str]:
    """No credentials nor endpoint of the developer's: both programs then run against their own emulator."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIVE", "TENCENTCLOUD", "LIVEREC", "GATEWAY", "EMULATOR"))
        and "proxy" not in k.lower()
    }


def start(args: list[str], ready: str, count: int) -> list[subprocess.Popen[str]]:
    """``count`` processes started at once; returns when each has printed ``ready``."""
    procs = [
        subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if not any(ready in line for line in proc.stdout):
            for other in procs:
                other.kill()
                other.communicate(timeout=5)
            pytest.fail(f"{args} ended before saying {ready!r}")
    return procs


def burst(proc: subprocess.Popen[str], count: int, rng: random.Random) -> list[str]:
    sent = []
    for _ in range(count):
        sig = rng.choice((signal.SIGTERM, signal.SIGINT))
        proc.send_signal(sig)
        sent.append(sig.name)
        time.sleep(rng.choice((0.0, 0.0, rng.uniform(0, 0.002))))
    return sent


def stop_all(procs: list[subprocess.Popen[str]], counts: list[int], seed: int) -> None:
    """Signal every process (bursts of ``counts``), then each must exit 0 within a few seconds."""
    rng = random.Random(seed)
    sent = [burst(proc, count, rng) for proc, count in zip(procs, counts, strict=True)]
    failures = []
    for proc, signals in zip(procs, sent, strict=True):
        try:
            proc.communicate(timeout=5)  # drains stdout too
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)
            failures.append((signals, "still running after 5 s"))
            continue
        if proc.returncode != 0:
            failures.append((signals, f"exit status {proc.returncode}"))
    assert not failures, failures


@pytest.mark.parametrize("seed", range(3))
def test_emulator_cli_exits_0_on_bursts_of_signals(seed: int) -> None:
    counts = [n for n in BURSTS for _ in range(2)]  # six processes at once: 1, 1, 2, 2, 5, 5 signals
    procs = start(
        ["-m", "devtools.emulator", "--host", "127.0.0.1", "--port", "0"], "listening on", len(counts)
    )
    stop_all(procs, counts, seed)


def test_make_run_exits_0_on_bursts_of_signals() -> None:
    counts = list(BURSTS)
    procs = start(["-m", "devtools.run", "--port", "0"], "gateway on http://127.0.0.1:", len(counts))
    stop_all(procs, counts, seed=7)
