"""What openapi.json states of an input is what the code checks: a time, a name, an integer the document
accepts, the code accepts too (tests/functional/test_openapi_positive.py sends whole requests), and every
pattern the document states is one a JSON Schema validator can read (one it cannot read is skipped, and
then states nothing)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools import openapi
from shared.recordings.models import NAME_PATTERN, RealtimeRecordingInput, parse_input
from shared.support.errors import InvalidRequest
from shared.support.timeforms import LATEST_UNIX, TIME_TEXT, UNIX_PATTERN, at_most
from shared.support.timeutil import EARLIEST, LATEST, parse_time
from shared.support.urls import URL_PATTERN, url_problem
from shared.webhooks.tencent_events import checked_urls, event_type_of

DOC: dict[str, Any] = json.loads(openapi.OUT.read_text(encoding="utf-8"))
FAST = settings(max_examples=300, deadline=None)
TIME = str(TIME_TEXT["pattern"])


def patterns(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(patterns(v) for v in node))
    return set()


def test_every_pattern_in_the_document_is_one_a_validator_reads() -> None:
    found = patterns(DOC)
    assert NAME_PATTERN in found and TIME in found
    for pattern in found:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # raises on one it cannot read


@FAST
@given(text=st.from_regex(TIME, fullmatch=True))
def test_every_time_the_document_accepts_is_a_time_the_code_accepts(text: str) -> None:
    assert EARLIEST <= parse_time(text, "start") <= LATEST


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("1970-01-01T00:00:00Z", True),
        ("1970-01-01T00:00:00-05:00", True),
        ("1970-01-01T00:30:00+01:00", False),  # 1969 in UTC: the code refuses it too
        ("1970-01-02T00:00:00+23:59", True),
        ("2100-12-31T23:59:59Z", True),
        ("2100-12-31T23:59:59.999999999+08:00", True),
        ("2100-12-31T20:00:00-05:00", False),  # 2101 in UTC
        ("2100-12-30T23:59:59-23:59", True),
        ("2024-02-29T12:00:00+08:00", True),
        ("2023-02-29T12:00:00+08:00", False),
        ("2100-02-29T12:00:00Z", False),  # 2100 is no leap year
        ("2026-04-31T12:00:00Z", False),
        ("2026-05-20 20:00+08:00", True),
        ("2026-05-20T20:00:00", False),  # no offset: the code asks for one
        ("1969-12-31T23:59:59Z", False),
        ("2101-01-01T00:00:00Z", False),
        ("0", True),
        (str(LATEST_UNIX), True),
        (str(LATEST_UNIX + 1), False),
        ("1700000000000", False),  # milliseconds: the code says so
        ("01", False),
    ],
)
def test_the_time_pattern_at_its_edges_agrees_with_the_code(text: str, stated: bool) -> None:
    assert bool(re.fullmatch(TIME, text)) is stated
    assert jsonschema_rs.is_valid({"type": "string", "pattern": TIME}, text) is stated
    try:
        parse_time(text, "start")
    except InvalidRequest:
        assert not stated
    # the code may accept more (other ISO-8601 spellings); never less


@FAST
@given(limit=st.integers(min_value=0, max_value=10**12), number=st.integers(min_value=0, max_value=10**13))
def test_at_most_is_the_numbers_up_to_its_limit(limit: int, number: int) -> None:
    assert bool(re.fullmatch(at_most(limit), str(number))) is (number <= limit)
    assert re.fullmatch(at_most(limit), "0" + str(number)) is None  # no leading zero


def test_unix_seconds_stop_at_the_end_of_2100() -> None:
    assert int(LATEST.timestamp()) == LATEST_UNIX
    assert re.fullmatch(UNIX_PATTERN, str(LATEST_UNIX)) and not re.fullmatch(
        UNIX_PATTERN, str(LATEST_UNIX + 1)
    )


@settings(max_examples=500, deadline=None)
@given(name=st.text(min_size=1, max_size=12))
def test_a_stream_name_is_what_its_pattern_says_for_python_and_json_schema_alike(name: str) -> None:
    try:
        parse_input(RealtimeRecordingInput, {"stream": name})
        accepted = True
    except InvalidRequest:
        accepted = False
    assert jsonschema_rs.is_valid({"type": "string", "pattern": NAME_PATTERN}, name) is accepted


@pytest.mark.parametrize(
    "name", ["a b", "tab\there", "nl\n", "nbsp\xa0", "zw\u200bsp", "bom\ufeff", "\x00", "\x85"]
)
def test_spaces_and_control_characters_are_refused_as_before(name: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_input(RealtimeRecordingInput, {"stream": name})
    assert info.value.field == "stream" and "spaces or control characters" in info.value.message


@pytest.mark.parametrize("name", ["livetest", "直播", "stream-1_a.b", "ü", "😀"])
def test_printable_names_in_any_script_are_taken(name: str) -> None:
    assert parse_input(RealtimeRecordingInput, {"stream": name}).stream == name


@pytest.mark.parametrize("field", ["duration", "template_id", "storage_time", "record_interval"])
def test_an_integer_written_with_a_zero_fraction_is_that_integer_as_json_schema_says(field: str) -> None:
    body = {"stream": "s", field: 1800.0}
    assert getattr(parse_input(RealtimeRecordingInput, body), field) == 1800
    for bad in (1800.5, "1800", True):
        with pytest.raises(InvalidRequest) as info:
            parse_input(RealtimeRecordingInput, {"stream": "s", field: bad})
        assert info.value.field == field


def integer_schemas(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        found = [(where, node)] if node.get("type") == "integer" else []
        for key, value in node.items():
            found += integer_schemas(value, f"{where}.{key}")
        return found
    if isinstance(node, list):
        return [found for i, v in enumerate(node) for found in integer_schemas(v, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize(
    "model", ["RealtimeRecordingInput", "ScheduledRecordingInput", "Program", "OccurrenceResolution"]
)
def test_every_integer_a_caller_sends_is_bounded_where_json_readers_agree(model: str) -> None:
    # the body reader refuses integers of more than 40 digits, and a JSON reader of another language holds
    # an integer exactly up to 2**53 - 1: every bound is one, written exactly
    for where, schema in integer_schemas(DOC["components"]["schemas"][model]):
        if "enum" in schema:
            continue
        bounds = [schema.get(k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")]
        assert any(b is not None for b in bounds[:2]) and any(b is not None for b in bounds[2:]), where
        for bound in (b for b in bounds if b is not None):
            assert abs(bound) <= 2**53 - 1 and float(bound) == int(bound), where


def test_a_callbacks_event_type_within_the_documents_bounds_is_read_and_beyond_them_is_not() -> None:
    schema = DOC["components"]["schemas"]["TencentCallback"]["properties"]["event_type"]
    low, high = int(schema["minimum"]), int(schema["maximum"])
    for value in (low, high, 100, 100.0, 0):
        assert event_type_of({"event_type": value}) == int(value)
    for value in (low - 1, high + 1, 1.5, True, "x"):
        with pytest.raises(InvalidRequest):
            event_type_of({"event_type": value})


@FAST
@given(url=st.from_regex(URL_PATTERN, fullmatch=True))
def test_every_url_the_document_accepts_is_kept_but_for_what_it_says_in_words(url: str) -> None:
    problem = url_problem(url)
    assert problem is None or "special-use" in problem or "longer than" in problem, (url, problem)
    if problem is None:
        assert checked_urls({"video_url": url}) == {"video_url": url}


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://2130706433/",
        "https://localhost/f",
        "javascript:alert(1)",
        "https://a.com:8080/",
        "HTTP://0.XN---",  # a label may not end in a hyphen, a top-level one neither
    ],
)
def test_a_url_the_code_refuses_is_one_the_document_refuses(url: str) -> None:
    assert url_problem(url) is not None and not re.fullmatch(URL_PATTERN, url)
