"""``GET /recordings`` where Tencent lists by window (``record-task``: DescribeRecordTask shows the tasks
whose start **and** end lie in the window): Tencent's pages, and after its last page what the ledger knows
that the window cannot show: the recordings liverec created for the stream that start in the window and
end after it (upcoming ones reaching past the default window, now + 6 days, among them). Each item says
where it came from; a task is listed once.

``next`` is ours: ``t.`` and Tencent's token while Tencent has pages, then ``l.`` and the ledger's position
(with the window) while the ledger has more. Each answer is one page of Tencent's and at most one page of
the ledger's (:data:`~shared.recordings.tracking.LEDGER_PAGE` entries read), so paging stays bounded.
Without ``stream`` nothing is merged: the ledger lists by stream.
"""

from __future__ import annotations

import base64
import binascii
import json

from shared.recordings import status
from shared.recordings.tracking import LEDGER_PAGE, Booked, Listed, Listing, recording_state
from shared.storage.ledger import Entry, Ledger
from shared.support.errors import InvalidPageToken
from shared.support.timeutil import to_unix
from shared.tencent.adapter import LiveAdapter
from shared.tencent.generations import Generation
from shared.tencent.types import TaskQuery

TENCENT, LEDGER = "t.", "l."
Position = tuple[int, int, int, str]  # the window (lo, hi) and the ledger's (start, key) to resume after


def merged(ledger: Ledger, adapter: LiveAdapter, gen: Generation, query: TaskQuery, now: float) -> Listing:
    """One page: Tencent's (``t.``), with the ledger's first page after Tencent's last; or the ledger's
    next page (``l.``)."""
    token = query.page_token or ""
    if token.startswith(LEDGER):
        lo, hi, start, key = _read(token[len(LEDGER) :])
        if not query.stream:  # a token of a stream's list, given without it
            raise InvalidPageToken("next: not a page token of this query (give its stream)", field="next")
        tasks, nxt = _extras(ledger, gen, query, now=now, window=(lo, hi), after=(start, key), seen=set())
        return Listing(tasks, nxt, "tencent")
    scroll = token[len(TENCENT) :] if token.startswith(TENCENT) else token or None  # as before: Tencent's
    page = adapter.list_tasks(query._replace(page_token=scroll))
    tasks = [Listed(t, status.of_task(gen, t, now), "tencent") for t in page.tasks]
    if page.next_token:
        return Listing(tasks, TENCENT + page.next_token, "tencent")
    if page.window is None or not query.stream:
        return Listing(tasks, None, "tencent")
    window = (to_unix(page.window[0]), to_unix(page.window[1]))
    seen = {t.task_id for t in page.tasks}
    more, nxt = _extras(ledger, gen, query, now=now, window=window, after=None, seen=seen)
    return Listing(tasks + more, nxt, "tencent")


def _extras(
    ledger: Ledger,
    gen: Generation,
    query: TaskQuery,
    *,
    now: float,
    window: tuple[int, int],
    after: tuple[int, str] | None,
    seen: set[str],
) -> tuple[list[Listed], str | None]:
    """A page of the stream's recordings in the ledger that start in the window and end after it."""
    assert query.stream is not None  # noqa: S101 - merged() merges only for a stream
    lo, hi = window
    longest = max(gen.scheduled_cap or gen.realtime_cap, gen.realtime_cap)
    page = ledger.by_stream(
        gen.api.value,
        query.stream,
        now,
        start_from=max(lo, hi - int(longest.total_seconds())),  # ending after hi, so starting after this
        start_to=hi,
        after=after,
        limit=LEDGER_PAGE,
    )
    tasks = [
        Listed(Booked(e, recording_state(e, now)), status.of_entry(e, now), "ledger")
        for e in page.entries
        if _unseen(e, query, hi, seen)
    ]
    nxt = None if page.after is None else LEDGER + _write((lo, hi, *page.after))
    return tasks, nxt


def _unseen(entry: Entry, query: TaskQuery, hi: int, seen: set[str]) -> bool:
    rec = entry.recording
    return (
        rec.task_id is not None
        and rec.task_id not in seen
        and rec.end > hi
        and (query.domain is None or rec.domain in (None, query.domain))
        and (query.app is None or rec.app in (None, query.app))
    )


def _write(position: Position) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def _read(text: str) -> Position:
    try:
        lo, hi, start, key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, TypeError):
        lo = hi = start = key = None
    numbers = (lo, hi, start)
    if (
        not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 10**11 for n in numbers)
        or not isinstance(key, str)
        or not 0 < len(key) <= 1024
    ):
        raise InvalidPageToken("next: not a page token this API gave", field="next")
    return lo, hi, start, key
