"""``make contract`` signs part of the generated callbacks so the handling behind the signature is fuzzed."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from devtools.contract_hooks import before_call
from devtools.events import LOCAL_CALLBACK_KEY
from shared.support.errors import CallbackAuthError
from shared.webhooks.inbound import verify_callback


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


def test_other_routes_and_non_object_bodies_are_left_alone() -> None:
    for path, body in (("/hooks/highlight", {"a": 1}), ("/callbacks/tencent", [1, 2])):
        case = SimpleNamespace(path=path, body=body)
        before_call(None, case, {})
        assert case.body == body and "sign" not in str(case.body)
