"""Recurring programs on a timer: each tick makes sure a task exists for every occurrence in the horizon.

- Occurrences come from a cron expression in an IANA time zone (cronsim: maintained, no dependencies,
  DST handled the way cron does).
- Horizon: 6 days for ``record-task`` (its StartTime limit); ``LIVEREC_ROLLOUT_HORIZON`` seconds for the
  others (default one day).
- A window longer than 24 h is split into consecutive tasks (generations capped at a day).
- Idempotent: each chunk has a deterministic Idempotency-Key, and where the generation can list, tasks
  that already exist are skipped, so two ticks, or a tick retried by Lambda, create nothing twice.
- Rate limited by a token bucket at the action's documented rate; a failed chunk is reported (and
  counted) and tried again on the next tick.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError, field_validator

from shared.config import LiveApi
from shared.errors import InvalidRequest, LiverecError
from shared.models import MAX_STREAM_NAME, Mode, ScheduledRecordingInput, TaskQuery
from shared.rules import ONE_DAY, RECORD_TASK_HORIZON
from shared.service import RecordingService
from shared.timeutil import from_unix, isoformat

# documented per-action rates: CreateRecordTask 20/s (seed 004), CreateLiveRecord 100/s (seed 002);
# v2 and fcgi state none, so we stay modest.
RATES: dict[LiveApi, float] = {
    LiveApi.RECORD_TASK: 20,
    LiveApi.LIVE_RECORD: 100,
    LiveApi.V2: 10,
    LiveApi.FCGI: 10,
}
MAX_CHUNKS_PER_TICK = 2000
# Tencent counts arrivals in any one-second window. Evenly spaced at exactly the limit, the 21st request of
# a 20/s action arrives 1.000 s after the 1st, so any jitter in between (a GC pause, a slow packet) makes it
# the 21st in that window and it is refused. At 97% the 21st leaves 30 ms later: room for jitter, and
# still above the 95% of the limit a rollout should achieve (bench/RESULTS.md).
PACING = 0.97


class Program(BaseModel):
    """One recurring recording, e.g. weekdays at 20:00 China time for an hour."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    stream: Annotated[str, Field(min_length=1, max_length=MAX_STREAM_NAME)]
    domain: str | None = None
    app: str | None = None
    cron: str
    timezone: str = "Asia/Shanghai"
    duration: Annotated[StrictInt, Field(gt=0, le=7 * 86400)]
    format: Literal["flv", "hls", "mp4", "aac", "mp3"] | None = None
    record_type: Literal["video", "audio"] | None = None
    template_id: Annotated[StrictInt, Field(ge=0)] | None = None
    stream_type: Literal[0, 1] | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronSim(value, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))
        except CronSimError as exc:
            raise ValueError(f"not a cron expression: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
        return value

    @property
    def key(self) -> str:
        return self.name or f"{self.stream}|{self.cron}|{self.timezone}|{self.duration}"


PROGRAMS = TypeAdapter(list[Program])


def parse_programs(raw: Any, source: str) -> list[Program]:
    try:
        return PROGRAMS.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InvalidRequest(
            f"{source}: programs.{where}: {err.get('msg')}", field=f"programs.{where}"
        ) from None


@dataclass(frozen=True)
class Chunk:
    program: Program
    start: datetime
    end: datetime

    @property
    def idempotency_key(self) -> str:
        digest = hashlib.sha256(
            f"{self.program.key}|{int(self.start.timestamp())}|{int(self.end.timestamp())}".encode()
        )
        return "rollout-" + digest.hexdigest()[:40]


def occurrences(program: Program, now: datetime, horizon: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """Windows whose end is still ahead and whose start is within the horizon."""
    zone = ZoneInfo(program.timezone)
    length = timedelta(seconds=program.duration)
    # start early enough to catch an occurrence that is running now
    cursor = (now - length).astimezone(zone)
    for start in CronSim(program.cron, cursor):
        start_utc = start.astimezone(now.tzinfo)
        if start_utc > now + horizon:
            return
        end = start_utc + length
        if end > now:
            yield start_utc, end


def split(start: datetime, end: datetime, cap: timedelta | None) -> list[tuple[datetime, datetime]]:
    if cap is None:
        return [(start, end)]
    out = []
    while end - start > cap:
        out.append((start, start + cap))
        start += cap
    out.append((start, end))
    return out


class TokenBucket:
    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        # No bursts: Tencent counts requests in any one-second window, so pace evenly instead.
        self.capacity = 1.0
        self.tokens = 1.0
        self.clock = clock
        self.sleep = sleep
        self.last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            while True:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1 - 1e-9:  # refill arithmetic may leave 0.999999...
                    self.tokens = max(0.0, self.tokens - 1)
                    return
                self.sleep((1 - self.tokens) / self.rate)


@dataclass
class TickReport:
    occurrences: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    existing: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "occurrences": self.occurrences,
            "created": self.created,
            "existing": self.existing,
            "failed": self.failed,
        }


def plan_chunks(programs: list[Program], api: LiveApi, now: datetime, horizon: timedelta) -> list[Chunk]:
    cap = None if api is LiveApi.LIVE_RECORD else ONE_DAY
    chunks = []
    for program in programs:
        for start, end in occurrences(program, now, horizon):
            chunks += [Chunk(program, s, e) for s, e in split(start, end, cap)]
            if len(chunks) > MAX_CHUNKS_PER_TICK:
                raise InvalidRequest(
                    f"the programs make more than {MAX_CHUNKS_PER_TICK} recordings in the horizon; "
                    "shorten the horizon or split the schedule",
                    field="programs",
                )
    return chunks


def tick(
    service: RecordingService,
    programs: list[Program],
    *,
    horizon: timedelta | None = None,
    bucket: TokenBucket | None = None,
) -> TickReport:
    api = service.settings.api
    now = from_unix(service.clock()).replace(microsecond=0)
    if api is LiveApi.RECORD_TASK:
        horizon = RECORD_TASK_HORIZON
    horizon = horizon or ONE_DAY
    bucket = bucket or TokenBucket(RATES[api] * PACING)
    chunks = plan_chunks(programs, api, now, horizon)
    report = TickReport(occurrences=len(chunks))
    existing = _existing_windows(service, chunks, now, horizon)
    for chunk in chunks:
        if (chunk.program.stream, int(chunk.start.timestamp()), int(chunk.end.timestamp())) in existing:
            report.existing += 1
            continue
        body: dict[str, Any] = {
            "stream": chunk.program.stream,
            "start": int(chunk.start.timestamp()),
            "end": int(chunk.end.timestamp()),
        }
        for name in ("domain", "app", "format", "record_type", "template_id", "stream_type"):
            value = getattr(chunk.program, name)
            if value is not None:
                body[name] = value
        try:
            data = ScheduledRecordingInput.model_validate(body)
            bucket.take()
            outcome = service.create(data, Mode.SCHEDULED, chunk.idempotency_key)
        except LiverecError as exc:
            report.failed.append(
                {
                    "program": chunk.program.key,
                    "start": isoformat(chunk.start),
                    "end": isoformat(chunk.end),
                    "error": exc.to_dict(),
                }
            )
            continue
        if outcome.replayed:
            report.existing += 1
        else:
            report.created.append(outcome.body)
    return report


def _existing_windows(
    service: RecordingService, chunks: list[Chunk], now: datetime, horizon: timedelta
) -> set[tuple[str | None, int, int]]:
    """Where the generation can list, the windows already booked (so a tick in another container, or
    after the idempotency record expired, does not book them again)."""
    if service.settings.api not in (LiveApi.RECORD_TASK, LiveApi.V2) or not chunks:
        return set()
    found: set[tuple[str | None, int, int]] = set()
    for stream in sorted({c.program.stream for c in chunks}):
        start = now - timedelta(days=1)
        end = min(now + horizon + ONE_DAY, start + timedelta(weeks=1))
        try:
            tasks = service.all_tasks(TaskQuery(stream=stream, start=start, end=end))
        except LiverecError:
            continue  # listing is an optimisation; the idempotency keys still protect
        for task in tasks:
            if task.start and task.end and task.stopped_at is None:
                found.add((task.stream, int(task.start.timestamp()), int(task.end.timestamp())))
    return found
