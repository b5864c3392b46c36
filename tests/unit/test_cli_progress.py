"""The CLI's tick progress line, on a terminal and in a pipe, against a server whose tick books a program's
occurrences a few at a time while the CLI polls (no network: a fake client)."""

from __future__ import annotations

import io
import threading
from typing import Any

from devtools import liverec_cli

STARTS = [f"2027-01-01T{h:02d}:00:00Z" for h in range(6)]


class Ticking:
    """A program of six occurrences, two booked before the tick; each poll after the tick began books one
    more; the tick answers once all six are booked."""

    def __init__(self) -> None:
        self.booked = 2
        self.ticking = False
        self.all_booked = threading.Event()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if method == "POST":
            self.ticking = True
            assert self.all_booked.wait(10)
            return {
                "occurrences": 6,
                "created": ["t"] * 4,
                "existing": 2,
                "failed": [],
                "unresolved": [],
                "deferred": [],
            }
        if path.startswith("/programs?"):
            return {"programs": [{"name": "news"}], "next": None}
        if self.ticking:
            self.booked = min(6, self.booked + 1)
        if self.booked == 6:
            self.all_booked.set()
        shown = [{"start": s, "booked": i < self.booked} for i, s in enumerate(STARTS)]
        return {"name": "news", "occurrences": shown}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_tick(out: io.StringIO) -> int:
    return liverec_cli.tick(Ticking(), out, interval=0.001)  # type: ignore[arg-type]


def test_in_a_pipe_each_change_is_a_line_of_its_own() -> None:
    out = io.StringIO()
    assert run_tick(out) == 0
    text = out.getvalue()
    lines = text.splitlines()
    # no carriage returns, no escape sequences, no blank line; each figure once, in order
    assert "\r" not in text and "\x1b" not in text and "" not in lines
    progress = [line for line in lines if line.startswith("booking: ")]
    assert progress == sorted(set(progress), key=progress.index)
    # counted against what was not booked when the tick began (4), not the program's six
    assert progress[-1] == "booking: 4/4 occurrences booked"
    assert all(line.endswith("/4 occurrences booked") for line in progress)
    assert lines[-1].startswith("tick: 6 occurrences, 4 booked, 2 already booked")


def test_on_a_terminal_the_line_is_rewritten_in_place_and_ended_once() -> None:
    out = Terminal()
    assert run_tick(out) == 0
    progress, _, final = out.getvalue().rpartition("\n")[0].rpartition("\n")
    # each rewrite returns to the line's start and clears what a longer line left
    assert progress.startswith("\rbooking: ") and progress.endswith("\x1b[K")
    assert progress.count("\r") == progress.count("\x1b[K") >= 1
    assert "\rbooking: 4/4 occurrences booked\x1b[K" in progress
    assert final.startswith("tick: 6 occurrences")
