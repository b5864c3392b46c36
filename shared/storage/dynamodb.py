"""The DynamoDB client: the generic AWS JSON-protocol client (:mod:`shared.support.aws`) for DynamoDB's
JSON 1.0 API, and the one client per container the ledger and the webhook state share.

The stores turn an :class:`AwsError` (other than a false condition) into ``IdempotencyStoreUnavailable``,
and the function refuses rather than risk a duplicate; but an item over DynamoDB's item size limit is
``ItemTooLarge`` (413): the store is there, and the same write would be refused again.

DynamoDB gives that refusal no code of its own: it answers ``ValidationException``, the code of every
request it finds invalid, with the message "Item size has exceeded the maximum allowed size" (PutItem) or
"Item size to update has exceeded the maximum allowed size" (UpdateItem). The message is the only
discriminator, so :meth:`DynamoDB.error_class` reads it, for that code alone. The stores bound what they
write (a file's entry: ``shared.storage.ledger_files.MAX_FILE_BYTES``), so this is a last line, not the
bound.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from typing import Any

from shared.support.aws import AwsError, AwsJsonClient, ConditionalCheckFailed, Service
from shared.support.errors import IdempotencyStoreUnavailable, ItemTooLarge

CONTENT_TYPE = "application/x-amz-json-1.0"
_SIZE = re.compile(r"Item size (?:to update )?has exceeded the maximum allowed size")


class ItemSizeExceeded(AwsError):
    """DynamoDB refused an item over its item size limit (400 KB): nothing was written."""


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
BATCH = 100  # BatchGetItem's limit

__all__ = [
    "ConditionalCheckFailed",
    "DynamoDB",
    "DynamoDBError",
    "ItemSizeExceeded",
    "Table",
    "default_client",
]


class DynamoDB(AwsJsonClient):
    service = DYNAMODB

    def error_class(self, code: str, message: str) -> type[AwsError]:
        """By the code; a ``ValidationException`` whose message says the item is over the size limit is
        :class:`ItemSizeExceeded` (the message is the only discriminator: the module's docstring)."""
        if code == "ValidationException" and _SIZE.match(message):
            return ItemSizeExceeded
        return super().error_class(code, message)


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


class Table:
    """One table through the container's client, as the stores use it: a false condition is
    :class:`ConditionalCheckFailed`; any other failure is ``IdempotencyStoreUnavailable`` (the caller
    refuses rather than risk a duplicate). Counts requests by operation and items read (the benchmarks
    report store traffic). Thread-safe, as its client is: the outbox's drain calls it from its workers."""

    def __init__(self, name: str, *, client: DynamoDB | None = None) -> None:
        """``client``: by default the one built from the AWS environment (a ConfigError names what is missing)."""
        self.name = name
        self._client = client if client is not None else default_client()
        self.requests: Counter[str] = Counter()
        self.items_read = 0
        self._counting = threading.Lock()  # += on a Counter or an int is not atomic across threads

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        with self._counting:
            self.requests[operation] += 1
        if operation != "BatchGetItem":  # its tables are named in its RequestItems
            kwargs["TableName"] = self.name
        try:
            answer = self._client.call(operation, **kwargs)
        except ConditionalCheckFailed:
            raise
        except ItemSizeExceeded as exc:
            raise ItemTooLarge(
                f"the table {self.name} refused an item over DynamoDB's item size limit (400 KB); "
                "nothing was written"
            ) from exc
        except AwsError as exc:
            raise IdempotencyStoreUnavailable(
                f"the table {self.name} is unavailable ({exc.code}); nothing was created"
            ) from exc
        found = answer.get("Responses", {}).get(self.name, ()) or answer.get("Items", ())
        with self._counting:
            self.items_read += len(found) + ("Item" in answer)
        return answer

    def batch_get(self, ids: list[str]) -> list[dict[str, Any]]:
        """The items of ``ids`` that exist, read consistently, a hundred per request (BatchGetItem's
        limit); keys left unprocessed (throttling) are asked again, a bounded number of times."""
        found: list[dict[str, Any]] = []
        for offset in range(0, len(ids), BATCH):
            pending: list[dict[str, Any]] = [{"id": {"S": i}} for i in ids[offset : offset + BATCH]]
            for _ in range(10):
                page = self.call(
                    "BatchGetItem", RequestItems={self.name: {"Keys": pending, "ConsistentRead": True}}
                )
                found += page.get("Responses", {}).get(self.name, [])
                pending = page.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
                if not pending:
                    break
            else:
                raise IdempotencyStoreUnavailable(f"the table {self.name} kept keys unprocessed")
        return found
