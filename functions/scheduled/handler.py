"""``POST /recordings/scheduled``: create one scheduled recording; ``/programs``: the recurring programs the
timer books (``functions/rollout``), stored as data (``shared.recordings.catalog``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import program_store, service
from shared.edge.contract import CREATE, LEDGER, answers
from shared.edge.resolver import JSON, created, make_app
from shared.edge.responses import ProgramDeleted, ProgramList, ProgramOccurrence, ProgramView
from shared.recordings import agenda, catalog, resolving, showing
from shared.recordings.models import OccurrenceResolution, ScheduledRecordingInput
from shared.recordings.programs import NAME_PATTERN, Program
from shared.storage.program_store import StoredProgram
from shared.support.errors import InvalidRequest, LiverecError, NotInDoubt, ProgramNotFound
from shared.support.observability import count, entry, logger
from shared.support.timeforms import TIME_TEXT
from shared.support.timeutil import Deadline, parse_time
from shared.tencent.types import Mode

app = make_app()

# a stored program's answers: the ledger's table holds them
PROGRAM: tuple[type[LiverecError], ...] = (InvalidRequest, ProgramNotFound, *LEDGER)
# a program's name in the path: checked by shared.recordings.catalog (422 naming it), stated here
Name = Annotated[str, Path(json_schema_extra={"pattern": NAME_PATTERN})]


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
        service().create(
            body, Mode.SCHEDULED, idempotency_key, deadline=Deadline.from_context(app.lambda_context)
        )
    )


@app.put(
    "/programs/<name>",
    responses=answers(
        201, "stored: a new program, with the occurrences the next tick books", "ProgramView", *PROGRAM
    )
    | answers(200, "replaced, with the occurrences the next tick books", "ProgramView"),
)
def put_program(name: Name, body: Program) -> Response[str]:
    svc, program = service(), catalog.named(name, body)
    # a program the timer would skip is refused before it is stored; due at its first recording
    due = agenda.first_due(svc, program, [c.span[0] for c in catalog.plannable(svc, program)])
    store = program_store()
    stored = StoredProgram(
        name, catalog.to_json(program), svc.clock(), catalog.earlier_streams(store.get(name), program), due
    )
    new = store.put(name, stored.body, stored.updated_at, due=due, streams=stored.streams)
    count("ProgramsStored", change="created" if new else "replaced")
    logger.info("program stored", extra={"program": name, "new": new, "stream": program.stream})
    # shown as stored (the store is not read again for it)
    view = showing.program_view(svc, stored, program, showing.window(svc, None, None))
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
    return ProgramList.model_validate(showing.page(program_store(), limit, after))


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
    svc = service()
    shown = showing.window(
        svc, parse_time(from_, "from") if from_ else None, parse_time(to, "to") if to else None
    )
    return ProgramView.model_validate(
        showing.program_view(svc, *catalog.get_program(program_store(), name), shown)
    )


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
    store = program_store()
    stored, program = catalog.get_program(store, name)
    store.delete(name)
    done = catalog.Cancelled([], [], [])
    if cancel == "future":
        done = catalog.cancel_future(service(), program, stored.streams)
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
    _, program = catalog.get_program(program_store(), name)
    deadline = Deadline.from_context(app.lambda_context)
    return ProgramOccurrence.model_validate(
        resolving.resolve(
            service(), program, body.start, action=body.action, task_id=body.task_id, deadline=deadline
        )
    )


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
