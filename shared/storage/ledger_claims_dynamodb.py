"""The claim protocol on DynamoDB (:mod:`shared.storage.ledger`): a recording's entry, the item
``rec#<origin key>`` (:mod:`shared.storage.ledger_items`), taken, settled, released and taken over by
conditional writes, so exactly one container owns a key whatever runs concurrently; and read back by key,
consistently.

Each write is conditional on what its caller holds (a new or expired key, the claim's ``owner`` token, the
state it observed): a false condition is the answer (another owns it, nothing written), never an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from shared.storage.dynamodb import ConditionalCheckFailed, Table
from shared.storage.ledger import Claim, Entry, Recording, State, retain_until, task_ref
from shared.storage.ledger_files_dynamodb import TASK
from shared.storage.ledger_items import REC, claim_item, entry_of, number, recording_attrs, stream_ref, ttl
from shared.support.errors import IdempotencyStoreUnavailable


class DynamoDBClaims:
    """The claim protocol, and entries read by key, in one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, key: str, now: float) -> Entry | None:
        """The live entry of ``key``, read consistently."""
        item = self.table.call("GetItem", Key={"id": {"S": REC + key}}, ConsistentRead=True).get("Item")
        if item is None or float(item["expiration"]["N"]) <= now:
            return None
        return entry_of(item)

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        items = self.table.batch_get([REC + key for key in dict.fromkeys(keys)])
        entries = (entry_of(item) for item in items if float(item["expiration"]["N"]) > now)
        return {entry.key: entry for entry in entries}

    def claim(self, asked: Claim) -> Entry | None:
        item = claim_item(asked)
        for _ in range(3):  # an expired entry deleted by TTL between the two calls: claim again
            try:
                self.table.call(
                    "PutItem",
                    Item=item,
                    # new, or expired (TTL deletion is lazy)
                    ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                    ExpressionAttributeValues={":now": number(asked.now)},
                )
                return None
            except ConditionalCheckFailed:
                pass
            found = self.get(asked.key, asked.now)
            if found is not None:
                return found
        raise IdempotencyStoreUnavailable(
            f"the idempotency table {self.table.name} keeps changing under {asked.key}"
        )

    def settle(self, key: str, owner: str, state: State, recording: Recording, now: float) -> bool:
        expires = retain_until(now, recording.end)
        if (
            recording.task_id is not None
        ):  # the index first: an entry never names a task it cannot be found by
            self.table.call(  # an update: the count of the task's files stays
                "UpdateItem",
                Key={"id": {"S": TASK + task_ref(recording.api, recording.task_id)}},
                UpdateExpression="SET #ref = :ref, expiration = :e",
                ExpressionAttributeNames={"#ref": "ref"},
                ExpressionAttributeValues={":ref": {"S": key}, ":e": ttl(expires)},
            )
        attrs = recording_attrs(recording)
        if state == "unknown":  # in doubt: listed with its stream too (GET /recordings shows it, no task id)
            attrs["by_stream"] = {"S": stream_ref(recording.api, recording.stream)}
        names = {"#s": "state", **{f"#{name}": name for name in attrs}}
        values = {
            ":s": {"S": state},
            ":e": ttl(expires),
            ":u": number(now),
            ":owner": {"S": owner},
            **{f":{name}": value for name, value in attrs.items()},
        }
        update = "SET #s = :s, expiration = :e, updated_at = :u, " + ", ".join(f"#{n} = :{n}" for n in attrs)
        try:
            self.table.call(
                "UpdateItem",
                Key={"id": {"S": REC + key}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(id) AND #owner = :owner",
                ExpressionAttributeNames={**names, "#owner": "owner"},
                ExpressionAttributeValues=values,
            )
            return True
        except ConditionalCheckFailed:
            return False

    def sending(self, key: str, owner: str, now: float) -> bool:
        try:
            self.table.call(
                "UpdateItem",
                Key={"id": {"S": REC + key}},
                UpdateExpression="SET sent = :t, updated_at = :u",
                ConditionExpression="#owner = :owner AND #s = :p",
                ExpressionAttributeNames={"#owner": "owner", "#s": "state"},
                ExpressionAttributeValues={
                    ":t": {"BOOL": True},
                    ":u": number(now),
                    ":owner": {"S": owner},
                    ":p": {"S": "in_progress"},
                },
            )
            return True
        except ConditionalCheckFailed:
            return False

    def release(self, key: str, owner: str) -> None:
        with contextlib.suppress(ConditionalCheckFailed):  # no longer ours: nothing to release
            self.table.call(
                "DeleteItem",
                Key={"id": {"S": REC + key}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )

    def reclaim(self, observed: Entry, asked: Claim) -> bool:
        try:
            self.table.call(
                "PutItem",
                Item=claim_item(asked),
                ConditionExpression="#owner = :seen AND #s = :state",
                ExpressionAttributeNames={"#s": "state", "#owner": "owner"},
                ExpressionAttributeValues={":seen": {"S": observed.owner}, ":state": {"S": observed.state}},
            )
            return True
        except ConditionalCheckFailed:
            return False

    def mark(self, key: str, state: State, now: float) -> Entry | None:
        """The live entry of ``key`` (a created recording's) now in ``state`` (stopped or deleted); None when
        it is gone."""
        try:
            item = self.table.call(
                "UpdateItem",
                Key={"id": {"S": REC + key}},
                UpdateExpression="SET #s = :s, updated_at = :u",
                ConditionExpression="attribute_exists(id) AND expiration > :now",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":s": {"S": state}, ":u": number(now), ":now": number(now)},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ConditionalCheckFailed:
            return None
        return entry_of(item)
