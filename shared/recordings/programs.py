"""Recurring programs: what a program is (a cron in an IANA time zone, a duration, the recording options)
and the windows it asks for. cronsim (maintained, no dependencies) handles DST the way cron does; each
program's starts are computed once per day in a warm container.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import Field, TypeAdapter, ValidationError, field_validator

from shared.recordings.models import STRICT, WHOLE, RecordingOptions, StreamName
from shared.support.errors import InvalidRequest, from_validation
from shared.tencent.generations import ONE_DAY

ZONE_PATTERN = r"^[A-Za-z0-9_+\-]{1,32}(/[A-Za-z0-9_+\-]{1,32}){0,2}$"  # an IANA name's shape
ZONE_NAME = re.compile(ZONE_PATTERN)
# What openapi.json states of a stored program (PUT /programs/{name}), beyond what the model checks itself:
# its name as the path gives it (shared.recordings.catalog), a cron's shape (five fields, or six with
# seconds; what each field means is cronsim's to say)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
CRON_PATTERN = r"^ *[0-9A-Za-z*/,#-]+( +[0-9A-Za-z*/,#-]+){4,5} *$"


class Program(RecordingOptions):
    """One recurring recording, e.g. weekdays at 20:00 China time for an hour."""

    name: (
        Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={"pattern": NAME_PATTERN})]
        | None
    ) = None
    stream: StreamName
    domain: StreamName | None = None
    app: StreamName | None = None
    cron: Annotated[str, Field(max_length=256, json_schema_extra={"pattern": CRON_PATTERN})]
    timezone: Annotated[str, Field(max_length=64, json_schema_extra={"pattern": ZONE_PATTERN})] = (
        "Asia/Shanghai"
    )
    duration: Annotated[int, STRICT, Field(gt=0, le=7 * 86400), WHOLE]

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
        # an IANA name's shape first: ZoneInfo recurses once per path segment (a deep path is a RecursionError)
        if not ZONE_NAME.fullmatch(value):
            raise ValueError("not an IANA time zone name (e.g. Asia/Shanghai)")
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
    """Programs from a schedule's input (a list) or ``LIVEREC_PROGRAMS`` (JSON text); an error names the
    program and the field (``programs.0.cron``) and says where they came from."""
    try:
        return PROGRAMS.validate_json(raw) if isinstance(raw, str | bytes) else PROGRAMS.validate_python(raw)
    except ValidationError as exc:
        error = from_validation(exc.errors(include_url=False, include_input=False), where="programs")
        raise InvalidRequest(f"{source}: {error.message}", code=error.code, field=error.field) from None


def occurrences(program: Program, now: datetime, horizon: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """Windows whose end is still ahead and whose start is within the horizon."""
    length = timedelta(seconds=program.duration)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for start in _starts(program, day, horizon):
        if start > now + horizon:
            return
        end = start + length
        if end > now:
            yield start, end


@lru_cache(maxsize=8192)
def _starts(program: Program, day: datetime, horizon: timedelta) -> tuple[datetime, ...]:
    """The program's starts that any tick of ``day`` (UTC) can need: from early enough to catch one running
    at the day's start, to the horizon from the day's end. Computed once per program and day in a warm
    container (cron iteration is most of a tick's own work)."""
    zone = ZoneInfo(program.timezone)
    cursor = (day - timedelta(seconds=program.duration)).astimezone(zone)
    last = day + ONE_DAY + horizon
    out = []
    for start in CronSim(program.cron, cursor):
        start_utc = start.astimezone(day.tzinfo)
        if start_utc > last:
            break
        out.append(start_utc)
    return tuple(out)


def starts_after(program: Program, moment: datetime) -> Iterator[datetime]:
    """The program's starts after ``moment``, in order, in UTC (the cron read in the program's zone)."""
    utc = moment.tzinfo
    for start in CronSim(program.cron, moment.astimezone(ZoneInfo(program.timezone))):
        yield start.astimezone(utc)


def split(start: datetime, end: datetime, cap: timedelta | None) -> list[tuple[datetime, datetime]]:
    if cap is None:
        return [(start, end)]
    out = []
    while end - start > cap:
        out.append((start, start + cap))
        start += cap
    out.append((start, end))
    return out
