"""The one body reader: which content types are JSON, and JSON bounded so no byte sequence reaches a parser
limit (no RecursionError, no int-str ValueError, no lone surrogate carried on)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.edge.body import (
    MAX_BODY,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    check_content_type,
    is_json_media_type,
    json_object,
    parse_json,
    raw_body,
    read_json,
)
from shared.support.errors import LiverecError, MalformedBody, PayloadTooLarge, UnsupportedMediaType


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/problem+json",
        "application/vnd.liverec+json; version=1",
    ],
)
def test_json_or_no_content_type_is_json(content_type: str | None) -> None:
    assert is_json_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/jsonp",
        "application/json-seq",
        "json",
    ],
)
def test_any_other_content_type_is_415_naming_the_header(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        check_content_type({"headers": {"Content-Type": content_type}})
    assert (info.value.status, info.value.field) == (415, "Content-Type")


def test_deep_nesting_is_400_at_any_depth_never_a_recursion_error() -> None:
    for depth in (MAX_DEPTH + 1, 1000, 100_000):
        with pytest.raises(MalformedBody, match="nested"):
            parse_json(b"[" * depth + b"]" * depth)
        with pytest.raises(MalformedBody, match="nested"):
            parse_json(b'{"a":' * depth + b"1" + b"}" * depth)
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = json.dumps({"stream": "[" * 1000 + '\\"{' * 100})
    assert parse_json(text.encode())["stream"].startswith("[[[")


def test_long_integers_are_400_not_a_value_error() -> None:
    for digits in (MAX_INT_DIGITS + 1, 4301, 5000, 50_000):
        with pytest.raises(MalformedBody, match="digits"):
            parse_json(b'{"duration": ' + b"9" * digits + b"}")
    assert parse_json(b"-" + b"9" * MAX_INT_DIGITS) == -int("9" * MAX_INT_DIGITS)


@pytest.mark.parametrize("raw", [b"NaN", b"[Infinity]", b'{"d": -Infinity}', b"{", b"", b"\xef\xbb\xbf{}"])
def test_what_is_not_json_is_invalid_json(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse_json(raw)


@pytest.mark.parametrize("raw", [b'"\\ud800"', b'{"\\udfff": 1}', b'["ok", {"s": "a\\ud83d"}]'])
def test_lone_surrogates_are_400(raw: bytes) -> None:
    with pytest.raises(MalformedBody, match="surrogate"):
        parse_json(raw)


def test_a_surrogate_pair_is_the_character_it_encodes() -> None:
    assert parse_json(b'"\\ud83d\\ude00"') == "\U0001f600"


def test_bytes_that_are_not_utf8_are_400() -> None:
    with pytest.raises(MalformedBody, match="UTF-8"):
        parse_json(b'{"stream": "\xff"}')
    with pytest.raises(MalformedBody, match="UTF-8"):
        raw_body({"body": '{"stream": "\ud800"}'})  # a lone surrogate in the event's own text


def test_base64_bodies_are_decoded_and_checked() -> None:
    event = {"body": base64.b64encode(b'{"stream": "s"}').decode(), "isBase64Encoded": True}
    assert read_json(event) == {"stream": "s"}
    with pytest.raises(MalformedBody, match="base64"):
        raw_body({"body": "!!!", "isBase64Encoded": True})


def test_the_size_cap_holds_before_and_after_decoding() -> None:
    with pytest.raises(PayloadTooLarge):
        raw_body({"body": "x" * (MAX_BODY + 1)})
    with pytest.raises(PayloadTooLarge):
        raw_body({"body": base64.b64encode(b"x" * (MAX_BODY + 1)).decode(), "isBase64Encoded": True})
    with pytest.raises(PayloadTooLarge):
        raw_body({"body": "é" * (MAX_BODY // 2 + 1)})  # under the cap in characters, over it in bytes
    assert raw_body({"body": "x" * MAX_BODY}) == b"x" * MAX_BODY


def test_a_body_that_is_not_text_is_400() -> None:
    for body in (123, {"a": 1}, ["x"]):
        with pytest.raises(MalformedBody):
            raw_body({"body": body})


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b"[]", "not an array"),
        (b"1", "not a number"),
        (b"-1.5", "not a number"),
        (b'"s"', "not a string"),
        (b"null", "not null"),
        (b" true", "not true"),
        (b"", "empty"),
        (b" \n", "empty"),
    ],
)
def test_json_object_refuses_no_body_and_other_values_as_400_invalid_body_saying_what_it_got(
    raw: bytes, named: str
) -> None:
    with pytest.raises(MalformedBody) as info:
        json_object(raw)
    assert (info.value.status, info.value.code) == (400, "InvalidBody")
    assert info.value.message.startswith("the body ") and named in info.value.message


@settings(max_examples=500, deadline=None)
@given(raw=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_a_value_or_a_4xx(raw: bytes) -> None:
    try:
        value: Any = parse_json(raw)
    except LiverecError as exc:
        assert 400 <= exc.status < 500
        return
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # whatever is read can be written out again
