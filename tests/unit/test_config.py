"""Configuration: environment only, validated lazily, one clear error naming the variable, no secret leaks."""

from __future__ import annotations

import importlib
import json
import os
import traceback
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

import shared.support.config as config_module
from shared.support.config import LiveApi, Settings, get_settings
from shared.support.errors import ConfigError
from shared.tencent.generations import check

SECRET_ID = "AKIDabcdefgh1234"
SECRET_KEY = "tc-key-秘密-that-must-not-leak"
FCGI_KEY = "fcgi-key-that-must-not-leak"
CALLBACK_KEY = "cb-key-that-must-not-leak"
API_TOKEN = "bearer-token-that-must-not-leak"
SECRETS = (SECRET_KEY, FCGI_KEY, CALLBACK_KEY, API_TOKEN)

API3 = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}
FCGI = {"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "1234", "LIVE_FCGI_KEY": FCGI_KEY}
ALL_SECRETS = {
    **API3,
    "LIVE_FCGI_APPID": "1234",
    "LIVE_FCGI_KEY": FCGI_KEY,
    "LIVE_CALLBACK_KEY": CALLBACK_KEY,
    "LIVEREC_API_TOKENS": API_TOKEN,
}
OUR_VARIABLES = (
    "LIVE_API",
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "LIVE_REGION",
    "LIVE_FCGI_APPID",
    "LIVE_FCGI_KEY",
    "LIVE_DOMAIN",
    "LIVE_APP",
    "LIVE_CALLBACK_KEY",
    "LIVE_ENDPOINT",
    "LIVE_TIMEOUT",
    "LIVEREC_API_TOKENS",
    "LIVEREC_IDEMPOTENCY_TABLE",
)


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """os.environ without any of our variables (whatever the machine running the tests has set)."""
    for var in {*OUR_VARIABLES, *config_module.ENV_FIELDS}:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def validated(env: dict[str, str]) -> Settings:
    """The configuration as a deployment checks it: its shape, then what the chosen generation requires."""
    settings = Settings.from_env(env)
    check(settings)
    return settings


def config_error(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validated(env)
    return info.value


def everything_shown(err: ConfigError) -> str:
    """Every way an error reaches a log: str, repr, message, to_dict and the formatted traceback."""
    return "\n".join(
        [
            str(err),
            repr(err),
            err.message,
            json.dumps(err.to_dict(), ensure_ascii=False),
            "".join(traceback.format_exception(err)),
        ]
    )


# --- defaults and accepted values ---------------------------------------------------------------------


def test_defaults() -> None:
    s = Settings.from_env(API3)
    assert s.api is LiveApi.RECORD_TASK and s.api.value == "record-task"
    assert s.region == "ap-guangzhou"
    assert s.timeout == 10.0
    assert s.endpoint is None
    assert s.secret_id == SECRET_ID
    assert isinstance(s.secret_key, SecretStr) and s.secret_key.get_secret_value() == SECRET_KEY


@pytest.mark.parametrize(
    ("env", "api"),
    [
        ({**API3, "LIVE_API": "record-task"}, LiveApi.RECORD_TASK),
        ({**API3, "LIVE_API": "live-record"}, LiveApi.LIVE_RECORD),
        ({**API3, "LIVE_API": "v2"}, LiveApi.V2),
        (FCGI, LiveApi.FCGI),  # fcgi needs no TENCENTCLOUD_* credentials
    ],
    ids=["record-task", "live-record", "v2", "fcgi"],
)
def test_each_live_api_value(env: dict[str, str], api: LiveApi) -> None:
    s = validated(env)
    assert s.api is api
    if api is LiveApi.FCGI:
        assert s.fcgi_appid == 1234
        assert isinstance(s.fcgi_key, SecretStr) and s.fcgi_key.get_secret_value() == FCGI_KEY


@pytest.mark.parametrize(("raw", "expected"), [("3.5", 3.5), ("4", 4.0), ("60", 60.0)])
def test_timeouts_above_3_seconds_are_accepted(raw: str, expected: float) -> None:
    assert Settings.from_env({**API3, "LIVE_TIMEOUT": raw}).timeout == expected


@pytest.mark.parametrize("region", ["ap-guangzhou", "ap-singapore", "na-ashburn", "eu-frankfurt"])
def test_record_task_regions_are_accepted(region: str) -> None:
    assert validated({**API3, "LIVE_REGION": region}).region == region


@pytest.mark.parametrize("api", ["live-record", "v2"])
def test_the_region_list_binds_record_task_only(api: str) -> None:
    # Given a region CreateRecordTask does not serve, When another generation is selected, Then it is accepted
    assert validated({**API3, "LIVE_API": api, "LIVE_REGION": "ap-beijing"}).region == "ap-beijing"


# --- missing and malformed values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"TENCENTCLOUD_SECRET_ID": "AKIDx"}, "TENCENTCLOUD_SECRET_KEY"),
        ({}, "TENCENTCLOUD_SECRET_ID"),
        ({"LIVE_API": "live-record", "TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"LIVE_API": "live-record", "TENCENTCLOUD_SECRET_ID": "AKIDx"}, "TENCENTCLOUD_SECRET_KEY"),
        ({"LIVE_API": "v2", "TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"LIVE_API": "v2", "TENCENTCLOUD_SECRET_ID": "AKIDx"}, "TENCENTCLOUD_SECRET_KEY"),
        ({**API3, "LIVE_API": "fcgi", "LIVE_FCGI_KEY": "k"}, "LIVE_FCGI_APPID"),
        ({**API3, "LIVE_API": "fcgi", "LIVE_FCGI_APPID": "1"}, "LIVE_FCGI_KEY"),
        # empty and blank values count as unset
        ({"TENCENTCLOUD_SECRET_ID": "AKIDx", "TENCENTCLOUD_SECRET_KEY": ""}, "TENCENTCLOUD_SECRET_KEY"),
        ({"TENCENTCLOUD_SECRET_ID": "  ", "TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "", "LIVE_FCGI_KEY": "k"}, "LIVE_FCGI_APPID"),
    ],
)
def test_missing_credentials_name_the_variable(env: dict[str, str], missing: str) -> None:
    err = config_error(env)
    assert err.field == missing
    assert missing in str(err) and missing in err.message
    assert err.code == "ConfigError"


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"LIVE_API": "bogus"}, "LIVE_API"),
        ({"LIVE_API": "RECORD-TASK"}, "LIVE_API"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "abc"}, "LIVE_FCGI_APPID"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "0"}, "LIVE_FCGI_APPID"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "-7"}, "LIVE_FCGI_APPID"),
        ({"LIVE_TIMEOUT": "2"}, "LIVE_TIMEOUT"),  # Tencent: a client retrying within 3 s may record twice
        ({"LIVE_TIMEOUT": "3"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "0"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "999"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "60.5"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "ten"}, "LIVE_TIMEOUT"),
        ({"LIVE_ENDPOINT": "not-a-url"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "127.0.0.1:9100"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "ftp://127.0.0.1:9100"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "http://"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "http://127.0.0.1:9100/v2/index.php"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "https://live.example.com/base/"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "http://127.0.0.1:9100?x=1"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "http://127.0.0.1:9100#frag"}, "LIVE_ENDPOINT"),
        ({"LIVE_REGION": "ap-beijing"}, "LIVE_REGION"),  # not a CreateRecordTask region
        ({"LIVE_API": "record-task", "LIVE_REGION": "mars-olympus-1"}, "LIVE_REGION"),
        ({"LIVEREC_API_TOKENS": "short-tok"}, "LIVEREC_API_TOKENS"),
    ],
)
def test_malformed_values_name_the_variable_and_leak_no_secret(extra: dict[str, str], variable: str) -> None:
    # Given every secret set and valid, and one *other* variable malformed
    env = {**ALL_SECRETS, **extra}
    # When the settings are validated
    err = config_error(env)
    # Then the error names that variable, and no secret shows anywhere a log could print it
    assert err.field == variable
    assert variable in str(err)
    shown = everything_shown(err)
    for secret in SECRETS:
        assert secret not in shown


