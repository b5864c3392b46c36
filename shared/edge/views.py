"""What the HTTP routes answer, built from the domain's results: the shapes of shared/edge/responses.py
(the models validate them where a route returns a model, and tests hold every answer to its model)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.recordings.creating import as_created
from shared.storage.ledger import Recording
from shared.storage.ledger_files import RecordFile
from shared.support.timeutil import from_unix, isoformat
from shared.tencent.types import TaskInfo

# the reads' results: the create functions, which build only 201s, never load the reads' modules
if TYPE_CHECKING:
    from shared.recordings.catalog import Cancelled
    from shared.recordings.coverage import Coverage
    from shared.recordings.covering import ProgramCoverage
    from shared.recordings.forecast import Forecast, Hour
    from shared.recordings.highlights import Waiting
    from shared.recordings.programs import Program
    from shared.recordings.showing import Occurrence, ProgramPage, Shown
    from shared.recordings.tracking import Booked, Described, Listed, Listing
    from shared.storage.program_store import StoredProgram

MAX_GAPS_SHOWN = 1000  # of a coverage's gaps (gap_count counts them all)
MAX_PAGE_BYTES = 60_000  # of programs in a page of GET /programs: the answer stays under 64 KB


def _iso(seconds: int) -> str:
    return isoformat(from_unix(seconds))


def created_body(recording: Recording) -> dict[str, Any]:
    """``201`` (CreatedRecording): what a create answers, and what a replay answers again: the recording
    as the domain summarises it (the tick's report and the callbacks' log list it so too)."""
    return as_created(recording)


def waiting_view(waiting: Waiting) -> dict[str, Any]:
    """WaitingHighlight: a highlight armed to start when its stream begins."""
    return {
        "wait_id": waiting.id,
        "state": waiting.state,
        "stream": waiting.stream,
        "domain": waiting.domain,
        "app": waiting.app,
        "armed_at": _iso(int(waiting.armed_at)),
        "expires_at": _iso(int(waiting.expires_at)),
        "task_id": waiting.task_id,
        "started_at": _iso(int(waiting.started_at)) if waiting.started_at is not None else None,
        "error": waiting.error,
        "warnings": list(waiting.warnings),
    }


def task_view(task: TaskInfo) -> dict[str, Any]:
    """A task as Tencent lists it (ListedTask)."""
    return {
        "task_id": task.task_id,
        "stream": task.stream,
        "domain": task.domain,
        "app": task.app,
        "start": isoformat(task.start) if task.start else None,
        "end": isoformat(task.end) if task.end else None,
        "stopped_at": isoformat(task.stopped_at) if task.stopped_at else None,
        "status": task.status,
    }


def booked_view(booked: Booked) -> dict[str, Any]:
    """A recording as the ledger lists it (ListedTask; ``status``: its state, one in doubt ``unknown``,
    without a task id)."""
    entry, rec = booked.entry, booked.entry.recording
    return {
        "task_id": rec.task_id,
        "stream": rec.stream,
        "domain": rec.domain,
        "app": rec.app,
        "start": _iso(rec.start),
        "end": _iso(rec.end),
        "stopped_at": isoformat(from_unix(entry.updated_at)) if booked.state == "stopped" else None,
        "status": booked.state,
    }


def listed_view(item: Listed) -> dict[str, Any]:
    """An item of a list (ListedTask): the task or recording, its ``status`` (one vocabulary), Tencent's own
    word beside it (null where Tencent gave none: every item from the ledger), and where it came from."""
    from shared.recordings.tracking import Booked

    if isinstance(item.task, Booked):
        return booked_view(item.task) | {"status": item.status, "tencent_status": None, "source": item.source}
    return task_view(item.task) | {
        "status": item.status,
        "tencent_status": item.task.status,
        "source": item.source,
    }


def listing_view(listing: Listing) -> dict[str, Any]:
    """``200`` (TaskList)."""
    return {"tasks": [listed_view(t) for t in listing.tasks], "next": listing.next, "source": listing.source}


def file_view(file: RecordFile) -> dict[str, Any]:
    return {
        "file_id": file.file_id,
        "url": file.url,
        "format": file.format,
        "start": _iso(file.start),
        "end": _iso(file.end),
        "duration": file.duration,
        "size": file.size,
        "source": file.source,
    }


def coverage_view(cover: Coverage | None, threshold: float) -> dict[str, Any] | None:
    """A window's coverage (CoverageView)."""
    if cover is None:
        return None
    return {
        "asked_seconds": cover.asked,
        "recorded_seconds": cover.recorded,
        "ratio": cover.ratio,
        "gaps": [[_iso(start), _iso(end)] for start, end in cover.gaps[:MAX_GAPS_SHOWN]],
        "gap_count": len(cover.gaps),
        "files": cover.files,
        "reconciled_files": cover.reconciled,
        "final": cover.final,
        "short": cover.short(threshold),
    }


def program_coverage_view(found: ProgramCoverage, reconciliation: str | None) -> dict[str, Any]:
    """``200`` (ProgramCoverageView)."""
    occurrences = [
        {
            "start": isoformat(o.start),
            "end": isoformat(o.end),
            "task_id": o.task_id,
            "state": o.state,
            "coverage": coverage_view(o.coverage, found.threshold),
        }
        for o in found.occurrences
    ]
    asked, recorded = found.asked, found.recorded
    return {
        "name": found.name,
        "from": isoformat(found.period[0]),
        "to": isoformat(found.period[1]),
        "occurrences": occurrences,
        "more": found.more,
        "threshold": found.threshold,
        "asked_seconds": asked,
        "recorded_seconds": recorded,
        "ratio": 1.0 if asked <= 0 else round(recorded / asked, 4),
        "short": found.short,
        "reconciliation": reconciliation,
    }


