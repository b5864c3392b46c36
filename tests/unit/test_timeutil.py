"""Times never depend on the machine's zone; bad times always fail as InvalidRequest, saying why."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidRequest
from shared.timeutil import format_cst, isoformat, parse_cst, parse_time


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("machine_zone")
def test_cst_formatting_ignores_the_machine_zone() -> None:
    instant = datetime(2017, 5, 20, 2, 0, tzinfo=UTC)
    assert format_cst(instant) == "2017-05-20 10:00:00"
    assert parse_cst("2017-05-20 10:00:00") == instant
    assert parse_time("2017-05-20T10:00:00+08:00", "start") == instant
    assert parse_time(int(instant.timestamp()), "start") == instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-20T20:00:00+08:00", datetime(2026, 5, 20, 12, tzinfo=UTC)),
        ("2026-05-20T12:00:00Z", datetime(2026, 5, 20, 12, tzinfo=UTC)),
        ("2026-05-20T07:00:00-05:00", datetime(2026, 5, 20, 12, tzinfo=UTC)),
        ("1779278400", datetime(2026, 5, 20, 12, tzinfo=UTC)),
        (1779278400, datetime(2026, 5, 20, 12, tzinfo=UTC)),
        (1779278400.0, datetime(2026, 5, 20, 12, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text: object, expected: datetime) -> None:
    assert parse_time(text, "start") == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-05-20T20:00:00", "no UTC offset"),
        (1779278400000, "millisecond"),
        ("1779278400000", "millisecond"),
        (-1, "negative"),
        (1.5, "fraction"),
        (True, "ISO-8601"),
        ("next tuesday", "not an ISO-8601"),
        (None, "ISO-8601"),
        ([1], "ISO-8601"),
    ],
)
def test_rejected_forms_say_why(value: object, words: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_time(value, "end")
    assert info.value.field == "end" and words in info.value.message


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.booleans(), st.lists(st.integers())))
def test_anything_is_a_utc_instant_or_invalid_request(value: object) -> None:
    try:
        result = parse_time(value, "start")
    except InvalidRequest:
        return
    assert result.tzinfo is not None and result.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_cst_round_trip(instant: datetime) -> None:
    instant = instant.replace(microsecond=0)
    assert parse_cst(format_cst(instant)) == instant


def test_isoformat_and_naive_datetimes() -> None:
    assert isoformat(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        format_cst(datetime(2026, 1, 1))