def test_a_rejected_secret_is_not_echoed() -> None:
    # Given an API token too short to accept (the token itself is a secret)
    err = config_error({**API3, "LIVEREC_API_TOKENS": f"{API_TOKEN},tooshort-秘密"})
    assert err.field == "LIVEREC_API_TOKENS"
    shown = everything_shown(err)
    assert "tooshort-秘密" not in shown and API_TOKEN not in shown


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:notaport", "http://127.0.0.1:99999"])
def test_endpoint_with_an_invalid_port_is_rejected(endpoint: str) -> None:
    assert config_error({**API3, "LIVE_ENDPOINT": endpoint}).field == "LIVE_ENDPOINT"


def test_endpoint_with_credentials_is_rejected_without_echoing_them() -> None:
    err = config_error({**API3, "LIVE_ENDPOINT": "http://user:hunter2-secret@127.0.0.1:9100"})
    assert err.field == "LIVE_ENDPOINT" and "hunter2-secret" not in str(err)


def test_empty_strings_are_unset_and_values_are_trimmed() -> None:
    s = Settings.from_env(
        {
            **API3,
            "LIVE_API": "",
            "LIVE_REGION": "   ",
            "LIVE_TIMEOUT": "",
            "LIVE_ENDPOINT": " ",
            "LIVE_DOMAIN": "",
            "LIVE_APP": " live ",
            "LIVE_CALLBACK_KEY": "",
        }
    )
    assert s.api is LiveApi.RECORD_TASK
    assert s.region == "ap-guangzhou"
    assert s.timeout == 10.0
    assert s.endpoint is None and s.domain is None and s.callback_key is None
    assert s.app == "live"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://127.0.0.1:9100/", "http://127.0.0.1:9100"),
        ("http://127.0.0.1:9100", "http://127.0.0.1:9100"),
        ("https://live.example.com/", "https://live.example.com"),
    ],
)
def test_endpoint_trailing_slash_is_stripped(raw: str, expected: str) -> None:
    assert Settings.from_env({**API3, "LIVE_ENDPOINT": raw}).endpoint == expected


