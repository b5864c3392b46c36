"""Tencent Live's callback events as liverec reads them: the models of events 0/1 (stream end/begin), 100
(record file) and 332 (record status), the event type, and the keys that make a redelivery the same event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.recordings.models import Name
from shared.storage.ledger import RecordFile
from shared.support.errors import InvalidRequest

UnixSeconds = Annotated[int, Field(ge=0, lt=10**11)]  # as shared.support.timeutil: larger means milliseconds


class TencentEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class StreamEvent(TencentEvent):
    """Event 0 (stream end) and 1 (stream begin). Tencent's ``app`` is the push domain, ``appname`` the path."""

    event_type: Literal[0, 1]
    app: Name
    appname: Name
    stream_id: Name
    event_time: UnixSeconds
    sequence: str | int | None = None


class RecordFileEvent(TencentEvent):
    """Event 100: a recording file is ready."""

    event_type: Literal[100]
    stream_id: Name
    file_id: Annotated[str, Field(min_length=1, max_length=256)]
    video_url: Annotated[str, Field(min_length=1, max_length=2048)]
    start_time: UnixSeconds
    end_time: UnixSeconds
    task_id: str | int | None = None
    # descriptive only: kept where well-formed, never a reason to refuse (and lose) the file
    file_format: Any = None
    duration: Any = None
    file_size: Any = None


class RecordStatusEvent(TencentEvent):
    """Event 332: a recording task changed state (``record_event``: record_start_succeeded, record_ended, ...)."""

    event_type: Literal[332]
    stream_id: Name
    record_event: Annotated[str, Field(min_length=1, max_length=64)]
    session_id: str | None = None
    seq: str | int | None = None
    event_time: UnixSeconds | None = None


FORWARDED: dict[int, tuple[str, type[TencentEvent]]] = {
    100: ("record.file_ready", RecordFileEvent),
    332: ("record.status", RecordStatusEvent),
}
KNOWN_IGNORED = {200: "screenshot"}


def event_type_of(body: dict[str, Any]) -> int:
    value = body.get("event_type")
    if value is None:
        raise InvalidRequest("event_type: required", field="event_type", code="MissingField")
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    # Tencent's types are small numbers; the length bound also keeps int() under Python's digit limit
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 10:
        raise InvalidRequest("event_type: must be an integer", field="event_type")
    return int(text)


def _count(value: Any) -> int | None:
    """A non-negative whole number (seconds, bytes) as Tencent may send it (a number or digits), else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2**53:
        return int(value)
    return None


def record_file_of(event: RecordFileEvent, received: float) -> RecordFile:
    fmt = event.file_format
    return RecordFile(
        file_id=event.file_id,
        url=event.video_url,
        format=fmt.lower() if isinstance(fmt, str) and 0 < len(fmt) <= 16 else None,
        start=event.start_time,
        end=event.end_time,
        duration=_count(event.duration),
        size=_count(event.file_size),
        received=received,
    )


def stream_key(event: StreamEvent) -> str:
    return f"{event.app}/{event.appname}/{event.stream_id}"


def begin_key(event: StreamEvent) -> str:
    """One idempotency key per stream-begin event, shared by all its redeliveries (not by ``t``/``sign``)."""
    identity = (
        f"{stream_key(event)}|{event.sequence if event.sequence is not None else ''}|{event.event_time}"
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:40]


def payload_id(event_type: int, body: dict[str, Any]) -> str:
    """A stable id per Tencent event, so a redelivered callback is forwarded (and deduplicated) once."""
    identity = {k: v for k, v in body.items() if k not in ("t", "sign")}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()[
        :32
    ]
    return f"tencent-{event_type}-{digest}"
