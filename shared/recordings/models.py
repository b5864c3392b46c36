"""Caller-facing request models (pydantic v2): one input model per recording mode, on one options model.

The rules of the configured generation turn an input into a :class:`~shared.tencent.types.RecordingPlan`
(the effective window and warnings) that an adapter puts on the wire.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): pydantic would
# compile each string annotation to evaluate it, on every cold start.

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    WithJsonSchema,
)

from shared.recordings.requests import RecordingRequest
from shared.storage.ledger import fingerprint
from shared.support.errors import InvalidRequest, from_validation
from shared.support.timeforms import TIME_VALUE
from shared.support.timeutil import parse_time
from shared.tencent.types import Mode

MAX_STREAM_NAME = 256  # our sanity bound; Tencent states none for stream names
MAX_DURATION = 30 * 86400  # far above every generation's cap; bounds the arithmetic on caller input
MAX_JSON_INT = 2**53 - 1  # the largest integer every JSON reader holds exactly (I-JSON, RFC 7493)
# A stream's name, domain or app: no whitespace or control characters (C0, DEL, C1, the Unicode spaces and
# separators, zero-width and direction marks, the byte-order mark; a lone surrogate never gets past the body
# reader). One expression, which the code checks and openapi.json states (a JSON Schema pattern that
# ECMA-262, Rust's regex and Python read alike).
NAME_PATTERN = r"^[^\x00-\x20\x7f-\xa0\xad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]+$"


def _time(value: object, info: Any) -> datetime:
    try:
        return parse_time(value, info.field_name)
    except InvalidRequest as exc:
        raise ValueError(exc.message) from None


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _whole(value: object) -> object:
    # JSON has one kind of number: 1800.0 is the integer 1800 (JSON Schema's "integer" says so too); 1800.5,
    # "1800" and true are not
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _printable(value: str) -> str:
    if re.fullmatch(NAME_PATTERN, value) is None:  # re caches the compiled expression
        raise ValueError("must not contain spaces or control characters")
    return value


# An integer as JSON writes it (1800 or 1800.0, never text or a boolean): Annotated[int, STRICT, Field(<its
# bounds>), WHOLE], in that order, so that openapi.json states the bounds as minimum and maximum
STRICT = Strict()
WHOLE = BeforeValidator(_whole)
# a time as sent: ISO-8601 with an offset, or UNIX seconds (shared.support.timeforms states which)
TimeInput = Annotated[datetime, BeforeValidator(_time), WithJsonSchema(cast("dict[str, Any]", TIME_VALUE))]
FileFormat = Annotated[Literal["flv", "hls", "mp4", "aac", "mp3"], BeforeValidator(_lower)]
RecordType = Annotated[Literal["video", "audio"], BeforeValidator(_lower)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_STREAM_NAME)]
# a stream's name, domain or app as a caller gives it
StreamName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_STREAM_NAME, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_printable),
]
# Rules across fields, stated in openapi.json as JSON Schema (the code's own checks, in the rules, say why)
NOT_NULL: dict[str, Any] = {"not": {"type": "null"}}
AUDIO_FORMAT: dict[str, Any] = {  # aac and mp3 hold audio only (shared.recordings.rules._format)
    "anyOf": [
        {"properties": {"format": {"not": {"enum": ["aac", "mp3"]}}}},
        {"required": ["record_type"], "properties": {"record_type": {"const": "audio"}}},
    ]
}
END_OR_DURATION: dict[str, Any] = {  # never both (shared.recordings.rules.plan_recording)
    "not": {"required": ["end", "duration"], "properties": {"end": NOT_NULL, "duration": NOT_NULL}}
}


class RecordingOptions(BaseModel):
    """How to record, where the generation offers it (its row in the capability table says which): taken by
    the create routes, the recurring programs and the callback rules alike."""

    # the bases are never validated themselves: only the models built on them are (at definition)
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True, json_schema_extra={"allOf": [AUDIO_FORMAT]}
    )

    format: FileFormat | None = None
    record_type: RecordType | None = None
    template_id: Annotated[int, STRICT, Field(ge=0, le=MAX_JSON_INT), WHOLE] | None = None
    stream_type: Literal[0, 1] | None = None
    record_interval: Annotated[int, STRICT, Field(ge=1800, le=7200), WHOLE] | None = None
    storage_time: Annotated[int, STRICT, Field(gt=0, le=MAX_JSON_INT), WHOLE] | None = None

    def options(self) -> dict[str, Any]:
        """The options set, by name."""
        return {name: getattr(self, name) for name in OPTIONS if getattr(self, name) is not None}


OPTIONS = tuple(RecordingOptions.model_fields)


class RecordingInput(RecordingOptions):
    """The body fields both modes share."""

    model_config = ConfigDict(json_schema_extra={"allOf": [AUDIO_FORMAT, END_OR_DURATION]})

    stream: StreamName
    domain: StreamName | None = None
    app: StreamName | None = None
    start: TimeInput | None = None
    end: TimeInput | None = None
    duration: Annotated[int, STRICT, Field(gt=0, le=MAX_DURATION), WHOLE] | None = None

    def request(self, mode: Mode) -> RecordingRequest:
        """What this body asks the recordings domain for (validated here, never again)."""
        body = self.model_dump(mode="json", exclude_unset=True)
        return RecordingRequest(
            mode=mode,
            fingerprint=fingerprint({"mode": mode.value, "body": body}),
            given=frozenset(self.model_fields_set),
            **{name: getattr(self, name) for name in REQUEST_FIELDS},
        )


# the fields a request carries beside its mode, fingerprint and what was given
REQUEST_FIELDS = tuple(f for f in RecordingRequest._fields if f not in {"mode", "fingerprint", "given"})


class ScheduledRecordingInput(RecordingInput):
    """``POST /recordings/scheduled``: a window given by ``start`` and ``end`` (or ``duration``)."""

    # built on first use, as its bases are: the realtime function imports this module and never uses it.
    # A window needs its end, or its duration (shared.recordings.rules._scheduled_window)
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                AUDIO_FORMAT,
                END_OR_DURATION,
                {
                    "anyOf": [
                        {"required": ["end"], "properties": {"end": NOT_NULL}},
                        {"required": ["duration"], "properties": {"duration": NOT_NULL}},
                    ]
                },
            ]
        }
    )

    start: TimeInput


class RealtimeRecordingInput(RecordingInput):
    """``POST /recordings/realtime``: start now, for ``duration`` seconds (default 300) or until ``end``."""

    model_config = ConfigDict(defer_build=False)


MAX_WAIT = 86400  # a highlight waits for its stream at most a day (shared.recordings.highlights)


class HighlightInput(RealtimeRecordingInput):
    """``POST /recordings/realtime``'s body: a highlight, and how long it may wait for its stream to begin
    (``wait``: armed, it starts at the stream's begin; it takes ``duration``, never ``end``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                AUDIO_FORMAT,
                END_OR_DURATION,
                {"not": {"required": ["wait", "end"], "properties": {"wait": NOT_NULL, "end": NOT_NULL}}},
            ]
        }
    )

    wait: Annotated[int, STRICT, Field(ge=1, le=MAX_WAIT), WHOLE] | None = None

    def highlight(self) -> dict[str, Any]:
        """The highlight's own fields, as sent (without ``wait``): what an armed request keeps."""
        if self.wait is not None and self.end is not None:
            raise InvalidRequest(
                "wait takes duration, not end: the highlight starts when the stream begins", field="wait"
            )
        return self.model_dump(mode="json", exclude_unset=True, exclude={"wait"})


class OccurrenceResolution(BaseModel):
    """``POST /programs/{name}/resolve``: the operator's answer to an occurrence in doubt, found by its start:
    ``record`` it now, or it was ``recorded`` as ``task_id``."""

    # task_id with recorded, and only with it (shared.recordings.resolving.resolve)
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={
            "oneOf": [
                {"properties": {"action": {"const": "record"}, "task_id": {"type": "null"}}},
                {
                    "required": ["task_id"],
                    "properties": {"action": {"const": "recorded"}, "task_id": NOT_NULL},
                },
            ]
        },
    )

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
