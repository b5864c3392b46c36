"""Configuration from the environment only: validated once, lazily, with secrets as ``SecretStr``.

Nothing is read at import time. ``get_settings()`` validates on first use and caches; tests call
``get_settings.cache_clear()`` (or build ``Settings.from_env(env)`` directly) instead of import tricks.
``Settings`` is a plain frozen class checked by the parsers in ``FIELDS`` (building a pydantic model costs
milliseconds of every cold start); they read text as pydantic's lax mode did, with pydantic's messages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from math import inf
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from shared.support import secrets
from shared.support.errors import ConfigError
from shared.support.redact import redact_url, url_origin


class LiveApi(StrEnum):
    """The one Tencent API generation a deployment speaks (the two API 3.0 families are never mixed)."""

    RECORD_TASK = "record-task"  # API 3.0 CreateRecordTask family (current)
    LIVE_RECORD = "live-record"  # API 3.0 CreateLiveRecord family
    V2 = "v2"  # live.api.qcloud.com/v2/index.php CreateRecord family
    FCGI = "fcgi"  # fcgi.video.qcloud.com/common_access Live_Tape_* family


# Turns a variable's text into the field's value; a ValueError says why not, never repeating the text.
Parser = Callable[[str], object]


def _text(value: str) -> str:
    if not value:
        raise ValueError("String should have at least 1 character")
    return value


def _integer(value: str) -> int:
    """Digits, with underscores between them and a sign; "5.0" is 5, "5." and "5e0" are not integers."""
    text = value.strip()
    whole, dot, fraction = text.partition(".")
    if text.isascii() and not fraction.strip("0") and (fraction or not dot):
        try:
            return int(whole)
        except ValueError:
            pass
    raise ValueError("Input should be a valid integer, unable to parse string as an integer")


def _real(value: str) -> float:
    """A decimal or exponent number, "inf" or "nan"; underscores only between characters, never two."""
    text = value.strip()
    if text.isascii() and "__" not in text and not text.startswith("_") and not text.endswith("_"):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            pass
    raise ValueError("Input should be a valid number, unable to parse string as a number")


def _number(read: Callable[[str], float], low: float, high: float = inf, *, above: bool = False) -> Parser:
    """A number from ``low`` (excluded when ``above``) to ``high``; ``high`` is checked first (NaN fails it)."""

    def parse(value: str) -> object:
        number = read(value)
        if not number <= high:
            raise ValueError(f"Input should be less than or equal to {high}")
        if not (number > low if above else number >= low):
            raise ValueError(f"Input should be greater than {'' if above else 'or equal to '}{low}")
        return number

    return parse


def _one_of(*choices: str, make: Callable[[str], object] = str) -> Parser:
    def parse(value: str) -> object:
        if value in choices:
            return make(value)
        shown = [repr(str(choice)) for choice in choices]
        raise ValueError(f"Input should be {', '.join(shown[:-1])} or {shown[-1]}")

    return parse


def _secret(min_length: int = 1) -> Parser:
    problem = f"must be at least {min_length} characters" if min_length > 1 else "must not be empty"

    def parse(value: str) -> object:
        if len(value) < min_length:
            raise ValueError(problem)
        return SecretStr(value)

    return parse


def _items(value: str) -> tuple[str, ...]:
    """A comma-separated list, its entries trimmed, blank entries dropped."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _tokens(value: str) -> tuple[SecretStr, ...]:
    tokens = _items(value)
    if any(len(t) < 16 for t in tokens):
        raise ValueError("each secret must be at least 16 characters")
    return tuple(SecretStr(t) for t in tokens)


def _urls(value: str) -> tuple[str, ...]:
    urls = _items(value)
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


def _endpoint(value: str) -> str:
    parts = urlsplit(value)  # a malformed IPv6 host raises ValueError("Invalid IPv6 URL")
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


def _table(value: str) -> str | None:
    return None if _text(value) == "memory" else value


class Field:
    """One setting: the environment variable it is read from, its parser, and its value when unset."""

    __slots__ = ("default", "parse", "var")

    def __init__(self, var: str, parse: Parser, default: object = None) -> None:
        self.var, self.parse, self.default = var, parse, default


DEFAULT_CALLBACK_MAX_VALIDITY = 86400  # seconds: LIVE_CALLBACK_MAX_VALIDITY's default

# Every setting, in the order they are checked (the first problem found is the one reported).
FIELDS: dict[str, Field] = {
    "api": Field("LIVE_API", _one_of(*LiveApi, make=LiveApi), LiveApi.RECORD_TASK),
    "secret_id": Field("TENCENTCLOUD_SECRET_ID", _text),
    "secret_key": Field("TENCENTCLOUD_SECRET_KEY", _secret()),
    "region": Field("LIVE_REGION", _text, "ap-guangzhou"),
    "fcgi_appid": Field("LIVE_FCGI_APPID", _number(_integer, 0, above=True)),
    "fcgi_key": Field("LIVE_FCGI_KEY", _secret()),
    "domain": Field("LIVE_DOMAIN", _text),
    "app": Field("LIVE_APP", _text),
    "callback_key": Field("LIVE_CALLBACK_KEY", _secret()),
    "callback_max_validity": Field(
        "LIVE_CALLBACK_MAX_VALIDITY", _number(_integer, 600, 30 * 86400), DEFAULT_CALLBACK_MAX_VALIDITY
    ),
    "endpoint": Field("LIVE_ENDPOINT", _endpoint),
    "timeout": Field("LIVE_TIMEOUT", _number(_real, 3, 60, above=True), 10.0),
    "api_tokens": Field("LIVEREC_API_TOKENS", _tokens, ()),
    "idempotency_table": Field("LIVEREC_IDEMPOTENCY_TABLE", _table),
    "programs": Field("LIVEREC_PROGRAMS", _text),
    "rollout_horizon": Field("LIVEREC_ROLLOUT_HORIZON", _number(_integer, 3600, 30 * 86400), 86400),
    "callback_rules": Field("LIVEREC_CALLBACK_RULES", _text),
    "hook_secrets": Field("LIVEREC_HOOK_SECRETS", _tokens, ()),
    "webhook_urls": Field("LIVEREC_WEBHOOK_URLS", _urls, ()),
    "webhook_secret": Field("LIVEREC_WEBHOOK_SECRET", _secret(16)),
    "webhook_max_attempts": Field("LIVEREC_WEBHOOK_MAX_ATTEMPTS", _number(_integer, 1, 20), 8),
    "unknown_outcome": Field("LIVEREC_UNKNOWN_OUTCOME", _one_of("report", "recreate"), "report"),
    "session_token": Field("TENCENTCLOUD_SESSION_TOKEN", _secret(0)),
}

