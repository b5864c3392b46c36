"""schemathesis hooks for ``make contract`` (loaded by schemathesis through ``SCHEMATHESIS_HOOKS``).

Tencent signs a callback in its body (``t``, ``sign = md5(key + t)``), which no OpenAPI security scheme can
describe: without a valid signature every generated callback would stop at the 401 and the handling behind
it would never be fuzzed. Half of the generated object bodies are signed here with the local callback key;
the other half stay as generated, for the refusals.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import schemathesis

from devtools.events import LOCAL_CALLBACK_KEY, callback_sign


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    body = case.body
    if case.path != "/callbacks/tencent" or not isinstance(body, dict):
        return
    # which half: from the body itself, so a run with the same seed signs the same cases
    if zlib.crc32(repr(sorted(body, key=str)).encode()) % 2:
        return
    t = int(time.time()) + 300
    body["t"] = t
    body["sign"] = callback_sign(LOCAL_CALLBACK_KEY, t)
