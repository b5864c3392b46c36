"""The recordings ledger's entries on DynamoDB found other than by their key
(:mod:`shared.storage.ledger_items`): by task id, through the task's index item ``task#<api>:<task_id>``
(its ``ref`` is the entry's key), and by stream, from the sparse index ``stream-index`` (partition
``by_stream``, sort key ``start``), which holds the created and the in-doubt entries alone: listing a stream
reads that stream's entries, never the table.
"""

from __future__ import annotations

from typing import Any

from shared.storage.dynamodb import Table
from shared.storage.ledger import Entry, StreamPage, task_ref
from shared.storage.ledger_files_dynamodb import task_item
from shared.storage.ledger_items import REC, entry_of, number, stream_ref

STREAM_INDEX = "stream-index"
LATEST = 10**11  # a start past any recording's (UNIX seconds): the top of a stream's range


class DynamoDBReads:
    """Entries found by task id and by stream, in one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def task_key(self, api: str, task_id: str, now: float) -> str | None:
        """The key of the entry that holds the task, while the task's index item lives."""
        item = task_item(self.table, task_ref(api, task_id), now)
        return None if item is None else str(item["ref"]["S"])

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
        """:meth:`shared.storage.ledger.Ledger.by_stream` on DynamoDB: at most ``limit + 1`` entries read (a
        few queries, bounded)."""
        ref = stream_ref(api, stream)
        lo = max(start_from if start_from is not None else 0, 0)
        hi = min(start_to if start_to is not None else LATEST, LATEST)
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
            page = self.table.call("Query", **kwargs)
            entries += [entry_of(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if start is None or len(entries) > limit:
                break
        kept = entries[:limit]
        more = len(entries) > limit or (start is not None and bool(kept))
        last = kept[-1] if kept else None
        return StreamPage(kept, (last.recording.start, last.key) if more and last is not None else None)
