"""`make month`'s verdict on one generation, from what the month asked for and what Tencent ended up holding.
Pure: no emulator, no store; the unit tests feed it by hand (tests/unit/test_month_verdict.py).

A recording's identity is the stream as the generation names it and the window (``Identity``); a task booked
while its occurrence was under way (shortened: from the booking tick to the window's end) counts for that
occurrence. Of the occurrences the oracle says the programs asked for:

- ``expected``: required ones (their window starts while their program existed and within the month);
- ``booked``: those with a live task (neither deleted nor stopped);
- ``duplicated``: identities with more than one live task, but for ``oneoff_twice``: a one-off's window that a
  program asks for too, booked once by each where the generation cannot look tasks up (README, "What exactly
  once covers": two keys for one recording are two recordings; where it can, the tick adopts the one-off's);
- ``missed``: expected without a live task, each in one of three kinds: ``in_doubt`` (some tick reported it
  unresolved: where the generation cannot look tasks up, a kill between send and answer leaves it so, and
  says so), ``no_chance`` (no tick that could book it ran clean: every one was killed or hit by a fault),
  or ``silent`` (neither: a failure);
- ``left_behind``: live tasks for occurrences of a cancelled program that had not started at the cancel,
  and that no program still stored (nor a one-off) asks for, unless the cancel's answer named them as not
  cancelled (``left_reported``: in doubt when the cancel ran, as a kill between send and answer leaves an
  occurrence where the generation cannot look tasks up: the operator was told to check the stream);
- ``oneoffs_lost``: one-off recordings without a live task at the end;
- ``stray``: live tasks no program and no one-off asked for.

It fails on any duplicate, silent miss, leftover, lost one-off or stray task.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

Identity = tuple[str | None, str | None, str, int, int]  # domain, app, stream, start, end


@dataclass
class Asked:
    """What the month asked for, by the oracle, and what the ticks reported."""

    expected: set[Identity] = field(default_factory=set)
    allowed: set[Identity] = field(default_factory=set)  # may be booked or not (see devtools.month)
    cancelled: set[Identity] = field(default_factory=set)  # must not be live at the end
    oneoffs: set[Identity] = field(default_factory=set)
    chances: Counter[Identity] = field(default_factory=Counter)  # clean ticks it was due at
    unresolved: set[Identity] = field(default_factory=set)  # reported in doubt by some tick
    not_cancelled: set[Identity] = field(default_factory=set)  # reported so by the cancel (in doubt there)
    lists: bool = True  # the generation can look tasks up (and so adopts a one-off's task)


@dataclass
class Verdict:
    expected: int = 0
    booked: int = 0
    duplicated: list[Identity] = field(default_factory=list)
    oneoff_twice: list[Identity] = field(default_factory=list)
    in_doubt: list[Identity] = field(default_factory=list)
    no_chance: list[Identity] = field(default_factory=list)
    silent: list[Identity] = field(default_factory=list)
    left_behind: list[Identity] = field(default_factory=list)
    left_reported: list[Identity] = field(default_factory=list)
    oneoffs_lost: list[Identity] = field(default_factory=list)
    stray: list[Identity] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return len(self.in_doubt) + len(self.no_chance) + len(self.silent)

    @property
    def failures(self) -> dict[str, list[Identity]]:
        """What fails the month, by kind (empty: it passes)."""
        found = {
            "duplicated": self.duplicated,
            "silent miss": self.silent,
            "left behind": self.left_behind,
            "one-off lost": self.oneoffs_lost,
            "stray": self.stray,
        }
        return {kind: sorted(ids, key=str) for kind, ids in found.items() if ids}


def occurrence_of(known: set[Identity], task: Identity) -> Identity:
    """The occurrence a task records: its own window, or, booked while already under way (shortened: from
    the tick that booked it to the window's end), the one known window it ends with and started before it."""
    if task in known:
        return task
    late = [i for i in known if i[:3] == task[:3] and i[4] == task[4] and i[3] < task[3]]
    return late[0] if len(late) == 1 else task


def judge(asked: Asked, tasks: Iterable[tuple[Identity, bool]]) -> Verdict:
    """``tasks``: each task Tencent holds at the end, as its identity and whether it is live."""
    known = asked.expected | asked.allowed | asked.oneoffs | asked.cancelled
    live = Counter(occurrence_of(known, identity) for identity, alive in tasks if alive)
    verdict = Verdict(expected=len(asked.expected))
    twice = [i for i, n in live.items() if n > 1]
    # a one-off and a program's booking of its window: two keys, two recordings where tasks cannot be looked up
    verdict.oneoff_twice = [i for i in twice if i in asked.oneoffs and not asked.lists and live[i] == 2]
    verdict.duplicated = [i for i in twice if i not in verdict.oneoff_twice]
    verdict.booked = sum(1 for i in asked.expected if live[i])
    for missing in (i for i in asked.expected if not live[i]):
        if missing in asked.unresolved:
            verdict.in_doubt.append(missing)
        elif not asked.chances[missing]:
            verdict.no_chance.append(missing)
        else:
            verdict.silent.append(missing)
    wanted = asked.expected | asked.allowed | asked.oneoffs
    left = [i for i in asked.cancelled - wanted if live[i]]
    verdict.left_reported = [i for i in left if i in asked.not_cancelled]
    verdict.left_behind = [i for i in left if i not in asked.not_cancelled]
    verdict.oneoffs_lost = [i for i in asked.oneoffs if not live[i]]
    verdict.stray = [i for i in live if i not in wanted and i not in asked.cancelled]
    return verdict
