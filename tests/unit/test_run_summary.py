"""``make run``'s replay lines: a summary is short, and cut between words, never inside one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devtools.run import SUMMARY_WIDTH, clip

WORDS = st.lists(st.text(alphabet="abcdefghij=':(),.", min_size=1, max_size=14), min_size=1, max_size=30)


@given(WORDS)
def test_a_summary_is_never_cut_inside_a_word(words: list[str]) -> None:
    text = " ".join(words)
    out = clip(text)
    assert len(out) <= SUMMARY_WIDTH
    if out == text:
        return
    assert out.endswith("...")
    kept = out.removesuffix("...")
    assert text.startswith(kept)
    # what was kept ends a word (the text goes on with a space or a separator), unless one word alone
    # is longer than the line
    assert text[len(kept) : len(kept) + 1] in (" ", ",", ";", ":") or " " not in kept


def test_the_replays_refusal_line() -> None:
    message = "InvalidRequest: start='2026-05-20T20:00:00' has no UTC offset; add one (e.g. +08:00 for China)"
    assert clip(message) == "InvalidRequest: start='2026-05-20T20:00:00' has no UTC offset; add..."
