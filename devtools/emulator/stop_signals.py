"""Wait for SIGTERM or SIGINT (Ctrl-C) with nothing done inside a signal handler.

The Python-level handlers do nothing; the interpreter's own C-level handler writes each signal's number to
a pipe (``signal.set_wakeup_fd``) and the main thread blocks reading that pipe. No lock is ever taken in a
handler. Once the wait is over the signals are ignored outright (``SIG_IGN``): at exit the interpreter
puts every signal that has a Python handler back to its default action, so a SIGTERM arriving while the
process finalizes would otherwise kill it (status -15) instead of letting it exit 0. Any number of
signals, arriving at any moment (during the wait, during the shutdown that follows it, several within a
millisecond), is therefore harmless: the first one ends the wait, the rest change nothing.

Used by the emulator's CLI and by ``devtools/run.py`` (``make run``); the main thread must create it.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Nothing: the wake-up byte the interpreter writes for this signal is what counts."""


class StopSignals:
    """Install once, before telling anyone that you are ready (they may signal at once); then :meth:`wait`.

    From then on these signals no longer interrupt the process (no KeyboardInterrupt, no default
    termination): the program decides when to stop, and exits normally.
    """

    def __init__(self, signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> None:
        self._wanted = frozenset(int(s) for s in signals)
        self._read, self._write = os.pipe()  # kept open for the life of the process
        os.set_blocking(self._write, False)
        # the wake-up fd first: a signal that arrives once its handler is ours is then never missed
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for sig in signals:
            signal.signal(sig, _ignore)

    def wait(self) -> int:
        """Block until one of the signals arrives (or has arrived since installation); returns its number.
        From then on they are ignored: the caller shuts down and exits normally."""
        while True:
            data = os.read(self._read, 64)
            if not data:  # the write end is never closed: this would be a bug, not a signal
                raise RuntimeError("the signal wake-up pipe was closed")
            for number in data:
                if number in self._wanted:
                    for wanted in self._wanted:
                        signal.signal(wanted, signal.SIG_IGN)
                    return number
