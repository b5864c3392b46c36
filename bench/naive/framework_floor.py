"""The framework floor the cold-start benchmark reports: what the design card mandates and nothing of
liverec's. powertools' Logger and Metrics, the HTTP API resolver with ``enable_validation=True``, one pydantic
body model; it serves the realtime sample's request with a fixed answer (no Tencent call, no idempotency).
Benchmark-only: never deployed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)


class Highlight(BaseModel):
    stream: str = Field(min_length=1, max_length=256)
    duration: int = Field(default=300, gt=0, le=86400)


@app.post("/recordings/realtime")
def realtime(body: Highlight) -> dict[str, Any]:
    return {"stream": body.stream, "duration": body.duration}


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
