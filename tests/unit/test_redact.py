"""URLs are shown without their credentials: userinfo, query and fragment masked, whether or not they
parse; a misconfigured LIVEREC_WEBHOOK_URLS names the entry, redacted, and never echoes its secret. Text from
outside and events are shown without the known secrets or any credential, bounded."""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.kit import http_event
from shared.support.config import Settings
from shared.support.errors import ConfigError
from shared.support.observability import logger
from shared.support.redact import MASK, redact_event, redact_text, redact_url, url_origin

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


# --- text from outside, and events, as they may be logged -------------------------------------------------

TOKEN = "bearer-token-0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            f"call https://u:{SECRET}@h.example/p?token={SECRET} failed",
            "call https://***@h.example/p?*** failed",
        ),
        (f"/v2/index.php?SecretId=AKID&Signature={SECRET}", "/v2/index.php?***"),
        (f"Authorization: Bearer {SECRET}, retry", "Authorization: Bearer ***, retry"),
        (f"X-TC-Token:{SECRET} refused", "X-TC-Token:*** refused"),
        (f"{{'signature': 't=1,v1={SECRET}', 'body': 1}}", "{'signature': '***', 'body': 1}"),
        (f'{{"sign": "{SECRET}", "t": 1}}', '{"sign": "***", "t": 1}'),
        (f'{{"secret": "a\\"{SECRET}"}}', '{"secret": "***"}'),  # an escaped quote does not end it
        (f"sign={SECRET}&t=1", "sign=***&t=1"),
        ("why? because: the stream is 'live'", "why? because: the stream is 'live'"),
    ],
)
def test_credentials_in_text_are_masked(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_known_secrets_are_masked_in_every_form() -> None:
    secret = "k3y/with space+不要"
    text = f"raw {secret} url {quote(secret, safe='')} form {quote_plus(secret)} json {json.dumps(secret)}"
    shown = redact_text(text, [secret, ""])
    assert shown == 'raw *** url *** form *** json "***"'


@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    secret=st.text(st.characters(blacklist_characters="*…"), min_size=1, max_size=30),
)
def test_a_known_secret_is_never_shown(before: str, after: str, secret: str) -> None:
    assert secret not in redact_text(f"{before}{secret}{after}", [secret], limit=10_000)


def test_text_is_bounded() -> None:
    assert redact_text("a" * 10_000, limit=512) == "a" * 511 + "…"
    long = " ".join(["word"] * 100_000) + f" https://u:{SECRET}@h/"
    shown = redact_text(long, limit=100_000)
    assert SECRET not in shown and shown.endswith("…")


def test_an_event_is_logged_without_its_credentials() -> None:
    event = http_event(
        "POST",
        "/callbacks/tencent",
        {"sign": SECRET, "t": 1, "stream_id": "s", "video_url": f"https://h/f.mp4?sig={SECRET}"},
        headers={
            "Cookie": f"a={SECRET}",
            "Liverec-Signature": f"t=1,v1={SECRET}",
            "X-Api-Key": SECRET,
            "Referer": f"https://u:{SECRET}@h/?q={SECRET}",
            "Idempotency-Key": "k-1",
            "X-Forwarded-Note": f"token={SECRET}",
        },
        query={"stream": "s", "token": SECRET},
        token=TOKEN,
    )
    shown = redact_event(event, [TOKEN])
    assert SECRET not in json.dumps(shown) and TOKEN not in json.dumps(shown)
    headers = shown["headers"]
    assert headers["authorization"] == headers["cookie"] == headers["liverec-signature"] == MASK
    assert headers["x-api-key"] == MASK and headers["referer"] == "https://***@h/?***"
    assert headers["idempotency-key"] == "k-1" and headers["x-forwarded-note"] == "token=***"
    assert shown["rawQueryString"] == "stream=***&token=***"
    assert shown["queryStringParameters"] == {"stream": MASK, "token": MASK}
    assert shown["body"] == {"sign": MASK, "t": 1, "stream_id": "s", "video_url": "https://h/f.mp4?***"}
    assert shown["requestContext"]["http"]["path"] == "/callbacks/tencent"
    assert shown["routeKey"] == "$default"


def test_a_base64_body_is_read_and_redacted() -> None:
    event = http_event(
        "POST", "/p", raw_body=base64.b64encode(json.dumps({"token": SECRET}).encode()).decode()
    )
    event["isBase64Encoded"] = True
    assert redact_event(event)["body"] == {"token": MASK}
    event["body"] = "not base64 " + SECRET
    assert SECRET not in json.dumps(redact_event(event))


def test_an_event_of_any_depth_or_size_is_bounded_without_recursion() -> None:
    deep: list[Any] = [SECRET]
    for _ in range(100_000):
        deep = [deep]
    wide = {f"k{n}": n for n in range(10_000)}
    shown = redact_event({"deep": deep, "wide": wide, "text": "x" * 100_000}, [SECRET], max_depth=16)
    text = json.dumps(shown)
    assert SECRET not in text and len(text) < 20_000
    assert shown["wide"]["…"] == "… 9900 more" and len(shown["text"]) == 1024
    # a deeply nested body: as structure where the JSON reader goes that deep (5,000 on 3.13, not on 3.11
    # or 3.12), else as text; redacted and bounded either way. Past every version's reader (100,000): as text
    for depth in (5_000, 100_000):
        body = "[" * depth + json.dumps(SECRET) + "]" * depth
        shown = redact_event({"body": body}, [SECRET])
        text = json.dumps(shown)
        assert SECRET not in text and len(text) < 20_000, depth
    assert isinstance(shown["body"], str)
