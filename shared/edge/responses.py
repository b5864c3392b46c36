"""What the HTTP routes answer, as models: they validate what leaves and document the API (OpenAPI)."""

from __future__ import annotations

from typing import Annotated

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
    task_id: str
    stream: str | None
    domain: str | None
    app: str | None
    start: Time | None
    end: Time | None
    stopped_at: Time | None
    status: str | None


class TaskList(_Out):
    """``200``: one page of tasks; ``next`` is the token of the next page (None: the last)."""

    tasks: list[ListedTask]
    next: str | None


class ErrorDetail(_Out):
    code: str = Field(description="machine-readable: ours, or Tencent's own code passed through")
    message: str
    field: str | None = Field(description="the input, header or variable to blame, where one is")


class ErrorBody(_Out):
    """Every error answer."""

    error: ErrorDetail