def recording_view(found: Described) -> dict[str, Any]:
    """``200`` (RecordingDetail): the recording, a page of its files, Tencent's view where there is one."""
    entry, rec = found.entry, found.entry.recording
    return {
        "task_id": rec.task_id,
        "api": rec.api,
        "mode": rec.mode,
        "stream": rec.stream,
        "domain": rec.domain,
        "app": rec.app,
        "start": _iso(rec.start),
        "end": _iso(rec.end),
        "origin": entry.origin.to_dict(),
        "status": found.status,
        "tencent_status": found.tencent.task.status if found.tencent and found.tencent.task else None,
        "state": found.state,
        "files": [file_view(f) for f in found.files.files],
        "next": found.next,
        "tencent": _tencent_view(found),
        "warnings": list(found.warnings),
        "coverage": coverage_view(found.coverage, found.threshold),
    }


def _tencent_view(found: Described) -> dict[str, Any] | None:
    seen = found.tencent
    if seen is None:
        return None
    view: dict[str, Any] = {"action": seen.action, "found": seen.task is not None}
    task = task_view(seen.task) if seen.task is not None else {}
    return view | {k: task.get(k) for k in ("status", "start", "end", "stopped_at")}


def program_summary(stored: StoredProgram, program: Program) -> dict[str, Any]:
    """A stored program (ProgramSummary)."""
    from shared.storage.program_store import NEVER

    return {
        "name": stored.name,
        "program": program.model_dump(exclude_none=True, by_alias=True),
        "updated_at": isoformat(from_unix(stored.updated_at)),
        "due": isoformat(from_unix(stored.due)) if stored.due < NEVER else None,
    }


def program_page(page: ProgramPage) -> dict[str, Any]:
    """``200`` (ProgramList): at most :data:`MAX_PAGE_BYTES` of programs; the rest on the next page, which
    starts after the last one shown."""
    shown: list[dict[str, Any]] = []
    size = 0
    for stored, program in page.programs:
        summary = program_summary(stored, program)
        size += len(json.dumps(summary, ensure_ascii=False)) + 1
        if size > MAX_PAGE_BYTES and shown:
            return {"programs": shown, "next": shown[-1]["name"]}
        shown.append(summary)
    return {"programs": shown, "next": page.next}


def occurrence_view(found: Occurrence) -> dict[str, Any]:
    """An occurrence (ProgramOccurrence)."""
    return {
        "start": isoformat(found.start),
        "end": isoformat(found.end),
        "booked": found.task_id is not None,
        "task_id": found.task_id,
        "state": found.state,
        "exception": found.exception,
    }


def withdrawn(done: Cancelled) -> list[dict[str, Any]]:
    """What a PUT's exceptions took back (CancelledOccurrence each): cancelled, not cancelled, kept."""
    return [*done.cancelled, *done.not_cancelled, *done.kept]


def program_view(shown: Shown) -> dict[str, Any]:
    """``200``/``201`` (ProgramView): the program, its occurrences in the window, what the next tick books."""
    return program_summary(shown.stored, shown.program) | {
        "from": isoformat(shown.window[0]),
        "to": isoformat(shown.window[1]),
        "occurrences": [occurrence_view(o) for o in shown.occurrences],
        "more": shown.more,
        "next_tick_books": shown.next_tick_books,
    }


def forecast_view(found: Forecast) -> dict[str, Any]:
    """``200`` (ProgramForecast): each hour's peak, the hours over the limit and who runs at their peak."""
    top = max(found.hours, key=lambda h: h.peak, default=None)
    return {
        "from": isoformat(found.window[0]),
        "to": isoformat(found.window[1]),
        "days": found.days,
        "limit": found.limit,
        "limit_source": found.limit_source,
        "peak": top.peak if top else 0,
        "peak_hour": isoformat(top.start) if top and top.peak else None,
        "hours": [{"hour": isoformat(h.start), "peak": h.peak} for h in found.hours],
        "over": [
            {
                "hour": isoformat(h.start),
                "peak": h.peak,
                "at": isoformat(h.at or h.start),
                "programs": list(h.programs),
                "programs_total": h.programs_total,
            }
            for h in found.over
        ],
        "programs": found.programs,
        "recordings": found.recordings,
        "unreadable": found.unreadable,
    }


def capacity_warning(hours: list[Hour] | None, limit: int | None, days: int) -> list[str]:
    """PUT /programs/{name}'s warning when the program takes some hours over the limit (the first 5 named),
    or when the programs make too many recordings to tell, or take too long (``hours`` None)."""
    if hours is None:
        return [
            f"the concurrent-recording limit was not checked: the stored programs make too many recordings "
            f"in the next {days} days to count in time (GET /programs/forecast?days=1)"
        ]
    if not hours or limit is None:
        return []
    shown = ", ".join(f"{isoformat(h.start)} (peak {h.peak})" for h in hours[:5])
    more = f" and {len(hours) - 5} more" if len(hours) > 5 else ""
    return [
        f"with this program, {len(hours)} hour(s) of the next {days} days go over the concurrent-recording "
        f"limit of {limit}: {shown}{more}; stored all the same (GET /programs/forecast)"
    ]
