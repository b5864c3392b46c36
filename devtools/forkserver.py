"""A fork server: fresh Lambda containers for the price of a ``fork()``, for `make month`.

A Python start and the functions' imports cost about half a second here; a month of ticks in four
generations is over a thousand containers. The server (``python -m devtools.forkserver``) imports the
modules a tick and the HTTP functions need, and builds nothing: no settings, no clients, no caches (nothing in
``shared`` is built at import time; ``shared.app`` builds on first use). Each request forks one child, which
is then a fresh container in every sense that matters: it reads the environment, builds its settings, ledger
client, adapter and connection pools, runs one invocation and exits. It can be killed with SIGKILL at any
moment, as Lambda ends a timed-out or out-of-memory container; nothing it held survives but what it wrote
to DynamoDB and Tencent.

Protocol, one JSON object a line: a request on stdin (``function``, ``at``: UNIX seconds the wall clock is
stopped at, ``event``, ``out``: the file the child writes its answer to, optional ``remaining_ms`` and
``ledger_fault``); the server answers ``{"pid": N}`` once the child runs, then ``{"pid": N, "status": S}``
when it has ended (S: its exit code, or minus the signal that ended it). One child at a time per server.

In the child, the wall clock is stopped at ``at`` (the emulator's clock is frozen there too) and waiting
(pacing, backoff) moves only the monotonic clock, so no real second is spent sleeping: the emulator's own
rate windows, which run on real time, are off in the month; rate limiting comes as injected refusals.

``ledger_fault`` makes one DynamoDB call of the invocation fail, at the client's transport: ``nth`` (the
n-th request), ``mode``: ``before`` (refused, nothing written), ``after`` (written, the answer lost) or
``outage`` (that request and every later one refused).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# what a tick and the HTTP functions import on their paths (the lazy ones too: a child pays for none)
PRELOAD = (
    "functions.rollout.handler",
    "functions.scheduled.handler",
    "shared.recordings.rollout",
    "shared.recordings.catalog",
    "shared.storage.ledger_dynamodb",
    "shared.storage.program_store",
    "shared.tencent.record_task",
    "shared.tencent.live_record",
    "shared.tencent.v2",
    "shared.tencent.fcgi",
    "cronsim",
)


def _ledger_fault(fault: dict[str, Any]) -> None:
    """Make the ``nth`` DynamoDB request of this process fail as ``mode`` says."""
    from shared.support.aws import AwsError, AwsJsonClient

    real = AwsJsonClient._send
    seen = [0]

    def send(self: AwsJsonClient, operation: str, body: bytes, until: float) -> dict[str, Any]:
        seen[0] += 1
        n, mode = seen[0], fault["mode"]
        if n == fault["nth"] and mode == "after":
            real(self, operation, body, until)
            raise AwsError("NoAnswer", f"{operation}: no answer (injected); it may have been applied")
        if n == fault["nth"] or (mode == "outage" and n > fault["nth"]):
            raise AwsError("ServiceUnavailable", f"{operation}: refused (injected)", status=503)
        return real(self, operation, body, until)

    AwsJsonClient._send = send  # type: ignore[method-assign]


def _child(request: dict[str, Any], log: int) -> None:
    """One invocation in this (forked) process, its answer written to ``request["out"]``."""
    os.dup2(log, 1)
    os.dup2(log, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    from devtools.kit import LambdaContext
    from shared.app import use_clock

    at, slept = float(request["at"]), [0.0]

    def sleep(seconds: float) -> None:
        slept[0] += max(seconds, 0.0)

    use_clock(lambda: at, sleep, lambda: time.monotonic() + slept[0])
    if request.get("ledger_fault"):
        _ledger_fault(request["ledger_fault"])
    handler = importlib.import_module(f"functions.{request['function']}.handler")
    context = LambdaContext(
        function_name=f"liverec-{request['function']}", remaining_ms=int(request.get("remaining_ms", 29_000))
    )
    try:
        result = handler.lambda_handler(request["event"], context)
    except Exception as exc:  # noqa: BLE001 - Lambda's view: the invocation raised (and is retried)
        result = {"raised": f"{type(exc).__name__}: {exc}"}
    tmp = request["out"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(result, out)
    os.replace(tmp, request["out"])


def _status(code: int) -> int:
    return -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)


def serve(log_path: str) -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _child(request, log)
            except BaseException:  # noqa: BLE001 - a child never returns into the server's loop
                traceback.print_exc()
                code = 3
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, code = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "status": _status(code)}), flush=True)


class ForkServer:
    """The driver's side: one server process, asked for one child at a time."""

    def __init__(self, env: dict[str, str], log_path: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "devtools.forkserver", log_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=str(ROOT),
        )
        self._buffer = b""
        self.pid: int | None = None
        ready = self._line(timeout=60)
        if ready is None or not ready.get("ready"):
            raise RuntimeError(f"the fork server did not start (see {log_path})")

    def start(self, request: dict[str, Any]) -> int:
        """Fork a child for ``request``; its pid."""
        assert self.process.stdin is not None  # noqa: S101 - set by Popen
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        answer = self._line(timeout=60)
        if answer is None:
            raise RuntimeError("the fork server did not fork")
        self.pid = int(answer["pid"])
        return self.pid

    def wait(self, timeout: float | None = None) -> int | None:
        """The child's status once it has ended (exit code, or minus the signal), or None at ``timeout``."""
        answer = self._line(timeout=timeout)
        if answer is None:
            return None
        self.pid = None
        return int(answer["status"])

    def join(self) -> int:
        """The child's status, once it has ended."""
        status = self.wait()
        if status is None:  # pragma: no cover - no timeout: only an ended server answers nothing
            raise RuntimeError("the fork server ended")
        return status

    def kill(self) -> None:
        """SIGKILL the running child (by its pid), as Lambda ends a container."""
        if self.pid is not None:
            # it may have ended (and been reaped) just before: its status is then on its way
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # stuck: ended by its pid
            self.process.kill()
            self.process.wait()

    def _line(self, timeout: float | None) -> dict[str, Any] | None:
        assert self.process.stdout is not None  # noqa: S101 - set by Popen
        fd = self.process.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the fork server ended")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        found: dict[str, Any] = json.loads(line)
        return found


if __name__ == "__main__":
    serve(sys.argv[1])
