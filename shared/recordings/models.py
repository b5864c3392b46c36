"""Caller-facing request models (pydantic v2) and the internal types the rules and adapters share.

Two input models, one per recording mode, both normalised into one :class:`RecordingRequest`; the rules of
the selected generation then turn that into a :class:`RecordingPlan` (the effective window and warnings)
that an adapter puts on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
)

from shared.support.errors import InvalidRequest
from shared.support.timeutil import parse_time
from shared.tencent.types import Mode

DEFAULT_REALTIME_DURATION = 300
MAX_STREAM_NAME = 256  # our sanity bound; Tencent states none for stream names
MAX_DURATION = 30 * 86400  # far above every generation's cap; bounds the arithmetic on caller input


def _time(value: object, info: Any) -> datetime:
    try:
        return parse_time(value, info.field_name)
    except InvalidRequest as exc:
        raise ValueError(exc.message) from None


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


TimeInput = Annotated[datetime, BeforeValidator(_time)]
FileFormat = Annotated[Literal["flv", "hls", "mp4", "aac", "mp3"], BeforeValidator(_lower)]
RecordType = Annotated[Literal["video", "audio"], BeforeValidator(_lower)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_STREAM_NAME)]


class RecordingInput(BaseModel):
    """The body fields both modes share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: Name
    domain: Name | None = None
    app: Name | None = None
    start: TimeInput | None = None
    end: TimeInput | None = None
    duration: Annotated[StrictInt, Field(gt=0, le=MAX_DURATION)] | None = None
    format: FileFormat | None = None
    record_type: RecordType | None = None
    template_id: Annotated[StrictInt, Field(ge=0)] | None = None
    stream_type: Literal[0, 1] | None = None
    record_interval: Annotated[StrictInt, Field(ge=1800, le=7200)] | None = None
    storage_time: Annotated[StrictInt, Field(gt=0)] | None = None

    @field_validator("stream", "domain", "app")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("must not contain spaces or control characters")
        return value


class ScheduledRecordingInput(RecordingInput):
    """``POST /recordings/scheduled``: a window given by ``start`` and ``end`` (or ``duration``)."""

    start: TimeInput


class RealtimeRecordingInput(RecordingInput):
    """``POST /recordings/realtime``: start now, for ``duration`` seconds (default 300) or until ``end``."""


@dataclass(frozen=True)
class RecordingRequest:
    """The one normalised request both input models become."""

    mode: Mode
    stream: str
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    duration: int | None = None
    file_format: str | None = None
    record_type: str | None = None
    template_id: int | None = None
    stream_type: int | None = None
    record_interval: int | None = None
    storage_time: int | None = None
    # Fields the caller set explicitly (defaults from config are not listed): drives "ignored" warnings.
    explicit: frozenset[str] = frozenset()


M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], data: object) -> M:
    """Validate caller input, turning pydantic's error into one :class:`InvalidRequest` naming the field."""
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", field=None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_validation(exc) from None


def invalid_from_validation(exc: ValidationError) -> InvalidRequest:
    err = exc.errors(include_url=False, include_input=False)[0]
    loc = [str(p) for p in err.get("loc", ())]
    name = loc[0] if loc else None
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    kind = err.get("type")
    if kind == "extra_forbidden":
        return InvalidRequest(f"{name}: unknown field", field=name, code="UnknownField")
    if kind == "missing":
        return InvalidRequest(f"{name}: required", field=name, code="MissingField")
    if name is None:
        return InvalidRequest(msg)
    # a message from our own validators may already start with the field name
    text = msg if msg.startswith(f"{name}") else f"{name}: {msg}"
    return InvalidRequest(text, field=name)


def to_request(data: RecordingInput, mode: Mode) -> RecordingRequest:
    return RecordingRequest(
        mode=mode,
        stream=data.stream,
        domain=data.domain,
        app=data.app,
        start=data.start,
        end=data.end,
        duration=data.duration,
        file_format=data.format,
        record_type=data.record_type,
        template_id=data.template_id,
        stream_type=data.stream_type,
        record_interval=data.record_interval,
        storage_time=data.storage_time,
        explicit=frozenset(data.model_fields_set),
    )
