"""A local Tencent Live emulator: API 3.0 (CreateRecordTask and CreateLiveRecord families), v2 and fcgi.

Standard library only, independent of the package it checks. See README.md beside this file.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from devtools.emulator.clock import Clock
from devtools.emulator.config import Credentials, EmulatorConfig
from devtools.emulator.emulator import Emulator
from devtools.emulator.faults import Faults
from devtools.emulator.state import RequestRecord, TaskRecord

__all__ = [
    "Clock",
    "Credentials",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "RequestRecord",
    "TaskRecord",
    "emulator_process",
]


@contextmanager
def emulator_process(*flags: str) -> Iterator[str]:
    """The emulator's CLI in a child process on 127.0.0.1 (a free port, its default credentials, ``flags``
    such as ``--no-limits``); yields its base URL and stops it on exit."""
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "devtools.emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("LIVE", "TENCENTCLOUD"))},
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on" not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
