"""The in-process ledger and webhook state: one Lambda container, the tests, the local gateway. Thread-safe;
not durable (a new container starts empty), so a deployed timer or callback route refuses to run on them.
"""

from __future__ import annotations

import copy
import heapq
import threading
from collections.abc import Iterable
from typing import Any

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
from shared.storage.ledger_files import (
    MAX_FILES,
    FilePage,
    RecordFile,
    check_file,
    page_of,
    too_many_files,
)


class MemoryLedger:
    """Thread-safe, in-process: one Lambda container, the tests, the local gateway. Not durable: a new
    container starts empty, so a deployed timer or callback route refuses to run on it."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._tasks: dict[str, str] = {}
        self._settled: dict[str, Summary] = {}
        # per task (its ref): file_id -> the file and when it may be forgotten (its entry's expiry)
        self._files: dict[str, dict[str, tuple[RecordFile, float]]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires_at > now else None

    def claim(self, claim: Claim) -> Entry | None:
        with self._lock:
            found = self._live(claim.key, claim.now)
            if found is not None:
                return found
            self._entries[claim.key] = claim.entry()
            return None

    def get(self, key: str, now: float) -> Entry | None:
        with self._lock:
            return self._live(key, now)

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        with self._lock:
            found = {key: self._live(key, now) for key in keys}
        return {key: entry for key, entry in found.items() if entry is not None}

    def settle(self, key: str, owner: str, state: State, recording: Recording, now: float) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.owner != owner:
                return False
            self._entries[key] = entry._replace(
                state=state,
                recording=recording,
                expires_at=retain_until(now, recording.end),
                updated_at=now,
            )
            if recording.task_id is not None:
                self._tasks[task_ref(recording.api, recording.task_id)] = key
            return True

    def sending(self, key: str, owner: str, now: float) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.owner != owner or entry.state != "in_progress":
                return False
            self._entries[key] = entry._replace(sent=True, updated_at=now)
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.owner == owner:
                del self._entries[key]

    def reclaim(self, observed: Entry, claim: Claim) -> bool:
        with self._lock:
            entry = self._entries.get(observed.key)
            if entry is None or entry.owner != observed.owner or entry.state != observed.state:
                return False
            self._entries[observed.key] = claim.entry()
            return True

    def by_task(self, api: str, task_id: str, now: float) -> Entry | None:
        with self._lock:
            key = self._tasks.get(task_ref(api, task_id))
            return self._live(key, now) if key is not None else None

    def mark(self, api: str, task_id: str, state: State, now: float) -> Entry | None:
        with self._lock:
            key = self._tasks.get(task_ref(api, task_id))
            entry = self._live(key, now) if key is not None else None
            if key is None or entry is None:
                return None
            marked = entry._replace(state=state, updated_at=now)
            self._entries[key] = marked
            return marked

    def add_file(self, api: str, task_id: str, file: RecordFile, now: float) -> bool:
        ref = task_ref(api, task_id)
        with self._lock:
            key = self._tasks.get(ref)
            entry = self._live(key, now) if key is not None else None
            if entry is None:
                return False
            check_file(task_id, file)
            files = self._files.setdefault(ref, {})
            if file.file_id in files:  # a redelivery: the first arrival stays
                return True
            if len(files) >= MAX_FILES:
                raise too_many_files(task_id, MAX_FILES)
            files[file.file_id] = (file, entry.expires_at)
            return True

    def files(self, entry: Entry, now: float, *, after: str | None = None, limit: int = 100) -> FilePage:
        rec = entry.recording
        if rec.task_id is None:
            return FilePage([], None)
        with self._lock:
            kept = self._files.get(task_ref(rec.api, rec.task_id), {}).values()
            live = [file for file, expires in kept if expires > now]
        return page_of([*live, *entry.inline_files], after, limit)

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
        with self._lock:
            found = sorted(
                ((e.recording.start, e.key), e)
                for e in self._entries.values()
                if e.expires_at > now
                and (e.recording.task_id is not None or e.state == "unknown")
                and e.recording.api == api
                and e.recording.stream == stream
                and (start_from is None or e.recording.start >= start_from)
                and (start_to is None or e.recording.start <= start_to)
            )
        rest = [entry for position, entry in found if after is None or position > after]
        page = rest[:limit]
        more = len(rest) > limit
        return StreamPage(page, (page[-1].recording.start, page[-1].key) if more else None)

    def settled(self, shards: Iterable[str], now: float) -> dict[str, Summary]:
        with self._lock:
            return {shard: self._settled.get(shard, Summary.empty()) for shard in shards}

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
        with self._lock:
            current = self._settled.get(shard, Summary.empty())
            self._settled[shard] = current.merged(add, unresolved or {}, drop)


class MemoryState:
    """Thread-safe, in-process. Pending forwards live only as long as the container: use the DynamoDB
    table in production."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[dict[str, Any], float, float | None, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[dict[str, Any], float, float | None, float] | None:
        item = self._items.get(key)
        return item if item is not None and item[1] > now else None

    def add(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> bool:
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._items[key] = (copy.deepcopy(value), now + ttl, due, 0.0)
            return True

    def put(
        self, key: str, value: dict[str, Any], now: float, ttl: float, *, due: float | None = None
    ) -> None:
        with self._lock:
            self._items[key] = (copy.deepcopy(value), now + ttl, due, 0.0)

    def get(self, key: str, now: float) -> dict[str, Any] | None:
        with self._lock:
            item = self._live(key, now)
            return copy.deepcopy(item[0]) if item else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def parked(self, prefix: str, since: float, limit: int) -> list[str]:
        with self._lock:
            found = [
                (item[2], key)
                for key, item in self._items.items()
                if key.startswith(prefix) and item[2] is not None and item[2] >= since
            ]
        return [key for _, key in sorted(found)[:limit]]

    def due(
        self, prefix: str, now: float, limit: int, *, after: tuple[float, str] | None = None
    ) -> list[tuple[float, str]]:
        with self._lock:
            found = [
                (item[2], key)
                for key, item in self._items.items()
                if key.startswith(prefix)
                and item[1] > now
                and item[2] is not None
                and item[2] <= now
                and item[3] <= now
                and (after is None or (item[2], key) > after)
            ]
        return heapq.nsmallest(limit, found)

    def lease(self, key: str, now: float, seconds: float) -> dict[str, Any] | None:
        with self._lock:
            item = self._live(key, now)
            if item is None or item[2] is None or item[2] > now or item[3] > now:
                return None
            self._items[key] = (item[0], item[1], item[2], now + seconds)
            return copy.deepcopy(item[0])
