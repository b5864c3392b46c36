"""Pacing requests to a documented rate: Tencent counts a caller's requests in any one-second window."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Tencent counts arrivals in any one-second window. Evenly spaced at exactly the limit, the 21st request of
# a 20/s action arrives 1.000 s after the 1st, so any jitter in between (a GC pause, a slow packet) makes it
# the 21st in that window and it is refused. At 97% the 21st leaves 30 ms later: room for jitter, and
# still above the 95% of the limit a rollout should achieve (bench/RESULTS.md).
PACING = 0.97


class TokenBucket:
    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        # No bursts: Tencent counts requests in any one-second window, so pace evenly instead.
        self.capacity = 1.0
        self.tokens = 1.0
        self.clock = clock
        self.sleep = sleep
        self.last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            while True:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1 - 1e-6:  # refill arithmetic may leave 0.999999...
                    self.tokens = max(0.0, self.tokens - 1)
                    return
                # at least a microsecond: a clock in epoch seconds cannot resolve much less, and a wait
                # shorter than its resolution would never move it
                self.sleep(max((1 - self.tokens) / self.rate, 1e-6))
