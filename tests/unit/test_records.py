"""Records behave as the named tuples they replace: built by position or name with defaults, read-only,
equal and hashed by value, unpacked, copied with ``_replace``, copied and pickled whole."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime

import pytest

from shared.storage.ledger import Claim, Origin, Recording, Summary
from shared.support.records import Record
from shared.tencent.types import TaskQuery


class Point(Record):
    __slots__ = ()
    x: int
    y: int = 0
    label: str | None = None

    def moved(self, dx: int) -> Point:
        return self._replace(x=self.x + dx)


def test_built_by_position_and_by_name_with_defaults() -> None:
    assert Point(1) == Point(x=1) == Point(1, 0, None)
    p = Point(1, label="a")
    assert (p.x, p.y, p.label) == (1, 0, "a")
    x, y, label = p
    assert (x, y, label) == (1, 0, "a")
    assert p.moved(2) == Point(3, 0, "a")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing the field 'x'"),
        ((1, 2, "a", 4), {}, "takes 3 fields, 4 given"),
        ((1,), {"x": 2}, "unknown or repeated fields ['x']"),
        ((1,), {"z": 2}, "unknown or repeated fields ['z']"),
    ],
)
def test_a_wrong_call_is_a_type_error(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Point(*args, **kwargs)  # type: ignore[arg-type]


def test_read_only_and_without_a_dict() -> None:
    p = Point(1)
    with pytest.raises(AttributeError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 2  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="no fields"):
        p._replace(z=1)


def test_equal_and_hashed_by_value_and_shown_by_name() -> None:
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1)
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert repr(Point(1, label="a")) == "Point(x=1, y=0, label='a')"


def test_copied_and_pickled_whole() -> None:
    recording = Recording("record-task", "realtime", "s", None, None, 1, 2, task_id="t", warnings=("w",))
    query = TaskQuery(stream="s", start=datetime(2026, 1, 1, tzinfo=UTC))
    for value in (recording, query, Origin("api"), Point(1, label="a")):
        assert copy.deepcopy(value) == value and type(copy.deepcopy(value)) is type(value)
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own bytes


def test_a_record_class_is_checked_when_defined() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Bad(Record):
            __slots__ = ()
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="__slots__"):

        class NoSlots(Record):
            a: int


def test_a_claim_draws_a_fresh_owner_unless_given_one_and_keeps_it() -> None:
    plan = Recording("v2", "scheduled", "s", "d", "a", 1000, 2000)
    first, second = (
        Claim("k", "fp", Origin("http"), 1.0, 60.0, plan),
        Claim("k", "fp", Origin("http"), 1.0, 60.0, plan),
    )
    assert first.owner and second.owner and first.owner != second.owner  # two claims, two tokens
    again = Claim("k", "fp", Origin("http"), 2.0, 61.0, plan, first.owner, sent=True)  # a take-over keeps it
    assert (again.owner, again.sent) == (first.owner, True) and again.entry().owner == first.owner
    pickled = pickle.loads(pickle.dumps(first))  # noqa: S301 - our own bytes
    for copied in (copy.deepcopy(first), pickled, first._replace(now=5.0)):
        assert copied.owner == first.owner


def test_a_summary_merges_into_a_new_one_and_is_left_as_it_was() -> None:
    seen = Summary({"a": 10, "b": 20}, 3, {"c": 30})
    merged = seen.merged({"c": 30}, {"d": 40}, {"a": 10})
    assert merged == Summary({"b": 20, "c": 30}, 4, {"d": 40})  # noted done: no longer unresolved
    assert seen == Summary({"a": 10, "b": 20}, 3, {"c": 30})
    assert Summary.empty() == Summary({}, 0, {}) and Summary.empty(7).version == 7
    assert Summary.empty().done is not Summary.empty().done  # nothing shared between two summaries
