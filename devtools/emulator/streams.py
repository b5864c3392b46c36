"""API 3.0, a stream's state: DescribeLiveStreamState, answered from the pushes the emulator knows
(``push_begin`` / ``push_end``, the control API's ``push``): ``active`` while the stream is pushed,
``inactive`` otherwise, ``forbid`` for a stream the control API banned (``{"action": "forbid"}``).
Domain, app and stream name the stream exactly (all three are required, as Tencent's page says)."""

from __future__ import annotations

from typing import Any

from devtools.emulator.params import STRING, text
from devtools.emulator.tasks import Context, Handler


def describe_live_stream_state(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream, app, domain = text(p, "StreamName"), text(p, "AppName"), text(p, "DomainName")
    assert stream is not None and app is not None and domain is not None  # noqa: S101 - required above
    if ctx.stream_state is None:
        return {"StreamState": "inactive"}
    return {"StreamState": ctx.stream_state(domain, app, stream)}


ACTIONS: dict[str, Handler] = {"DescribeLiveStreamState": describe_live_stream_state}
PARAMS: dict[str, dict[str, str]] = {
    "DescribeLiveStreamState": {"AppName": STRING, "DomainName": STRING, "StreamName": STRING}
}
# besides the common codes (api3.COMMON_CODES): none answered here
CODES: dict[str, frozenset[str]] = {"DescribeLiveStreamState": frozenset()}
