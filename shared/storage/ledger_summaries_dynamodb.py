"""The rollout's summaries on DynamoDB (:meth:`shared.storage.ledger.Ledger.settled`): one item per shard of
its programs, ``prog#<shard>`` (:mod:`shared.storage.ledger_items`), holding the occurrences settled and in
doubt as one string each (cheap to read every tick), read for up to 64 shards in one request, and merged by
concurrent ticks through the item's ``version`` (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.storage.dynamodb import ConditionalCheckFailed, Table
from shared.storage.ledger import Summary
from shared.storage.ledger_items import PROGRESS, PROGRESS_TTL, joined, summaries, summary_ids, ttl
from shared.support.observability import logger


class DynamoDBSummaries:
    """The rollout's summaries, in one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

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
                self.table.call(
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
