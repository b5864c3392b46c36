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
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from shared.recordings import calendars
from shared.recordings.calendars import MAX_EACH
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

# a program's calendar exceptions (shared.recordings.calendars reads them)
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$"
DATE_OR_TIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$"
LocalTime = Annotated[str, Field(max_length=32, pattern=TIME_PATTERN)]
DateOrTime = Annotated[str, Field(max_length=32, pattern=DATE_OR_TIME)]
Duration = Annotated[int, STRICT, Field(gt=0, le=7 * 86400), WHOLE]


class Move(BaseModel):
    """One occurrence moved: the cron's start ``from``, recorded at ``to`` instead (for ``duration`` seconds,
    by default the program's)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    from_: LocalTime = Field(alias="from")
    to: LocalTime
    duration: Duration | None = None


class Extra(BaseModel):
    """One occurrence added beside the cron's, at ``start`` (for ``duration`` seconds, by default the
    program's)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    start: LocalTime
    duration: Duration | None = None


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
    # calendar exceptions (shared.recordings.calendars), local times in the zone unless given an offset
    since: LocalTime | None = Field(default=None, description="the cron's first start is not before this")
    until: LocalTime | None = Field(default=None, description="the cron's last start is not after this")
    except_: tuple[DateOrTime, ...] | None = Field(
        default=None,
        alias="except",
        max_length=MAX_EACH,
        description="local dates (every occurrence starting that day) or occurrence starts skipped",
    )
    moved: tuple[Move, ...] | None = Field(
        default=None, max_length=MAX_EACH, description="occurrences moved: from a start to another"
    )
    added: tuple[Extra, ...] | None = Field(
        default=None, max_length=MAX_EACH, description="single occurrences added beside the cron's"
    )

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

    @field_validator("since", "until")
    @classmethod
    def _span(cls, value: str | None, info: ValidationInfo) -> str | None:
        zone = _zone_of(info)
        if value is not None and zone is not None:
            at = calendars.instant(value, zone)
            since = info.data.get("since")
            if info.field_name == "until" and since and at < calendars.instant(since, zone):
                raise ValueError("until is before since")
        return value

    @field_validator("except_")
    @classmethod
    def _except(cls, value: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        if value and (zone := _zone_of(info)) is not None:
            calendars.check_except(value, zone)
        return value

    @field_validator("moved")
    @classmethod
    def _moved(cls, value: tuple[Move, ...] | None, info: ValidationInfo) -> tuple[Move, ...] | None:
        if value and (zone := _zone_of(info)) is not None and "except_" in info.data:
            calendars.check_moved(value, zone, info.data["except_"] or ())
        return value

    @field_validator("added")
    @classmethod
    def _added(cls, value: tuple[Extra, ...] | None, info: ValidationInfo) -> tuple[Extra, ...] | None:
        data = info.data
        if value and (zone := _zone_of(info)) is not None and {"cron", "except_", "moved"} <= data.keys():
            span = (data.get("since"), data.get("until"))
            calendars.check_added(
                value,
                zone,
                cron=data["cron"],
                skipped=data["except_"] or (),
                moves=data["moved"] or (),
                span=span,
            )
        return value

    @property
    def has_exceptions(self) -> bool:
        return bool(self.except_ or self.moved or self.added or self.since or self.until)

    @property
    def key(self) -> str:
        return self.name or f"{self.stream}|{self.cron}|{self.timezone}|{self.duration}"


def _zone_of(info: ValidationInfo) -> ZoneInfo | None:
    """The program's zone, where it validated (else its own error is reported, and the times are not read)."""
    zone = info.data.get("timezone")
    return ZoneInfo(zone) if zone else None


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
    """Windows whose end is still ahead and whose start is within the horizon (the calendar's exceptions
    applied)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for start, end in _starts(program, day, horizon):
        if start > now + horizon:
            return
        if end > now:
            yield start, end


@lru_cache(maxsize=8192)
def _starts(program: Program, day: datetime, horizon: timedelta) -> tuple[tuple[datetime, datetime], ...]:
    """The program's occurrences that any tick of ``day`` (UTC) can need: from early enough to catch one
    running at the day's start, to the horizon from the day's end. Computed once per program and day in a
    warm container (cron iteration is most of a tick's own work)."""
    last = day + ONE_DAY + horizon
    out = []
    for start, end, _ in calendars.expand(program, day - calendars.longest(program)):
        if start > last:
            break
        out.append((start, end))
    return tuple(out)


def starts_after(program: Program, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The program's occurrences starting after ``moment``, in order, in UTC (the cron read in the program's
    zone, the calendar's exceptions applied)."""
    for start, end, _ in calendars.expand(program, moment):
        yield start, end


def split(start: datetime, end: datetime, cap: timedelta | None) -> list[tuple[datetime, datetime]]:
    if cap is None:
        return [(start, end)]
    out = []
    while end - start > cap:
        out.append((start, start + cap))
        start += cap
    out.append((start, end))
    return out
