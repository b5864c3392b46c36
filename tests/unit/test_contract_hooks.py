"""``make contract`` signs part of the generated callbacks and hooks so the handling behind the signature is
fuzzed."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from devtools.contract_hooks import before_call
from devtools.events import LOCAL_CALLBACK_KEY, LOCAL_HOOK_SECRET
from shared.support.errors import CallbackAuthError, WebhookAuthError
from shared.webhooks.inbound import verify_callback
from shared.webhooks.signature import verify


def test_about_half_of_the_callbacks_are_signed_validly_and_the_rest_untouched() -> None:
    signed = 0
    for i in range(200):
        body: dict[str, Any] = {f"field{i}": i, "event_type": 1}
        before_call(None, SimpleNamespace(path="/callbacks/tencent", body=body), {})
        try:
            verify_callback(body, SecretStr(LOCAL_CALLBACK_KEY), time.time())
            signed += 1
        except CallbackAuthError:
            assert "sign" not in body  # left as generated
    assert 60 < signed < 140


def test_about_half_of_the_hooks_are_signed_over_the_bytes_sent_and_the_rest_untouched() -> None:
    signed = 0
    for i in range(200):
        body: dict[str, Any] = {"stream": f"s{i}", "duration": i, "note": "é"}
        case = SimpleNamespace(path="/hooks/highlight", body=body, headers={"Idempotency-Key": "k"})
        before_call(None, case, {})
        assert case.body == body and case.headers["Idempotency-Key"] == "k"
        if "Liverec-Signature" not in case.headers:
            continue
        # what the requests transport sends for a JSON body
        sent = json.dumps(body, allow_nan=False).encode("utf-8")
        verify(case.headers["Liverec-Signature"], sent, [SecretStr(LOCAL_HOOK_SECRET)], time.time())
        signed += 1
        with pytest.raises(WebhookAuthError):  # over these bytes, not others
            verify(
                case.headers["Liverec-Signature"], sent + b" ", [SecretStr(LOCAL_HOOK_SECRET)], time.time()
            )
    assert 60 < signed < 140


def test_other_routes_and_non_object_bodies_are_left_alone() -> None:
    for path, body in (
        ("/recordings/realtime", {"a": 1}),
        ("/callbacks/tencent", [1, 2]),
        ("/hooks/highlight", [1]),
    ):
        case = SimpleNamespace(path=path, body=body, headers=None)
        before_call(None, case, {})
        assert case.body == body and "sign" not in str(case.body) and case.headers is None
