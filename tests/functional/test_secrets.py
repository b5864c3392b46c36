"""Secrets by reference, resolved from SSM Parameter Store and Secrets Manager on moto's server (through
the standard-library client): cached per container, read again after their TTL or a refused credential,
and never shown when they cannot be read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from devtools.kit.moto import aws_env
from functions.realtime import handler as realtime
from shared.support import secrets
from shared.support.config import Settings, get_settings
from shared.support.errors import ConfigError
from shared.support.secret_stores import SecretsManager, Ssm
from tests.conftest import SECRET_KEY
from tests.functional.conftest import TOKEN, http_event


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stores(moto_dynamodb: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto's server as SSM and Secrets Manager, the AWS environment pointing at it, a fresh resolver."""
    url, _ = moto_dynamodb
    env = aws_env(url)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    clock = Clock()
    monkeypatch.setattr(secrets, "RESOLVER", secrets.Resolver(clock))
    monkeypatch.setattr(secrets, "_test_clock", clock, raising=False)
    yield env
    get_settings.cache_clear()


def put_parameter(env: dict[str, str], name: str, value: str) -> None:
    Ssm.from_env(env).call("PutParameter", Name=name, Value=value, Type="SecureString", Overwrite=True)


def put_secret(env: dict[str, str], name: str, value: str) -> None:
    client = SecretsManager.from_env(env)
    try:
        client.call("CreateSecret", Name=name, SecretString=value)
    except Exception:  # noqa: BLE001 - already there: a new version
        client.call("PutSecretValue", SecretId=name, SecretString=value)


def test_references_are_resolved_from_both_stores(stores: dict[str, str]) -> None:
    put_parameter(stores, "/liverec/test/tencent-key", "resolved-from-ssm")
    put_secret(stores, "liverec/test/tokens", "token-from-secrets-manager-0001")
    settings = Settings.from_env(
        stores
        | {
            "TENCENTCLOUD_SECRET_ID": "AKIDx",
            "TENCENTCLOUD_SECRET_KEY": "ssm:/liverec/test/tencent-key",
            "LIVEREC_API_TOKENS": "secretsmanager:liverec/test/tokens",
        }
    )
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == "resolved-from-ssm"
    assert [t.get_secret_value() for t in settings.api_tokens] == ["token-from-secrets-manager-0001"]
    # validated after resolution: a resolved token still must be 16 characters or more
    put_secret(stores, "liverec/test/short", "short")
    with pytest.raises(ConfigError) as info:
        Settings.from_env(stores | {"LIVEREC_API_TOKENS": "secretsmanager:liverec/test/short"})
    assert info.value.field == "LIVEREC_API_TOKENS" and "short" not in info.value.message


@pytest.mark.parametrize(
    "reference", ["ssm:/liverec/test/missing", "secretsmanager:liverec/test/missing", "ssm:no-slash"]
)
def test_a_reference_that_cannot_be_read_names_the_variable_and_the_reference(
    stores: dict[str, str], reference: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(stores | {"TENCENTCLOUD_SECRET_ID": "AKIDx", "TENCENTCLOUD_SECRET_KEY": reference})
    assert info.value.field == "TENCENTCLOUD_SECRET_KEY" and reference in info.value.message


def test_a_resolved_secret_is_kept_for_its_ttl_then_read_again(stores: dict[str, str]) -> None:
    clock: Clock = secrets._test_clock  # type: ignore[attr-defined]
    put_parameter(stores, "/liverec/test/rotating", "first-value")
    env = stores | {
        "TENCENTCLOUD_SECRET_ID": "AKIDx",
        "TENCENTCLOUD_SECRET_KEY": "ssm:/liverec/test/rotating",
    }

    def key() -> str:
        settings = Settings.from_env(env)
        assert settings.secret_key is not None
        return settings.secret_key.get_secret_value()

    assert key() == "first-value"
    put_parameter(stores, "/liverec/test/rotating", "second-value")
    clock.now += secrets.TTL - 1
    assert key() == "first-value" and not secrets.RESOLVER.stale()  # cached: no read per invocation
    clock.now += 2
    assert secrets.RESOLVER.stale() and key() == "second-value"


def test_a_refused_credential_is_read_again_at_most_once_a_minute(stores: dict[str, str]) -> None:
    clock: Clock = secrets._test_clock  # type: ignore[attr-defined]
    put_parameter(stores, "/liverec/test/key", "old")
    env = stores | {"TENCENTCLOUD_SECRET_ID": "AKIDx", "TENCENTCLOUD_SECRET_KEY": "ssm:/liverec/test/key"}
    Settings.from_env(env)
    put_parameter(stores, "/liverec/test/key", "rotated")
    assert secrets.refused("TENCENTCLOUD_SECRET_KEY") and secrets.RESOLVER.stale()
    assert Settings.from_env(env).secret_key.get_secret_value() == "rotated"  # type: ignore[union-attr]
    assert not secrets.refused("TENCENTCLOUD_SECRET_KEY")  # again within the minute: not read again
    clock.now += secrets.REFRESH_AFTER_REFUSAL
    assert secrets.refused("TENCENTCLOUD_SECRET_KEY")
    assert not secrets.refused("LIVE_DOMAIN")  # not a reference: nothing to read again


def test_a_rotated_bearer_token_is_accepted_after_one_refusal(
    stores: dict[str, str],
    configure: Callable[..., None],
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
) -> None:
    # Given the tokens in Secrets Manager, and a container that read them
    put_secret(stores, "liverec/test/api-tokens", TOKEN)
    configure(LIVEREC_API_TOKENS="secretsmanager:liverec/test/api-tokens")
    event = http_event("POST", "/recordings/realtime", {"stream": "s"})
    assert parse(realtime.lambda_handler(event, lambda_context))[0] == 201
    # When the token is rotated in the store, Then the new one is refused once, and accepted from then on
    rotated = "rotated-token-0123456789abcdef"
    put_secret(stores, "liverec/test/api-tokens", rotated)
    event = http_event("POST", "/recordings/realtime", {"stream": "s"}, token=rotated)
    assert parse(realtime.lambda_handler(event, lambda_context))[0] == 401
    status, body = parse(realtime.lambda_handler(event, lambda_context))
    assert status == 201, body


def test_no_secret_value_reaches_the_logs(
    stores: dict[str, str], configure: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    put_parameter(stores, "/liverec/test/key", SECRET_KEY)
    configure(TENCENTCLOUD_SECRET_KEY="ssm:/liverec/test/key")
    described = json.dumps(get_settings().describe())
    assert SECRET_KEY not in described and "ssm:/" not in described
    assert SECRET_KEY not in capsys.readouterr().out
