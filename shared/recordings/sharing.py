"""One recording, one task, within a tick: the programs whose chunks are the same recording (the stream as
the generation names it, the window, the options: :func:`~shared.recordings.planning.identity`), what one of
them has booked (the others share its task) and what is under way or in doubt (the others wait)."""

from __future__ import annotations

from shared.recordings.planning import Chunk, Identity, identity
from shared.storage.ledger import Entry, Ledger, ledger_key
from shared.support.timeutil import Clock


class Shared:
    """Per tick, the recordings several programs ask for: the task one's booking holds (``booked``), or that
    one is being booked or in doubt (``busy``: the others wait, never book it again). Filled as it goes."""

    __slots__ = ("booked", "busy")

    def __init__(self) -> None:
        self.booked: dict[Identity, str] = {}
        self.busy: set[Identity] = set()


def siblings(
    ledger: Ledger, clock: Clock, chunks: list[Chunk], todo: list[Chunk], entries: dict[str, Entry]
) -> Shared:
    """What the other programs asking for the same recordings as ``todo`` have booked (one extra read, only
    where programs share a recording)."""
    if not todo:  # a steady tick: nothing to book, nothing to compare
        return Shared()
    wanted = {identity(c) for c in todo}
    near = {same[:5] for same in wanted}  # stream and window first: cheap, and rarely shared
    siblings = [
        c for c in chunks if (c.domain, c.app, c.program.stream, *c.span) in near and identity(c) in wanted
    ]
    if len(siblings) == len(todo):
        return Shared()
    missing = [ledger_key("rollout", c.key) for c in siblings if ledger_key("rollout", c.key) not in entries]
    found = {**entries, **(ledger.get_many(missing, clock()) if missing else {})}
    shared = Shared()
    now = clock()
    for chunk in siblings:
        entry = found.get(ledger_key("rollout", chunk.key))
        if entry is None:
            continue
        if entry.state == "created" and entry.recording.task_id is not None:
            shared.booked.setdefault(identity(chunk), entry.recording.task_id)
        elif entry.held(now) or entry.in_doubt(now):
            shared.busy.add(identity(chunk))
    return shared
