"""Configuration: environment only, validated lazily, one clear error naming the variable, no secret leaks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

import shared.config as config_module
from shared.config import LiveApi, Settings, get_settings
from shared.errors import ConfigError

API3 = {"TENCENTCLOUD_SECRET_ID": "AKIDabcdefgh1234", "TENCENTCLOUD_SECRET_KEY": "key-that-must-not-leak"}
FCGI = {"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "1234", "LIVE_FCGI_KEY": "fcgi-key-that-must-not-leak"}


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def error(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    return info.value


def test_defaults() -> None:
    s = Settings.from_env(API3)
    assert (s.api, s.region, s.timeout, s.endpoint) == (LiveApi.RECORD_TASK, "ap-guangzhou", 10.0, None)
    assert isinstance(s.secret_key, SecretStr)


@pytest.mark.parametrize("api", [a.value for a in LiveApi])
def test_each_api_value(api: str) -> None:
    assert Settings.from_env({**API3, **FCGI, "LIVE_API": api}).api.value == api


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"TENCENTCLOUD_SECRET_ID": "id"}, "TENCENTCLOUD_SECRET_KEY"),
        ({"LIVE_API": "v2", "TENCENTCLOUD_SECRET_ID": "id"}, "TENCENTCLOUD_SECRET_KEY"),
        ({"LIVE_API": "live-record", "TENCENTCLOUD_SECRET_KEY": "k"}, "TENCENTCLOUD_SECRET_ID"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_KEY": "k"}, "LIVE_FCGI_APPID"),
        ({"LIVE_API": "fcgi", "LIVE_FCGI_APPID": "1"}, "LIVE_FCGI_KEY"),
    ],
)
def test_missing_credentials_name_the_variable(env: dict[str, str], variable: str) -> None:
    err = error(env)
    assert err.field == variable and variable in err.message


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"LIVE_API": "bogus"}, "LIVE_API"),
        ({"LIVE_TIMEOUT": "2"}, "LIVE_TIMEOUT"),  # Tencent: must be above 3 s
        ({"LIVE_TIMEOUT": "3"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "999"}, "LIVE_TIMEOUT"),
        ({"LIVE_TIMEOUT": "soon"}, "LIVE_TIMEOUT"),
        ({"LIVE_ENDPOINT": "not-a-url"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "http://127.0.0.1:9100/v2/index.php"}, "LIVE_ENDPOINT"),
        ({"LIVE_ENDPOINT": "ftp://127.0.0.1"}, "LIVE_ENDPOINT"),
        ({"LIVE_REGION": "ap-beijing"}, "LIVE_REGION"),  # not a CreateRecordTask region
    ],
)
def test_malformed_values_name_the_variable(extra: dict[str, str], variable: str) -> None:
    err = error({**API3, **extra})
    assert err.field == variable and variable in err.message
    assert API3["TENCENTCLOUD_SECRET_KEY"] not in str(err)


def test_fcgi_appid_must_be_a_positive_integer() -> None:
    assert error({**FCGI, "LIVE_FCGI_APPID": "abc"}).field == "LIVE_FCGI_APPID"
    assert error({**FCGI, "LIVE_FCGI_APPID": "0"}).field == "LIVE_FCGI_APPID"


def test_region_rule_applies_to_record_task_only() -> None:
    assert (
        Settings.from_env({**API3, "LIVE_API": "live-record", "LIVE_REGION": "ap-beijing"}).region
        == "ap-beijing"
    )


def test_empty_strings_are_unset_and_endpoint_loses_its_slash() -> None:
    s = Settings.from_env(
        {**API3, "LIVE_REGION": "  ", "LIVE_DOMAIN": "", "LIVE_ENDPOINT": "http://127.0.0.1:9100/"}
    )
    assert s.region == "ap-guangzhou" and s.domain is None and s.endpoint == "http://127.0.0.1:9100"


def test_secrets_never_show() -> None:
    s = Settings.from_env(
        {**API3, **FCGI, "LIVE_API": "record-task", "LIVE_CALLBACK_KEY": "cb-key-that-must-not-leak"}
    )
    shown = " ".join([repr(s), str(s), str(s.describe()), s.model_dump_json()])
    for secret in ("key-that-must-not-leak", "fcgi-key-that-must-not-leak", "cb-key-that-must-not-leak"):
        assert secret not in shown
    assert s.describe()["secret_id"] == "AKID…"
    assert s.describe()["secret_key"] == "set"


def test_importing_the_package_reads_none_of_our_variables() -> None:
    # In a fresh interpreter (a reload here would split enum identities across modules), spy on os.environ.
    probe = textwrap.dedent(
        """
        import os, sys
        reads = []
        class Spy(dict):
            def __getitem__(self, key):
                reads.append(key)
                return super().__getitem__(key)
            def get(self, key, default=None):
                reads.append(key)
                return super().get(key, default)
        os.environ = Spy(os.environ)
        import shared.config, shared.models, shared.rules, shared.adapters, shared.signing
        from shared.config import ENV_FIELDS
        print(sorted(set(reads) & set(ENV_FIELDS)))
        """
    )
    env = {**os.environ, **API3, "LIVE_API": "v2"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_get_settings_validates_lazily_and_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in config_module.ENV_FIELDS:
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError):
        get_settings()
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDfirst0000")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "k")
    get_settings.cache_clear()
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDsecond000")
    assert get_settings().secret_id == "AKIDfirst0000"  # cached until cleared
    get_settings.cache_clear()
    assert get_settings().secret_id == "AKIDsecond000"
