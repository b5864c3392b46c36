"""A program's calendar exceptions: dates or occurrences it skips (``except``), occurrences it moves
(``moved``: from one start to another, perhaps with another duration), single extra occurrences (``added``),
and the span its cron holds in (``since``, ``until``). Every time is the program's local time (or an ISO-8601
time with an offset), read in its zone.

The exceptions are applied in one place, :func:`expand`: the tick's plan, ``GET /programs/{name}``, the
program's due time and its next start all read the occurrences from it. An exception that matches no
occurrence (a date the cron never fell on, or a start a later cron no longer makes) is kept and does
nothing; a moved occurrence whose ``from`` is no occurrence is not added either (its ``to`` stays inert).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cronsim import CronSim

from shared.support.records import Record

if TYPE_CHECKING:
    from shared.recordings.programs import Extra, Move, Program

MAX_EACH = 366  # entries of except, moved and added, each
FIRST_YEAR, LAST_YEAR = 1970, 2100  # as every time liverec reads (shared.support.timeutil)


def instant(text: str, zone: ZoneInfo) -> datetime:
    """A time as the program gives it, in UTC: with an offset as given, else the zone's local time, which
    must exist (not skipped by a DST change) and be unambiguous (not repeated by one: give the offset)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time (YYYY-MM-DDTHH:MM, local)") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{text} is not between {FIRST_YEAR} and the end of {LAST_YEAR}")
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        skipped = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value
        if skipped:
            raise ValueError(f"{text} does not exist in {zone.key} (a DST change skips it)")
        raise ValueError(f"{text} happens twice in {zone.key} (a DST change): give its offset")
    return first.astimezone(UTC)


def local_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{text} is not between {FIRST_YEAR} and the end of {LAST_YEAR}")
    return value


class Calendar(Record):
    """A program's exceptions, read in its zone (UTC instants)."""

    __slots__ = ()
    dates: frozenset[date]  # local dates whose cron occurrences are skipped
    skipped: frozenset[datetime]  # cron starts skipped (except's times, moved's from)
    since: datetime | None
    until: datetime | None
    extras: tuple[tuple[datetime, timedelta, str], ...]  # (start, length, "moved" or "added"), by start
    longest: timedelta  # of any occurrence: how far back one still running may have started

    def keeps(self, start: datetime, zone: ZoneInfo) -> bool:
        """Whether a cron start (UTC) is an occurrence: within since/until, not skipped."""
        if (self.since is not None and start < self.since) or (self.until is not None and start > self.until):
            return False
        return start not in self.skipped and start.astimezone(zone).date() not in self.dates


@lru_cache(maxsize=1024)
def calendar(program: Program) -> Calendar:
    """The program's exceptions, read once per program in a warm container (it is validated: every time
    reads)."""
    zone = ZoneInfo(program.timezone)
    length = timedelta(seconds=program.duration)
    dates = frozenset(local_date(x) for x in program.except_ or () if "T" not in x)
    skipped = {instant(x, zone) for x in program.except_ or () if "T" in x}
    since = instant(program.since, zone) if program.since else None
    until = instant(program.until, zone) if program.until else None
    moves = [(instant(m.from_, zone), m) for m in program.moved or ()]
    skipped |= {start for start, _ in moves}
    plain = Calendar(dates, frozenset(skipped - {s for s, _ in moves}), since, until, (), length)
    extras = [
        (instant(m.to, zone), timedelta(seconds=m.duration or program.duration), "moved")
        for start, m in moves
        if _cron_makes(program, start, zone) and plain.keeps(start, zone)
    ]
    extras += [
        (instant(a.start, zone), timedelta(seconds=a.duration or program.duration), "added")
        for a in program.added or ()
    ]
    extras.sort()
    longest = max([length, *(x[1] for x in extras)])
    return Calendar(dates, frozenset(skipped), since, until, tuple(extras), longest)


def _cron_makes(program: Program, start: datetime, zone: ZoneInfo) -> bool:
    found = next(iter(CronSim(program.cron, (start - timedelta(seconds=1)).astimezone(zone))), None)
    return found is not None and found.astimezone(UTC) == start


