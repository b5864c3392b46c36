"""The DynamoDB idempotency store: conditional writes make a claim atomic across Lambda containers.

Imported only when ``LIVEREC_IDEMPOTENCY_TABLE`` is set. It talks to DynamoDB through the standard-library
client in :mod:`shared.dynamodb` (no boto3 on any path); any failure other than a false condition is
``IdempotencyStoreUnavailable``. Table: partition key ``id`` (S), TTL attribute ``expiration`` (declared in
serverless.yml).

Why not powertools' ``@idempotent_function``: it deletes the record when the wrapped call raises, so a
create whose outcome is unknown (Tencent may have stored the task) could be retried blindly into a
duplicate. This store keeps such a key in the ``unknown`` state until it is reconciled.
"""

from __future__ import annotations

import json
from typing import Any

from shared.dynamodb import ConditionalCheckFailed, DynamoDB, DynamoDBError, default_client
from shared.idempotency import DEFAULT_TTL, IN_PROGRESS_TTL, IdempotencyStoreUnavailable, Record


class DynamoDBStore:
    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDB | None = None,
        ttl: int = DEFAULT_TTL,
        in_progress_ttl: int = IN_PROGRESS_TTL,
    ) -> None:
        """``client``: by default the one built from the AWS environment (a ConfigError names what is missing)."""
        self._client = client if client is not None else default_client()
        self._table = table_name
        self.ttl = ttl
        self.in_progress_ttl = in_progress_ttl

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._client.call(operation, TableName=self._table, **kwargs)
        except ConditionalCheckFailed:
            raise
        except DynamoDBError as exc:
            raise IdempotencyStoreUnavailable(
                f"the idempotency table {self._table} is unavailable ({exc.code}); nothing was created"
            ) from exc

    def begin(self, key: str, fingerprint: str, now: float) -> Record | None:
        try:
            self._call(
                "PutItem",
                Item={
                    "id": {"S": key},
                    "state": {"S": "in_progress"},
                    "fingerprint": {"S": fingerprint},
                    "claimed_at": {"N": str(int(now))},
                    "expiration": {"N": str(int(now + self.ttl))},
                },
                # new, expired (TTL deletion is lazy), or an abandoned in-progress claim
                ConditionExpression="attribute_not_exists(id) OR expiration < :now OR (#s = :ip AND claimed_at < :stale)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now))},
                    ":ip": {"S": "in_progress"},
                    ":stale": {"N": str(int(now - self.in_progress_ttl))},
                },
            )
            return None
        except ConditionalCheckFailed:
            pass
        item = self._call("GetItem", Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
        if item is None:  # deleted in between: try once more
            return self.begin(key, fingerprint, now)
        result = json.loads(item["result"]["S"]) if "result" in item else None
        return Record(
            state=item["state"]["S"],
            fingerprint=item["fingerprint"]["S"],
            result=result,
            expires_at=float(item["expiration"]["N"]),
            claimed_at=float(item["claimed_at"]["N"]),
        )

    def _set(self, key: str, state: str, result: dict[str, Any] | None, now: float) -> None:
        names = {"#s": "state"}
        values: dict[str, Any] = {":s": {"S": state}, ":e": {"N": str(int(now + self.ttl))}}
        update = "SET #s = :s, expiration = :e"
        if result is not None:
            update += ", #r = :r"
            names["#r"] = "result"
            values[":r"] = {"S": json.dumps(result, ensure_ascii=False)}
        self._call(
            "UpdateItem",
            Key={"id": {"S": key}},
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def complete(self, key: str, result: dict[str, Any], now: float) -> None:
        self._set(key, "completed", result, now)

    def mark_unknown(self, key: str, planned: dict[str, Any], now: float) -> None:
        self._set(key, "unknown", planned, now)

    def release(self, key: str) -> None:
        self._call("DeleteItem", Key={"id": {"S": key}})

    def reclaim(self, key: str, now: float) -> bool:
        try:
            self._call(
                "UpdateItem",
                Key={"id": {"S": key}},
                UpdateExpression="SET #s = :ip, claimed_at = :now",
                ConditionExpression="#s = :unknown",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":ip": {"S": "in_progress"},
                    ":now": {"N": str(int(now))},
                    ":unknown": {"S": "unknown"},
                },
            )
            return True
        except ConditionalCheckFailed:
            return False
