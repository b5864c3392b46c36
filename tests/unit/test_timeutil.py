"""Times never depend on the machine's zone; bad times always fail as InvalidRequest, saying why."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.support.errors import InvalidRequest
from shared.support.timeutil import format_cst, isoformat, parse_cst, parse_time

FAST = settings(max_examples=200, deadline=None)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOON_UTC = datetime(2026, 5, 20, 12, 0, 0, tzinfo=UTC)
NOON_UTC_SECONDS = calendar.timegm((2026, 5, 20, 12, 0, 0))
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@pytest.fixture(params=["America/New_York", "Asia/Tokyo", "UTC"])
def machine_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the process's local zone set to ``request.param``; restore it afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", request.param)
        time.tzset()
        try:
            yield request.param
        finally:
            mp.undo()
            time.tzset()


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


# --- parse_time: accepted ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-05-20T20:00:00+08:00",
        "2026-05-20T12:00:00Z",
        "2026-05-20T12:00:00z",
        "2026-05-20T07:00:00-05:00",
        "2026-05-20T17:45:00+05:45",
        "2026-05-20T12:00:00.999+00:00",  # sub-second precision is dropped, not rounded up
        "  2026-05-20T20:00:00+08:00 ",
        NOON_UTC_SECONDS,
        str(NOON_UTC_SECONDS),
        f" {NOON_UTC_SECONDS} ",
        float(NOON_UTC_SECONDS),
    ],
)
def test_accepted_forms_are_the_right_utc_instant(value: object) -> None:
    result = parse_time(value, "start")
    assert result == NOON_UTC
    assert_utc(result)


def test_the_epoch_is_accepted() -> None:
    assert parse_time(0, "start") == EPOCH
    assert parse_time("0", "start") == EPOCH


@FAST
@given(seconds=st.integers(min_value=0, max_value=calendar.timegm((2100, 1, 1, 0, 0, 0))))
def test_unix_seconds_as_int_or_digits(seconds: int) -> None:
    expected = EPOCH + timedelta(seconds=seconds)
    assert parse_time(seconds, "start") == expected
    assert parse_time(str(seconds), "start") == expected
    assert_utc(parse_time(seconds, "start"))


@FAST
@given(
    local=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    tz=offsets,
)
def test_iso_with_any_offset_is_that_instant(local: datetime, tz: timezone) -> None:
    # Given a wall-clock time with an explicit offset, written as ISO-8601
    instant = local.replace(tzinfo=tz)
    # When it is parsed
    result = parse_time(instant.isoformat(), "start")
    # Then it is the same instant in UTC, to the second
    assert result == instant.replace(microsecond=0)
    assert_utc(result)


# --- parse_time: rejected -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2026-05-20T20:00:00", "2026-05-20 20:00:00", "2026-05-20", "2026-05-20T20:00:00.123"]
)
def test_naive_iso_is_rejected_asking_for_an_offset(value: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_time(value, "start_time")
    err = info.value
    assert err.field == "start_time"
    assert "offset" in err.message
    assert err.code == "InvalidRequest"


@pytest.mark.parametrize("value", [1_700_000_000_000, "1700000000000", 1_700_000_000_000.0])
def test_millisecond_timestamps_are_rejected_saying_so(value: object) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_time(value, "end_time")
    assert info.value.field == "end_time"
    assert "millisecond" in info.value.message


@FAST
@given(seconds=st.integers(min_value=calendar.timegm((1974, 1, 1, 0, 0, 0)), max_value=2**40))
def test_any_millisecond_timestamp_since_1974_is_rejected(seconds: int) -> None:
    for value in (seconds * 1000, str(seconds * 1000)):
        with pytest.raises(InvalidRequest, match="millisecond"):
            parse_time(value, "end_time")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-1, "negative"),
        (-NOON_UTC_SECONDS, "negative"),
        (-1.0, "negative"),
        ("-1", None),
        (True, None),
        (False, None),
        (1.5, "fraction"),
        (float(NOON_UTC_SECONDS) + 0.25, "fraction"),
        (float("nan"), None),
        (float("inf"), None),
        ("", None),
        ("   ", None),
        ("next tuesday", "ISO-8601"),
        ("2026-13-01T00:00:00+08:00", "ISO-8601"),
        ("2026-05-20T20:00:00+08:00Z", "ISO-8601"),
        ("2026-05-20T20:00:00+25:00", "ISO-8601"),
        ("1.7e9", None),
        (None, None),
        ([NOON_UTC_SECONDS], None),
        ({"t": NOON_UTC_SECONDS}, None),
        (b"1779278400", None),
        (NOON_UTC, None),  # a datetime object is not wire input
    ],
)
def test_rejected_forms_are_invalid_request_naming_the_field(value: object, words: str | None) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_time(value, "end")
    assert info.value.field == "end"
    assert "end" in info.value.message
    if words:
        assert words in info.value.message


@FAST
@given(
    value=st.one_of(
        st.text(),
        st.integers(),
        st.floats(),
        st.none(),
        st.booleans(),
        st.lists(st.integers()),
        st.sampled_from(["²", "①", "1700000000²", "٣"]),  # digits to str.isdigit(), not to int()
    )
)
def test_anything_is_a_utc_instant_or_invalid_request(value: object) -> None:
    try:
        result = parse_time(value, "start")
    except InvalidRequest as err:
        assert err.field == "start"
        return
    assert isinstance(result, datetime)
    assert_utc(result)


@pytest.mark.parametrize("value", ["²", "¹²³", "①", "1700000000²"])
def test_unicode_non_decimal_digits_are_invalid_request(value: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_time(value, "start")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_iso_times_outside_the_utc_range_are_invalid_request(value: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_time(value, "start")


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:00:00Z",  # a valid datetime, but start + any duration overflows
        "2101-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        calendar.timegm((2101, 1, 1, 0, 0, 0)),
        str(10**11 - 1),  # the largest seconds value that is not taken for milliseconds
    ],
)
def test_times_beyond_the_supported_range_are_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidRequest, match="outside the supported range") as info:
        parse_time(value, "end")
    assert info.value.field == "end"


def test_the_ends_of_the_supported_range_are_accepted() -> None:
    assert parse_time("2100-12-31T23:59:59Z", "end") == datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_time("1970-01-01T08:00:00+08:00", "start") == EPOCH


# --- China Standard Time --------------------------------------------------------------------------------


@pytest.mark.usefixtures("machine_zone")
def test_cst_formatting_ignores_the_machine_zone(machine_zone: str) -> None:
    # Given the process's local zone is set (and really in effect)
    expected_offset = {"America/New_York": 5 * 3600, "Asia/Tokyo": -9 * 3600, "UTC": 0}[machine_zone]
    assert time.timezone == expected_offset
    instant = datetime(2017, 5, 20, 2, 0, 0, tzinfo=UTC)

    # Then CST formatting and parsing are those of the fixed UTC+8 offset
    assert format_cst(instant) == "2017-05-20 10:00:00"
    assert format_cst(instant.astimezone(timezone(timedelta(hours=-5)))) == "2017-05-20 10:00:00"
    assert parse_cst("2017-05-20 10:00:00") == instant
    assert parse_cst("2017-05-20 10:00:00").utcoffset() == timedelta(hours=8)
    # And caller input is read the same way whatever the zone
    assert parse_time("2017-05-20T10:00:00+08:00", "start") == instant
    assert parse_time(calendar.timegm((2017, 5, 20, 2, 0, 0)), "start") == instant
    assert isoformat(instant) == "2017-05-20T02:00:00Z"


def test_cst_date_is_a_day_ahead_in_the_small_hours() -> None:
    # 18:30 UTC on 20 May is 02:30 on 21 May in China
    assert format_cst(datetime(2026, 5, 20, 18, 30, tzinfo=UTC)) == "2026-05-21 02:30:00"
    assert parse_cst("2026-05-21 02:30:00") == datetime(2026, 5, 20, 18, 30, tzinfo=UTC)
    assert format_cst(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == "2026-01-01 00:00:00"


@FAST
@given(
    local=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    tz=offsets,
)
def test_format_cst_and_parse_cst_round_trip(local: datetime, tz: timezone) -> None:
    instant = local.replace(tzinfo=tz, microsecond=0)
    text = format_cst(instant)
    assert parse_cst(text) == instant
    assert format_cst(parse_cst(text)) == text
    # and the text is the UTC+8 wall clock
    assert text == (instant.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def test_format_cst_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_cst(datetime(2026, 1, 1, 10, 0))


# --- isoformat ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
        (datetime(2026, 5, 20, 20, 0, tzinfo=timezone(timedelta(hours=8))), "2026-05-20T12:00:00Z"),
        (datetime(2026, 5, 20, 12, 0, 0, 999_999, tzinfo=UTC), "2026-05-20T12:00:00Z"),
    ],
)
def test_isoformat_is_utc_with_z(value: datetime, expected: str) -> None:
    assert isoformat(value) == expected


@FAST
@given(
    local=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    tz=offsets,
)
def test_isoformat_ends_with_z_and_parses_back(local: datetime, tz: timezone) -> None:
    instant = local.replace(tzinfo=tz)
    text = isoformat(instant)
    assert text.endswith("Z")
    assert "+" not in text
    assert parse_time(text, "start") == instant.replace(microsecond=0)