def expand(program: Program, after: datetime) -> Iterator[tuple[datetime, datetime, str | None]]:
    """The program's occurrences starting after ``after``, soonest first, in UTC: ``(start, end, mark)``,
    the mark ``moved`` or ``added`` for an exception's occurrence, else None. The one place occurrences come
    from."""
    zone = ZoneInfo(program.timezone)
    length = timedelta(seconds=program.duration)
    utc = after.tzinfo or UTC
    crons = (s.astimezone(utc) for s in CronSim(program.cron, after.astimezone(zone)))
    if not program.has_exceptions:
        for start in crons:
            yield start, start + length, None
        return
    rules = calendar(program)
    if rules.since is not None and rules.since > after:  # the cron's start: nothing to skip before it
        begin = (rules.since - timedelta(seconds=1)).astimezone(zone)
        crons = (s.astimezone(utc) for s in CronSim(program.cron, begin))
    kept = (
        (s, s + length, None)
        for s in _until(crons, rules.until)
        if s not in rules.skipped and s.astimezone(zone).date() not in rules.dates
    )
    extras = ((s.astimezone(utc), s + n, mark) for s, n, mark in rules.extras if s > after)
    yield from heapq.merge(kept, extras, key=lambda o: o[0])


def _until(starts: Iterator[datetime], until: datetime | None) -> Iterator[datetime]:
    for start in starts:
        if until is not None and start > until:
            return
        yield start


def check_except(values: tuple[str, ...], zone: ZoneInfo) -> None:
    """Each entry a local date or time that reads in the zone, none twice."""
    seen: set[object] = set()
    for i, text in enumerate(values):
        try:
            value: object = instant(text, zone) if "T" in text else local_date(text)
        except ValueError as exc:
            raise ValueError(f"except.{i}: {exc}") from None
        if value in seen:
            raise ValueError(f"except.{i}: {text} is given twice")
        seen.add(value)


def check_moved(moves: tuple[Move, ...], zone: ZoneInfo, skipped: tuple[str, ...]) -> None:
    """Each move's times read in the zone; no start moved twice, nor to where another goes; none moved that
    ``except`` skips; none moved onto itself unchanged."""
    dates = {local_date(x) for x in skipped if "T" not in x}
    instants = {instant(x, zone) for x in skipped if "T" in x}
    froms: set[datetime] = set()
    tos: set[datetime] = set()
    for i, move in enumerate(moves):
        begin, to = _read(f"moved.{i}.from", move.from_, zone), _read(f"moved.{i}.to", move.to, zone)
        if begin in froms:
            raise ValueError(f"moved.{i}.from: {move.from_} is moved twice")
        if to in tos:
            raise ValueError(f"moved.{i}.to: another occurrence is moved to {move.to}")
        if begin in instants or begin.astimezone(zone).date() in dates:
            raise ValueError(f"moved.{i}.from: except skips {move.from_}; it cannot be moved too")
        if begin == to and move.duration is None:
            raise ValueError(f"moved.{i}.to: the same as from, and no new duration: nothing is moved")
        froms.add(begin)
        tos.add(to)


def check_added(
    added: tuple[Extra, ...],
    zone: ZoneInfo,
    *,
    cron: str,
    skipped: tuple[str, ...],
    moves: tuple[Move, ...],
    span: tuple[str | None, str | None],
) -> None:
    """Each added start reads in the zone, none twice, none where a moved occurrence goes or where the cron
    already starts one (that is not skipped or moved away)."""
    dates = {local_date(x) for x in skipped if "T" not in x}
    gone = {instant(x, zone) for x in skipped if "T" in x} | {instant(m.from_, zone) for m in moves}
    taken = {instant(m.to, zone) for m in moves}
    since, until = (instant(x, zone) if x else None for x in span)
    for i, extra in enumerate(added):
        start = _read(f"added.{i}.start", extra.start, zone)
        if start in taken:
            raise ValueError(f"added.{i}.start: {extra.start} is given twice (added or moved to)")
        taken.add(start)
        if start in gone or start.astimezone(zone).date() in dates:
            continue
        if (since is not None and start < since) or (until is not None and start > until):
            continue  # the cron's occurrence there is skipped: adding it back is not a duplicate
        found = next(iter(CronSim(cron, (start - timedelta(seconds=1)).astimezone(zone))), None)
        if found is not None and found.astimezone(UTC) == start:
            raise ValueError(f"added.{i}.start: the cron already starts an occurrence at {extra.start}")


def _read(field: str, text: str, zone: ZoneInfo) -> datetime:
    try:
        return instant(text, zone)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def mark(program: Program, start: datetime) -> str | None:
    """``moved`` or ``added`` when a recording starting at ``start`` (perhaps a later part of a long
    occurrence) belongs to an exception's occurrence; None for the cron's own."""
    if not program.has_exceptions:
        return None
    for begin, length, kind in calendar(program).extras:
        if begin <= start < begin + length:
            return kind
    return None


def longest(program: Program) -> timedelta:
    """The longest of the program's occurrences (a moved or added one may be longer than the cron's)."""
    if not program.has_exceptions:
        return timedelta(seconds=program.duration)
    return calendar(program).longest
