"""Capacity ahead of time: how many recordings the stored programs run at once, hour by hour, against the
account's concurrent-recording limit (``GET /programs/forecast``; the warning of ``PUT /programs/{name}``).

- The window is whole UTC hours: from the start of the current hour, ``days`` (1 to :data:`MAX_DAYS`) of
  them. Each hour's peak is the most recordings running at one instant within it (an interval sweep over
  the windows, half-open: one ending at 10:00 and one starting then never overlap), not the starts it holds.
- A recording is what Tencent runs: a program's occurrence split at the generation's longest task, the
  stream as the generation names it (:func:`~shared.recordings.planning.identity`). Programs asking for the
  same one share one task (``sharing.py``), so it is counted once, with every program that asks for it.
- Only the stored programs are counted (not ``LIVEREC_PROGRAMS``, nor one-off recordings): all of them, page
  by page, bounded by the store's cap; and at most :data:`MAX_RECORDINGS` recordings in the window (more is
  refused, naming ``days``: ask for fewer); one that would not finish :data:`RESERVE` seconds before the
  invocation's end stops (``NotEnoughTime``, naming ``days``).

Pure but for :func:`read_programs` (the store): the edge shapes the answer (``shared/edge/views.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.recordings.catalog import parse_stored
from shared.recordings.planning import Identity, options_key
from shared.recordings.policy import Policy
from shared.recordings.programs import Program, split, starts_after
from shared.recordings.rules import stream_identity
from shared.storage.program_store import ProgramStore
from shared.support.errors import InvalidRequest, NotEnoughTime
from shared.support.observability import logger
from shared.support.records import Record
from shared.support.timeutil import Deadline, from_unix

DEFAULT_DAYS = 7  # GET /programs/forecast's default, and the window PUT /programs/{name} warns about
MAX_DAYS = 31  # as GET /programs/{name}'s window
MAX_RECORDINGS = 100_000  # recordings a forecast sweeps, whatever the programs
PAGE = 500  # programs read a request
NAMED = 10  # programs named at an hour's peak (by name; the rest counted)
RESERVE = 3.0  # seconds of the invocation a forecast leaves for its answer: past it, it stops (NotEnoughTime)

# a recording: its window (UNIX seconds), and the programs asking for it
Span = tuple[int, int, frozenset[str]]


class Hour(Record):
    """One hour of the window: its start, the most recordings running at once within it and the first instant
    they do (None when none runs); at an hour over the limit, the programs asking for those recordings (the
    first :data:`NAMED` by name) and how many there are."""

    __slots__ = ()
    start: datetime
    peak: int
    at: datetime | None
    programs: tuple[str, ...] = ()
    programs_total: int = 0


class Forecast(Record):
    __slots__ = ()
    window: tuple[datetime, datetime]
    days: int
    limit: int | None
    limit_source: str | None  # "setting" (LIVEREC_CONCURRENT_LIMIT), "generation" (documented), or None
    hours: list[Hour]
    over: list[Hour]  # the hours whose peak is above the limit, with the programs at it
    programs: int  # programs counted
    recordings: int  # distinct recordings in the window
    unreadable: list[str]  # stored programs that no longer validate: not counted


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequest(f"days is 1 to {MAX_DAYS}", field="days")
    return days


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """From the start of ``now``'s hour (UTC), ``days`` days of whole hours."""
    begin = now.replace(minute=0, second=0, microsecond=0)
    return begin, begin + timedelta(days=check_days(days))


def in_time(deadline: Deadline | None) -> None:
    """Stop a forecast that would not answer before the invocation ends (its size is the catalogue's)."""
    if deadline is not None and deadline.remaining() < RESERVE:
        raise NotEnoughTime(
            "the forecast did not finish within the function's time: ask for fewer days", field="days"
        )


