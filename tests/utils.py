"""What the tests share: what the date-dependent tests expect, derived from the instant they run at,
independently of the product; and the recordings domain assembled for the tests that drive it directly.

``cron_starts`` is a second reading of a cron expression, written for the tests: it walks every minute of a
span and asks whether the program's local wall time matches the five fields. It shares no code with cronsim
or shared/recordings/programs.py, so a test that compares the two checks the product, not itself. It covers
the cron the tests use (numbers, ``*``, ranges, lists, steps, day and month names, cron's "either day field"
rule); a local time that a DST change makes ambiguous is refused, so a test cannot lean on a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

NAMES = {
    **{d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))},
    **{
        m: i + 1
        for i, m in enumerate(
            ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
        )
    },
}
BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))  # minute, hour, day of month, month, day of week


def now() -> datetime:
    """The run's instant, to the second: the wall clock (a chosen one under `make test-dates`)."""
    return datetime.fromtimestamp(int(time.time()), tz=UTC)


def _value(text: str) -> int:
    return NAMES[text.upper()] if text.upper() in NAMES else int(text)


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (_value(v) for v in base.split("-"))
        else:
            first = last = _value(base)
            if step:
                last = high
        values.update(range(first, last + 1, int(step or 1)))
    return frozenset(values)


def _matches(fields: list[frozenset[int]], restricted: tuple[bool, bool], local: datetime) -> bool:
    minute, hour, dom, month, dow = fields
    weekday = (local.weekday() + 1) % 7  # cron: Sunday is 0 (and 7)
    on_dom, on_dow = local.day in dom, weekday in dow or (weekday == 0 and 7 in dow)
    day = (on_dom or on_dow) if all(restricted) else (on_dom and on_dow)
    return local.minute in minute and local.hour in hour and local.month in month and day


def cron_starts(cron: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every UTC instant in [start, end) at which ``cron`` fires in ``zone``, minute by minute."""
    parts = cron.split()
    fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, BOUNDS, strict=True)]
    restricted = (parts[2] != "*", parts[4] != "*")
    tz = ZoneInfo(zone)
    found = []
    cursor = start.astimezone(UTC).replace(second=0, microsecond=0)
    if cursor < start:
        cursor += timedelta(minutes=1)
    while cursor < end:
        local = cursor.astimezone(tz)
        if _matches(fields, restricted, local):
            naive = local.replace(tzinfo=None)
            if naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
                raise ValueError(f"{cron} in {zone} fires at {naive}, which a DST change makes ambiguous")
            found.append(cursor)
        cursor += timedelta(minutes=1)
    return found


def windows(
    cron: str,
    zone: str,
    duration: int,
    ticks: list[datetime],
    horizon: timedelta,
    cap: timedelta | None = None,
    *,
    booked: bool = False,
) -> set[tuple[int, int]]:
    """The (start, end) UNIX windows a timer ticking at ``ticks`` with ``horizon`` is asked to book: each
    occurrence cut into consecutive pieces of at most ``cap`` (a generation's longest scheduled task), and a
    piece due at a tick when it starts within the horizon and has not ended. ``booked``: each as booked, a
    piece already under way at the first tick it is due at recorded from that tick's whole second on."""
    length = timedelta(seconds=duration)
    first, last = min(ticks), max(ticks)
    starts = cron_starts(cron, zone, first - length, last + horizon + timedelta(seconds=1))
    due = set()
    for start in starts:
        end = start + length
        piece = start
        while piece < end:
            piece_end = min(end, piece + cap) if cap else end
            at = next((t for t in sorted(ticks) if piece <= t + horizon and piece_end > t), None)
            if at is not None:
                begins = max(int(piece.timestamp()), int(at.timestamp()) if booked else 0)
                due.add((begins, int(piece_end.timestamp())))
            piece = piece_end
    return due


class Answer:
    """A create's result as the tests read it: the domain's :class:`Created`, and the 201 body the edge
    builds from it."""

    def __init__(self, created: Any) -> None:
        from shared.edge.views import created_body

        self.created, self.recording = created, created.recording
        self.replayed, self.request_id, self.recorded = created.replayed, created.request_id, created.recorded
        self.body = created_body(created.recording)


class Recordings:
    """The recordings domain assembled as the composition root (shared/app.py) assembles it, from one
    settings, adapter, ledger and clock, for the tests that drive the use cases directly; its methods take a
    body model and a mode as a caller's request does."""

    def __init__(
        self,
        settings: Any,
        adapter: Any,
        ledger: Any,
        clock: Callable[[], float] = time.time,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        from shared.recordings.booking import Booking
        from shared.recordings.creating import CreateOnce
        from shared.recordings.finding import TaskFinder
        from shared.recordings.policy import policy_of
        from shared.recordings.stopping import Stopper
        from shared.recordings.tracking import Lookup

        self.settings, self.adapter, self.ledger, self.clock = settings, adapter, ledger, clock
        self.policy = policy = policy_of(settings)
        self.finder = TaskFinder(adapter, policy.generation, clock)
        self.creator = CreateOnce(ledger, adapter, self.finder, policy, clock)
        self.stopper = Stopper(adapter, ledger, settings.api, clock)
        self.lookup = Lookup(ledger, adapter, self.finder, policy, clock)
        self.booking = Booking(
            self.creator, self.finder, self.stopper, ledger, policy, clock, sleep, monotonic
        )

    def create(self, data: Any, mode: Any, key: str | None = None, **how: Any) -> Answer:
        return Answer(self.creator.create(data.request(mode), key, **how))

    def adopt(self, data: Any, mode: Any, key: str, origin: Any, task: Any) -> bool:
        return self.creator.adopt(data.request(mode), key, origin, task.task_id)

    def unresolvable(self, planned: Any) -> Any:
        from shared.recordings.finding import unresolvable

        return unresolvable(self.policy, planned)

    def list(self, query: Any) -> dict[str, Any]:
        from shared.edge.views import listing_view

        return listing_view(self.lookup.list(query))

    def describe(self, task_id: str, page_token: str | None = None) -> dict[str, Any]:
        from shared.edge.views import recording_view

        return recording_view(self.lookup.describe(task_id, page_token))

    def plan(self, data: Any, mode: Any) -> Any:
        return self.creator.plan(data.request(mode))

    def find_tasks(self, stream: str, domain: str | None, app: str | None, spans: Any) -> Any:
        return self.finder.find(stream, domain, app, spans)

    def stop(self, task_id: str, stream: str | None) -> None:
        self.stopper.stop(task_id, stream)

    def delete(self, task_id: str, stream: str | None) -> None:
        self.stopper.delete(task_id, stream)
