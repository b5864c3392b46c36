"""API 3.0 on ``/`` (version 2018-08-01): JSON bodies signed TC3-HMAC-SHA256, or the SDK's form/query
encoding signed HmacSHA1/HmacSHA256; both action families; answers ``{"Response": {...}}``.

The TC3 check is implemented from Tencent's rules, independently of the package's signer and of the SDK.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from devtools.emulator import callback_records, live_record, record_task, streams
from devtools.emulator.config import Credentials
from devtools.emulator.errors import ApiError
from devtools.emulator.hmac_auth import verify_hmac
from devtools.emulator.params import INT_TEXT, check_declared
from devtools.emulator.server import Incoming, Outcome, Reply
from devtools.emulator.tasks import Context, Handler

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

API_VERSION = "2018-08-01"
WINDOW = 300  # more than 5 minutes off -> AuthFailure.SignatureExpire
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
ACTIONS: dict[str, Handler] = (
    record_task.ACTIONS | live_record.ACTIONS | callback_records.ACTIONS | streams.ACTIONS
)
PARAMS: dict[str, dict[str, str]] = (
    record_task.PARAMS | live_record.PARAMS | callback_records.PARAMS | streams.PARAMS
)
# The codes any action (or a request that names none) can be answered; all are in Tencent's common list.
COMMON_CODES = frozenset(
    {
        "AuthFailure.InvalidAuthorization",
        "AuthFailure.SignatureExpire",
        "AuthFailure.SecretIdNotFound",
        "AuthFailure.SignatureFailure",
        "InvalidAction",
        "NoSuchVersion",
        "MissingParameter",
        "InvalidParameter",
        "UnknownParameter",
        "RequestLimitExceeded",
        "InternalError",  # Tencent's common list; answered only when a test injects it (http_error, error_body)
    }
)
# Besides those, per action: only codes in the action's documented list (or the common one).
CODES: dict[str, frozenset[str]] = (
    record_task.CODES | live_record.CODES | callback_records.CODES | streams.CODES
)
# The common parameters of the form/query (HmacSHA1/256) encoding: not part of the action's parameters.
COMMON = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "SignatureMethod",
        "Signature",
        "RequestClient",
        "Language",
        "Token",
    }
)
_TC3 = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s,]+)/tc3_request,"
    r"\s*SignedHeaders=(?P<signed>[a-z0-9-]+(?:;[a-z0-9-]+)*),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential-scope date: the UTC date of the timestamp (never China or local time)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def tc3_signature(secret_key: str, date: str, string_to_sign: str) -> str:
    k_date = _hmac256(("TC3" + secret_key).encode("utf-8"), date)
    k_signing = _hmac256(_hmac256(k_date, "live"), "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_tc3(
    creds: Credentials, *, method: str, query: str, headers: Mapping[str, str], body: bytes, now: float
) -> None:
    """TC3-HMAC-SHA256. ``headers`` has lower-cased names; values are used as sent (only trimmed)."""
    auth = headers.get("authorization", "").strip()
    match = _TC3.match(auth)
    if not match:
        raise ApiError(
            "AuthFailure.InvalidAuthorization",
            "the Authorization header is missing or is not 'TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'",
        )
    signed = match["signed"].split(";")
    if "content-type" not in signed or "host" not in signed:
        raise ApiError("AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host")
    raw_ts = headers.get("x-tc-timestamp", "").strip()
    if not INT_TEXT.match(raw_ts):
        raise ApiError("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not an integer")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > WINDOW:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"signature expired: X-TC-Timestamp {timestamp} is more than 5 minutes from server time {int(now)}",
        )
    if match["id"] != creds.secret_id:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId in Credential is not found")
    date = utc_date(timestamp)
    if match["date"] != date:
        raise ApiError(
            "AuthFailure.SignatureFailure",
            f"the Credential date {match['date']} is not the UTC date of X-TC-Timestamp ({date})",
        )
    if match["service"] != "live":
        raise ApiError("AuthFailure.SignatureFailure", "the Credential service must be 'live'")
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    if headers.get("x-tc-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
        payload_hash = sha256_hex(UNSIGNED_PAYLOAD.encode("ascii"))
    else:
        payload_hash = sha256_hex(b"" if method == "GET" else body)
    canonical = "\n".join(
        [method, "/", query if method == "GET" else "", canonical_headers, match["signed"], payload_hash]
    )
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/live/tc3_request\n{sha256_hex(canonical.encode('utf-8'))}"
    )
    expected = tc3_signature(creds.secret_key, date, to_sign)
    if not hmac.compare_digest(expected, match["sig"]):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")


def _decode(req: Incoming) -> tuple[bool, dict[str, Any], ApiError | None]:
    """(form-encoded?, the parameters, an error about the body to answer once authenticated)."""
    content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if req.method == "GET" or content_type == "application/x-www-form-urlencoded":
        source = req.query if req.method == "GET" else req.body.decode("utf-8", "replace")
        return True, dict(parse_qsl(source, keep_blank_values=True)), None
    try:
        loaded = json.loads(req.body) if req.body.strip() else {}
    except ValueError:
        return False, {}, ApiError("InvalidParameter", "the request body is not valid JSON")
    if not isinstance(loaded, dict):
        return False, {}, ApiError("InvalidParameter", "the request body must be a JSON object")
    return False, loaded, None


def answerable(action: str | None, code: str) -> bool:
    return code in COMMON_CODES or code in CODES.get(action or "", frozenset())


def handle(emu: Emulator, req: Incoming) -> Reply:
    request_id = str(uuid.uuid4())
    outcome = Outcome(api="api3")

    def render(payload: dict[str, Any] | ApiError) -> Reply:
        if isinstance(payload, ApiError):
            if not answerable(outcome.action, payload.code):  # an emulator bug: a 500, never a wrong answer
                raise RuntimeError(f"{payload.code} is not a code {outcome.action} answers")
            error = {"Code": payload.code, "Message": payload.message}
            return Reply(body={"Response": {"Error": error, "RequestId": request_id}})
        return Reply(body={"Response": {**payload, "RequestId": request_id}})

    form, params, body_error = _decode(req)
    old_style = form and "authorization" not in req.headers and "Signature" in params
    outcome.params = params
    outcome.action = req.headers.get("x-tc-action") or (
        str(params.get("Action")) if old_style and params.get("Action") else None
    )
    # common parameters: headers for TC3; in the form for the old signing (Region may also be a parameter)
    version = req.headers.get("x-tc-version") or (params.get("Version") if old_style else None)
    region = req.headers.get("x-tc-region") or params.get("Region") or None
    now = emu.clock.now()
    try:
        if old_style:
            verify_hmac(
                emu.config.credentials, method=req.method, host=req.headers.get("host", ""), path="/",
                params=params, now=now, window=WINDOW,
            )  # fmt: skip
            params = {k: v for k, v in params.items() if k not in COMMON}
            outcome.params = params
        else:
            verify_tc3(
                emu.config.credentials, method=req.method, query=req.query, headers=req.headers,
                body=req.body, now=now,
            )  # fmt: skip
        outcome.auth_ok = True
        if body_error is not None:
            raise body_error
        action = outcome.action
        if not action:
            raise ApiError("MissingParameter", "missing required parameter Action (the X-TC-Action header)")
        handler = ACTIONS.get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"no such action {action!r} in live 2018-08-01")
        if version != API_VERSION:
            raise ApiError("NoSuchVersion", f"Version must be {API_VERSION}, got {version!r}")
        if region is not None and not isinstance(region, str):
            raise ApiError("InvalidParameter", "invalid parameter Region: must be a string")
        args = params

        def process() -> dict[str, Any]:
            # Region may come in the body too; the form encoding's common parameters are already removed
            check_declared(PARAMS[action], args, form=form, tolerated=COMMON)
            return handler(Context(emu.state, emu.config, now, region, emu.callbacks.stream_state), args)

        reply = emu.run(outcome, action, render, process, emu.config.rate_limits.get(action))
    except ApiError as err:
        reply = render(err)
    return emu.finish(outcome, req, reply)
