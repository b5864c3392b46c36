"""Reconciliation: the record files Tencent says it sent a callback for, which never reached liverec, found in
Tencent's own record of its callbacks (the generation's ``reconciles`` call: ``DescribeCallbackRecordsList``,
API 3.0) and kept in the ledger with ``source`` ``reconciled``, so coverage counts them and says where they
came from. Where the generation has no such call (v2, fcgi: no API 3.0 credentials), nothing is asked and the
answer says so.

Bounded: one recording's window (and :data:`SLACK` past its end, as a file's callback is sent after the file
ends) is asked a day at a time, a few pages each (``shared.tencent.callback_records``); at most
``ledger_files.MAX_FILES`` files are kept a recording, each once (by ``file_id``: a file reconciled twice,
or whose callback arrives late, is one file).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, cast

from shared.recordings.policy import Policy
from shared.recordings.tracking import all_files
from shared.storage.ledger import Entry, Ledger
from shared.storage.ledger_files import RecordFile
from shared.support.errors import FileTooLarge, TencentError, TencentUnavailable, TooManyFiles
from shared.support.observability import count, logger
from shared.support.records import Record
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, from_unix

if TYPE_CHECKING:
    from datetime import datetime

    from shared.tencent.adapter import LiveAdapter
    from shared.tencent.callback_records import ReportedFile

SLACK = timedelta(hours=1)


class CallbackLog(Protocol):
    """An adapter whose generation ``reconciles`` (record_task, live_record)."""

    def callback_records(
        self, stream: str, start: datetime, end: datetime, deadline: Deadline = NO_DEADLINE
    ) -> list[ReportedFile]: ...


class Reconciled(Record):
    """What reconciling one recording did: files Tencent reported for its task, and how many were added."""

    __slots__ = ()
    task_id: str
    reported: int
    added: int


def cannot(policy: Policy) -> str | None:
    """Why this generation cannot reconcile (None: it can)."""
    gen = policy.generation
    if gen.reconciles is not None:
        return None
    return (
        f"{gen.cannot('reconcile')}: Tencent's record of its callbacks (DescribeCallbackRecordsList) is "
        "API 3.0; coverage counts the files whose callbacks reached liverec"
    )


def reconcile(
    ledger: Ledger,
    adapter: LiveAdapter,
    policy: Policy,
    clock: Clock,
    entry: Entry,
    *,
    deadline: Deadline = NO_DEADLINE,
) -> Reconciled | None:
    """Add to ``entry``'s recording the files Tencent reported for its task that the ledger lacks; None
    where the generation cannot (:func:`cannot`) or the entry has no task."""
    rec = entry.recording
    if cannot(policy) is not None or rec.task_id is None:
        return None
    now = clock()
    end = min(from_unix(rec.end) + SLACK, from_unix(now))
    start = from_unix(rec.start)
    if end <= start:
        return Reconciled(rec.task_id, 0, 0)
    reported = cast("CallbackLog", adapter).callback_records(rec.stream, start, end, deadline)
    mine = [f for f in reported if f.task_id == rec.task_id and f.end > rec.start and f.start < rec.end]
    known = {f.file_id for f in all_files(ledger, entry, now)}
    added = 0
    for file in mine:
        if file.file_id in known:
            continue
        try:
            added += ledger.add_file(rec.api, rec.task_id, _kept(file, now), now)
        except (TooManyFiles, FileTooLarge) as exc:
            logger.warning(
                "a reconciled file was not kept", extra={"task_id": rec.task_id, "error": exc.to_dict()}
            )
            break
    if added:
        count("CoverageReconciled", api=rec.api)
        logger.warning(
            "record files reconciled: their callbacks never reached liverec",
            extra={"task_id": rec.task_id, "stream": rec.stream, "added": added, "reported": len(mine)},
        )
    return Reconciled(rec.task_id, len(mine), added)


def _kept(file: ReportedFile, now: float) -> RecordFile:
    return RecordFile(
        file_id=file.file_id,
        url=file.url,
        format=file.format,
        start=file.start,
        end=file.end,
        duration=file.duration,
        size=file.size,
        received=now,
        source="reconciled",
    )


class Reconciling:
    """One request's reconciliation, given each recording in turn (``program_coverage``'s ``before``): each
    reconciled while the deadline leaves time for a call to Tencent; a failed call is noted, never the
    request's failure (the coverage is still answered, from what the ledger holds). ``note`` tells it."""

    __slots__ = ("adapter", "clock", "deadline", "done", "failed", "ledger", "policy", "skipped")

    def __init__(
        self, ledger: Ledger, adapter: LiveAdapter, policy: Policy, clock: Clock, deadline: Deadline
    ) -> None:
        self.ledger, self.adapter, self.policy, self.clock, self.deadline = (
            ledger,
            adapter,
            policy,
            clock,
            deadline,
        )
        self.done: list[Reconciled] = []
        self.failed: list[str] = []
        self.skipped = 0

    def __call__(self, entry: Entry) -> None:
        if cannot(self.policy) is not None:
            return
        if not self.deadline.allows(self.policy.timeout):
            self.skipped += 1
            return
        try:
            found = reconcile(
                self.ledger, self.adapter, self.policy, self.clock, entry, deadline=self.deadline
            )
        except (TencentError, TencentUnavailable) as exc:
            logger.warning(
                "reconciliation failed: coverage from the callbacks received",
                extra={"task_id": entry.recording.task_id, "error": exc.to_dict()},
            )
            self.failed.append(exc.code)
            return
        if found is not None:
            self.done.append(found)

    def note(self) -> str:
        """What was reconciled, or why nothing was."""
        why = cannot(self.policy)
        if why is not None:
            return f"no reconciliation: {why}"
        added = sum(r.added for r in self.done)
        text = f"{self.policy.generation.reconciles}: {len(self.done)} recordings reconciled, {added} files added"
        if self.failed:
            text += f"; {len(self.failed)} failed ({', '.join(sorted(set(self.failed)))})"
        if self.skipped:
            text += f"; {self.skipped} not reconciled: no time left"
        return text
