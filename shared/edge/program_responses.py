"""What the ``/programs`` routes answer, as models (the recordings' answers are in
:mod:`shared.edge.responses`): they validate what leaves and document the API (OpenAPI)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.edge.responses import CoverageView, RecordingState, Time, _Out


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
    exception: Literal["moved", "added"] | None = Field(
        default=None, description="moved or added by the program's calendar exceptions; null: the cron's own"
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
    warnings: list[str] = Field(
        default_factory=list,
        description="PUT: stored all the same, but e.g. with this program some hours of the next 7 days go "
        "over the concurrent-recording limit (GET /programs/forecast); empty on GET",
    )
    withdrawn: list[CancelledOccurrence] = Field(
        default_factory=list,
        description="on PUT: booked occurrences that had not started and that the program's exceptions now "
        "skip or move away, each cancelled as DELETE ?cancel=future cancels (action), or kept with the reason "
        "and code (another program's booking holds it, found at Tencent, outcome unknown)",
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


class OccurrenceCoverageView(_Out):
    start: Time
    end: Time
    task_id: str | None
    state: RecordingState | Literal["booking", "forgotten"] | None = Field(
        description="as GET /programs/{name} shows it; forgotten: ended more than a day ago with no entry "
        "left in the ledger (whether it was recorded is no longer known)"
    )
    coverage: CoverageView | None = Field(
        description="its task's files over its window; null where no task recorded it: not booked (or "
        "not yet), being booked, in doubt, or forgotten"
    )


class ProgramCoverageView(_Out):
    """``200`` on ``GET /programs/{name}/coverage``: the program's occurrences in ``[from, to)``, each with
    what was recorded of it, and their totals."""

    name: str
    from_: Time = Field(alias="from")
    to: Time
    occurrences: list[OccurrenceCoverageView] = Field(description="at most 50, soonest first")
    more: bool = Field(description="the period holds more occurrences than shown: ask for a later period")
    threshold: float = Field(description="LIVEREC_COVERAGE_THRESHOLD: an ended occurrence under it is short")
    asked_seconds: int = Field(description="of the occurrences a task recorded (each its whole window)")
    recorded_seconds: int
    ratio: float
    short: int = Field(description="ended occurrences a task recorded, under the threshold")
    reconciliation: str | None = Field(
        description="with reconcile=true: what reconciliation did, or why this generation cannot"
    )


class ForecastHour(_Out):
    hour: Time = Field(description="the hour's start (UTC)")
    peak: int = Field(description="the most recordings running at one instant within the hour")


class ForecastOver(ForecastHour):
    """An hour whose peak is above the limit, and the programs running at that peak."""

    at: Time = Field(description="the first instant of the hour's peak")
    programs: list[str] = Field(description="the programs running at the peak, by name: the first 10")
    programs_total: int = Field(description="how many programs run at the peak")


class ProgramForecast(_Out):
    """``200`` on ``GET /programs/forecast``: the stored programs' recordings running at once, hour by hour,
    against the account's concurrent-recording limit."""

    from_: Time = Field(alias="from", description="the start of the current hour (UTC) ...")
    to: Time = Field(description="... and days later")
    days: int
    limit: int | None = Field(
        description="the concurrent-recording limit: LIVEREC_CONCURRENT_LIMIT, else the generation's "
        "documented one; null: none known (no hour is over)"
    )
    limit_source: Literal["setting", "generation"] | None
    peak: int = Field(description="the highest hourly peak in the window")
    peak_hour: Time | None = Field(description="the first hour with that peak (null: nothing records)")
    hours: list[ForecastHour] = Field(description="every hour of the window, in order (24 a day)")
    over: list[ForecastOver] = Field(description="the hours over the limit, in order")
    programs: int = Field(description="the stored programs counted")
    recordings: int = Field(
        description="distinct recordings in the window (programs asking for the same stream, window and "
        "options share one task at Tencent, counted once)"
    )
    unreadable: list[str] = Field(description="stored programs that no longer validate: not counted")
