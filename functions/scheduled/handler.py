"""``POST /recordings/scheduled``: create one scheduled recording; ``/programs``: the recurring programs the
timer books (``functions/rollout``), stored as data (``shared.recordings.catalog``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import creator, program_store, programs_parts
from shared.edge import views
from shared.edge.body import MAX_BODY, OtherBody
from shared.edge.contract import CREATE, LEDGER, answers
from shared.edge.program_responses import (
    ProgramCoverageView,
    ProgramDeleted,
    ProgramForecast,
    ProgramList,
    ProgramOccurrence,
    ProgramView,
)
from shared.edge.resolver import JSON, created, make_app
from shared.recordings import agenda, catalog, excepting, forecast, resolving, showing
from shared.recordings.models import OccurrenceResolution, ScheduledRecordingInput
from shared.recordings.programs import NAME_PATTERN, Program
from shared.storage.program_store import StoredProgram
from shared.support.errors import InvalidRequest, LiverecError, NotEnoughTime, NotInDoubt, ProgramNotFound
from shared.support.observability import count, entry, logger
from shared.support.timeforms import TIME_TEXT
from shared.support.timeutil import Deadline, from_unix, isoformat, parse_time
from shared.tencent.types import Mode


def _calendar(raw: bytes, query: Mapping[str, str]) -> dict[str, Any]:
    """An iCalendar file's program on the query's stream (shared.recordings.ics: imported only when a file is
    sent, off the cold path)."""
    from shared.recordings import ics

    return ics.program_body(raw, ics.stream_of(query))


ICS = OtherBody(
    "text/calendar",
    "PUT",
    "/programs/{name}",
    MAX_BODY,
    _calendar,
    "an iCalendar file (RFC 5545): one recurring VEVENT (DTSTART;TZID, DTEND or DURATION, RRULE, EXDATE, "
    "RDATE) and the VEVENTs overriding its occurrences (RECURRENCE-ID), stored as the program it describes "
    "on the stream the query names (?stream=, and optionally &domain= and &app=); a rule part with no cron "
    "equivalent is refused, 422 naming it (RRULE.INTERVAL)",
)
app = make_app(others=(ICS,))

# a stored program's answers: the ledger's table holds them
PROGRAM: tuple[type[LiverecError], ...] = (InvalidRequest, ProgramNotFound, *LEDGER)
# a program's name in the path: checked by shared.recordings.catalog (422 naming it), stated here
Name = Annotated[
    str,
    Path(
        description="the program's name; never forecast (GET /programs/forecast is a route of its own)",
        json_schema_extra={"pattern": NAME_PATTERN},
    ),
]


@app.post(
    "/recordings/scheduled",
    responses=answers(
        201,
        "created (or, with the same Idempotency-Key and body, the first result again)",
        "CreatedRecording",
        *CREATE,
        headers={"Idempotent-Replayed": "true when this is the first result again"},
    ),
)
def create_scheduled(
    body: ScheduledRecordingInput,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[str]:
    return created(
        creator().create(
            body.request(Mode.SCHEDULED), idempotency_key, deadline=Deadline.from_context(app.lambda_context)
        )
    )


@app.put(
    "/programs/<name>",
    responses=answers(
        201,
        "stored: a new program, with the occurrences the next tick books (warnings: e.g. over the "
        "concurrent-recording limit)",
        "ProgramView",
        *PROGRAM,
    )
    | answers(200, "replaced, with the occurrences the next tick books", "ProgramView"),
)
def put_program(name: Name, body: Program) -> Response[str]:
    (parts, store), program = programs_parts(), catalog.named(name, body)
    policy, clock = parts.policy, parts.clock
    # a program the timer would skip is refused before it is stored; due at its first recording
    due = agenda.first_due(
        policy, clock, program, [c.span[0] for c in catalog.plannable(policy, clock, program)]
    )
    stored = StoredProgram(
        name, catalog.to_json(program), clock(), catalog.earlier_streams(store.get(name), program), due
    )
    new = store.put(name, stored.body, stored.updated_at, due=due, streams=stored.streams)
    count("ProgramsStored", change="created" if new else "replaced")
    logger.info("program stored", extra={"program": name, "new": new, "stream": program.stream})
    withdrawn = excepting.withdraw(parts, program)  # booked, and now skipped or moved away
    if withdrawn.cancelled or withdrawn.not_cancelled:
        logger.info(
            "bookings the exceptions skip",
            extra={
                "program": name,
                "cancelled": withdrawn.cancelled,
                "not_cancelled": withdrawn.not_cancelled,
            },
        )
    # shown as stored (the store is not read again for it)
    view = views.program_view(
        showing.program_view(
            parts.ledger, policy, clock, stored, program, shown=showing.window(policy, clock, None, None)
        )
    ) | {"withdrawn": views.withdrawn(withdrawn)}
    # stored all the same: the limit is the account's, and the operator may have raised it
    over = forecast.pushed_over(
        policy, store, program, from_unix(stored.updated_at), Deadline.from_context(app.lambda_context)
    )
    view["warnings"] = views.capacity_warning(over, policy.capacity[0], forecast.DEFAULT_DAYS)
    if over:
        first = {"first": isoformat(over[0].start), "peak": over[0].peak}
        logger.warning(
            "program over the concurrent-recording limit", extra={"program": name, "hours": len(over)} | first
        )
    return Response(
        201 if new else 200, JSON, ProgramView.model_validate(view).model_dump_json(by_alias=True)
    )


@app.get(
    "/programs",
    responses=answers(200, "a page of the stored programs, by name", "ProgramList", *LEDGER),
)
def list_programs(
    *,
    limit: Annotated[
        int, Query(ge=1, le=showing.MAX_PAGE, description="programs a page shows (1 to 100)")
    ] = showing.MAX_PAGE,
    after: Annotated[
        str | None, Query(alias="next", max_length=128, description="the last page's next")
    ] = None,
) -> ProgramList:
    return ProgramList.model_validate(views.program_page(showing.page(program_store(), limit, after)))


@app.get(
    "/programs/forecast",
    responses=answers(
        200,
        "the stored programs' recordings running at once, hour by hour, against the concurrent-recording limit",
        "ProgramForecast",
        InvalidRequest,
        NotEnoughTime,
        *LEDGER,
    ),
)
def forecast_programs(
    *,
    days: Annotated[
        int,
        Query(
            ge=1,
            le=forecast.MAX_DAYS,
            description=f"days ahead from the current hour (1 to {forecast.MAX_DAYS})",
        ),
    ] = forecast.DEFAULT_DAYS,
) -> ProgramForecast:
    parts, store = programs_parts()
    deadline = Deadline.from_context(app.lambda_context)
    found = forecast.stored_forecast(parts.policy, store, from_unix(parts.clock()), days, deadline)
    if found.over:
        logger.info("programs over the concurrent-recording limit", extra={"hours": len(found.over)})
    return ProgramForecast.model_validate(views.forecast_view(found))


@app.get(
    "/programs/<name>",
    responses=answers(200, "the program, its occurrences and what is booked", "ProgramView", *PROGRAM),
)
def get_program(
    name: Name,
    *,
    from_: Annotated[
        str | None,
        Query(alias="from", description="the window's start (default now)", json_schema_extra=TIME_TEXT),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            description="the window's end (default the horizon; 31 days at most)", json_schema_extra=TIME_TEXT
        ),
    ] = None,
) -> ProgramView:
    parts, store = programs_parts()
    begin, end = parse_time(from_, "from") if from_ else None, parse_time(to, "to") if to else None
    shown = showing.window(parts.policy, parts.clock, begin, end)
    found = catalog.get_program(store, name)
    return ProgramView.model_validate(
        views.program_view(showing.program_view(parts.ledger, parts.policy, parts.clock, *found, shown=shown))
    )


# JSON by default; with Accept: image/svg+xml, the same occurrences drawn
COVERAGE_ANSWERS = answers(
    200,
    "what was recorded of each occurrence in [from, to), and the totals (Accept: image/svg+xml: a "
    "timeline, the gaps marked)",
    "ProgramCoverageView",
    *PROGRAM,
)
COVERAGE_ANSWERS[200]["content"]["image/svg+xml"] = {"schema": {"type": "string"}}


@app.get("/programs/<name>/coverage", responses=COVERAGE_ANSWERS)
def get_coverage(
    name: Name,
    *,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            description="the period's start (default: a day before to)",
            json_schema_extra=TIME_TEXT,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            description="the period's end (default now; 31 days at most after from)",
            json_schema_extra=TIME_TEXT,
        ),
    ] = None,
    reconcile: Annotated[
        bool,
        Query(description="first look for files whose callbacks never arrived (API 3.0 generations)"),
    ] = False,
) -> Response[str]:
    from shared.recordings import covering, reconciling  # this route's alone

    parts, store = programs_parts()
    begin, end = parse_time(from_, "from") if from_ else None, parse_time(to, "to") if to else None
    period = covering.period(parts.clock, begin, end)
    stored, program = catalog.get_program(store, name)
    deadline = Deadline.from_context(app.lambda_context)
    hook = reconciling.Reconciling(parts.ledger, parts.creator.adapter, parts.policy, parts.clock, deadline)
    found = covering.program_coverage(
        parts.ledger,
        parts.policy,
        parts.clock,
        stored,
        program,
        shown=period,
        before=hook if reconcile else None,
    )
    if "image/svg+xml" in (app.current_event.headers.get("accept") or ""):
        from shared.recordings.coverage_svg import coverage_svg

        return Response(200, "image/svg+xml", coverage_svg(found))
    view = views.program_coverage_view(found, hook.note() if reconcile else None)
    return Response(200, JSON, ProgramCoverageView.model_validate(view).model_dump_json(by_alias=True))


@app.delete(
    "/programs/<name>",
    responses=answers(
        200,
        "deleted: no further bookings (with cancel=future, what was cancelled)",
        "ProgramDeleted",
        *PROGRAM,
    ),
)
def delete_program(
    name: Name,
    *,
    cancel: Annotated[
        Literal["future"] | None, Query(description="future: also cancel what has not started")
    ] = None,
) -> ProgramDeleted:
    parts, store = programs_parts()
    stored, program = catalog.get_program(store, name)
    store.delete(name)
    done = catalog.Cancelled([], [], [])
    if cancel == "future":
        done = catalog.cancel_future(parts, program, stored.streams)
    logger.info(
        "program deleted",
        extra={
            "program": name,
            "cancelled": len(done.cancelled),
            "not_cancelled": len(done.not_cancelled),
            "kept": len(done.kept),
        },
    )
    if done.not_cancelled:
        logger.warning(
            "booked occurrences not cancelled", extra={"program": name, "not_cancelled": done.not_cancelled}
        )
    return ProgramDeleted.model_validate(
        {
            "name": name,
            "deleted": True,
            "cancelled": done.cancelled,
            "not_cancelled": done.not_cancelled,
            "kept": done.kept,
        }
    )


@app.post(
    "/programs/<name>/resolve",
    responses=answers(
        200,
        "resolved: booked now (record), or recorded as the given task (recorded)",
        "ProgramOccurrence",
        *PROGRAM,
        NotInDoubt,
        *CREATE,
    ),
)
def resolve_occurrence(name: Name, body: OccurrenceResolution) -> ProgramOccurrence:
    parts, store = programs_parts()
    _, program = catalog.get_program(store, name)
    deadline = Deadline.from_context(app.lambda_context)
    found = resolving.resolve(
        parts, program, body.start, action=body.action, task_id=body.task_id, deadline=deadline
    )
    return ProgramOccurrence.model_validate(views.occurrence_view(found))


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
