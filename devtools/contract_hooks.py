"""schemathesis hooks for ``make contract`` (loaded by schemathesis through ``SCHEMATHESIS_HOOKS``).

Tencent signs a callback in its body (``t``, ``sign = md5(key + t)``), and a signed hook carries
``Liverec-Signature: t=<now>,v1=<HMAC-SHA256 of "<now>." + the body>``: no OpenAPI security scheme can
describe either, and without a valid signature every generated request would stop at the 401 and the
handling behind it would never be fuzzed. Half of the generated bodies of each are signed here with the
local keys (the callback's in its body, the hook's over the bytes sent); the other half stay as generated,
for the refusals.
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import schemathesis

from devtools.events import LOCAL_CALLBACK_KEY, LOCAL_HOOK_SECRET, callback_sign, hook_signature


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.path == "/callbacks/tencent":
        _sign_callback(case)
    elif case.path == "/hooks/highlight":
        _sign_hook(case)


def _signed_half(shape: object) -> bool:
    # which half: from the body itself, so a run with the same seed signs the same cases
    return zlib.crc32(repr(shape).encode()) % 2 == 0


def _sign_callback(case: Any) -> None:
    body = case.body
    if not isinstance(body, dict) or not _signed_half(sorted(body, key=str)):  # by its field names
        return
    t = int(time.time()) + 300
    body["t"] = t
    body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, t)


def _sign_hook(case: Any) -> None:
    body = case.body
    # by its fields and values: a hook's field names are few, so they alone would sign all or none alike
    if not isinstance(body, dict) or not _signed_half(sorted(body.items(), key=str)):
        return
    # the bytes the requests transport sends for a JSON body: json.dumps with its defaults, as UTF-8
    try:
        sent = json.dumps(body, allow_nan=False).encode("utf-8")
    except ValueError:  # not JSON (NaN): sent unsigned, refused like any unsigned hook
        return
    case.headers = {
        **(case.headers or {}),
        "Liverec-Signature": hook_signature(LOCAL_HOOK_SECRET, int(time.time()), sent),
    }
