"""The recordings ledger on DynamoDB: conditional writes make a claim atomic across Lambda containers.

Imported only when ``LIVEREC_IDEMPOTENCY_TABLE`` is set; it talks to DynamoDB through the standard-library
client in :mod:`shared.storage.dynamodb` (no boto3 on any path). Any failure other than a false condition is
``IdempotencyStoreUnavailable``: the caller refuses to create rather than risk a duplicate.

Items: :mod:`shared.storage.ledger_items`.

Why not powertools' ``@idempotent_function``: it deletes its record when the wrapped call raises, so a
create whose outcome is unknown (Tencent may have stored the task) could be retried blindly into a
duplicate. Here such an entry stays ``unknown`` until it is reconciled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from shared.storage import ledger_files_dynamodb
from shared.storage.dynamodb import ConditionalCheckFailed, DynamoDB, Table
from shared.storage.ledger import (
    Claim,
    Entry,
    Recording,
    State,
    StreamPage,
    Summary,
    retain_until,
    task_ref,
)
from shared.storage.ledger_files import FilePage, RecordFile
from shared.storage.ledger_files_dynamodb import TASK, task_item
from shared.storage.ledger_items import (
    PROGRESS,
    PROGRESS_TTL,
    REC,
    claim_item,
    entry_of,
    joined,
    number,
    recording_attrs,
    stream_ref,
    summaries,
    summary_ids,
    ttl,
)
from shared.support.errors import IdempotencyStoreUnavailable
from shared.support.observability import logger

STREAM_INDEX = "stream-index"


class DynamoDBLedger:
    def __init__(self, table_name: str, *, client: DynamoDB | None = None) -> None:
        self.table = Table(table_name, client=client)
        self._table = table_name
        self._call = self.table.call

    def _get(self, key: str, now: float) -> Entry | None:
        item = self._call("GetItem", Key={"id": {"S": REC + key}}, ConsistentRead=True).get("Item")
        if item is None or float(item["expiration"]["N"]) <= now:
            return None
        return entry_of(item)

    def claim(self, claim: Claim) -> Entry | None:
        item = claim_item(claim)
        for _ in range(3):  # an expired entry deleted by TTL between the two calls: claim again
            try:
                self._call(
                    "PutItem",
                    Item=item,
                    # new, or expired (TTL deletion is lazy)
                    ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                    ExpressionAttributeValues={":now": number(claim.now)},
                )
                return None
            except ConditionalCheckFailed:
                pass
            found = self._get(claim.key, claim.now)
            if found is not None:
                return found
        raise IdempotencyStoreUnavailable(
            f"the idempotency table {self._table} keeps changing under {claim.key}"
        )

    def get(self, key: str, now: float) -> Entry | None:
        return self._get(key, now)

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        items = self.table.batch_get([REC + key for key in dict.fromkeys(keys)])
        entries = (entry_of(item) for item in items if float(item["expiration"]["N"]) > now)
        return {entry.key: entry for entry in entries}

    def settle(self, key: str, owner: str, state: State, recording: Recording, now: float) -> bool:
        expires = retain_until(now, recording.end)
        if (
            recording.task_id is not None
        ):  # the index first: an entry never names a task it cannot be found by
            self._call(  # an update: the count of the task's files stays
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
            self._call(
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
            self._call(
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
            self._call(
                "DeleteItem",
                Key={"id": {"S": REC + key}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )

    def reclaim(self, observed: Entry, claim: Claim) -> bool:
        try:
            self._call(
                "PutItem",
                Item=claim_item(claim),
                ConditionExpression="#owner = :seen AND #s = :state",
                ExpressionAttributeNames={"#s": "state", "#owner": "owner"},
                ExpressionAttributeValues={":seen": {"S": observed.owner}, ":state": {"S": observed.state}},
            )
            return True
        except ConditionalCheckFailed:
            return False

    def _ref(self, api: str, task_id: str, now: float) -> str | None:
        item = task_item(self.table, task_ref(api, task_id), now)
        return None if item is None else str(item["ref"]["S"])

    def by_task(self, api: str, task_id: str, now: float) -> Entry | None:
        key = self._ref(api, task_id, now)
        return self._get(key, now) if key is not None else None

    def mark(self, api: str, task_id: str, state: State, now: float) -> Entry | None:
        key = self._ref(api, task_id, now)
        if key is None:
            return None
        try:
            item = self._call(
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

    def add_file(self, api: str, task_id: str, file: RecordFile, now: float) -> bool:
        return ledger_files_dynamodb.add_file(self.table, api, task_id, file, now)

    def files(self, entry: Entry, now: float, *, after: str | None = None, limit: int = 100) -> FilePage:
        return ledger_files_dynamodb.files(self.table, entry, now, after=after, limit=limit)

    def by_stream(
        self,
        api: str,
        stream: str,
        now: float,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 100,
    ) -> StreamPage:
        ref = stream_ref(api, stream)
        lo = max(start_from if start_from is not None else 0, 0)
        hi = min(start_to if start_to is not None else 10**11, 10**11)
        if lo > hi:  # an empty range (DynamoDB refuses BETWEEN a high and a low bound)
            return StreamPage([], None)
        values: dict[str, Any] = {
            ":k": {"S": ref},
            ":lo": {"N": str(lo)},
            ":hi": {"N": str(hi)},
            ":now": number(now),
        }
        start: dict[str, Any] | None = None
        if after is not None:
            start = {"id": {"S": REC + after[1]}, "by_stream": {"S": ref}, "start": {"N": str(after[0])}}
        entries: list[Entry] = []
        for _ in range(10):  # bounded: a page of expired entries costs a read, never an unbounded loop
            kwargs: dict[str, Any] = {
                "IndexName": STREAM_INDEX,
                "KeyConditionExpression": "by_stream = :k AND #st BETWEEN :lo AND :hi",
                "FilterExpression": "expiration > :now",
                "ExpressionAttributeNames": {"#st": "start"},
                "ExpressionAttributeValues": values,
                "Limit": limit + 1 - len(entries),
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("Query", **kwargs)
            entries += [entry_of(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if start is None or len(entries) > limit:
                break
        kept = entries[:limit]
        more = len(entries) > limit or (start is not None and bool(kept))
        last = kept[-1] if kept else None
        return StreamPage(kept, (last.recording.start, last.key) if more and last is not None else None)

    def settled(self, shards: Iterable[str], now: float) -> dict[str, Summary]:
        wanted = list(dict.fromkeys(shards))
        return summaries(wanted, self.table.batch_get(summary_ids(wanted)), now)

    def note_settled(
        self,
        shard: str,
        seen: Summary,
        add: dict[str, int],
        drop: dict[str, int],
        now: float,
        *,
        unresolved: dict[str, int] | None = None,
    ) -> None:
        # one string per state and shard (cheap to read every tick); concurrent ticks merge through the version
        for _ in range(5):
            merged = seen.merged(add, unresolved or {}, drop)
            values = {
                ":done": {"S": joined(merged.done)},
                ":next": {"N": str(merged.version)},
                ":seen": {"N": str(seen.version)},
                ":e": ttl(now + PROGRESS_TTL),
            }
            # occurrences in doubt are rare: the attribute exists only while there are some
            update = "SET done = :done, version = :next, expiration = :e"
            if merged.unresolved:
                values[":doubt"] = {"S": joined(merged.unresolved)}
                update += ", unresolved = :doubt"
            else:
                update += " REMOVE unresolved"
            try:
                self._call(
                    "UpdateItem",
                    Key={"id": {"S": PROGRESS + shard}},
                    UpdateExpression=update,
                    ConditionExpression="attribute_not_exists(version) OR version = :seen",
                    ExpressionAttributeValues=values,
                )
                return
            except ConditionalCheckFailed:
                (seen,) = self.settled([shard], now).values()  # another tick wrote meanwhile: merge again
        # a summary left behind only costs the next tick a read of those entries
        logger.warning("the rollout summary of a shard kept changing; not updated", extra={"shard": shard})
