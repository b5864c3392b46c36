"""The recordings ledger's DynamoDB items, written and read back (:mod:`shared.storage.ledger_dynamodb`).

Items (table: partition key ``id`` (S), TTL attribute ``expiration``, epoch seconds):

- ``rec#<origin key>``: one recording. ``state``, ``fingerprint``, ``origin`` (+ ``origin_name``),
  ``owner``, ``claimed_at``, ``lease_until``, ``updated_at``, ``expiration``, ``sent`` (true once the
  claim's holder is about to send its create; absent on older items, read as true); once planned, the recording
  flattened: ``api``, ``mode``, ``stream``, ``domain``, ``app``, ``start``, ``end`` (UNIX seconds),
  ``task_id``, ``warnings`` (a JSON list), ``found`` (true, only for a task adopted from Tencent). Once it
  has a task id, or is settled ``unknown``, also ``by_stream``
  (``<api>|<stream>``): the partition key of the sparse index ``stream-index`` (sort key ``start``), which
  holds the created and the in-doubt entries alone, so listing a stream reads that stream's entries, never
  the table.
  ``files``, on entries written by earlier versions only: a map ``file_id`` -> the file's fields (as on a
  file's item below); read, never written.
- ``task#<api>:<task_id>``: ``ref`` = the origin key, the same ``expiration``; ``files``: how many files
  of the task are kept (counted before a file's item is put, while under ``MAX_FILES``:
  :mod:`shared.storage.ledger_files_dynamodb`).
- ``file#<api>:<task_id>#<digest of file_id>``: one file of the task (written once: a redelivery finds it
  there): ``file_id``, ``url``, ``format``, ``start``, ``end`` (UNIX seconds), ``duration``, ``size``,
  ``received``, the task's ``expiration``; ``files_of`` (``<api>:<task_id>``) and ``file_at`` (its
  position: end, start, digest) are the keys of the sparse index ``file-index``, which a recording's files
  are read from in pages.
- ``prog#<shard>``: the rollout's summary of one shard of its programs' settled occurrences (at most 64
  shards): ``done`` (one string, ``<key>@<end>,...``), ``unresolved`` (the same, for occurrences whose
  create got no answer; absent when there are none), ``version`` (optimistic concurrency between ticks),
  ``expiration`` a week after its last change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from shared.storage.ledger import Claim, Entry, Origin, Recording, Summary
from shared.storage.ledger_files import RecordFile, file_digest, file_position

REC = "rec#"  # a recording's item: REC + its origin key
FILE = "file#"  # a file's item: FILE + its task's ref + "#" + the digest of its file_id
PROGRESS = "prog#"  # a rollout summary's item: PROGRESS + its shard
PROGRESS_TTL = 7 * 86400


def number(value: float) -> dict[str, str]:
    return {"N": repr(float(value))}


def ttl(value: float) -> dict[str, str]:
    return {"N": str(math.ceil(value))}


def recording_attrs(recording: Recording) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "api": {"S": recording.api},
        "mode": {"S": recording.mode},
        "stream": {"S": recording.stream},
        "start": {"N": str(recording.start)},
        "end": {"N": str(recording.end)},
        "warnings": {"S": json.dumps(list(recording.warnings), ensure_ascii=False)},
    }
    if recording.found:  # written only when set: entries written before the flag read back as not found
        attrs["found"] = {"BOOL": True}
    if recording.task_id is not None:  # into the sparse stream index once created
        attrs["by_stream"] = {"S": stream_ref(recording.api, recording.stream)}
    for name in ("domain", "app", "task_id"):
        value = getattr(recording, name)
        if value is not None:
            attrs[name] = {"S": value}
    return attrs


def stream_ref(api: str, stream: str) -> str:
    return f"{api}|{stream}"


def file_item_id(ref: str, file_id: str) -> str:
    return f"{FILE}{ref}#{file_digest(file_id)}"


def file_item(ref: str, file: RecordFile, expiration: float) -> dict[str, Any]:
    """The item of one file of the task ``ref`` (``<api>:<task_id>``)."""
    item: dict[str, Any] = {
        "id": {"S": file_item_id(ref, file.file_id)},
        "files_of": {"S": ref},
        "file_at": {"S": file_position(file)},
        "file_id": {"S": file.file_id},
        "url": {"S": file.url},
        "start": {"N": str(file.start)},
        "end": {"N": str(file.end)},
        "received": number(file.received),
        "expiration": ttl(expiration),
    }
    for name in ("duration", "size"):
        value = getattr(file, name)
        if value is not None:
            item[name] = {"N": str(value)}
    if file.format is not None:
        item["format"] = {"S": file.format}
    if file.source != "callback":
        item["source"] = {"S": file.source}
    return item


def record_file(file_id: str, fields: dict[str, Any]) -> RecordFile:
    """A file read back: a file's item, or one field of an earlier version's ``files`` map."""

    def num(name: str) -> int | None:
        return int(fields[name]["N"]) if name in fields else None

    return RecordFile(
        file_id=file_id,
        url=fields["url"]["S"],
        format=fields["format"]["S"] if "format" in fields else None,
        start=int(fields["start"]["N"]),
        end=int(fields["end"]["N"]),
        duration=num("duration"),
        size=num("size"),
        received=float(fields["received"]["N"]),
        source=fields["source"]["S"] if "source" in fields else "callback",
    )


def inline_files(item: dict[str, Any]) -> tuple[RecordFile, ...]:
    """The files an earlier version kept on the recording's item (a map ``file_id`` -> its fields)."""
    kept = item.get("files", {}).get("M", {})
    return tuple(record_file(file_id, value["M"]) for file_id, value in kept.items())


