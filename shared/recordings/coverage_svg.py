"""A program's coverage drawn (``GET /programs/{name}/coverage`` with ``Accept: image/svg+xml``): one row per
occurrence, its window grey, what was recorded green, the gaps red, its ratio beside it. Pure and
self-contained: no script, no external reference, every text escaped; bounded: at most
``showing.MAX_OCCURRENCES_SHOWN`` rows, each drawing at most :data:`MAX_DRAWN` spans and gaps (the first;
its ratio then marked ``+``), so the answer stays far under Lambda's 6 MB.
"""

from __future__ import annotations

from html import escape

from shared.recordings.coverage import Span
from shared.recordings.covering import OccurrenceCoverage, ProgramCoverage
from shared.support.timeutil import isoformat, to_unix

WIDTH, LABEL, ROW, TOP = 960, 330, 22, 40
# spans and gaps drawn a row, each: 50 rows stay about 1 MB whatever the files (Lambda answers at most 6 MB)
MAX_DRAWN = 100
BAR = WIDTH - LABEL - 90  # the timeline's width, in pixels


def _x(at: int, window: Span) -> float:
    low, high = window
    return LABEL + BAR * (min(max(at, low), high) - low) / max(1, high - low)


def _rects(spans: tuple[Span, ...], window: Span, y: int, color: str, title: str) -> list[str]:
    out = []
    for start, end in spans[:MAX_DRAWN]:
        x0, x1 = _x(start, window), _x(end, window)
        out.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" height="{ROW - 8}" fill="{color}">'
            f"<title>{escape(title)} {start}-{end}</title></rect>"
        )
    return out


def _row(found: OccurrenceCoverage, i: int) -> list[str]:
    y = TOP + i * ROW
    window = (int(to_unix(found.start)), int(to_unix(found.end)))
    label = f"{isoformat(found.start)} {found.state or 'not booked'}"
    parts = [
        f'<text x="4" y="{y + ROW - 10}">{escape(label)}</text>',
        f'<rect x="{LABEL}" y="{y}" width="{BAR}" height="{ROW - 8}" fill="#ddd"/>',
    ]
    cover = found.coverage
    if cover is None:
        return [*parts, f'<text x="{LABEL + BAR + 6}" y="{y + ROW - 10}">-</text>']
    parts += _rects(cover.spans, window, y, "#2a2", "recorded")
    parts += _rects(cover.gaps, window, y, "#d22", "gap")
    more = "+" if max(len(cover.spans), len(cover.gaps)) > MAX_DRAWN else ""  # the first MAX_DRAWN drawn
    return [*parts, f'<text x="{LABEL + BAR + 6}" y="{y + ROW - 10}">{cover.ratio * 100:.1f}%{more}</text>']


def coverage_svg(found: ProgramCoverage) -> str:
    """The SVG document of ``found``'s occurrences (a row each; a line when there are none)."""
    height = TOP + max(1, len(found.occurrences)) * ROW + 10
    title = (
        f"{found.name}: {isoformat(found.period[0])} to {isoformat(found.period[1])}, "
        f"{found.recorded} of {found.asked} s recorded, {found.short} short"
    )
    body = [row for i, o in enumerate(found.occurrences) for row in _row(o, i)]
    if not found.occurrences:
        body.append(f'<text x="4" y="{TOP + ROW - 10}">no occurrence in this period</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>"
        f'<text x="4" y="20" font-weight="bold">{escape(title)}</text>' + "".join(body) + "</svg>"
    )
