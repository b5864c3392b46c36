"""``POST /recordings/realtime``: start a highlight recording now, for ``duration`` seconds (default 300); or, with
``wait``, arm it to start when its stream begins (``GET /recordings/realtime/{wait_id}`` shows it)."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): the resolver reads
# the route's signature on the first request, and would compile each string annotation to evaluate it.

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import creator, durable, now, state
from shared.edge.contract import CREATE, LEDGER, answers
from shared.edge.resolver import created, make_app
from shared.edge.views import waiting_view
from shared.recordings.highlights import AlreadyWaiting, Highlights, StreamNotLive, Waiting, WaitNotFound
from shared.recordings.models import HighlightInput
from shared.support.observability import count, entry
from shared.support.timeutil import Deadline
from shared.tencent.types import Mode

app = make_app()
JSON = "application/json"
WaitId = Annotated[str, Path(json_schema_extra={"pattern": "^[0-9a-f]{32}$"})]


def highlights() -> Highlights:
    """The creator, and the webhook state the callbacks read armed highlights from."""
    return Highlights(creator(), state(), now)


def waiting(result: Waiting, status: int) -> Response[str]:
    headers = {"Location": f"/recordings/realtime/{result.id}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
        count("DuplicatesSuppressed", mode="wait")
    return Response(status, JSON, json.dumps(waiting_view(result), ensure_ascii=False), headers=headers)


@app.post(
    "/recordings/realtime",
    responses=answers(
        201,
        "created (or, with the same Idempotency-Key and body, the first result again)",
        "CreatedRecording",
        *CREATE,
        StreamNotLive,
        AlreadyWaiting,
        headers={"Idempotent-Replayed": "true when this is the first result again"},
    )
    | answers(
        202,
        "with wait, and the stream not known to be live: armed, to start when the stream begins",
        "WaitingHighlight",
        headers={
            "Location": "where the armed highlight is shown",
            "Idempotent-Replayed": "true when this is the first result again",
        },
    ),
)
def create_realtime(
    body: HighlightInput,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[str]:
    if body.wait is not None:
        durable("a highlight that waits for its stream (wait)")
    result = highlights().start(
        body.request(Mode.REALTIME),
        body.highlight(),
        idempotency_key,
        body.wait,
        deadline=Deadline.from_context(app.lambda_context),
    )
    return waiting(result, 202) if isinstance(result, Waiting) else created(result)


@app.get(
    "/recordings/realtime/<wait_id>",
    responses=answers(
        200,
        "an armed highlight: armed, started, expired or refused",
        "WaitingHighlight",
        WaitNotFound,
        *LEDGER,
    ),
)
def show_waiting(wait_id: WaitId) -> Response[str]:
    return waiting(highlights().show(wait_id), 200)


@entry(correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
