"""A recording's files on DynamoDB (:mod:`shared.storage.ledger_files`): one item per file, counted on the
task's index item, read a page at a time from the sparse index ``file-index``.

Items (:mod:`shared.storage.ledger_items`): ``file#<api>:<task_id>#<digest of file_id>`` per file, and the
count ``files`` on the task's index item ``task#<api>:<task_id>``. A file is counted first (a conditional
update: while the task's item lives and its count is under ``MAX_FILES``), then its item is put where none
is; a redelivery finds its item there and gives its count back. So the count never passes ``MAX_FILES``; a
container that dies between the two writes leaves one count without a file (a recording then keeps one
file fewer than the bound). Two writes, not a transaction: moto copies the whole table for each
transaction, and DynamoDB bills one twice.

The index is eventually consistent: a file read back a moment after its callback may be missing for that
moment.
"""

from __future__ import annotations

from typing import Any

from shared.storage.dynamodb import ConditionalCheckFailed, Table
from shared.storage.ledger import Entry, task_ref
from shared.storage.ledger_files import (
    MAX_FILES,
    FilePage,
    RecordFile,
    check_file,
    page_of,
    too_many_files,
)
from shared.storage.ledger_items import file_item, file_item_id, number, record_file
from shared.support.errors import FileTooLarge, ItemTooLarge

TASK = "task#"  # a task's index item: TASK + <api>:<task_id>
FILE_INDEX = "file-index"


def task_item(table: Table, ref: str, now: float) -> dict[str, Any] | None:
    """The task's index item (``ref``: ``<api>:<task_id>``), while it lives."""
    item = table.call("GetItem", Key={"id": {"S": TASK + ref}}, ConsistentRead=True).get("Item")
    return item if item is not None and float(item["expiration"]["N"]) > now else None


def _count(table: Table, ref: str, by: int, now: float, condition: str | None) -> dict[str, Any]:
    """Add ``by`` to the task's count of files (under ``condition``); the task's item as it is now."""
    kwargs: dict[str, Any] = {
        "Key": {"id": {"S": TASK + ref}},
        "UpdateExpression": "ADD #n :by",
        "ExpressionAttributeNames": {"#n": "files"},
        "ExpressionAttributeValues": {":by": {"N": str(by)}},
        "ReturnValues": "ALL_NEW",
    }
    if condition is not None:
        kwargs["ConditionExpression"] = condition
        kwargs["ExpressionAttributeValues"] |= {":now": number(now), ":max": {"N": str(MAX_FILES)}}
    attributes: dict[str, Any] = table.call("UpdateItem", **kwargs)["Attributes"]
    return attributes


def add_file(table: Table, api: str, task_id: str, file: RecordFile, now: float) -> bool:
    """:meth:`shared.storage.ledger.Ledger.add_file` on DynamoDB: two writes for a new file (its count, its
    item), one more for a redelivery (its count given back)."""
    ref = task_ref(api, task_id)
    try:
        check_file(task_id, file)
    except FileTooLarge:  # refused for a task the ledger knows; another task's file is not kept at all
        if task_item(table, ref, now) is None:
            return False
        raise
    live = "expiration > :now AND (attribute_not_exists(#n) OR #n < :max)"
    try:
        task = _count(table, ref, 1, now, live)
    except ConditionalCheckFailed:  # the task is gone, or full: a file kept before may meet either
        if task_item(table, ref, now) is None:
            return False
        if table.call("GetItem", Key={"id": {"S": file_item_id(ref, file.file_id)}}).get("Item"):
            return True
        raise too_many_files(task_id, MAX_FILES) from None
    try:
        item = file_item(ref, file, float(task["expiration"]["N"]))
        table.call("PutItem", Item=item, ConditionExpression="attribute_not_exists(id)")
    except ConditionalCheckFailed:  # kept by an earlier delivery, counted then: this count is given back
        _count(table, ref, -1, now, None)
    except ItemTooLarge:  # refused, nothing written (past check_file, DynamoDB's own limit): given back too
        _count(table, ref, -1, now, None)
        raise
    return True


def files(table: Table, entry: Entry, now: float, *, after: str | None = None, limit: int = 100) -> FilePage:
    """:meth:`shared.storage.ledger.Ledger.files` on DynamoDB: at most ``limit + 1`` file items read (a
    few queries), merged with the files an earlier version kept on the entry itself."""
    rec = entry.recording
    if rec.task_id is None:
        return FilePage([], None)
    values: dict[str, Any] = {":t": {"S": task_ref(rec.api, rec.task_id)}, ":now": number(now)}
    condition = "files_of = :t"
    if after is not None:
        condition += " AND file_at > :after"
        values[":after"] = {"S": after}
    found: list[RecordFile] = []
    start: dict[str, Any] | None = None
    for _ in range(10):  # bounded: a page of expired files costs a read, never an unbounded loop
        kwargs: dict[str, Any] = {
            "IndexName": FILE_INDEX,
            "KeyConditionExpression": condition,
            "FilterExpression": "expiration > :now",
            "ExpressionAttributeValues": values,
            "Limit": limit + 1 - len(found),
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        page = table.call("Query", **kwargs)
        found += [record_file(item["file_id"]["S"], item) for item in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if start is None or len(found) > limit:
            break
    return page_of([*found, *entry.inline_files], after, limit, more=start is not None)
