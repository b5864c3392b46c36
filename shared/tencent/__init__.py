"""One adapter per Tencent API generation, behind the :class:`LiveAdapter` interface.

``get_adapter`` imports only the selected generation's module. Every generation talks to Tencent through
one standard-library transport (``transport.py``); no deployment loads the Tencent SDK.
"""

from __future__ import annotations

import time

from shared.support.config import LiveApi, Settings
from shared.support.timeutil import Clock, system_clock
from shared.tencent.adapter import LiveAdapter, RetryPolicy, Sleep, WireRequest

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
        from shared.tencent.record_task import RecordTaskAdapter

        return RecordTaskAdapter(settings, clock=clock, sleep=sleep, retry=retry)
    if settings.api is LiveApi.LIVE_RECORD:
        from shared.tencent.live_record import LiveRecordAdapter

        return LiveRecordAdapter(settings, clock=clock, sleep=sleep, retry=retry)
    if settings.api is LiveApi.V2:
        from shared.tencent.v2 import V2Adapter

        return V2Adapter(settings, clock=clock, sleep=sleep, retry=retry)
    from shared.tencent.fcgi import FcgiAdapter

    return FcgiAdapter(settings, clock=clock, sleep=sleep, retry=retry)