# Environment variable -> settings field. The table in README.md is this mapping.
ENV_FIELDS: dict[str, str] = {field.var: name for name, field in FIELDS.items()}


class Settings:
    """The deployment's configuration, immutable. ``Settings(field=text, ...)`` checks text as the environment
    spells it (a field left out, or None, is unset) and raises one ConfigError naming the variable."""

    __slots__ = (*FIELDS, "on_lambda")

    api: LiveApi
    secret_id: str | None
    secret_key: SecretStr | None
    region: str
    fcgi_appid: int | None
    fcgi_key: SecretStr | None
    domain: str | None
    app: str | None
    callback_key: SecretStr | None
    # The furthest ahead a callback's t (its expiry) may be, in seconds: a signed callback stays replayable
    # until t, so a t far in the future is refused like an expired one. Tencent's t is now + 10 minutes.
    callback_max_validity: int
    endpoint: str | None  # a base URL, without a trailing slash
    timeout: float  # seconds; Tencent: above 3 s, or a retry may record twice
    # Bearer tokens accepted by the HTTP functions when no API Gateway authorizer is attached (comma-separated).
    api_tokens: tuple[SecretStr, ...]
    # DynamoDB table for idempotency across containers; unset or "memory" = in-process store (tests,
    # local runs, `serverless invoke local` without AWS).
    idempotency_table: str | None
    programs: str | None  # recurring programs (a JSON list) for timer ticks that carry no input of their own
    # How far ahead a tick books, in seconds, for the generations without CreateRecordTask's 6-day rule.
    rollout_horizon: int
    callback_rules: str | None  # Tencent callbacks: rules (a JSON list) deciding which streams are recorded
    # Inbound signed hooks (POST /hooks/highlight): every secret listed is accepted (rotation).
    hook_secrets: tuple[SecretStr, ...]
    # Outbound: subscribers of record-file (100) and record-status (332) events, and the secret we sign with.
    webhook_urls: tuple[str, ...]
    webhook_secret: SecretStr | None
    # Deliveries tried before a forward is dead-lettered (backoff 30 s doubling, at most 1 h apart).
    webhook_max_attempts: int
    # A create that may have reached Tencent without an answer, where the generation cannot look tasks up
    # (live-record, fcgi): "report" never creates it again (a possibly missed recording, reported); "recreate"
    # creates it again once its holder is gone (a possible duplicate).
    unknown_outcome: Literal["report", "recreate"]
    session_token: SecretStr | None  # temporary credentials (a CAM role, STS), sent to API 3.0 as X-TC-Token
    on_lambda: bool  # in Lambda: AWS_LAMBDA_FUNCTION_NAME set, not `serverless invoke local` (from_env)

    def __init__(self, *, on_lambda: bool = False, **values: str | None) -> None:
        if unknown := values.keys() - FIELDS.keys():
            raise TypeError(f"Settings has no field {min(unknown)!r}")
        for name, field in FIELDS.items():
            text = values.get(name)
            try:
                object.__setattr__(self, name, field.default if text is None else field.parse(text))
            except ValueError as exc:
                raise ConfigError(f"{field.var}: {exc}", field=field.var) from None
        object.__setattr__(self, "on_lambda", on_lambda)
        # what each generation requires (credentials, regions) is checked in shared.tencent.generations
        if self.webhook_urls and self.webhook_secret is None:
            raise ConfigError(
                "invalid configuration: LIVEREC_WEBHOOK_SECRET is required when LIVEREC_WEBHOOK_URLS is set",
                field="LIVEREC_WEBHOOK_SECRET",
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from an environment mapping (``os.environ`` by default); raise one clear ConfigError."""
        source = os.environ if env is None else env
        raw: dict[str, str] = {}
        for var, name in ENV_FIELDS.items():
            value = source.get(var)
            if value is not None and value.strip() != "":
                value = value.strip()
                # a secret may be a reference (ssm:/..., secretsmanager:...), resolved before it is validated
                raw[name] = secrets.RESOLVER.value(var, value, source) if var in SECRET_VARS else value
        on_lambda = bool(source.get("AWS_LAMBDA_FUNCTION_NAME")) and not source.get("IS_LOCAL")
        return cls(on_lambda=on_lambda, **raw)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Settings are frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Settings are frozen: {name} cannot be deleted")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, Settings) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:  # a secret shows as SecretStr('**********')
        return f"Settings({', '.join(f'{name}={getattr(self, name)!r}' for name in self.__slots__)})"

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


# Variables whose field holds secrets: their value may be a reference to a secret store (shared.support.secrets).
SECRET_VARS = frozenset(
    var for var, name in ENV_FIELDS.items() if "SecretStr" in Settings.__annotations__[name]
)


def _mask(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:4] + "…" if len(value) > 8 else "…"


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
