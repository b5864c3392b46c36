"""Finding a recording's task at Tencent: every look-up window and page a stream's tasks need (where the
generation lists tasks), which listed task is the recording planned, and what answers a create in doubt
where the generation cannot look tasks up."""

from collections.abc import Iterable

from shared.recordings.policy import Policy
from shared.storage.ledger import Recording
from shared.support.errors import OutcomeUnresolved
from shared.support.timeutil import Clock, from_unix, isoformat, to_unix
from shared.tencent.adapter import LiveAdapter
from shared.tencent.generations import Generation
from shared.tencent.types import TaskInfo, TaskQuery

# A task is listed when its start and end both lie in the look-up window: a window has this margin each side.
LOOKUP_PAD = 60
MAX_PAGES = 50  # of one query's answer


def same_recording(task: TaskInfo, planned: Recording) -> bool:
    """A listed task is the planned recording: the same stream (domain and app where the generation has
    them) and window (the start only where the create sent one; to the second)."""
    if task.stream != planned.stream or task.end is None:
        return False
    if planned.domain is not None and task.domain not in (None, planned.domain):
        return False
    if planned.app is not None and task.app not in (None, planned.app):
        return False
    if abs(to_unix(task.end) - planned.end) > 1:
        return False
    return not planned.sends_start or (
        task.start is not None and abs(to_unix(task.start) - planned.start) <= 1
    )


def lookup_windows(gen: Generation, spans: Iterable[tuple[int, int]], now: float) -> list[tuple[int, int]]:
    """The fewest look-up windows (each shorter than the generation's window, none before its look-back
    limit) such that every span lies wholly inside one of them."""
    assert gen.list_window is not None and gen.list_lookback is not None  # noqa: S101 - a windowed lister
    widest = int(gen.list_window.total_seconds()) - 1  # "at most a week": send less than a week
    floor = int(now - gen.list_lookback.total_seconds()) + 3600
    windows: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        lo, hi = max(start - LOOKUP_PAD, floor), end + LOOKUP_PAD
        if windows and hi - windows[-1][0] <= widest:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, min(hi, lo + widest)))
    return windows


def unresolvable(policy: Policy, planned: Recording) -> OutcomeUnresolved | None:
    """For a recording in doubt (its entry unknown, or claimed by a holder that may have died): the
    refusal to create again, where the generation cannot look tasks up and
    LIVEREC_UNKNOWN_OUTCOME=report; else None."""
    if policy.lists_tasks or policy.unknown_outcome == "recreate":
        return None
    return OutcomeUnresolved(
        f"an earlier create for this key (stream {planned.stream}, "
        f"{isoformat(from_unix(planned.start))} to {isoformat(from_unix(planned.end))}) got no answer, "
        f"and LIVE_API={policy.api.value} cannot look tasks up: it may or may not have made a "
        "recording, so liverec will not make another. Check the stream's recordings in Tencent's "
        "console; to record anyway, send the request again with a new Idempotency-Key.",
        api=policy.api.value,
        action="reconcile",
    )


class TaskFinder:
    """A stream's tasks at Tencent, where the generation lists them."""

    __slots__ = ("adapter", "clock", "generation")

    def __init__(self, adapter: LiveAdapter, generation: Generation, clock: Clock) -> None:
        self.adapter, self.generation, self.clock = adapter, generation, clock

    def find(
        self, stream: str, domain: str | None, app: str | None, spans: Iterable[tuple[int, int]]
    ) -> list[TaskInfo]:
        """The stream's tasks that could be any of ``spans``: every look-up window and page needed."""
        if self.generation.lists == "channel":  # every page of the channel's tasks; no window
            return self._pages(TaskQuery(stream=stream))
        tasks: list[TaskInfo] = []
        for lo, hi in lookup_windows(self.generation, spans, self.clock()):
            tasks += self._pages(
                TaskQuery(stream=stream, domain=domain, app=app, start=from_unix(lo), end=from_unix(hi))
            )
        return tasks

    def _pages(self, query: TaskQuery) -> list[TaskInfo]:
        tasks: list[TaskInfo] = []
        token: str | None = None
        for _ in range(MAX_PAGES):  # bounded paging
            page = self.adapter.list_tasks(query._replace(page_token=token))
            tasks += page.tasks
            token = page.next_token
            if not token:
                break
        return tasks
