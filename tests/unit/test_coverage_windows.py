"""Coverage as a pure function (shared/recordings/coverage.py): files clipped to the window asked, merged where
they overlap or touch, the gaps between them up to now; and the SVG drawn from a program's coverage, which is
well-formed, self-contained XML whatever its text."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from shared.recordings.coverage import clipped, coverage, gaps_of, merged
from shared.recordings.coverage_svg import MAX_DRAWN, coverage_svg
from shared.recordings.covering import OccurrenceCoverage, ProgramCoverage
from shared.storage.ledger_files import RecordFile
from shared.storage.ledger_items import file_item, record_file

T0 = 1_800_000_000  # any instant: the figures are relative to it


def file(start: int, end: int, n: int = 0, source: str = "callback") -> RecordFile:
    return RecordFile(
        f"f{n}-{start}-{end}", "http://x.example/f.mp4", "mp4", start, end, end - start, 1, 0.0, source
    )


def test_an_empty_recording_is_one_gap_up_to_now_and_nothing_recorded() -> None:
    cover = coverage((T0, T0 + 600), [], now=T0 + 600)
    assert (cover.asked, cover.recorded, cover.gaps, cover.ratio, cover.final) == (
        600,
        0,
        ((T0, T0 + 600),),
        0.0,
        True,
    )
    assert cover.short(0.95)


def test_overlapping_and_touching_files_are_merged_and_the_gaps_between_them_found() -> None:
    files = [
        file(T0, T0 + 100),
        file(T0 + 50, T0 + 150, 1),
        file(T0 + 150, T0 + 200, 2),
        file(T0 + 300, T0 + 400, 3),
    ]
    cover = coverage((T0, T0 + 500), files, now=T0 + 1000)
    assert cover.spans == ((T0, T0 + 200), (T0 + 300, T0 + 400))
    assert cover.gaps == ((T0 + 200, T0 + 300), (T0 + 400, T0 + 500))
    assert (cover.recorded, cover.ratio, cover.files) == (300, 0.6, 4)


def test_files_are_clipped_to_the_window_asked() -> None:
    files = [file(T0 - 100, T0 + 50), file(T0 + 550, T0 + 900, 1), file(T0 - 500, T0 - 10, 2)]
    cover = coverage((T0, T0 + 600), files, now=T0 + 600)
    assert cover.spans == ((T0, T0 + 50), (T0 + 550, T0 + 600))
    assert cover.recorded == 100
    assert cover.gaps == ((T0 + 50, T0 + 550),)


def test_what_is_still_ahead_of_a_recording_under_way_is_not_a_gap_and_it_is_not_short_yet() -> None:
    cover = coverage((T0, T0 + 600), [file(T0, T0 + 100)], now=T0 + 250)
    assert cover.gaps == ((T0 + 100, T0 + 250),)
    assert not cover.final and not cover.short(0.95)
    before = coverage((T0, T0 + 600), [], now=T0 - 10)
    assert before.gaps == () and before.recorded == 0


def test_full_coverage_is_not_short_and_reconciled_files_are_counted() -> None:
    cover = coverage((T0, T0 + 60), [file(T0, T0 + 30), file(T0 + 30, T0 + 60, 1, "reconciled")], now=T0 + 60)
    assert (cover.ratio, cover.gaps, cover.reconciled, cover.short(0.95)) == (1.0, (), 1, False)
    assert coverage((T0, T0), [], now=T0).ratio == 1.0  # nothing asked: nothing missing


spans = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000)), max_size=30)


@given(spans, st.integers(0, 500), st.integers(0, 500))
def test_recorded_and_gaps_partition_the_window(raw: list[tuple[int, int]], low: int, length: int) -> None:
    window = (low, low + length)
    inside = merged(clipped(raw, window))
    gaps = gaps_of(inside, window)
    assert sum(e - s for s, e in inside) + sum(e - s for s, e in gaps) == length
    covered = {t for s, e in raw for t in range(s, e)} & set(range(*window))
    assert {t for s, e in inside for t in range(s, e)} == covered
    assert all(a[1] < b[0] for a, b in itertools.pairwise(inside))  # disjoint, not touching


def test_a_reconciled_file_keeps_its_source_through_the_store_and_a_callback_one_writes_none() -> None:
    kept = file(T0, T0 + 60, source="reconciled")
    item = file_item("record-task:t1", kept, T0 + 86400)
    assert item["source"] == {"S": "reconciled"}
    assert record_file(kept.file_id, item) == kept
    plain = file_item("record-task:t1", file(T0, T0 + 60), T0 + 86400)
    assert "source" not in plain and record_file("x", plain).source == "callback"


def at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_the_svg_is_well_formed_self_contained_and_escapes_every_text() -> None:
    hostile = "a<b>&\"c'</svg><script>x</script>"
    cover = coverage((T0, T0 + 600), [file(T0, T0 + 100), file(T0 + 200, T0 + 600, 1)], now=T0 + 700)
    found = ProgramCoverage(
        hostile,
        (at(T0 - 3600), at(T0 + 3600)),
        [
            OccurrenceCoverage(at(T0), at(T0 + 600), "t1", "ended", cover),
            OccurrenceCoverage(at(T0 + 900), at(T0 + 1500), None, None, None),
        ],
        False,
        0.95,
    )
    svg = coverage_svg(found)
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output: well-formed, or this raises
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}script") and "<script" not in svg
    assert "href" not in svg and "url(" not in svg
    texts = "".join(root.itertext())
    assert hostile in texts  # shown as text, escaped in the document
    reds = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == "#d22"]
    assert len(reds) == 1  # the one gap, T0+100 to T0+200
    empty = coverage_svg(ProgramCoverage("p", (at(T0), at(T0 + 60)), [], False, 0.95))
    assert "no occurrence" in "".join(ElementTree.fromstring(empty).itertext())  # noqa: S314


def test_the_svg_stays_bounded_however_many_files_a_recording_has() -> None:
    files = [file(T0 + 2 * n, T0 + 2 * n + 1, n) for n in range(10_000)]  # 10,000 files, a gap after each
    cover = coverage((T0, T0 + 20_000), files, now=T0 + 20_000)
    assert len(cover.gaps) == 10_000
    rows = [OccurrenceCoverage(at(T0), at(T0 + 20_000), f"t{n}", "ended", cover) for n in range(50)]
    svg = coverage_svg(ProgramCoverage("p", (at(T0), at(T0 + 86400)), rows, False, 0.95))
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 50 * (1 + 2 * MAX_DRAWN)
    assert len(svg) < 2_000_000 and "50.0%+" in svg
