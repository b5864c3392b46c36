"""The stored programs on DynamoDB, in the ledger's table: one item, ``id`` = ``programs``, whose map
``programs`` holds ``name -> {"body": <the program's JSON>, "updated_at": <epoch seconds>, "streams": [...]}``
(``streams``: the program's earlier streams, only once a PUT changed its stream). No TTL: a program
lives until it is deleted. A tick reads it with the rollout's summary items of every shard in one consistent
BatchGetItem (65 keys: an absent item costs a read unit too, so about 65 read units a tick); a change is one
conditional UpdateItem (the map is created by the first program; a new program past :data:`MAX_PROGRAMS` is
refused by the condition, so concurrent PUTs cannot overfill the item).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.storage.dynamodb import ConditionalCheckFailed, DynamoDB, Table
from shared.storage.ledger import Ledger, Summary
from shared.storage.ledger_dynamodb import DynamoDBLedger
from shared.storage.ledger_items import is_summary, summaries, summary_ids
from shared.storage.program_store import MAX_PROGRAMS, StoredProgram, too_many
from shared.support.errors import IdempotencyStoreUnavailable

ITEM = {"id": {"S": "programs"}}


def _programs(item: dict[str, Any]) -> dict[str, Any]:
    return dict(item.get("programs", {}).get("M", {}))


def _listed(programs: dict[str, Any]) -> list[StoredProgram]:
    return [_stored(name, value) for name, value in sorted(programs.items())]


def _stored(name: str, value: dict[str, Any]) -> StoredProgram:
    fields = value["M"]
    streams = tuple(str(s["S"]) for s in fields.get("streams", {}).get("L", []))
    return StoredProgram(name, str(fields["body"]["S"]), float(fields["updated_at"]["N"]), streams)


def _value(body: str, now: float, streams: tuple[str, ...] = ()) -> dict[str, Any]:
    value: dict[str, Any] = {"body": {"S": body}, "updated_at": {"N": repr(float(now))}}
    if streams:
        value["streams"] = {"L": [{"S": s} for s in streams]}
    return {"M": value}


class DynamoDBProgramStore:
    def __init__(self, table_name: str, *, client: DynamoDB | None = None) -> None:
        self.table = Table(table_name, client=client)
        self._call = self.table.call

    def _item(self) -> dict[str, Any]:
        return _programs(self._call("GetItem", Key=ITEM, ConsistentRead=True).get("Item") or {})

    def put(self, name: str, body: str, now: float, streams: tuple[str, ...] = ()) -> bool:
        names = {"#p": "programs", "#n": name}
        for _ in range(3):  # the map is created by the first program; two first programs race once
            try:
                old = self._call(
                    "UpdateItem",
                    Key=ITEM,
                    UpdateExpression="SET #p.#n = :v",
                    ConditionExpression="attribute_exists(#p) AND (attribute_exists(#p.#n) OR size(#p) < :max)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={
                        ":v": _value(body, now, streams),
                        ":max": {"N": str(MAX_PROGRAMS)},
                    },
                    ReturnValues="ALL_OLD",
                ).get("Attributes", {})
                return name not in old.get("programs", {}).get("M", {})
            except ConditionalCheckFailed:
                pass
            try:
                self._call(
                    "UpdateItem",
                    Key=ITEM,
                    UpdateExpression="SET #p = :m",
                    ConditionExpression="attribute_not_exists(#p)",
                    ExpressionAttributeNames={"#p": "programs"},
                    ExpressionAttributeValues={":m": {"M": {name: _value(body, now, streams)}}},
                )
                return True
            except ConditionalCheckFailed:
                pass
            if len(self._item()) >= MAX_PROGRAMS:
                raise too_many()
        raise IdempotencyStoreUnavailable(f"the table {self.table.name} keeps changing under its programs")

    def get(self, name: str) -> StoredProgram | None:
        value = self._item().get(name)
        return _stored(name, value) if value is not None else None

    def all(self) -> list[StoredProgram]:
        return _listed(self._item())

    def all_with_settled(
        self, ledger: Ledger, shards: Iterable[str], now: float
    ) -> tuple[list[StoredProgram], dict[str, Summary]]:
        if not isinstance(ledger, DynamoDBLedger) or ledger.table.name != self.table.name:
            return self.all(), ledger.settled(shards, now)
        wanted = list(dict.fromkeys(shards))
        items = self.table.batch_get([ITEM["id"]["S"], *summary_ids(wanted)])
        programs = next((_programs(item) for item in items if not is_summary(item)), {})
        return _listed(programs), summaries(wanted, (item for item in items if is_summary(item)), now)

    def delete(self, name: str) -> StoredProgram | None:
        try:
            old = self._call(
                "UpdateItem",
                Key=ITEM,
                UpdateExpression="REMOVE #p.#n",
                ConditionExpression="attribute_exists(#p.#n)",
                ExpressionAttributeNames={"#p": "programs", "#n": name},
                ReturnValues="ALL_OLD",
            ).get("Attributes", {})
        except ConditionalCheckFailed:
            return None
        value = old.get("programs", {}).get("M", {}).get(name)
        return _stored(name, value) if value is not None else None
