"""Run a command, and every process it starts, at a chosen instant that advances normally.

    python -m devtools.fakenow 2027-03-14T06:59:00Z -- pytest -q -m dates

The instant is ISO-8601 with an offset (``Z``, ``+08:00``): it names one second everywhere. The wall clock of the command and of everything under it
(pytest and its xdist workers, the emulator, moto's server, the local gateway, functions run in
subprocesses, ``date``, node) reads that instant plus the time elapsed since this command started: one
offset, computed once here, handed down in the environment.

How: libfaketime (the PyPI package ``libfaketime`` ships the preloadable library), preloaded with a relative
offset (``FAKETIME=+Ns``). It is chosen over time-machine because it reaches every process the tests start,
not only the Python one that patches itself, and costs less per clock read (bench/fake_clock.py writes the
measurement to bench/FAKE_CLOCK.md). Monotonic clocks are left real (``DONT_FAKE_MONOTONIC``): timeouts,
pacing and deadlines keep running on real time, as in production.

``LIVEREC_NOW`` is set for the command to the instant asked for; the tests' conftest checks that the clock it
sees agrees with it, so a run that asked for an instant and did not get it fails instead of passing at today.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

NOW_VARIABLE = "LIVEREC_NOW"
# what carries the fake clock to a child: a command that builds its child's environment from scratch (a clean
# PATH, no developer variables) adds these back with carried()
CLOCK_VARIABLES = (
    "LD_PRELOAD",
    "FAKETIME",
    "DONT_FAKE_MONOTONIC",
    "FAKETIME_FORCE_MONOTONIC_FIX",
    NOW_VARIABLE,
)
# where Debian's package puts it, for machines the PyPI wheel's x86-64 library does not fit
SYSTEM_LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant with an explicit offset; a naive one is refused (it would mean the machine's zone)."""
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SystemExit(
            f"fakenow: {text!r} is not an ISO-8601 instant (e.g. 2027-03-14T06:59:00Z)"
        ) from None
    if instant.tzinfo is None:
        raise SystemExit(
            f"fakenow: {text!r} has no offset: write Z or +08:00, the machine's zone is not used"
        )
    return instant.astimezone(UTC)


def library() -> str:
    """The preloadable libfaketime: the PyPI package's (x86-64), else Debian's ``libfaketime`` package."""
    candidates = []
    if platform.machine() in ("x86_64", "AMD64"):
        import libfaketime  # the PyPI package: its library is a file inside it

        candidates.append(str(Path(libfaketime.__file__).parent / "vendor/libfaketime/src/libfaketime.so.1"))
    candidates.extend(SYSTEM_LIBRARIES)
    for path in candidates:
        if Path(path).is_file():
            return path
    raise SystemExit(f"fakenow: no libfaketime for {platform.machine()}: apt-get install libfaketime")


def environment(instant: datetime, real_now: float, base: dict[str, str]) -> dict[str, str]:
    """``base`` with the preload and the offset that make ``real_now`` read as ``instant``."""
    if base.get("FAKETIME"):
        raise SystemExit("fakenow: already under a fake clock (FAKETIME is set); nesting would add offsets")
    offset = instant.timestamp() - real_now
    env = dict(base)
    preload = base.get("LD_PRELOAD")
    env.update(
        LD_PRELOAD=library() + (f":{preload}" if preload else ""),
        FAKETIME=f"{offset:+.3f}s",
        DONT_FAKE_MONOTONIC="1",
        # python-libfaketime's setting: libfaketime's fix for condition-variable waits can hang threads
        FAKETIME_FORCE_MONOTONIC_FIX="0",
    )
    env[NOW_VARIABLE] = instant.isoformat().replace("+00:00", "Z")
    return env


def carried() -> dict[str, str]:
    """The variables of this process's fake clock (none on a run at the real clock), for a child's own env."""
    return {name: os.environ[name] for name in CLOCK_VARIABLES if name in os.environ}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.fakenow", description=__doc__.split("\n")[0])
    parser.add_argument("instant", help="ISO-8601 with an offset, e.g. 2027-03-14T06:59:00Z")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command: python -m devtools.fakenow INSTANT -- COMMAND...")
    env = environment(parse_instant(args.instant), time.time(), dict(os.environ))
    sys.stdout.flush()
    os.execvpe(command[0], command, env)  # noqa: S606 - the developer's own command, as typed


if __name__ == "__main__":
    main()
