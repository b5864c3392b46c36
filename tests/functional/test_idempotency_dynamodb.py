"""The DynamoDB idempotency store on moto's server (through the standard-library client): claim, replay,
conflict, unknown -> reclaim, TTL expiry, abandoned claims; and the functions using it end to end."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from devtools.emulator import Emulator
from functions.scheduled import handler as scheduled
from shared.dynamodb import DynamoDB
from shared.idempotency import MemoryStore
from shared.idempotency_dynamodb import DynamoDBStore
from tests.conftest import FakeLambdaContext
from tests.functional.conftest import TABLE, http_event, parse


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest, dynamodb: Any) -> Any:
    """Both stores must behave the same."""
    if request.param == "memory":
        return MemoryStore(ttl=3600, in_progress_ttl=60)
    return DynamoDBStore(TABLE, client=DynamoDB.from_env(), ttl=3600, in_progress_ttl=60)


def test_claim_then_replay(store: Any) -> None:
    assert store.begin("k", "fp", 1000) is None
    held = store.begin("k", "fp", 1001)
    assert held is not None and held.state == "in_progress"
    store.complete("k", {"task_id": "t1"}, 1002)
    done = store.begin("k", "fp", 1003)
    assert done.state == "completed" and done.result == {"task_id": "t1"}


def test_release_lets_the_key_be_claimed_again(store: Any) -> None:
    store.begin("k", "fp", 1000)
    store.release("k")
    assert store.begin("k", "fp", 1001) is None


def test_unknown_keeps_the_plan_and_only_one_caller_reclaims(store: Any) -> None:
    store.begin("k", "fp", 1000)
    store.mark_unknown("k", {"stream": "s", "end": "2026-01-01T00:00:00Z"}, 1001)
    record = store.begin("k", "fp", 1002)
    assert record.state == "unknown" and record.result["stream"] == "s"
    assert store.reclaim("k", 1003) is True
    assert store.reclaim("k", 1004) is False  # already reclaimed by someone


def test_expired_and_abandoned_records_can_be_claimed(store: Any) -> None:
    store.begin("old", "fp", 1000)
    store.complete("old", {"task_id": "t"}, 1000)
    assert store.begin("old", "fp2", 1000 + 3601) is None  # past its TTL
    store.begin("stuck", "fp", 2000)
    assert store.begin("stuck", "fp", 2030) is not None  # still fresh
    assert store.begin("stuck", "fp", 2061) is None  # abandoned after 60 s


def test_functions_use_dynamodb_when_configured(
    dynamodb: Any, configure: Callable[..., None], fresh_emulator: Emulator, lambda_context: FakeLambdaContext
) -> None:
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    now = int(time.time())
    body = {"stream": "s", "start": now + 600, "end": now + 1200}
    event = http_event("POST", "/recordings/scheduled", body, headers={"Idempotency-Key": "ddb-1"})
    first = parse(scheduled.lambda_handler(event, lambda_context))
    second = parse(scheduled.lambda_handler(event, lambda_context))
    assert first == second and first[0] == 201
    assert len(fresh_emulator.tasks()) == 1
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "ddb-1"}})["Item"]
    assert item["state"]["S"] == "completed" and int(item["expiration"]["N"]) > now


def test_an_unreachable_table_refuses_to_create(
    dynamodb: Any,
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a table the function cannot reach (nothing listens on the endpoint's port)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port}")
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "k"})
    from functions.realtime import handler as realtime

    status, body = parse(realtime.lambda_handler(event, lambda_context))
    # Then it answers 503 and creates nothing (it cannot promise there is no duplicate)
    assert status == 503 and body["error"]["code"] == "IdempotencyStoreUnavailable"
    assert "ConnectFailed" in body["error"]["message"]
    assert fresh_emulator.tasks() == []


def test_a_table_without_aws_credentials_is_a_configuration_error(
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a table but no AWS credentials in the environment (profiles and metadata are not consulted)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_REGION", "ap-east-1")
    configure(LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, headers={"Idempotency-Key": "k"})
    from functions.realtime import handler as realtime

    status, body = parse(realtime.lambda_handler(event, lambda_context))
    # Then the deployment is to blame (500, the variable named) and nothing is created
    assert status == 500 and body["error"] == {
        "code": "ConfigError",
        "message": "the function is misconfigured; see its logs",
        "field": "AWS_ACCESS_KEY_ID",
    }
    assert fresh_emulator.tasks() == []


def test_memory_selects_the_in_process_store(
    configure: Callable[..., None], lambda_context: FakeLambdaContext
) -> None:
    from shared.http import service

    configure(LIVEREC_IDEMPOTENCY_TABLE="memory")
    assert isinstance(service().store, MemoryStore)
