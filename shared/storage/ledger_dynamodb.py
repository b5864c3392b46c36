"""The recordings ledger on DynamoDB: conditional writes make a claim atomic across Lambda containers.

Imported only when ``LIVEREC_IDEMPOTENCY_TABLE`` is set; it talks to DynamoDB through the standard-library
client in :mod:`shared.storage.dynamodb` (no boto3 on any path). Any failure other than a false condition is
``IdempotencyStoreUnavailable``: the caller refuses to create rather than risk a duplicate.

:class:`DynamoDBLedger` is the :class:`~shared.storage.ledger.Ledger` over one table, composed of its parts,
each a module of functions over the table:

- :mod:`~shared.storage.ledger_claims_dynamodb`: the claim protocol (claim, sending, settle, release,
  reclaim, mark) and an entry read by its key;
- :mod:`~shared.storage.ledger_reads_dynamodb`: entries found by task id and by stream;
- :mod:`~shared.storage.ledger_files_dynamodb`: a recording's files;
- :mod:`~shared.storage.ledger_summaries_dynamodb`: the rollout's summaries;
- :mod:`~shared.storage.ledger_items`: the items they write and read back.

Why not powertools' ``@idempotent_function``: it deletes its record when the wrapped call raises, so a
create whose outcome is unknown (Tencent may have stored the task) could be retried blindly into a
duplicate. Here such an entry stays ``unknown`` until it is reconciled.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.storage import ledger_files_dynamodb
from shared.storage.dynamodb import DynamoDB, Table
from shared.storage.ledger import Claim, Entry, Recording, State, StreamPage, Summary
from shared.storage.ledger_claims_dynamodb import DynamoDBClaims
from shared.storage.ledger_files import FilePage, RecordFile
from shared.storage.ledger_reads_dynamodb import DynamoDBReads
from shared.storage.ledger_summaries_dynamodb import DynamoDBSummaries


class DynamoDBLedger:
    """The ledger in the table ``table_name``: its parts share one :class:`~shared.storage.dynamodb.Table`
    (one client, one count of requests)."""

    def __init__(self, table_name: str, *, client: DynamoDB | None = None) -> None:
        self.table = Table(table_name, client=client)
        self._claims = DynamoDBClaims(self.table)
        self._reads = DynamoDBReads(self.table)
        self._summaries = DynamoDBSummaries(self.table)

    # the claim protocol

    def claim(self, claim: Claim) -> Entry | None:
        return self._claims.claim(claim)

    def get(self, key: str, now: float) -> Entry | None:
        return self._claims.get(key, now)

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        return self._claims.get_many(keys, now)

    def settle(self, key: str, owner: str, state: State, recording: Recording, now: float) -> bool:
        return self._claims.settle(key, owner, state, recording, now)

    def sending(self, key: str, owner: str, now: float) -> bool:
        return self._claims.sending(key, owner, now)

    def release(self, key: str, owner: str) -> None:
        self._claims.release(key, owner)

    def reclaim(self, observed: Entry, claim: Claim) -> bool:
        return self._claims.reclaim(observed, claim)

    def mark(self, api: str, task_id: str, state: State, now: float) -> Entry | None:
        key = self._reads.task_key(api, task_id, now)
        return self._claims.mark(key, state, now) if key is not None else None

    # the reads, by task and by stream

    def by_task(self, api: str, task_id: str, now: float) -> Entry | None:
        key = self._reads.task_key(api, task_id, now)
        return self._claims.get(key, now) if key is not None else None

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
        return self._reads.by_stream(
            api, stream, now, start_from=start_from, start_to=start_to, after=after, limit=limit
        )

    # a recording's files

    def add_file(self, api: str, task_id: str, file: RecordFile, now: float) -> bool:
        return ledger_files_dynamodb.add_file(self.table, api, task_id, file, now)

    def files(self, entry: Entry, now: float, *, after: str | None = None, limit: int = 100) -> FilePage:
        return ledger_files_dynamodb.files(self.table, entry, now, after=after, limit=limit)

    # the rollout's summaries

    def settled(self, shards: Iterable[str], now: float) -> dict[str, Summary]:
        return self._summaries.settled(shards, now)

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
        self._summaries.note_settled(shard, seen, add, drop, now, unresolved=unresolved)
