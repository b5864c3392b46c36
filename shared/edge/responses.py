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


# a recording's status, one vocabulary in every generation (shared.recordings.status.STATUSES)
RecordingStatus = Literal["scheduled", "recording", "finished", "stopped", "deleted", "failed", "in_doubt"]
STATUS_TEXT = (
    "scheduled (its start ahead), recording, finished (its end passed, or Tencent says so), stopped or "
    "deleted (through liverec, or stopped at Tencent), failed (Tencent says the task failed), in_doubt "
    "(a create got no usable answer)"
)
TENCENT_STATUS_TEXT = (
    "Tencent's own word for the task, as it gave it (v2: pending, running, finished, error; record-task: "
    "stopped when its Stopped time is set); null where Tencent gave none"
)


class WaitingHighlight(_Out):
    """``202`` on ``POST /recordings/realtime`` with ``wait``, and ``200`` on ``GET /recordings/realtime/{wait_id}``:
    a highlight armed to start when its stream begins."""

    wait_id: str
    state: Literal["armed", "started", "expired", "refused", "unknown"] = Field(
        description="armed: waiting for the stream to begin; started: recording (task_id); expired: the wait "
        "passed without a stream begin; refused: the create was refused when the stream began (error); "
        "unknown: its create got no answer and the generation cannot look it up (error; never created again)"
    )
    stream: str
    domain: str | None
    app: str | None
    armed_at: Time
    expires_at: Time = Field(description="the end of the wait: a stream begin after it starts nothing")
    task_id: str | None = Field(description="the task it started (GET /recordings/{task_id})")
    started_at: Time | None
    error: ErrorDetail | None
    warnings: list[str]


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
    status: RecordingStatus = Field(description=STATUS_TEXT)
    tencent_status: str | None = Field(description=TENCENT_STATUS_TEXT)
    source: Literal["tencent", "ledger"] = Field(
        description="where this item came from: Tencent's list, or the ledger (what liverec created: where "
        "Tencent cannot list, or a recording Tencent's window cannot show)"
    )


class TaskList(_Out):
    """``200``: one page of tasks; ``next`` is the token of the next page (None: the last)."""

    tasks: list[ListedTask]
    next: str | None
    source: Literal["tencent", "ledger"] = Field(
        description="tencent: Tencent's own list (with record-task, after its last page, the recordings "
        "liverec created that its window cannot show: each item's source says); ledger: what liverec "
        "created (the generation cannot list)"
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
    source: Literal["callback", "reconciled"] = Field(
        description="callback: its record-file callback reached liverec; reconciled: found afterwards in "
        "Tencent's record of the callbacks it sent (DescribeCallbackRecordsList), the callback lost"
    )


class CoverageView(_Out):
    """What was recorded of a window: its files clipped to it and merged where they overlap."""

    asked_seconds: int = Field(description="the window's length")
    recorded_seconds: int = Field(description="seconds of it some file covers")
    ratio: float = Field(description="recorded over asked (1 for an empty window)")
    gaps: list[list[Time]] = Field(
        description="[start, end] of each part no file covers, up to now (the rest of a recording under way "
        "is not a gap yet); at most 1,000 shown, gap_count counts them all"
    )
    gap_count: int
    files: int = Field(description="the files counted (at most 10,000 a recording)")
    reconciled_files: int = Field(description="of them, how many reconciliation found (source reconciled)")
    final: bool = Field(description="the window has ended: the figures grow only with a late file")
    short: bool = Field(description="final and its ratio under LIVEREC_COVERAGE_THRESHOLD")


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
    status: RecordingStatus = Field(
        description=STATUS_TEXT + "; Tencent's view where the generation describes"
    )
    tencent_status: str | None = Field(description=TENCENT_STATUS_TEXT)
    state: RecordingState = Field(
        json_schema_extra={"deprecated": True},  # in the document; no warning when read
        description="deprecated (use status; kept for earlier callers): scheduled before its start, "
        "recording until its end, then ended (Tencent's status where the generation describes the task); "
        "stopped or deleted through liverec; unknown when the create's outcome is unknown",
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
    coverage: CoverageView | None = Field(
        default=None, description="its window's coverage by all its files (not only this page's)"
    )
    reconciliation: str | None = Field(
        default=None,
        description="with reconcile=true: what reconciliation did, or why this generation cannot",
    )


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
