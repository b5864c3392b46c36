"""Configuration from the environment only: validated once, lazily, with secrets as ``SecretStr``.

Nothing is read at import time. ``get_settings()`` validates on first use and caches; tests call
``get_settings.cache_clear()`` (or build ``Settings.from_env(env)`` directly) instead of import tricks.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): pydantic would
# compile each string annotation to evaluate it, on every cold start.

import os
import threading
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.support import secrets
from shared.support.errors import ConfigError, from_validation
from shared.support.redact import redact_url, url_origin


class LiveApi(StrEnum):
    """The one Tencent API generation a deployment speaks (the two API 3.0 families are never mixed)."""

    RECORD_TASK = "record-task"  # API 3.0 CreateRecordTask family (current)
    LIVE_RECORD = "live-record"  # API 3.0 CreateLiveRecord family
    V2 = "v2"  # live.api.qcloud.com/v2/index.php CreateRecord family
    FCGI = "fcgi"  # fcgi.video.qcloud.com/common_access Live_Tape_* family


# Environment variable -> settings field. The table in README.md is this mapping.
ENV_FIELDS: dict[str, str] = {
    "LIVE_API": "api",
    "TENCENTCLOUD_SECRET_ID": "secret_id",
    "TENCENTCLOUD_SECRET_KEY": "secret_key",
    "LIVE_REGION": "region",
    "LIVE_FCGI_APPID": "fcgi_appid",
    "LIVE_FCGI_KEY": "fcgi_key",
    "LIVE_DOMAIN": "domain",
    "LIVE_APP": "app",
    "LIVE_CALLBACK_KEY": "callback_key",
    "LIVE_CALLBACK_MAX_VALIDITY": "callback_max_validity",
    "LIVE_ENDPOINT": "endpoint",
    "LIVE_TIMEOUT": "timeout",
    "LIVEREC_API_TOKENS": "api_tokens",
    "LIVEREC_IDEMPOTENCY_TABLE": "idempotency_table",
    "LIVEREC_PROGRAMS": "programs",
    "LIVEREC_ROLLOUT_HORIZON": "rollout_horizon",
    "LIVEREC_CALLBACK_RULES": "callback_rules",
    "LIVEREC_HOOK_SECRETS": "hook_secrets",
    "LIVEREC_WEBHOOK_URLS": "webhook_urls",
    "LIVEREC_WEBHOOK_SECRET": "webhook_secret",
    "LIVEREC_WEBHOOK_MAX_ATTEMPTS": "webhook_max_attempts",
    "LIVEREC_UNKNOWN_OUTCOME": "unknown_outcome",
    "TENCENTCLOUD_SESSION_TOKEN": "session_token",
}
# Variables whose value may be a reference to a secret store (shared.support.secrets).
SECRET_VARS = frozenset(
    {
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "LIVE_FCGI_KEY",
        "LIVE_CALLBACK_KEY",
        "LIVEREC_API_TOKENS",
        "LIVEREC_HOOK_SECRETS",
        "LIVEREC_WEBHOOK_SECRET",
    }
)
_FIELD_TO_ENV = {v: k for k, v in ENV_FIELDS.items()}

NonEmpty = Annotated[str, Field(min_length=1)]
DEFAULT_CALLBACK_MAX_VALIDITY = 86400  # seconds: LIVE_CALLBACK_MAX_VALIDITY's default


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api: LiveApi = LiveApi.RECORD_TASK
    secret_id: NonEmpty | None = None
    secret_key: SecretStr | None = None
    # Temporary credentials (a CAM role, STS): sent with every API 3.0 call as X-TC-Token.
    session_token: SecretStr | None = None
    region: NonEmpty = "ap-guangzhou"
    fcgi_appid: Annotated[int, Field(gt=0)] | None = None
    fcgi_key: SecretStr | None = None
    domain: NonEmpty | None = None
    app: NonEmpty | None = None
    callback_key: SecretStr | None = None
    # The furthest ahead a callback's t (its expiry) may be, in seconds: a signed callback stays replayable
    # until t, so a t far in the future is refused like an expired one. Tencent's t is now + 10 minutes.
    callback_max_validity: Annotated[int, Field(ge=600, le=30 * 86400)] = DEFAULT_CALLBACK_MAX_VALIDITY
    endpoint: str | None = None
    # Tencent: the client timeout must be above 3 s, or a retry may record twice.
    timeout: Annotated[float, Field(gt=3, le=60)] = 10.0
    # Bearer tokens accepted by the HTTP functions when no API Gateway authorizer is attached (comma-separated).
    api_tokens: tuple[SecretStr, ...] = ()
    # DynamoDB table for idempotency across containers; unset or "memory" = in-process store (tests,
    # local runs, `serverless invoke local` without AWS).
    idempotency_table: NonEmpty | None = None

    @field_validator("idempotency_table")
    @classmethod
    def _memory_means_none(cls, value: str | None) -> str | None:
        return None if value == "memory" else value

    # Recurring programs (a JSON list) for timer ticks that carry no input of their own.
    programs: NonEmpty | None = None
    # How far ahead a tick books, in seconds, for the generations without CreateRecordTask's 6-day rule.
    rollout_horizon: Annotated[int, Field(ge=3600, le=30 * 86400)] = 86400

    # Tencent callbacks: rules (a JSON list) deciding which pushed streams are recorded.
    callback_rules: NonEmpty | None = None
    # Inbound signed hooks (POST /hooks/highlight): every secret listed is accepted (rotation).
    hook_secrets: tuple[SecretStr, ...] = ()
    # Outbound: subscribers of record-file (100) and record-status (332) events, and the secret we sign with.
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: SecretStr | None = None
    # Deliveries tried before a forward is dead-lettered (backoff 30 s doubling, at most 1 h apart).
    webhook_max_attempts: Annotated[int, Field(ge=1, le=20)] = 8
    # A create that may have reached Tencent without an answer, where the generation cannot look tasks up
    # (live-record, fcgi): "report" never creates it again (a possibly missed recording, reported); "recreate"
    # creates it again once its holder is gone (a possible duplicate).
    unknown_outcome: Literal["report", "recreate"] = "report"
    # Running in Lambda (AWS_LAMBDA_FUNCTION_NAME set, not `serverless invoke local`): set by from_env.
    on_lambda: bool = False

    @field_validator("api_tokens", "hook_secrets", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            tokens = tuple(t.strip() for t in value.split(",") if t.strip())
            if any(len(t) < 16 for t in tokens):
                raise ValueError("each secret must be at least 16 characters")
            return tokens
        return value

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        urls = tuple(u.strip() for u in value.split(",") if u.strip())
        for n, url in enumerate(urls, 1):
            # shown redacted: an entry may carry a token or a password even when it is wrong
            shown = f"entry {n} ({redact_url(url)!r})"
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 - urlsplit checks the port only when asked
            except ValueError:
                raise ValueError(f"{shown} is not a URL") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{shown} is not an http(s) URL")
            if parts.username or parts.password:
                raise ValueError(f"{shown} carries credentials (user:password@); they would be logged")
        return urls

    @field_validator("webhook_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a base URL such as http://127.0.0.1:9100")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials (user:password@); they would be logged")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ValueError("has a port that is not a number from 0 to 65535") from None
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("must be a base URL with no path, e.g. http://127.0.0.1:9100")
        return value.rstrip("/")

    @field_validator("secret_key", "fcgi_key", "callback_key", "webhook_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _webhooks_signed(self) -> Self:
        # what each generation requires (credentials, regions) is checked where it is chosen:
        # shared.tencent.generations.check
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError("LIVEREC_WEBHOOK_SECRET is required when LIVEREC_WEBHOOK_URLS is set")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build from an environment mapping (``os.environ`` by default); raise one clear ConfigError."""
        source = os.environ if env is None else env
        raw: dict[str, Any] = {}
        for var, name in ENV_FIELDS.items():
            value = source.get(var)
            if value is not None and value.strip() != "":
                value = value.strip()
                # a secret may be a reference (ssm:/..., secretsmanager:...), resolved before it is validated
                raw[name] = secrets.RESOLVER.value(var, value, source) if var in SECRET_VARS else value
        raw["on_lambda"] = bool(source.get("AWS_LAMBDA_FUNCTION_NAME")) and not source.get("IS_LOCAL")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise _config_error(exc) from None

    def describe(self) -> dict[str, Any]:
        """A log-safe summary: which settings are present, never a secret's value."""
        return {
            "api": self.api.value,
            "region": self.region,
            "endpoint": self.endpoint or "(tencent)",
            "secret_id": _mask(self.secret_id),
            "secret_key": "set" if self.secret_key else None,
            "session_token": "set" if self.session_token else None,
            "fcgi_appid": self.fcgi_appid,
            "fcgi_key": "set" if self.fcgi_key else None,
            "callback_key": "set" if self.callback_key else None,
            "callback_max_validity": self.callback_max_validity,
            "domain": self.domain,
            "app": self.app,
            "timeout": self.timeout,
            "api_tokens": len(self.api_tokens),
            "idempotency_table": self.idempotency_table,
            "callback_rules": "set" if self.callback_rules else None,
            "hook_secrets": len(self.hook_secrets),
            "webhook_urls": [url_origin(u) for u in self.webhook_urls],
            "webhook_secret": "set" if self.webhook_secret else None,
            "unknown_outcome": self.unknown_outcome,
        }


