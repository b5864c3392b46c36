"""Tencent Live's callback events as liverec reads them: the models of events 0/1 (stream end/begin), 100
(record file) and 332 (record status), the event type, the URLs an event may carry, the keys that make a
redelivery the same event, and what makes two callbacks signed alike two events.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.recordings.models import Name
from shared.storage.ledger_files import RecordFile
from shared.support.errors import InvalidRequest
from shared.support.urls import MAX_URL, URL_PATTERN, url_problem
from shared.tencent import answers

UnixSeconds = Annotated[int, Field(ge=0, lt=10**11)]  # as shared.support.timeutil: larger means milliseconds


class TencentEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# what openapi.json states of a record file's or status' fields named *url (checked_urls: at the top level;
# deeper ones, a special-use host and LIVEREC_CALLBACK_URL_HOSTS it says in words)
URL_FIELDS = ConfigDict(
    json_schema_extra={
        "patternProperties": {
            "[Uu][Rr][Ll]$": {
                "anyOf": [
                    {"type": "null"},
                    {"const": ""},
                    {"type": "string", "maxLength": MAX_URL, "pattern": URL_PATTERN},
                ]
            }
        }
    }
)


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

    model_config = URL_FIELDS
    event_type: Literal[100]
    stream_id: Name
    file_id: Annotated[str, Field(min_length=1, max_length=256)]
    video_url: Annotated[
        str, Field(min_length=1, max_length=MAX_URL, json_schema_extra={"pattern": URL_PATTERN})
    ]
    start_time: UnixSeconds
    end_time: UnixSeconds
    task_id: str | int | None = None
    # descriptive only: kept where well-formed, never a reason to refuse (and lose) the file
    file_format: Any = None
    duration: Any = None
    file_size: Any = None


class RecordStatusEvent(TencentEvent):
    """Event 332: a recording task changed state (``record_event``: record_start_succeeded, record_ended, ...)."""

    model_config = URL_FIELDS
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
    if isinstance(value, float) and value.is_integer():  # 100.0 is JSON's 100 too
        value = int(value)
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    # Tencent's types are small numbers; the length bound (-999999999 to 9999999999, as openapi.json's
    # TencentCallback states) also keeps int() under Python's digit limit
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 10:
        raise InvalidRequest("event_type: must be an integer", field="event_type")
    return int(text)


def record_file_of(event: RecordFileEvent, received: float) -> RecordFile:
    fmt = event.file_format
    return RecordFile(
        file_id=event.file_id,
        url=event.video_url,
        format=fmt.lower() if isinstance(fmt, str) and 0 < len(fmt) <= 16 else None,
        start=event.start_time,
        end=event.end_time,
        duration=answers.count(event.duration),
        size=answers.count(event.file_size),
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


def checked_urls(body: dict[str, Any], hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body, every field whose name ends in ``url`` (any case, at any depth: ``video_url``) checked by
    :func:`shared.support.urls.url_problem` with its surrounding spaces trimmed; a null or empty one is no
    URL. A URL that may not be kept or forwarded is a 422 ``InvalidUrl`` naming the field."""
    checked: dict[str, Any] = _checked(body, "", hosts)
    return checked


def _checked(value: Any, path: str, hosts: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {
            key: _url(item, path + key, hosts)
            if key.lower().endswith("url")
            else _checked(item, f"{path}{key}.", hosts)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_checked(item, f"{path}{n}.", hosts) for n, item in enumerate(value)]
    return value


def _url(value: Any, field: str, hosts: tuple[str, ...]) -> Any:
    if value is None or value == "":
        return value
    text = value.strip(" ") if isinstance(value, str) else None
    problem = "is not a string" if text is None else url_problem(text, hosts)
    if problem is not None:
        field = field[:128]  # the name is the caller's: bounded in the answer and the log
        raise InvalidRequest(f"{field}: {problem}", code="InvalidUrl", field=field)
    return text


def body_digest(body: dict[str, Any]) -> str:
    """The body's digest, whatever its key order or spacing: an exact replay has the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def identity(kind: int, event: TencentEvent | None, body: dict[str, Any]) -> str:
    """What makes two callbacks two events Tencent may sign alike (sent in the same second, so with the same
    ``t`` and ``sign``): a stream's begin and its end, its record status and its file, two streams, two
    files. One ``t``/``sign`` carries at most one body per identity (``shared.webhooks.replay``)."""
    parts: tuple[object, ...]
    if isinstance(event, StreamEvent):
        parts = (kind, event.app, event.appname, event.stream_id)
    elif isinstance(event, RecordFileEvent):
        parts = (kind, event.stream_id, event.file_id)
    elif isinstance(event, RecordStatusEvent):
        parts = (kind, event.stream_id, event.session_id, event.record_event)
    else:  # acknowledged, never acted on: each body is its own event
        parts = (kind, body_digest(body))
    return json.dumps(parts, ensure_ascii=False)
