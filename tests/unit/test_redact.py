"""URLs are shown without their credentials: userinfo, query and fragment masked, whether or not they
parse; a misconfigured LIVEREC_WEBHOOK_URLS names the entry, redacted, and never echoes its secret."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.support.config import Settings
from shared.support.errors import ConfigError
from shared.support.observability import logger
from shared.support.redact import redact_url, url_origin

SECRET = "s3cr3t-value-0123456789"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"htps://a/?token={SECRET}", "htps://a/?***"),
        (f"ftp://user:{SECRET}@host/", "ftp://***@host/"),
        (f"https://user:{SECRET}@host:8443/path?x=1#frag", "https://***@host:8443/path?***"),
        (f"user:{SECRET}@host/x", "***@host/x"),
        (f"https://u:{SECRET[:5]}/{SECRET[5:]}@host/", "https://***@host/"),  # a "/" in the password
        (f"https://hooks.example/in#{SECRET}", "https://hooks.example/in#***"),
        ("https://hooks.example/in", "https://hooks.example/in"),
    ],
)
def test_credentials_are_masked_whatever_the_shape(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_origin_is_scheme_and_host() -> None:
    assert (
        url_origin(f"https://user:{SECRET}@hooks.example:8443/in?t={SECRET}") == "https://hooks.example:8443"
    )


@given(
    user=st.text(min_size=1, max_size=20), secret=st.text(min_size=8, max_size=30), rest=st.text(max_size=20)
)
def test_nothing_after_a_question_mark_or_before_an_at_is_shown(user: str, secret: str, rest: str) -> None:
    for url in (f"http://{user}:{secret}@h/{rest}", f"http://h/{rest}?{secret}", f"{user}:{secret}@h"):
        shown = redact_url(url, limit=10_000)
        assert f":{secret}@" not in shown
        if "?" in url:
            assert shown.endswith("?***") or shown.endswith("#***")


@pytest.mark.parametrize(
    "urls",
    [
        f"htps://hooks.example/?token={SECRET}",
        f"ftp://user:{SECRET}@hooks.example/",
        f"http://user:{SECRET}@hooks.example/",
        f"https://ok.example/, http://[::1/?token={SECRET}",
        f"https://hooks.example:99999/?token={SECRET}",
        f"user:{SECRET}@hooks.example",
    ],
)
def test_a_bad_subscriber_url_is_reported_without_its_secret(
    urls: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", logs)
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"LIVEREC_WEBHOOK_URLS": urls, "LIVEREC_WEBHOOK_SECRET": "w" * 20})
    error = info.value
    logger.error("configuration refused", extra={"error": error.to_dict()})  # as the edge logs it
    shown = " ".join([str(error), repr(error), json.dumps(error.to_dict()), logs.getvalue()])
    assert error.field == "LIVEREC_WEBHOOK_URLS" and "entry" in error.message
    assert SECRET not in shown
