"""The emulator's clock: real time by default, shifted or frozen by a test."""

from __future__ import annotations

import math
import threading
import time


class Clock:
    """UNIX time that follows the real clock, shifted by ``set``/``advance``, or frozen by ``freeze``.

    ``set`` and ``advance`` move an offset (time keeps flowing); ``freeze`` stops it until ``reset``.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, ts: float) -> None:
        ts = finite(ts, "ts")
        with self._lock:
            if self._frozen is not None:
                self._frozen = ts
            else:
                self._offset = ts - time.time()

    def advance(self, seconds: float) -> None:
        seconds = finite(seconds, "seconds")
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, ts: float | None = None) -> None:
        """Stop the clock at ``ts`` (default: the current emulated time)."""
        now = self.now() if ts is None else finite(ts, "ts")
        with self._lock:
            self._frozen = now

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None

    def reset(self) -> None:
        """Back to real time: no offset, not frozen."""
        with self._lock:
            self._offset = 0.0
            self._frozen = None


def finite(value: object, name: str) -> float:
    """``value`` as a float, or ValueError when it is not a finite number (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    return float(value)
