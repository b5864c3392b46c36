"""The DynamoDB client: the generic AWS JSON-protocol client (:mod:`shared.support.aws`) for DynamoDB's
JSON 1.0 API, and the one client per container the ledger and the webhook state share.

The stores turn an :class:`AwsError` (other than a false condition) into ``IdempotencyStoreUnavailable``,
and the function refuses rather than risk a duplicate.
"""

from __future__ import annotations

import os
import threading

from shared.support.aws import AwsError, AwsJsonClient, ConditionalCheckFailed, Service

CONTENT_TYPE = "application/x-amz-json-1.0"
DYNAMODB = Service(
    name="dynamodb",
    target_prefix="DynamoDB_20120810.",
    content_type=CONTENT_TYPE,
    endpoint_var="AWS_ENDPOINT_URL_DYNAMODB",
    throttling=frozenset(
        {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
    ),
    errors=(("ConditionalCheckFailedException", ConditionalCheckFailed),),
)
DynamoDBError = AwsError

__all__ = ["ConditionalCheckFailed", "DynamoDB", "DynamoDBError", "default_client"]


class DynamoDB(AwsJsonClient):
    service = DYNAMODB


_shared: dict[tuple[str, ...], DynamoDB] = {}
_shared_lock = threading.Lock()
_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL",
)


def default_client() -> DynamoDB:
    """The client for the current environment, one per container: the ledger and the webhook state share
    its connections (one TLS handshake at a cold start, not two)."""
    key = tuple(os.environ.get(var, "") for var in _ENV_KEYS)
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = DynamoDB.from_env()
        return client