def _mask(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:4] + "…" if len(value) > 8 else "…"


def _config_error(exc: ValidationError) -> ConfigError:
    errors = exc.errors(include_url=False, include_input=False)
    loc = (errors[0].get("loc") or ()) if errors else ()
    var = _FIELD_TO_ENV.get(str(loc[0])) if loc else None
    if var is None:
        # model-level errors already name the variable in their message, its subject first
        message = str(errors[0].get("msg", "invalid")).removeprefix("Value error, ") if errors else "invalid"
        return ConfigError(f"invalid configuration: {message}", field=_first_env_name(message))
    error = from_validation([{**errors[0], "loc": ()}], cls=ConfigError, where=var, field=var)
    assert isinstance(error, ConfigError)  # noqa: S101 - built with cls=ConfigError
    return error


def _first_env_name(message: str) -> str | None:
    """The variable a model-level message names first (its subject)."""
    found = [(message.find(var), var) for var in ENV_FIELDS if var in message]
    return min(found)[1] if found else None


class _ProcessSettings:
    """``get_settings()``: the process's settings, validated on first use (not at import) and kept; built
    again once a secret read from a reference is due to be read again (its TTL, or a refused credential).
    ``get_settings.cache_clear()`` forgets them (tests, a changed environment)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Settings:
        settings = self._settings
        if settings is None or secrets.RESOLVER.stale():
            with self._lock:
                if self._settings is None or secrets.RESOLVER.stale():
                    self._settings = Settings.from_env()
                settings = self._settings
        return settings

    def cache_clear(self) -> None:
        with self._lock:
            self._settings = None


get_settings = _ProcessSettings()
