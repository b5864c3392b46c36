"""One adapter per Tencent API generation, behind the :class:`LiveAdapter` interface.

``get_adapter`` imports only the selected generation's module. Every generation talks to Tencent through
one standard-library transport (``transport.py``); no deployment loads the Tencent SDK.
"""

from __future__ import annotations

import time

from shared.adapters.base import LiveAdapter, RetryPolicy, Sleep, WireRequest
from shared.config import LiveApi, Settings
from shared.timeutil import Clock, system_clock

__all__ = ["LiveAdapter", "RetryPolicy", "WireRequest", "get_adapter"]


def get_adapter(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sleep: Sleep = time.sleep,
    retry: RetryPolicy | None = None,
) -> LiveAdapter:
    retry = retry or RetryPolicy()
    if settings.api is LiveApi.RECORD_TASK:
        from shared.adapters.record_task import RecordTaskAdapter

        return RecordTaskAdapter(settings, clock=clock, sleep=sleep, retry=retry)
    if settings.api is LiveApi.LIVE_RECORD:
        from shared.adapters.live_record import LiveRecordAdapter

        return LiveRecordAdapter(settings, clock=clock, sleep=sleep, retry=retry)
    if settings.api is LiveApi.V2:
        from shared.adapters.v2 import V2Adapter

        return V2Adapter(settings, clock=clock, sleep=sleep, retry=retry)
    from shared.adapters.fcgi import FcgiAdapter

    return FcgiAdapter(settings, clock=clock, sleep=sleep, retry=retry)
