"""The tick's coverage check: each booked occurrence the tick dropped from its summary (its window ended
``rollout.COVERAGE_GRACE`` ago: its last files' callbacks have had their time) has its recording's coverage
computed once; one under the threshold (``LIVEREC_COVERAGE_THRESHOLD``) is reconciled first where the
generation can, and reported short when it still is (the function counts ``CoverageShort`` and logs it).

Once: a summary drops an occurrence once (a summary write that failed leaves it for the next tick, which may
then check it again). Bounded: at most :data:`MAX_CHECKED` occurrences a tick (the rest are logged, not
checked), one batch read of their entries, each recording's files read in pages (at most 10,000 files);
reconciliation only while the deadline leaves time for a call to Tencent.
"""

from __future__ import annotations

from typing import Any

from shared.recordings.booking import Booking
from shared.recordings.coverage import Coverage, coverage
from shared.recordings.reconciling import Reconciling
from shared.recordings.tracking import all_files
from shared.storage.ledger import DONE, Entry, ledger_key
from shared.support.observability import logger
from shared.support.timeutil import Deadline, from_unix, isoformat

MAX_CHECKED = 200


def _coverage(parts: Booking, entry: Entry) -> Coverage:
    rec = entry.recording
    now = parts.clock()
    return coverage((int(rec.start), int(rec.end)), all_files(parts.ledger, entry, now), now)


def check(parts: Booking, keys: list[str], deadline: Deadline) -> list[dict[str, Any]]:
    """The recordings of ``keys`` (ended occurrences) that are short, each once (by task), as logged."""
    if len(keys) > MAX_CHECKED:
        logger.warning(
            "more ended occurrences than a tick checks: the rest are not checked",
            extra={"ended": len(keys), "checked": MAX_CHECKED},
        )
    entries = parts.ledger.get_many((ledger_key("rollout", k) for k in keys[:MAX_CHECKED]), parts.clock())
    threshold = parts.policy.coverage_threshold
    reconcile = Reconciling(parts.ledger, parts.creator.adapter, parts.policy, parts.clock, deadline)
    short: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in entries.values():
        task_id = entry.recording.task_id
        if entry.state not in DONE or task_id is None or task_id in seen:
            continue
        seen.add(task_id)
        cover = _coverage(parts, entry)
        if cover.short(threshold) and parts.policy.generation.reconciles:
            reconcile(entry)
            cover = _coverage(parts, entry)
        if cover.short(threshold):
            short.append(_described(entry, cover, threshold))
    return short


def _described(entry: Entry, cover: Coverage, threshold: float) -> dict[str, Any]:
    rec = entry.recording
    return {
        "task_id": rec.task_id,
        "stream": rec.stream,
        "program": entry.origin.name,
        "start": isoformat(from_unix(rec.start)),
        "end": isoformat(from_unix(rec.end)),
        "asked_seconds": cover.asked,
        "recorded_seconds": cover.recorded,
        "ratio": cover.ratio,
        "threshold": threshold,
        "gaps": len(cover.gaps),
        "reconciled_files": cover.reconciled,
    }
