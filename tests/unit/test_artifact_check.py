"""The artifact check (run by every ``serverless package``/``deploy``) is independent of the deployer's
environment, and says what failed in one short line."""

from __future__ import annotations

import json

import pytest

from devtools.check_package import describe_failure, sample_event
from devtools.events import (
    LOCAL_CALLBACK_KEY,
    LOCAL_HOOK_SECRET,
    callback_sign,
    hook_signature,
    local_defaults,
)


def test_samples_are_signed_with_the_served_keys_not_the_deployers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a deployer who exported the real keys (as the README's deploy steps have them do)
    monkeypatch.setenv("LIVE_CALLBACK_KEY", "deployer-callback-key-0123456789")
    monkeypatch.setenv("LIVEREC_HOOK_SECRETS", "deployer-hook-secret-0123456789,older-hook-secret-0123")
    env = local_defaults()
    # When the check renders the signed samples for the artifact it serves with the local configuration
    callback = sample_event("webhooks_callback_stream_begin", env)
    hook = sample_event("webhooks_hook_highlight", env)
    # Then they are signed with the local keys, which the served artifact verifies
    body = json.loads(callback["body"])
    assert body["sign"] == callback_sign(LOCAL_CALLBACK_KEY, body["t"])
    header = hook["headers"]["liverec-signature"]
    t = int(header.split(",")[0].removeprefix("t="))
    assert header == hook_signature(LOCAL_HOOK_SECRET, t, hook["body"].encode())


def test_a_sample_that_fails_is_one_short_line() -> None:
    files = [f"task/pydantic/module_{i}.py" for i in range(400)]  # what a served sample imported
    refused = {"function": "webhooks", "sample": "webhooks_hook_highlight", "expected": 201}
    line = describe_failure(refused | {"status": 401, "failed": None, "heavy": [], "files": files})
    assert line == "webhooks webhooks_hook_highlight: status 401 (expected 201)"
    crashed = describe_failure(refused | {"error": "ModuleNotFoundError: No module named 'x'" * 50})
    assert crashed.startswith("webhooks webhooks_hook_highlight: ModuleNotFoundError") and len(crashed) < 400
