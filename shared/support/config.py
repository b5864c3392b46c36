"""Configuration from the environment only: validated once, lazily, with secrets as ``SecretStr``.

Nothing is read at import time. ``get_settings()`` validates on first use and caches; tests call
``get_settings.cache_clear()`` (or build ``Settings.from_env(env)`` directly) instead of import tricks.

``Settings`` is a record, not a pydantic model (building a model costs milliseconds of every cold start):
``from_env`` checks each variable with its parser in ``VARIABLES`` (the parsers: :mod:`shared.support.env_values`). Numbers are read leniently ("5.0" is the
integer 5), and errors are worded as pydantic words the request models' errors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import SecretStr

from shared.support import env_values as values
from shared.support import secrets
from shared.support.errors import ConfigError
from shared.support.records import Record
from shared.support.redact import url_origin

# Lambda's SnapStart: containers restored from one snapshot of the initialised function
INIT_TYPE_VAR = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"


def snap_start(environ: Mapping[str, str]) -> bool:
    """Whether this runtime was (or will be) restored from a SnapStart snapshot."""
    return environ.get(INIT_TYPE_VAR) == SNAP_START


class LiveApi(StrEnum):
    """The one Tencent API generation a deployment speaks (the two API 3.0 families are never mixed)."""

    RECORD_TASK = "record-task"  # API 3.0 CreateRecordTask family (current)
    LIVE_RECORD = "live-record"  # API 3.0 CreateLiveRecord family
    V2 = "v2"  # live.api.qcloud.com/v2/index.php CreateRecord family
    FCGI = "fcgi"  # fcgi.video.qcloud.com/common_access Live_Tape_* family


# Environment variable -> (settings field, parser), in the order they are checked: the first problem found
# is the one reported.
VARIABLES: dict[str, tuple[str, values.Parser]] = {
    "LIVE_API": ("api", values.one_of(*LiveApi, make=LiveApi)),
    "TENCENTCLOUD_SECRET_ID": ("secret_id", str),
    "TENCENTCLOUD_SECRET_KEY": ("secret_key", values.secret()),
    "LIVE_REGION": ("region", str),
    "LIVE_FCGI_APPID": ("fcgi_appid", values.number(values.integer, 0, above=True)),
    "LIVE_FCGI_KEY": ("fcgi_key", values.secret()),
    "LIVE_DOMAIN": ("domain", str),
    "LIVE_APP": ("app", str),
    "LIVE_CALLBACK_KEY": ("callback_key", values.secret()),
    "LIVE_CALLBACK_MAX_VALIDITY": ("callback_max_validity", values.number(values.integer, 600, 3600)),
    "LIVE_ENDPOINT": ("endpoint", values.endpoint),
    "LIVE_TIMEOUT": ("timeout", values.number(values.real, 3, 60, above=True)),
    "LIVEREC_API_TOKENS": ("api_tokens", values.tokens),
    "LIVEREC_IDEMPOTENCY_TABLE": ("idempotency_table", values.table),
    "LIVEREC_PROGRAMS": ("programs", str),
    "LIVEREC_ROLLOUT_HORIZON": ("rollout_horizon", values.number(values.integer, 3600, 30 * 86400)),
    "LIVEREC_MAX_PROGRAMS": ("max_programs", values.number(values.integer, 1, 1_000_000)),
    "LIVEREC_CONCURRENT_LIMIT": ("concurrent_limit", values.number(values.integer, 1, 1_000_000)),
    "LIVEREC_CALLBACK_RULES": ("callback_rules", str),
    "LIVEREC_CALLBACK_URL_HOSTS": ("callback_url_hosts", values.host_suffixes),
    "LIVEREC_HOOK_SECRETS": ("hook_secrets", values.tokens),
    "LIVEREC_WEBHOOK_URLS": ("webhook_urls", values.urls),
    "LIVEREC_WEBHOOK_SECRET": ("webhook_secret", values.secret(16)),
    "LIVEREC_WEBHOOK_MAX_ATTEMPTS": ("webhook_max_attempts", values.number(values.integer, 1, 100)),
    "LIVEREC_UNKNOWN_OUTCOME": ("unknown_outcome", values.one_of("report", "recreate")),
    "LIVEREC_COVERAGE_THRESHOLD": ("coverage_threshold", values.number(values.real, 0, 1)),
    "LIVEREC_LIVE_CHECK": ("live_check", values.one_of("refuse", "off")),
    "TENCENTCLOUD_SESSION_TOKEN": ("session_token", values.secret(0)),
}
# Environment variable -> settings field. The table in README.md is this mapping.
ENV_FIELDS: dict[str, str] = {var: field for var, (field, _) in VARIABLES.items()}
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
# seconds: LIVE_CALLBACK_MAX_VALIDITY's default: Tencent's t is the moment it sends + 10 minutes; a minute
# more for a clock behind Tencent's
DEFAULT_CALLBACK_MAX_VALIDITY = 660


class Settings(Record):
    """The deployment's configuration, immutable. ``from_env`` checks every variable; built directly (tests),
    the values are taken as they are, and ``_replace`` copies without checking."""

    __slots__ = ()

    api: LiveApi = LiveApi.RECORD_TASK
    secret_id: str | None = None
    secret_key: SecretStr | None = None
    # Temporary credentials (a CAM role, STS): sent with every API 3.0 call as X-TC-Token.
    session_token: SecretStr | None = None
    region: str = "ap-guangzhou"
    fcgi_appid: int | None = None  # above 0
    fcgi_key: SecretStr | None = None
    domain: str | None = None
    app: str | None = None
    callback_key: SecretStr | None = None
    # The furthest ahead a callback's t (its expiry) may be, in seconds (600 to 3600): a signed callback
    # stays replayable until t, so a t further ahead is refused like an expired one. Tencent's t is the
    # moment it sends + 10 minutes (each redelivery within that); the default adds a minute of clock skew.
    callback_max_validity: int = DEFAULT_CALLBACK_MAX_VALIDITY
    endpoint: str | None = None  # a base URL (scheme and host, maybe a port), without a trailing slash
    # Tencent: the client timeout must be above 3 s (and at most 60), or a retry may record twice.
    timeout: float = 10.0
    # Bearer tokens accepted by the HTTP functions when no API Gateway authorizer is attached (comma-separated,
    # each at least 16 characters).
    api_tokens: tuple[SecretStr, ...] = ()
    # DynamoDB table for idempotency across containers; unset or "memory" = in-process store (tests,
    # local runs, `serverless invoke local` without AWS).
    idempotency_table: str | None = None
    # Recurring programs (a JSON list) for timer ticks that carry no input of their own.
    programs: str | None = None
    # How far ahead a tick books, in seconds (1 hour to 30 days), for the generations without
    # CreateRecordTask's 6-day rule.
    rollout_horizon: int = 86400
    # How many programs can be stored over HTTP (PUT /programs/{name}; 1 to 1,000,000): a tick reads only
    # those due, so the limit bounds the table, not a tick's cost.
    max_programs: int = 10_000
    # The account's concurrent-recording limit (tasks running at once, 1 to 1,000,000), which the programs'
    # forecast (GET /programs/forecast) and PUT /programs/{name}'s warning hold the stored programs to; unset:
    # the generation's documented limit (shared.tencent.generations, running_limit), where it states one.
    concurrent_limit: int | None = None
    # Tencent callbacks: rules (a JSON list) deciding which pushed streams are recorded.
    callback_rules: str | None = None
    # Host suffixes a callback's URLs (a record file's video_url) must be on, lower case (each also covers
    # the names under it); empty: any public host name.
    callback_url_hosts: tuple[str, ...] = ()
    # Inbound signed hooks (POST /hooks/highlight): every secret listed is accepted (rotation).
    hook_secrets: tuple[SecretStr, ...] = ()
    # Outbound: subscribers of record-file (100) and record-status (332) events (http(s), no credentials),
    # and the secret we sign with (at least 16 characters; required with subscribers).
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: SecretStr | None = None
    # Deliveries tried (1 to 20) before a forward is dead-lettered (backoff 30 s doubling, at most 1 h apart).
    webhook_max_attempts: int = 32  # about 26 h of retries (backoff to hourly): a day's outage loses nothing
    # A create that may have reached Tencent without an answer, where the generation cannot look tasks up
    # (live-record, fcgi): "report" never creates it again (a possibly missed recording, reported); "recreate"
    # creates it again once its holder is gone (a possible duplicate).
    unknown_outcome: Literal["report", "recreate"] = "report"
    # An ended recording whose recorded seconds are under this share of those asked (0 to 1) is counted
    # CoverageShort once (the rollout tick) and shown short by the coverage routes.
    coverage_threshold: float = 0.95
    # A highlight of a stream that is not live, where the generation can tell (DescribeLiveStreamState):
    # "refuse" answers 409 StreamNotLive; "off" does not ask (created as asked, as v2 and fcgi always are).
    live_check: Literal["refuse", "off"] = "refuse"
    # Running in Lambda (AWS_LAMBDA_FUNCTION_NAME set, not `serverless invoke local`): set by from_env.
    on_lambda: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from an environment mapping (``os.environ`` by default); raise one clear ConfigError."""
        source = os.environ if env is None else env
        raw: dict[str, str] = {}
        for var in VARIABLES:
            value = source.get(var)
            if value is not None and value.strip() != "":
                value = value.strip()
                # a secret may be a reference (ssm:/..., secretsmanager:...), resolved before it is validated
                raw[var] = secrets.RESOLVER.value(var, value, source) if var in SECRET_VARS else value
        values: dict[str, Any] = {}
        for var, text in raw.items():
            field, parse = VARIABLES[var]
            try:
                values[field] = parse(text)
            except ValueError as exc:
                raise ConfigError(f"{var}: {exc}", field=var) from None
        # what each generation requires (credentials, regions) is checked in shared.tencent.generations
        if values.get("webhook_urls") and values.get("webhook_secret") is None:
            raise ConfigError(
                "invalid configuration: LIVEREC_WEBHOOK_SECRET is required when LIVEREC_WEBHOOK_URLS is set",
                field="LIVEREC_WEBHOOK_SECRET",
            )
        # Under SnapStart the containers are copies of one snapshot: with an in-process ledger (in it or
        # not), a create is once per container only. DynamoDB's claims carry each its uuid4 owner token.
        if snap_start(source) and not values.get("idempotency_table"):
            raise ConfigError(
                "LIVEREC_IDEMPOTENCY_TABLE is unset or 'memory': with SnapStart every container is restored "
                "from one snapshot, and the in-process ledger would hold in one container only (a create, a "
                "tick or a callback recorded again in the next); name the DynamoDB table",
                field="LIVEREC_IDEMPOTENCY_TABLE",
            )
        on_lambda = bool(source.get("AWS_LAMBDA_FUNCTION_NAME")) and not source.get("IS_LOCAL")
        return cls(**values, on_lambda=on_lambda)

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
            "callback_url_hosts": list(self.callback_url_hosts),
            "hook_secrets": len(self.hook_secrets),
            "webhook_urls": [url_origin(u) for u in self.webhook_urls],
            "webhook_secret": "set" if self.webhook_secret else None,
            "unknown_outcome": self.unknown_outcome,
            "coverage_threshold": self.coverage_threshold,
            "live_check": self.live_check,
            "concurrent_limit": self.concurrent_limit,
        }

    def secret_values(self) -> tuple[str, ...]:
        """Every secret configured (each variable of SECRET_VARS) and the SecretId: what a text from outside
        (Tencent's error message, a logged event) must never show."""
        values = [self.secret_id or ""]
        for var in SECRET_VARS:
            value = getattr(self, ENV_FIELDS[var])
            values += [s.get_secret_value() for s in (value if isinstance(value, tuple) else (value,)) if s]
        return tuple(v for v in values if v)


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

    def built(self) -> Settings | None:
        """The settings already built, if any (never builds: a log filter may ask before the first use)."""
        return self._settings

    def cache_clear(self) -> None:
        with self._lock:
            self._settings = None


get_settings = _ProcessSettings()
