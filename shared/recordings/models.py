"""Caller-facing request models (pydantic v2): one input model per recording mode, on one options model.

The rules of the configured generation turn an input into a :class:`~shared.tencent.types.RecordingPlan`
(the effective window and warnings) that an adapter puts on the wire.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): pydantic would
# compile each string annotation to evaluate it, on every cold start.

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

from shared.support.errors import InvalidRequest, from_validation
from shared.support.timeutil import parse_time

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


class RecordingOptions(BaseModel):
    """How to record, where the generation offers it (its row in the capability table says which): taken by
    the create routes, the recurring programs and the callback rules alike."""

    # the bases are never validated themselves: only the models built on them are (at definition)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    format: FileFormat | None = None
    record_type: RecordType | None = None
    template_id: Annotated[StrictInt, Field(ge=0)] | None = None
    stream_type: Literal[0, 1] | None = None
    record_interval: Annotated[StrictInt, Field(ge=1800, le=7200)] | None = None
    storage_time: Annotated[StrictInt, Field(gt=0)] | None = None

    def options(self) -> dict[str, Any]:
        """The options set, by name."""
        return {name: getattr(self, name) for name in OPTIONS if getattr(self, name) is not None}


OPTIONS = tuple(RecordingOptions.model_fields)


class RecordingInput(RecordingOptions):
    """The body fields both modes share."""

    stream: Name
    domain: Name | None = None
    app: Name | None = None
    start: TimeInput | None = None
    end: TimeInput | None = None
    duration: Annotated[StrictInt, Field(gt=0, le=MAX_DURATION)] | None = None

    @field_validator("stream", "domain", "app")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("must not contain spaces or control characters")
        return value


class ScheduledRecordingInput(RecordingInput):
    """``POST /recordings/scheduled``: a window given by ``start`` and ``end`` (or ``duration``)."""

    # built on first use, as its bases are: the realtime function imports this module and never uses it
    start: TimeInput


class RealtimeRecordingInput(RecordingInput):
    """``POST /recordings/realtime``: start now, for ``duration`` seconds (default 300) or until ``end``."""

    model_config = ConfigDict(defer_build=False)


class OccurrenceResolution(BaseModel):
    """``POST /programs/{name}/resolve``: the operator's answer to an occurrence in doubt, found by its start:
    ``record`` it now, or it was ``recorded`` as ``task_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    start: TimeInput
    action: Literal["record", "recorded"]
    task_id: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[!-~]+$")] | None = None


M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], data: object) -> M:
    """Validate caller input, turning pydantic's error into one :class:`InvalidRequest` naming the field."""
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", field=None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc.errors(include_url=False, include_input=False)) from None