def claim_item(claim: Claim) -> dict[str, Any]:
    entry = claim.entry()
    item = {
        "id": {"S": REC + claim.key},
        "state": {"S": entry.state},
        "fingerprint": {"S": entry.fingerprint},
        "origin": {"S": entry.origin.kind},
        "owner": {"S": entry.owner},
        "claimed_at": number(entry.claimed_at),
        "lease_until": number(entry.lease_until),
        "updated_at": number(entry.updated_at),
        "expiration": ttl(entry.expires_at),
        "sent": {"BOOL": entry.sent},
        **recording_attrs(entry.recording),
    }
    if entry.origin.name is not None:
        item["origin_name"] = {"S": entry.origin.name}
    return item


def entry_of(item: dict[str, Any]) -> Entry:
    def s(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    recording = Recording(
        api=str(s("api")),
        mode=str(s("mode")),
        stream=str(s("stream")),
        domain=s("domain"),
        app=s("app"),
        start=int(item["start"]["N"]),
        end=int(item["end"]["N"]),
        task_id=s("task_id"),
        warnings=tuple(json.loads(item["warnings"]["S"])),
        found=bool(item.get("found", {}).get("BOOL", False)),
    )
    return Entry(
        key=item["id"]["S"].removeprefix(REC),
        state=item["state"]["S"],
        fingerprint=item["fingerprint"]["S"],
        origin=Origin(item["origin"]["S"], s("origin_name")),
        owner=item["owner"]["S"],
        claimed_at=float(item["claimed_at"]["N"]),
        lease_until=float(item["lease_until"]["N"]),
        expires_at=float(item["expiration"]["N"]),
        recording=recording,
        updated_at=float(item["updated_at"]["N"]),
        inline_files=inline_files(item),
        # a claim written before the mark existed may have sent its create: read as sent (in doubt)
        sent=bool(item.get("sent", {"BOOL": True})["BOOL"]),
    )


def summary_ids(shards: Iterable[str]) -> list[str]:
    """The ids of the summary items of ``shards``."""
    return [PROGRESS + shard for shard in shards]


def summaries(shards: Iterable[str], items: Iterable[dict[str, Any]], now: float) -> dict[str, Summary]:
    """Each shard's summary from the summary items read (a shard without one: empty)."""
    found = {shard: Summary.empty() for shard in shards}
    found.update(summary_of(item, now) for item in items)
    return found


def summary_of(item: dict[str, Any], now: float) -> tuple[str, Summary]:
    """A summary item read back: its shard and what it holds (nothing once expired; the version stays, for
    the next conditional write)."""
    shard, version = str(item["id"]["S"]).removeprefix(PROGRESS), int(item["version"]["N"])
    if float(item["expiration"]["N"]) <= now:
        return shard, Summary.empty(version)
    return shard, Summary(ends(item["done"]["S"]), version, ends(item.get("unresolved", {}).get("S", "")))


def ends(joined: str) -> dict[str, int]:
    """A summary string (``<key>@<end>,...``) read back."""
    return {key: int(end) for key, _, end in (part.partition("@") for part in joined.split(",") if part)}


def joined(ends: dict[str, int]) -> str:
    return ",".join(f"{key}@{end}" for key, end in sorted(ends.items()))
