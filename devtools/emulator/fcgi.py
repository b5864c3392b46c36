"""fcgi on ``/common_access``: GET query parameters signed ``sign = md5_hex(key + str(t))``, where ``t`` is
the request's expiry; answers ``{"ret": 0, "message": "", ...}`` or ``{"ret": N, "message"}``."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from devtools.emulator import fcgi_tape
from devtools.emulator.config import Credentials
from devtools.emulator.errors import ApiError, lookup_code, missing
from devtools.emulator.params import INT_TEXT
from devtools.emulator.server import Incoming, Outcome, Reply
from devtools.emulator.tasks import Context

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

# API 3.0 code (or its prefix) -> ret. Tencent documents only "ret != 0 is a failure": these are ours.
CODES: dict[str, int] = {
    "AppidInvalid": 1002,
    "AuthFailure.SignatureFailure": 1003,
    "AuthFailure.SignatureExpire": 1004,
    "InvalidAction": 1005,
    "ResourceNotFound": 1006,
    "LimitExceeded": 1007,
    "RequestLimitExceeded": 1007,
}
DEFAULT = 1001  # missing or invalid parameter


def render(payload: dict[str, Any] | ApiError) -> Reply:
    if isinstance(payload, ApiError):
        return Reply(body={"ret": lookup_code(CODES, payload.code, DEFAULT), "message": payload.message})
    return Reply(body={"ret": 0, "message": "", **payload})


def verify_fcgi(creds: Credentials, params: Mapping[str, str], now: float) -> None:
    """The customer id as ``appid`` or ``cmd``; ``t`` = expiry, valid up to and including second ``t``;
    ``sign = md5_hex(key + str(t))``, compared lower-cased in constant time."""
    appid = params.get("appid") or params.get("cmd")
    if not appid:
        raise ApiError("AppidInvalid", "appid is missing (send appid, or cmd)")
    if appid != str(creds.fcgi_appid):
        raise ApiError("AppidInvalid", "appid is invalid")
    t_raw, sign = params.get("t", ""), params.get("sign", "")
    if not t_raw:
        raise missing("t")
    if not INT_TEXT.match(t_raw):
        raise ApiError("InvalidParameter", "invalid parameter t: must be a UNIX time (decimal integer)")
    if not sign:
        raise missing("sign")
    t = int(t_raw)
    expected = hashlib.md5((creds.fcgi_key + str(t)).encode("utf-8")).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), sign.lower().encode("utf-8")):
        raise ApiError("AuthFailure.SignatureFailure", "sign is invalid (md5(key + t) does not match)")
    if now > t:
        raise ApiError("AuthFailure.SignatureExpire", f"t={t} has expired (server time {int(now)})")


def handle(emu: Emulator, req: Incoming) -> Reply:
    params = dict(parse_qsl(req.query, keep_blank_values=True))
    outcome = Outcome(api="fcgi", params=params, action=params.get("interface"))
    try:
        now = emu.clock.now()
        verify_fcgi(emu.config.credentials, params, now)
        outcome.auth_ok = True
        action = outcome.action
        if not action:
            raise ApiError("MissingParameter", "missing required parameter interface")
        handler = fcgi_tape.ACTIONS.get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"invalid parameter interface: no such interface {action!r}")
        args = {k: v for k, v in params.items() if k.startswith("Param.")}

        def process() -> dict[str, Any]:
            return handler(Context(emu.state, emu.config, now, None), args)

        reply = emu.run(outcome, action, render, process, None)
    except ApiError as err:
        reply = render(err)
    return emu.finish(outcome, req, reply)
