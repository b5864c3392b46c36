"""The stored programs on DynamoDB, in the ledger's table: one item each, ``id`` = ``program#<name>``, with
``body`` (the program's JSON), ``updated_at`` and, once a PUT changed its stream, ``streams`` (its earlier
streams). No TTL: a program lives until it is deleted. Each item is in two sparse indexes:

- ``program-index`` (``catalog`` = ``programs``, sorted by ``program``, its name): ``GET /programs`` reads a
  page with one Query, after the previous page's last name;
- ``due-index`` (``queue`` = ``programs``, sorted by ``due``; the outbox's items are the partition
  ``outbox``): a tick queries what is due by its horizon, soonest first, then reads those items (100 a
  request). Nothing due: one Query, whatever the number of programs.

The count item (``programs#count``) bounds how many there are: a new program first takes a place in it
(conditionally: never past the limit, whatever runs concurrently), a deleted one gives it back.

Earlier versions kept every program in one item (``programs``, a map); the first use in a container moves
what it holds into items of their own (a program already stored as an item is kept), then deletes it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from shared.storage.dynamodb import ConditionalCheckFailed, DynamoDB, Table
from shared.storage.program_store import MAX_PROGRAMS, Due, StoredProgram, too_many
from shared.support.errors import IdempotencyStoreUnavailable

PREFIX = "program#"
CATALOG, QUEUE = "programs", "programs"
PROGRAM_INDEX, DUE_INDEX = "program-index", "due-index"
COUNT = {"id": {"S": "programs#count"}}
LEGACY = {"id": {"S": "programs"}}


def _key(name: str) -> dict[str, Any]:
    return {"id": {"S": PREFIX + name}}


def _item(name: str, body: str, now: float, due: float, streams: tuple[str, ...]) -> dict[str, Any]:
    item: dict[str, Any] = _key(name) | {
        "program": {"S": name},
        "catalog": {"S": CATALOG},
        "queue": {"S": QUEUE},
        "due": {"N": repr(float(due))},
        "body": {"S": body},
        "updated_at": {"N": repr(float(now))},
    }
    if streams:
        item["streams"] = {"L": [{"S": s} for s in streams]}
    return item


def _stored(item: dict[str, Any]) -> StoredProgram:
    streams = tuple(str(s["S"]) for s in item.get("streams", {}).get("L", []))
    return StoredProgram(
        str(item["program"]["S"]),
        str(item["body"]["S"]),
        float(item["updated_at"]["N"]),
        streams,
        float(item["due"]["N"]),
    )


class DynamoDBProgramStore:
    def __init__(self, table_name: str, *, limit: int = MAX_PROGRAMS, client: DynamoDB | None = None) -> None:
        self.table = Table(table_name, client=client)
        self.limit = limit
        self._call = self.table.call
        self._moved = False
        self._lock = threading.Lock()

    def put(self, name: str, body: str, now: float, *, due: float, streams: tuple[str, ...] = ()) -> bool:
        self._move_legacy()
        item = _item(name, body, now, due, streams)
        for _ in range(3):  # replace, or take a place and create; a concurrent create or delete races once
            try:
                self._call("PutItem", Item=item, ConditionExpression="attribute_exists(id)")
                return False
            except ConditionalCheckFailed:
                pass
            self._take_place()
            try:
                self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(id)")
                return True
            except ConditionalCheckFailed:
                self._add(-1)  # created meanwhile: replace it
        raise IdempotencyStoreUnavailable(f"the table {self.table.name} keeps changing under program {name}")

    def _take_place(self) -> None:
        try:
            self._call(
                "UpdateItem",
                Key=COUNT,
                UpdateExpression="ADD #t :one",
                ConditionExpression="attribute_not_exists(#t) OR #t < :max",
                ExpressionAttributeNames={"#t": "total"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":max": {"N": str(self.limit)}},
            )
        except ConditionalCheckFailed:
            raise too_many(self.limit) from None

    def _add(self, places: int) -> None:
        self._call(
            "UpdateItem",
            Key=COUNT,
            UpdateExpression="ADD #t :n",
            ExpressionAttributeNames={"#t": "total"},
            ExpressionAttributeValues={":n": {"N": str(places)}},
        )

    def get(self, name: str) -> StoredProgram | None:
        return self.get_many([name]).get(name)

    def get_many(self, names: Iterable[str]) -> dict[str, StoredProgram]:
        self._move_legacy()
        wanted = [PREFIX + n for n in dict.fromkeys(names)]
        return {p.name: p for p in map(_stored, self.table.batch_get(wanted) if wanted else [])}

    def page(self, limit: int, after: str | None = None) -> tuple[list[StoredProgram], str | None]:
        self._move_legacy()
        query: dict[str, Any] = {
            "IndexName": PROGRAM_INDEX,
            "KeyConditionExpression": "#c = :c" + (" AND #p > :after" if after is not None else ""),
            "ExpressionAttributeNames": {"#c": "catalog"} | ({"#p": "program"} if after is not None else {}),
            "ExpressionAttributeValues": {":c": {"S": CATALOG}}
            | ({":after": {"S": after}} if after is not None else {}),
            "Limit": limit,
        }
        answer = self._call("Query", **query)
        programs = [_stored(item) for item in answer.get("Items", [])]
        more = "LastEvaluatedKey" in answer and programs
        return programs, (programs[-1].name if more else None)

    def due(self, until: float, limit: int) -> Due:
        self._move_legacy()
        answer = self._call(
            "Query",
            IndexName=DUE_INDEX,
            KeyConditionExpression="#q = :q AND #d <= :until",
            ExpressionAttributeNames={"#q": "queue", "#d": "due"},
            ExpressionAttributeValues={":q": {"S": QUEUE}, ":until": {"N": repr(float(until))}},
            Limit=limit + 1,
        )
        keys = answer.get("Items", [])
        next_due = float(keys[limit]["due"]["N"]) if len(keys) > limit else None
        read = self.table.batch_get([str(k["id"]["S"]) for k in keys[:limit]])
        # the index is read eventually: a program moved on (or deleted) meanwhile is not due
        programs = [p for p in map(_stored, read) if p.due <= until]
        return Due(sorted(programs, key=lambda p: (p.due, p.name)), next_due)

    def set_due(self, name: str, due: float, seen: float) -> bool:
        try:
            self._call(
                "UpdateItem",
                Key=_key(name),
                UpdateExpression="SET #d = :d",
                ConditionExpression="#u = :seen",
                ExpressionAttributeNames={"#d": "due", "#u": "updated_at"},
                ExpressionAttributeValues={":d": {"N": repr(float(due))}, ":seen": {"N": repr(float(seen))}},
            )
        except ConditionalCheckFailed:
            return False
        return True

    def total(self) -> int:
        self._move_legacy()
        item = self._call("GetItem", Key=COUNT, ConsistentRead=True).get("Item") or {}
        return int(item.get("total", {}).get("N", "0"))

    def delete(self, name: str) -> StoredProgram | None:
        self._move_legacy()
        try:
            old = self._call(
                "DeleteItem",
                Key=_key(name),
                ConditionExpression="attribute_exists(id)",
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        except ConditionalCheckFailed:
            return None
        self._add(-1)
        return _stored(old) if old else None

    def _move_legacy(self) -> None:
        """Once per container: the programs an earlier version kept in one item, each into its own."""
        if self._moved:
            return
        with self._lock:
            if self._moved:
                return
            legacy = self._call("GetItem", Key=LEGACY, ConsistentRead=True).get("Item")
            for name, value in sorted((legacy or {}).get("programs", {}).get("M", {}).items()):
                self._move_one(name, value["M"])
            if legacy is not None:
                self._call("DeleteItem", Key=LEGACY)
            self._moved = True

    def _move_one(self, name: str, fields: dict[str, Any]) -> None:
        streams = tuple(str(s["S"]) for s in fields.get("streams", {}).get("L", []))
        updated = float(fields["updated_at"]["N"])
        item = _item(
            name, str(fields["body"]["S"]), updated, 0.0, streams
        )  # due at once: the next tick plans it
        try:
            self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(id)")
        except ConditionalCheckFailed:
            return  # stored as an item already (another container moved it, or a PUT since)
        self._add(+1)  # counted whatever the limit: the one item held at most 200
