"""What the HTTP routes answer, as models: they validate what leaves and document the API (OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.support.config import LiveApi
from shared.tencent.types import Mode

Time = Annotated[str, Field(description="ISO-8601 UTC, seconds precision", examples=["2026-12-01T12:00:00Z"])]


class _Out(BaseModel):
    # built when first used (the OpenAPI document, a test), not at every cold start
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CreatedRecording(_Out):
    """``201``: the task Tencent created, and the window it will actually record."""

    task_id: str = Field(description="Tencent's task id (a string with record-task, a number elsewhere)")
    api: LiveApi
    mode: Mode
    stream: str
    start: Time
    end: Time
    warnings: list[str] = Field(description="what liverec changed or ignored, e.g. a real-time cap")


class ListedTask(_Out):
    task_id: str | None = Field(
        description="null for a recording in doubt (listed from the ledger: its create got no answer)"
    )
    stream: str | None
    domain: str | None
    app: str | None
    start: Time | None
    end: Time | None
    stopped_at: Time | None
    status: str | None = Field(
        description="Tencent's (e.g. pending, running, finished, stopped), or from the ledger the "
        "recording's state (scheduled, recording, ended, stopped, deleted, or unknown: in doubt)"
    )


class TaskList(_Out):
    """``200``: one page of tasks; ``next`` is the token of the next page (None: the last)."""

    tasks: list[ListedTask]
    next: str | None
    source: Literal["tencent", "ledger"] = Field(
        description="tencent: Tencent's own list; ledger: what liverec created (the generation cannot list)"
    )


RecordingState = Literal["scheduled", "recording", "ended", "stopped", "deleted", "unknown"]


class RecordingOrigin(_Out):
    kind: Literal["http", "hook", "rollout", "callback"]
    name: str | None = Field(description="the program (rollout) or the callback rule, where there is one")


class RecordedFile(_Out):
    """A file Tencent recorded, from its record-file callback (event 100)."""

    file_id: str
    url: str = Field(description="Tencent's video_url")
    format: str | None
    start: Time
    end: Time
    duration: int | None = Field(description="seconds")
    size: int | None = Field(description="bytes")


class TencentView(_Out):
    """The task as Tencent describes it (where the generation can)."""

    action: str = Field(description="the call that described it, e.g. DescribeRecordTask")
    found: bool = Field(description="false: Tencent did not list the task (deleted there, or not yet listed)")
    status: str | None
    start: Time | None
    end: Time | None
    stopped_at: Time | None


class RecordingDetail(_Out):
    """``200`` on ``GET /recordings/{task_id}``: the recording as the ledger knows it, with its files."""

    task_id: str
    api: LiveApi
    mode: Mode
    stream: str
    domain: str | None
    app: str | None
    start: Time
    end: Time
    origin: RecordingOrigin
    state: RecordingState = Field(
        description="scheduled before its start, recording until its end, then ended (Tencent's status "
        "where the generation describes the task); stopped or deleted through liverec; unknown when the "
        "create's outcome is unknown"
    )
    files: list[RecordedFile] = Field(
        description="the files Tencent reported for the task, newest last (by end, then start): a page of "
        "at most 100; next gives the rest"
    )
    next: str | None = Field(description="the token of the next page of files (?next=); null: the last")
    tencent: TencentView | None = Field(
        description="Tencent's view, where the generation can describe a task (null: it cannot, or the "
        "look-up failed: see warnings)"
    )
    warnings: list[str]


class ErrorDetail(_Out):
    code: str = Field(description="machine-readable: ours, or Tencent's own code passed through")
    message: str
    field: str | None = Field(description="the input, header or variable to blame, where one is")


class ErrorBody(_Out):
    """Every error answer."""

    error: ErrorDetail


class CallbackAck(_Out):
    """``200`` to Tencent's callbacks: handled (or refused for good), so Tencent stops redelivering."""

    code: Literal[0]


_SCHEMAS = "#/components/schemas/"


