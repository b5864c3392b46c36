"""v2 on ``/v2/index.php``: query (GET) or form (POST) parameters signed HmacSHA1/HmacSHA256, a Nonce
that may not repeat; answers ``{"code": 0, "message": "", ...}`` or ``{"code": N, "message", "codeDesc"}``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from devtools.emulator import v2_record
from devtools.emulator.errors import ApiError, lookup_code
from devtools.emulator.hmac_auth import verify_hmac
from devtools.emulator.server import Incoming, Outcome, Reply
from devtools.emulator.tasks import Context

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

WINDOW = 7200  # Timestamp within 2 hours; a Nonce may not repeat within the same window
COMMON = frozenset(
    {"Action", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature", "RequestClient"}
)
# API 3.0 code (or its prefix) -> (v2 code, codeDesc). The numbers are v2's common ones: 4000 invalid
# parameters, 4100 authentication failed, 4400 quota exceeded, 4500 replay (a Nonce reused, or Timestamp
# more than 2 hours off), 5000 resource does not exist. Every codeDesc is ours.
CODES: dict[str, tuple[int, str]] = {
    "AuthFailure": (4100, "AuthFailure"),
    "AuthFailure.SignatureExpire": (4500, "TimestampOutOfRange"),
    "NonceReplay": (4500, "NonceReplay"),
    "RequestLimitExceeded": (4400, "RequestLimitExceeded"),
    "LimitExceeded": (4400, "LimitExceeded"),
    "ResourceNotFound": (5000, "ResourceNotFound"),
    "InvalidAction": (4000, "InvalidAction"),
}
DEFAULT = (4000, "InvalidParameter")
# Region: the short names v2's common-parameter documents list, or the API 3.0 long form (ap-guangzhou).
# The finance zones shjr and szjr are not in those documents (Tencent's consoles use them): an assumption.
# The product maps LIVE_REGION to these in shared/tencent/v2.py; this is the emulator's own copy.
SHORT_REGIONS = frozenset(
    {"gz", "sh", "bj", "cd", "cq", "hk", "sg", "th", "kr", "jp", "de", "in", "ca", "usw", "use", "gzopen"}
    | {"shjr", "szjr"}
)
_LONG_REGION = re.compile(r"^[a-z]{2}-[a-z]+(?:-[a-z]+)?$")


def render(payload: dict[str, Any] | ApiError) -> Reply:
    if isinstance(payload, ApiError):
        number, desc = lookup_code(CODES, payload.code, DEFAULT)
        return Reply(body={"code": number, "message": payload.message, "codeDesc": desc})
    return Reply(body={"code": 0, "message": "", **payload})


def check_nonce(emu: Emulator, params: dict[str, str], now: float) -> None:
    key = (params["SecretId"], params["Nonce"])
    with emu.state.lock:
        seen = emu.state.nonces.get(key)
        if seen is not None and abs(now - seen) <= WINDOW:
            raise ApiError(
                "NonceReplay", "this Nonce was already used within 2 hours: the request looks replayed"
            )
        emu.state.nonces[key] = now


def check_region(region: str | None) -> None:
    """Absent is accepted; present, it is a short name or the long form."""
    if region and region not in SHORT_REGIONS and not _LONG_REGION.match(region):
        raise ApiError(
            "InvalidParameter",
            f"invalid parameter Region: {region!r} is neither a short name ({', '.join(sorted(SHORT_REGIONS))})"
            " nor a long one (ap-guangzhou)",
        )


def handle(emu: Emulator, req: Incoming) -> Reply:
    source = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
    params = dict(parse_qsl(source, keep_blank_values=True))
    outcome = Outcome(api="v2", params=params, action=params.get("Action"))
    try:
        now = emu.clock.now()
        verify_hmac(
            emu.config.credentials, method=req.method, host=req.headers.get("host", ""), path=req.path,
            params=params, now=now, window=WINDOW,
        )  # fmt: skip
        check_nonce(emu, params, now)
        outcome.auth_ok = True
        action = outcome.action
        if not action:
            raise ApiError("MissingParameter", "missing required parameter Action")
        handler = v2_record.ACTIONS.get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"invalid parameter Action: no such Action {action!r}")
        check_region(params.get("Region"))
        args = {k: v for k, v in params.items() if k not in COMMON}

        def process() -> dict[str, Any]:
            return handler(Context(emu.state, emu.config, now, params.get("Region")), args)

        reply = emu.run(outcome, action, render, process, None)
    except ApiError as err:
        reply = render(err)
    return emu.finish(outcome, req, reply)
