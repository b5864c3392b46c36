"""What was recorded of a window: the files Tencent reported for a recording, clipped to the window asked
and merged where they overlap, as seconds asked and recorded, the covered spans and the gaps. Pure: given
the window, the files and the instant, it reads nothing else (``GET /recordings/{task_id}``,
``GET /programs/{name}/coverage`` and the tick's coverage check build on it).

A gap is a part of the window no file covers, up to ``now``: what is still ahead of a recording under way
is not a gap yet (``final`` says the window has ended, so the figures will not grow without a late file).
Bounded by what it is given: a recording keeps at most 10,000 files (``ledger_files.MAX_FILES``), so at
most 10,001 spans and gaps.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.storage.ledger_files import RecordFile
from shared.support.records import Record

Span = tuple[int, int]  # [start, end) in UNIX seconds


class Coverage(Record):
    """What was recorded of ``window``: ``recorded`` of ``asked`` seconds, in ``spans`` (merged, sorted),
    the ``gaps`` between them up to now, and of the files, how many each source gave."""

    __slots__ = ()
    window: Span
    asked: int
    recorded: int
    spans: tuple[Span, ...]
    gaps: tuple[Span, ...]
    files: int
    reconciled: int
    final: bool

    @property
    def ratio(self) -> float:
        """Recorded over asked (1.0 for an empty window: nothing was asked that is missing)."""
        return 1.0 if self.asked <= 0 else round(self.recorded / self.asked, 4)

    def short(self, threshold: float) -> bool:
        """An ended window whose ratio is under ``threshold``."""
        return self.final and self.ratio < threshold


def merged(spans: Iterable[Span]) -> list[Span]:
    """The spans merged where they overlap or touch, sorted; empty ones dropped."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def clipped(spans: Iterable[Span], window: Span) -> list[Span]:
    """Each span cut to ``window`` (those outside it dropped)."""
    low, high = window
    return [(max(s, low), min(e, high)) for s, e in spans if min(e, high) > max(s, low)]


def gaps_of(spans: list[Span], window: Span) -> list[Span]:
    """The parts of ``window`` that ``spans`` (merged, within it) leave uncovered."""
    gaps: list[Span] = []
    at = window[0]
    for start, end in spans:
        if start > at:
            gaps.append((at, start))
        at = max(at, end)
    if window[1] > at:
        gaps.append((at, window[1]))
    return gaps


def coverage(window: Span, files: Iterable[RecordFile], now: float) -> Coverage:
    """The coverage of ``window`` by ``files`` at ``now`` (a file's own ``[start, end)``, clipped)."""
    files = list(files)
    start, end = window
    end = max(start, end)
    spans = merged(clipped(((f.start, f.end) for f in files), (start, end)))
    until = min(end, max(start, int(now)))
    gaps = gaps_of(clipped(spans, (start, until)), (start, until))
    reconciled = sum(1 for f in files if f.source == "reconciled")
    recorded = sum(e - s for s, e in spans)
    return Coverage(
        (start, end), end - start, recorded, tuple(spans), tuple(gaps), len(files), reconciled, now >= end
    )
