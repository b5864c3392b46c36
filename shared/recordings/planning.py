"""What the programs ask for now: each occurrence within the horizon that has not ended, split at the
generation's longest task, as chunks, each with its identity in the ledger (``Chunk.key``) and what Tencent
records (:func:`identity`). Pure: no store, no Tencent."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from shared.recordings.calendars import longest
from shared.recordings.programs import Program, occurrences, split, starts_after
from shared.recordings.requests import RecordingRequest
from shared.recordings.rules import stream_identity
from shared.storage.ledger import Recording, fingerprint
from shared.support.config import LiveApi
from shared.support.errors import InvalidRequest
from shared.support.records import Record
from shared.support.timeutil import from_unix, isoformat
from shared.tencent.generations import generation
from shared.tencent.types import Mode

# A program that asks for more recordings than this within the horizon (every minute for more than a day and
# a half, say) is refused at PUT and, from a schedule's input or LIVEREC_PROGRAMS, skipped and reported on its
# own: no program, nor their sum, ever refuses a whole tick.
MAX_CHUNKS_PER_PROGRAM = 2000
SHARDS = 64  # summary items of settled occurrences (see Chunk.shard)
ALL_SHARDS = tuple(str(shard) for shard in range(SHARDS))


class Chunk(Record):
    """One recording a program asks for: an occurrence, or one day of a longer one (built by :meth:`of`)."""

    __slots__ = ()
    program: Program
    start: datetime
    end: datetime
    domain: str | None  # the stream's identity in this generation (v2 and fcgi: the name alone)
    app: str | None
    # The occurrence's identity: the program's name where given, the stream and the window (``key``); which
    # summary item holds it once settled (``shard``): one per program's stream, of SHARDS. A tick reads the
    # SHARDS summary items whatever the number of programs; an item holds a program's few occurrences per
    # day of horizon, so even 10,000 programs stay far under DynamoDB's 400 KB. Computed once, by ``of``: a
    # tick asks for them many times.
    key: str
    shard: str
    span: tuple[int, int]

    @classmethod
    def of(
        cls, program: Program, start: datetime, end: datetime, domain: str | None, app: str | None
    ) -> Chunk:
        stream = "|".join((program.name or "", domain or "", app or "", program.stream))
        span = int(start.timestamp()), int(end.timestamp())
        key = hashlib.sha256(f"{stream}|{span[0]}|{span[1]}".encode()).hexdigest()[:40]
        shard = str(int(hashlib.sha256(stream.encode()).hexdigest()[:8], 16) % SHARDS)
        return cls(program, start, end, domain, app, key, shard, span)

    def planned(self, api: LiveApi) -> Recording:
        """The recording this chunk asks for, as the ledger plans it."""
        return Recording(
            api.value, Mode.SCHEDULED.value, self.program.stream, self.domain, self.app, *self.span
        )

    def request(self) -> RecordingRequest:
        """What the rollout asks the recordings domain for: this chunk's window on its program's stream, as
        a caller's body with these fields would ask (the same fingerprint), never validated again (the
        program was, when read)."""
        program = self.program
        where = {k: v for k, v in (("domain", program.domain), ("app", program.app)) if v is not None}
        options = program.options()
        start, end = from_unix(self.span[0]), from_unix(self.span[1])
        body = {"stream": program.stream, "start": isoformat(start), "end": isoformat(end)}
        return RecordingRequest(
            mode=Mode.SCHEDULED,
            fingerprint=fingerprint({"mode": Mode.SCHEDULED.value, "body": body | where | options}),
            given=frozenset((*body, *where, *options)),
            stream=program.stream,
            domain=program.domain,
            app=program.app,
            start=start,
            end=end,
            **options,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "program": self.program.key,
            "stream": self.program.stream,
            "domain": self.domain,
            "app": self.app,
            "start": isoformat(self.start),
            "end": isoformat(self.end),
        }


def plan_chunks(
    programs: list[Program],
    api: LiveApi,
    now: datetime,
    horizon: timedelta,
    *,
    default_domain: str | None = None,
    default_app: str | None = None,
    skipped: list[dict[str, Any]] | None = None,
) -> list[Chunk]:
    """The recordings the programs ask for now: what has not ended and starts within the horizon. A program
    over :data:`MAX_CHUNKS_PER_PROGRAM` raises :class:`InvalidRequest`, or, given ``skipped``, is left out
    and reported there."""
    gen = generation(api)
    chunks: dict[str, Chunk] = {}  # by key: programs asking for the very same recording book it once
    for program in programs:
        domain, app = stream_identity(gen, program.domain or default_domain, program.app or default_app)
        try:
            mine = program_chunks(
                program, now, horizon, cap=gen.scheduled_cap, where=(domain, app), end_horizon=gen.end_horizon
            )
        except InvalidRequest as exc:
            if skipped is None:
                raise
            skipped.append({"program": program.key, "stream": program.stream, "error": exc.to_dict()})
            continue
        for chunk in mine:
            chunks.setdefault(chunk.key, chunk)
    return list(chunks.values())


def program_chunks(
    program: Program,
    now: datetime,
    horizon: timedelta,
    *,
    cap: timedelta | None,
    where: tuple[str | None, str | None],
    end_horizon: timedelta | None = None,
) -> list[Chunk]:
    """One program's recordings: each occurrence split at the generation's cap; a day of a long occurrence
    that has already ended is not asked for again, and one that starts past the horizon (or ends on or past
    the generation's end horizon, which Tencent would refuse) waits for a later tick."""
    found = []
    for start, end in occurrences(program, now, horizon):
        for s, e in split(start, end, cap):
            if e > now and s <= now + horizon and (end_horizon is None or e < now + end_horizon):
                found.append(Chunk.of(program, s, e, *where))
        if len(found) > MAX_CHUNKS_PER_PROGRAM:
            raise InvalidRequest(
                f"the program makes more than {MAX_CHUNKS_PER_PROGRAM} recordings within the horizon; "
                "make it less frequent or shorter, or shorten LIVEREC_ROLLOUT_HORIZON",
                field="cron",
            )
    return found


MAX_SCAN = (
    20_000  # cron starts looked at for a program's next recording (early is safe: it is planned sooner)
)


def next_start(program: Program, after: datetime, cap: timedelta | None) -> datetime | None:
    """The start of the first recording the program asks for after ``after`` (a later day of a long occurrence
    included): the tick whose horizon reaches it plans the program again. None when its cron never matches
    again."""
    best = None
    for seen, (start, end) in enumerate(starts_after(program, after - longest(program))):
        if best is not None and start >= best:
            break
        if seen >= MAX_SCAN:
            return start  # earlier than any found: the program is planned again sooner, never later
        chunk = next((s for s, _ in split(start, end, cap) if s > after), None)
        if chunk is not None:
            best = chunk if best is None else min(best, chunk)
    return best


def window_chunks(
    program: Program,
    window: tuple[datetime, datetime],
    limit: int,
    *,
    cap: timedelta | None,
    where: tuple[str | None, str | None],
) -> tuple[list[Chunk], bool]:
    """The program's recordings that overlap ``window``, soonest first, at most ``limit``; and whether there
    are more. Bounded by ``limit`` whatever the cron: every start looked at yields a recording."""
    begin, end = window
    found: list[Chunk] = []
    for start, stop in starts_after(program, begin - longest(program)):  # the cron's end after ``begin``
        if start >= end:
            break
        for s, e in split(start, stop, cap):
            if e > begin and s < end:
                if len(found) == limit:
                    return sorted(found, key=lambda c: c.start), True
                found.append(Chunk.of(program, s, e, *where))
    return sorted(found, key=lambda c: c.start), False


Identity = tuple[str | None, str | None, str, int, int, str]


def identity(chunk: Chunk) -> Identity:
    """What Tencent records for a chunk: the stream as the generation names it, the window, and the options
    that make it another recording. Programs whose chunks share it share one booking."""
    return (chunk.domain, chunk.app, chunk.program.stream, *chunk.span, options_key(chunk.program))


def options_key(program: Program) -> str:
    """The program's recording options as a recording's identity holds them."""
    return json.dumps(program.options(), sort_keys=True, separators=(",", ":"), default=str)
