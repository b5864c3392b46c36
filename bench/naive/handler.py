"""The naive stack the cold-start benchmark compares with: the highlight function a user would write first.

Everything from the monoliths, the way the libraries' own examples do it: powertools' parser models,
event handler and idempotency (DynamoDB, so boto3), and the generated ``LiveClient`` with its models.
It does the same job as ``functions/realtime``: validate ``{"stream", "duration"}``, create a
``CreateRecordTask`` without ``StartTime``, at most once per request body. Benchmark-only: never deployed.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
persistence = DynamoDBPersistenceLayer(table_name=os.environ["NAIVE_IDEMPOTENCY_TABLE"])
config = IdempotencyConfig(expires_after_seconds=3600)


class Highlight(BaseModel):
    stream: str = Field(min_length=1, max_length=256)
    duration: int = Field(default=300, gt=0, le=86400)


@idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
def start_recording(request: Highlight) -> dict[str, Any]:
    cred = credential.Credential(os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"])
    endpoint = os.environ["LIVE_ENDPOINT"].split("://", 1)
    http = HttpProfile(protocol=endpoint[0], endpoint=endpoint[1], reqTimeout=10)
    client = live_client.LiveClient(
        cred, os.environ.get("LIVE_REGION", "ap-guangzhou"), ClientProfile(httpProfile=http)
    )
    req = models.CreateRecordTaskRequest()
    req.StreamName = request.stream
    req.DomainName = os.environ["LIVE_DOMAIN"]
    req.AppName = os.environ["LIVE_APP"]
    req.EndTime = int(time.time()) + request.duration
    resp = client.CreateRecordTask(req)
    return {"task_id": str(resp.TaskId), "stream": request.stream}


@app.post("/recordings/realtime")
def realtime(body: Highlight) -> dict[str, Any]:
    result: dict[str, Any] = start_recording(request=body)
    return result


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