# --- secrets ------------------------------------------------------------------------------------------


def test_secrets_are_secretstr_and_never_shown() -> None:
    s = Settings.from_env(ALL_SECRETS)
    assert isinstance(s.secret_key, SecretStr)
    assert isinstance(s.fcgi_key, SecretStr)
    assert isinstance(s.callback_key, SecretStr)
    assert all(isinstance(t, SecretStr) for t in s.api_tokens)
    assert [t.get_secret_value() for t in s.api_tokens] == [API_TOKEN]

    shown = "\n".join([repr(s), str(s), str(s.describe()), json.dumps(s.describe())])
    for secret in SECRETS:
        assert secret not in shown


def test_describe_masks_the_secret_id_and_reports_secrets_only_as_set() -> None:
    d = Settings.from_env(ALL_SECRETS).describe()
    assert d["secret_id"] == SECRET_ID[:4] + "…"
    assert SECRET_ID not in json.dumps(d, ensure_ascii=False)
    assert d["secret_key"] == d["fcgi_key"] == d["callback_key"] == "set"
    assert d["api_tokens"] == 1


def test_describe_reveals_nothing_of_a_short_secret_id() -> None:
    d = Settings.from_env({"TENCENTCLOUD_SECRET_ID": "AKID12", "TENCENTCLOUD_SECRET_KEY": "k"}).describe()
    assert d["secret_id"] == "…"
    assert d["callback_key"] is None and d["fcgi_key"] is None


# --- the Settings object -----------------------------------------------------------------------------


def test_settings_are_frozen_and_compare_by_value() -> None:
    s = Settings.from_env(API3)
    with pytest.raises(AttributeError):
        s.timeout = 30.0  # type: ignore[misc]
    assert s.timeout == 10.0
    assert s == Settings.from_env(API3) and hash(s) == hash(Settings.from_env(API3))
    assert s != Settings.from_env({**API3, "LIVE_TIMEOUT": "30"})


# --- laziness and caching -----------------------------------------------------------------------------


