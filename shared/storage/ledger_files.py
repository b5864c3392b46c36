"""The files Tencent recorded for a task, as the ledger keeps them (:mod:`shared.storage.ledger`): one entry
per file, by the task and the file's ``file_id``, read a page at a time by position (newest last).

Bounds, the same in both stores:

- :data:`MAX_FILES` per recording (task). A day cut into 1-minute files is 1,440; Tencent also cuts a file
  by size, and whenever a push breaks off. A further file is forwarded, not kept (``TooManyFiles``, 413).
- :data:`MAX_FILE_BYTES` per file: its ``file_id``, URL and format in UTF-8. A callback's file has at most
  256, 2048 (ASCII: ``shared.support.urls``) and 16 characters of them (at most 3,136 bytes), so it always
  fits; a larger entry is refused (``FileTooLarge``, 413) before any store sees it.
"""

from __future__ import annotations

import hashlib
import re

from shared.support.errors import FileTooLarge, TooManyFiles
from shared.support.records import Record

MAX_FILES = 10_000
MAX_FILE_BYTES = 16_384
POSITION = re.compile(r"[0-9]{22}[0-9a-f]{32}")  # what file_position gives


class RecordFile(Record):
    """A file Tencent recorded for a task (its record-file callback, event 100). Times are UNIX seconds;
    ``received`` is when the callback first arrived
    (or, reconciled, when reconciliation found it)."""

    __slots__ = ()
    file_id: str
    url: str
    format: str | None
    start: int
    end: int
    duration: int | None
    size: int | None
    received: float
    # callback: its record-file callback reached liverec; reconciled: found afterwards in Tencent's record
    # of the callbacks it sent (DescribeCallbackRecordsList), its callback never having arrived
    source: str = "callback"


class FilePage(Record):
    """A page of a recording's files, by :func:`file_position`; ``after`` resumes after the last one."""

    __slots__ = ()
    files: list[RecordFile]
    after: str | None  # the last file's position, when more may follow


def file_digest(file_id: str) -> str:
    return hashlib.sha256(file_id.encode("utf-8")).hexdigest()[:32]


def file_position(file: RecordFile) -> str:
    """Where a file stands among its recording's files, newest last: by end, then start, then a digest of
    its ``file_id`` (a total order whatever the ids, of a fixed length; a page's ``after``)."""
    return f"{file.end:011d}{file.start:011d}{file_digest(file.file_id)}"


def file_bytes(file: RecordFile) -> int:
    """The size of a file's entry as :data:`MAX_FILE_BYTES` bounds it."""
    return sum(len(text.encode("utf-8")) for text in (file.file_id, file.url, file.format or ""))


def check_file(task_id: str, file: RecordFile) -> None:
    """Refuse a file whose entry is over :data:`MAX_FILE_BYTES` (``FileTooLarge``, 413)."""
    size = file_bytes(file)
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"file {file.file_id[:64]!r} of task {task_id[:64]!r}: its id, URL and format are {size} bytes, "
            f"over the {MAX_FILE_BYTES} the ledger keeps for one file; not kept",
            field="video_url",
        )


def too_many_files(task_id: str, limit: int) -> TooManyFiles:
    return TooManyFiles(
        f"the recording of task {task_id[:64]!r} holds {limit} files, the most the ledger keeps for one "
        "recording; this file is not kept",
        field="file_id",
    )


def page_of(files: list[RecordFile], after: str | None, limit: int, *, more: bool = False) -> FilePage:
    """The first ``limit`` of ``files`` past ``after``, by position, one per ``file_id`` (the first met);
    ``more``: further files exist past those given."""
    seen: set[str] = set()
    found: list[tuple[str, RecordFile]] = []
    for position, file in sorted(((file_position(f), f) for f in files), key=lambda pair: pair[0]):
        if (after is None or position > after) and file.file_id not in seen:
            seen.add(file.file_id)
            found.append((position, file))
    page = found[:limit]
    more = more or len(found) > limit
    return FilePage([f for _, f in page], page[-1][0] if more and page else None)