def read_programs(
    store: ProgramStore, cap: int, deadline: Deadline | None = None
) -> tuple[list[Program], list[str]]:
    """Every stored program, page by page (at most ``cap``, the store's limit, and a page more for what is
    stored meanwhile); and the names of those that no longer validate (logged by ``parse_stored``)."""
    programs: list[Program] = []
    unreadable: list[str] = []
    after: str | None = None
    for _ in range(cap // PAGE + 2):
        in_time(deadline)
        page, after = store.page(PAGE, after)
        for stored in page:
            program = parse_stored(stored)
            if program is None:
                unreadable.append(stored.name)
            else:
                programs.append(program)
        if after is None:
            break
    return programs, unreadable


def recordings(
    policy: Policy,
    programs: Iterable[Program],
    shown: tuple[datetime, datetime],
    deadline: Deadline | None = None,
) -> list[Span]:
    """The distinct recordings the programs ask for that overlap ``shown`` (as ``planning.identity`` names
    them), each with the programs asking for it; more than :data:`MAX_RECORDINGS` is refused, naming ``days``.
    Programs of one cron, zone and duration share their windows: the cron is walked once for them."""
    gen = policy.generation
    found: dict[Identity, tuple[int, int, set[str]]] = {}
    windows: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
    budget = MAX_RECORDINGS
    for program in programs:
        when = (program.cron, program.timezone, program.duration)
        if when not in windows:
            in_time(deadline)  # walking a cron is most of the work
            windows[when] = _windows(program, shown, gen.scheduled_cap, budget + 1)
        budget -= len(windows[when])
        if budget < 0:
            raise InvalidRequest(
                f"the stored programs make more than {MAX_RECORDINGS} recordings in these days: ask for fewer",
                field="days",
            )
        domain, app = stream_identity(gen, program.domain or policy.domain, program.app or policy.app)
        stream, options, name = program.stream, options_key(program), program.key
        for start, end in windows[when]:
            found.setdefault((domain, app, stream, start, end, options), (start, end, set()))[2].add(name)
    return [(start, end, frozenset(names)) for start, end, names in found.values()]


def _windows(
    program: Program, shown: tuple[datetime, datetime], cap: timedelta | None, limit: int
) -> list[tuple[int, int]]:
    """The program's recordings that overlap ``shown`` (UNIX seconds), split at ``cap``, at most ``limit``
    (and one more): every start walked makes one at least, so more than the budget is never walked."""
    found: list[tuple[int, int]] = []
    length = timedelta(seconds=program.duration)
    # occurrences with the calendar's exceptions applied (a moved one may last longer or shorter)
    for start, end in starts_after(program, shown[0] - length):
        if start >= shown[1] or len(found) > limit:
            break
        found += [
            (int(s.timestamp()), int(e.timestamp()))
            for s, e in split(start, end, cap)
            if e > shown[0] and s < shown[1]
        ]
    return found


def sweep(spans: list[Span], shown: tuple[datetime, datetime]) -> list[Hour]:
    """Each hour of ``shown`` (whole hours from its start) with its peak: the most recordings running at
    one instant within it, and the first such instant. At an instant, what ends then no longer runs."""
    # nothing is clipped to the window: what ends by its start is counted and uncounted at its first instant,
    # and what starts at its end or later is never reached
    starts, ends = sorted(s for s, _, _ in spans), sorted(e for _, e, _ in spans)
    begin, end = int(shown[0].timestamp()), int(shown[1].timestamp())
    hours: list[Hour] = []
    i = j = running = 0
    for hour in range(begin, end, 3600):
        close = min(hour + 3600, end)
        moment, peak, at = hour, 0, None
        while True:  # each instant where something starts or ends, from the hour's first
            while j < len(ends) and ends[j] <= moment:
                running, j = running - 1, j + 1
            while i < len(starts) and starts[i] <= moment:
                running, i = running + 1, i + 1
            if running > peak:
                peak, at = running, moment
            moment = min(starts[i] if i < len(starts) else close, ends[j] if j < len(ends) else close)
            if moment >= close:
                break
        hours.append(Hour(from_unix(hour), peak, from_unix(at) if at is not None else None))
    return hours


def contributors(spans: list[Span], hours: list[Hour]) -> list[Hour]:
    """``hours`` with the programs running at each one's peak instant (one more sweep, counting programs)."""
    starts = sorted(range(len(spans)), key=lambda k: spans[k][0])  # (unclipped, as sweep)
    ends = sorted(range(len(spans)), key=lambda k: spans[k][1])
    asking: dict[str, int] = {}  # the programs running, each with its recordings running
    named: dict[int, tuple[tuple[str, ...], int]] = {}
    i = j = 0
    for instant in sorted({int(h.at.timestamp()) for h in hours if h.at is not None}):
        while i < len(starts) and spans[starts[i]][0] <= instant:
            for name in spans[starts[i]][2]:
                asking[name] = asking.get(name, 0) + 1
            i += 1
        while j < len(ends) and spans[ends[j]][1] <= instant:
            for name in spans[ends[j]][2]:
                asking[name] -= 1
                if not asking[name]:
                    del asking[name]
            j += 1
        named[instant] = tuple(heapq.nsmallest(NAMED, asking)), len(asking)
    out = []
    for h in hours:
        found = named.get(int(h.at.timestamp())) if h.at is not None else None
        out.append(h._replace(programs=found[0], programs_total=found[1]) if found else h)
    return out


def forecast(
    policy: Policy,
    programs: list[Program],
    now: datetime,
    days: int,
    *,
    unreadable: list[str] | None = None,
    deadline: Deadline | None = None,
) -> Forecast:
    """The programs' peak per hour over ``days`` from ``now``'s hour, and the hours over the limit."""
    shown = window(now, days)
    spans = recordings(policy, programs, shown, deadline)
    in_time(deadline)
    hours = sweep(spans, shown)
    limit, source = policy.capacity
    over = [h for h in hours if limit is not None and h.peak > limit]
    return Forecast(
        shown,
        days,
        limit,
        source,
        hours,
        contributors(spans, over),
        len(programs),
        len(spans),
        unreadable or [],
    )


def stored_forecast(
    policy: Policy, store: ProgramStore, now: datetime, days: int, deadline: Deadline | None = None
) -> Forecast:
    """``GET /programs/forecast``: the stored programs' forecast (``days`` checked before the store is read)."""
    check_days(days)
    programs, unreadable = read_programs(store, store.limit, deadline)
    return forecast(policy, programs, now, days, unreadable=unreadable, deadline=deadline)


def pushed_over(
    policy: Policy, store: ProgramStore, program: Program, now: datetime, deadline: Deadline | None = None
) -> list[Hour] | None:
    """The hours of the default window that ``program``, just stored, takes over the limit, or further over
    it: their peak is above the limit and above what it is without that program's own recordings (one it
    shares with another program costs nothing more). The others are read from the store, ``program`` taken
    as given (the store's listing is read eventually: it may not show the write yet). Nothing is read
    without a limit; None when the programs make too many recordings to tell, or take too long (logged)."""
    limit, _ = policy.capacity
    if limit is None:
        return []
    name, shown = program.key, window(now, DEFAULT_DAYS)
    try:
        others = [p for p in read_programs(store, store.limit, deadline)[0] if p.key != name]
        spans = recordings(policy, [*others, program], shown, deadline)
        in_time(deadline)
    except (InvalidRequest, NotEnoughTime) as exc:
        logger.warning("capacity not checked", extra={"program": name, "reason": exc.message})
        return None
    hours = sweep(spans, shown)
    if not any(h.peak > limit for h in hours):
        return []
    without = sweep([s for s in spans if s[2] != {name}], shown)
    return [h for h, other in zip(hours, without, strict=True) if h.peak > limit and h.peak > other.peak]