def _event(types: list[int], model: str) -> dict[str, Any]:
    # an event of these types is also that model (shared.webhooks.tencent_events); other types are not
    return {"anyOf": [{"properties": {"event_type": {"not": {"enum": types}}}}, {"$ref": _SCHEMAS + model}]}


class TencentCallback(BaseModel):
    """What Tencent Live posts to ``/callbacks/tencent`` (documented here, read raw by the route): every
    event carries ``t`` and ``sign``; the other fields depend on ``event_type`` (0 and 1 are a
    ``StreamEvent``, 100 a ``RecordFileEvent``, 332 a ``RecordStatusEvent``; other types are acknowledged
    and not read). In a record file (100) or status (332), every field named ``*url`` (``video_url``) is an
    http(s) URL on a public host name."""

    model_config = ConfigDict(
        extra="allow",
        defer_build=True,
        json_schema_extra={
            "allOf": [
                _event([0, 1], "StreamEvent"),
                _event([100], "RecordFileEvent"),
                _event([332], "RecordStatusEvent"),
            ]
        },
    )

    t: int = Field(description="UNIX seconds until which the signature is valid")
    sign: str = Field(description="md5 hex of LIVE_CALLBACK_KEY followed by the decimal t")
    event_type: int = Field(
        ge=-999_999_999,  # at most ten characters: shared.webhooks.tencent_events.event_type_of
        le=9_999_999_999,
        description="0 stream end, 1 stream begin, 100 record file, 332 record status, ...",
    )


class ProgramOccurrence(_Out):
    """One recording a program asks for in the timer's horizon (a window over the generation's cap is split)."""

    start: Time
    end: Time
    booked: bool = Field(description="a task exists for it (created, then perhaps stopped or deleted)")
    task_id: str | None
    state: RecordingState | Literal["booking"] | None = Field(
        description="null: not booked yet (the next tick books it); booking: a tick is creating it now; "
        "else the recording's state"
    )


class ProgramSummary(_Out):
    """A stored program as ``GET /programs`` lists it (its occurrences: ``GET /programs/{name}``)."""

    name: str
    program: dict[str, Any] = Field(description="the program as stored (the body the rollout's input takes)")
    updated_at: Time
    due: Time | None = Field(
        description="the start of its first recording no tick has settled yet: the tick whose horizon "
        "reaches it books it (null: its cron never matches again)"
    )


class ProgramView(ProgramSummary):
    """A stored program, with its occurrences in a window (by default the timer's horizon), soonest first."""

    from_: Time = Field(alias="from", description="the window shown: occurrences that end after it ...")
    to: Time = Field(description="... and start before it")
    occurrences: list[ProgramOccurrence] = Field(description="at most 50")
    more: bool = Field(description="the window holds more occurrences than shown: ask for a later window")
    next_tick_books: int = Field(
        description="shown occurrences within the horizon not booked yet: what the next tick books"
    )


class ProgramList(_Out):
    """``200`` on ``GET /programs``: a page of the stored programs, by name."""

    programs: list[ProgramSummary]
    next: str | None = Field(description="pass as next= for the following page; null on the last")


class CancelledOccurrence(_Out):
    start: Time
    end: Time
    task_id: str | None
    action: Literal["deleted", "stopped"] | None = None
    reason: str | None = Field(default=None, description="why it could not be cancelled")
    code: str | None = None


class ProgramDeleted(_Out):
    """``200`` on ``DELETE /programs/{name}``: no further bookings; with ``cancel=future`` what was cancelled."""

    name: str
    deleted: bool
    cancelled: list[CancelledOccurrence]
    not_cancelled: list[CancelledOccurrence] = Field(
        description="booked occurrences that have not started and could not be cancelled, with the reason"
    )
    kept: list[CancelledOccurrence] = Field(
        default_factory=list,
        description="booked occurrences left booked because they are not this program's alone: found at "
        "Tencent (code FoundAtTencent) or held by another program's booking too (code SharedRecording)",
    )
