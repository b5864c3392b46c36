"""The webhook state on DynamoDB: the idempotency table, items under their own key prefixes.

Imported only when ``LIVEREC_IDEMPOTENCY_TABLE`` is set; it talks to DynamoDB through the standard-library
client in :mod:`shared.storage.dynamodb` (no boto3 on any path). Attributes: ``id`` (S), ``value`` (S, JSON),
``expiration`` (N, the table's TTL), and for outbox items ``due`` (N) and ``lease_until`` (N).

An item waiting for delivery also carries ``queue`` (S, ``outbox``): the partition key of the table's
sparse index ``due-index`` (sort key ``due``), which holds those items alone. ``due`` queries that index
for what is due, a page at a time from where the previous page ended (``ExclusiveStartKey``), so an outbox
tick reads what is waiting, not the table (ledger entries never enter the index). The index is eventually
consistent (it may still list an item just delivered or leased): the conditional ``lease`` on the table
keeps two ticks, or two of a tick's threads, from sending one item together.
"""

from __future__ import annotations

import json
from typing import Any

from shared.storage.dynamodb import ConditionalCheckFailed, DynamoDB, Table

DUE_INDEX = "due-index"
QUEUE = "outbox"


class DynamoDBState:
    def __init__(self, table_name: str, *, client: DynamoDB | None = None) -> None:
        self.table = Table(table_name, client=client)
        self._call = self.table.call

    @staticmethod
    def _item(key: str, value: dict[str, Any], now: float, ttl: float, due: float | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": {"S": key},
            "value": {"S": json.dumps(value, ensure_ascii=False)},
            "expiration": {"N": str(int(now + ttl))},
            "lease_until": {"N": "0"},
        }
        if due is not None:
            item["due"] = {"N": repr(float(due))}
            item["queue"] = {"S": QUEUE}  # into the sparse index while it waits
        return item

    def add(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> bool:
        try:
            self._call(
                "PutItem",
                Item=self._item(key, value, now, ttl, due),
                ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
            return True
        except ConditionalCheckFailed:
            return False

    def put(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> None:
        self._call("PutItem", Item=self._item(key, value, now, ttl, due))

    def get(self, key: str, now: float) -> dict[str, Any] | None:
        item = self._call("GetItem", Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
        if item is None or float(item["expiration"]["N"]) <= now:
            return None
        value: dict[str, Any] = json.loads(item["value"]["S"])
        return value

    def delete(self, key: str) -> None:
        self._call("DeleteItem", Key={"id": {"S": key}})

    def due(
        self, prefix: str, now: float, limit: int, *, after: tuple[float, str] | None = None
    ) -> list[tuple[float, str]]:
        values = {":q": {"S": QUEUE}, ":p": {"S": prefix}, ":now": {"N": repr(float(now))}}
        start: dict[str, Any] | None = None
        if after is not None:  # the index's key of the previous page's last item: read on after it
            start = {"id": {"S": after[1]}, "queue": {"S": QUEUE}, "due": {"N": repr(float(after[0]))}}
        found: list[tuple[float, str]] = []
        for _ in range(20):  # bounded paging (leased or expired items are read, then filtered out)
            kwargs: dict[str, Any] = {
                "IndexName": DUE_INDEX,
                "KeyConditionExpression": "#q = :q AND #d <= :now",
                "FilterExpression": "begins_with(id, :p) AND lease_until <= :now AND expiration > :now",
                "ExpressionAttributeNames": {"#q": "queue", "#d": "due"},
                "ExpressionAttributeValues": values,
                "Limit": limit,
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("Query", **kwargs)
            found += [(float(i["due"]["N"]), i["id"]["S"]) for i in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start or len(found) >= limit:
                break
        # in the index's order (by due): the caller's next ``after`` is the last pair kept
        return found[:limit]

    def parked(self, prefix: str, since: float, limit: int) -> list[str]:
        page = self._call(
            "Query",
            IndexName=DUE_INDEX,
            KeyConditionExpression="#q = :q AND #d >= :since",
            FilterExpression="begins_with(id, :p)",
            ExpressionAttributeNames={"#q": "queue", "#d": "due"},
            ExpressionAttributeValues={
                ":q": {"S": QUEUE},
                ":p": {"S": prefix},
                ":since": {"N": repr(float(since))},
            },
            Limit=limit,
        )
        return [i["id"]["S"] for i in page.get("Items", [])]

    def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
        try:
            item = self._call(
                "UpdateItem",
                Key={"id": {"S": key}},
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="attribute_exists(id) AND #d <= :now AND lease_until <= :now AND expiration > :now",
                ExpressionAttributeNames={"#d": "due"},
                ExpressionAttributeValues={
                    ":now": {"N": repr(float(now))},
                    ":until": {"N": repr(float(now + seconds))},
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ConditionalCheckFailed:
            return None
        value: dict[str, Any] = json.loads(item["value"]["S"])
        return value