class RecordingEnviron(dict[str, str]):
    """A stand-in for os.environ that records every read."""

    def __init__(self, data: dict[str, str]) -> None:
        super().__init__(data)
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.reads.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.reads.append(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads.append(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.reads.append("<iter>")
        return super().__iter__()

    def copy(self) -> dict[str, str]:
        self.reads.append("<copy>")
        return dict(self)


def test_importing_shared_config_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given os.environ replaced by a recorder (holding valid credentials, so a read would succeed)
    spy = RecordingEnviron({**os.environ, **API3})
    monkeypatch.setattr(os, "environ", spy)
    saved = dict(vars(config_module))  # reload rebinds the module's names; put the originals back after
    try:
        # When the module is imported afresh
        reloaded = importlib.reload(config_module)
        # Then none of our variables was read, nor the environment as a whole (pydantic may look up its own
        # PYDANTIC_* switches while building the models: that is the library's business, not configuration)
        ours = {*OUR_VARIABLES, *reloaded.ENV_FIELDS, "<iter>", "<copy>"}
        assert [var for var in spy.reads if var in ours] == []
        # And the recorder does see reads once settings are actually built (the probe can fail)
        assert reloaded.get_settings().secret_id == SECRET_ID
        assert "TENCENTCLOUD_SECRET_ID" in spy.reads
    finally:
        namespace = vars(config_module)
        namespace.clear()
        namespace.update(saved)
    assert config_module.Settings is Settings


def test_get_settings_validates_on_first_use(clean_env: pytest.MonkeyPatch) -> None:
    # Given a malformed variable, When settings are first needed, Then that call (not the import) fails
    clean_env.setenv("LIVE_TIMEOUT", "2")
    with pytest.raises(ConfigError) as info:
        get_settings()
    assert info.value.field == "LIVE_TIMEOUT"
    # And a failure is not cached: once the environment is fixed, the next call succeeds
    clean_env.setenv("LIVE_TIMEOUT", "10")
    assert get_settings().timeout == 10


def test_what_the_generation_requires_is_checked_when_the_service_is_first_built(
    clean_env: pytest.MonkeyPatch,
) -> None:
    from shared.app import creator, reset

    # Given no credentials, When the service is first needed, Then that call fails, naming the variable
    reset()
    with pytest.raises(ConfigError) as info:
        creator()
    assert info.value.field == "TENCENTCLOUD_SECRET_ID"
    # And nothing is cached: once the environment is fixed, the next call succeeds
    clean_env.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    clean_env.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    assert creator().adapter is not None and get_settings().secret_id == SECRET_ID
    reset()


def test_get_settings_caches_until_cleared(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TENCENTCLOUD_SECRET_ID", "AKIDfirst0000")
    clean_env.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    first = get_settings()
    assert get_settings() is first

    # When the environment changes, the cached settings stay until the cache is cleared
    clean_env.setenv("TENCENTCLOUD_SECRET_ID", "AKIDsecond000")
    clean_env.setenv("LIVE_API", "v2")
    assert get_settings() is first and first.secret_id == "AKIDfirst0000"

    get_settings.cache_clear()
    second = get_settings()
    assert second is not first
    assert (second.secret_id, second.api) == ("AKIDsecond000", LiveApi.V2)


@pytest.mark.parametrize("table", [None, "", "memory"])
def test_snapstart_refuses_the_in_process_ledger(table: str | None) -> None:
    # Given a function restored from a SnapStart snapshot, and the in-process ledger (unset, blank, "memory")
    env = {**API3, "AWS_LAMBDA_FUNCTION_NAME": "liverec-prod-realtime"}
    env |= {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    if table is not None:
        env["LIVEREC_IDEMPOTENCY_TABLE"] = table
    # Then the configuration is refused, naming the variable: each container would create once on its own
    err = config_error(env)
    assert err.field == "LIVEREC_IDEMPOTENCY_TABLE" and "SnapStart" in err.message
    assert SECRET_KEY not in everything_shown(err)
    # the DynamoDB ledger is fine, and so is the in-process one without SnapStart
    assert validated(env | {"LIVEREC_IDEMPOTENCY_TABLE": "liverec-prod-idempotency"}).idempotency_table
    for init in ("on-demand", "provisioned-concurrency"):
        assert validated(env | {"AWS_LAMBDA_INITIALIZATION_TYPE": init}).idempotency_table is None
