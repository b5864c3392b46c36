"""The recordings ledger: the system of record of every recording liverec creates, and the claim protocol
that makes a create happen exactly once over time, across containers and after a crash.

One entry per recording, keyed by its **origin key** (what asked for it: an ``Idempotency-Key``, a rollout
occurrence, a Tencent callback event, a signed hook) and findable by its task id. An entry holds the
generation, the stream (domain, app, stream), the window, the mode, the origin, its state and when it may be
forgotten::

    claim ──► in_progress ──create answered──► created ──stop──► stopped
                  │   │                           └────delete──► deleted
                  │   └──no answer (may exist)──► unknown
                  └──certainly not created──► (released: the key is free again)

- ``claim`` is atomic: exactly one caller owns a new key; everyone else reads the entry already there.
- A claim carries a **lease** longer than its holder can run (the Lambda deadline plus a margin). A claim
  whose lease has run out, like an ``unknown`` entry, is never taken over blindly: the caller reconciles
  (looks the task up where the generation can list) and only a successful ``reclaim`` of the very entry it
  observed (its ``owner`` token) lets it create again.
- Retention is by meaning (:func:`retain_until`): an entry lives at least a day, and at least a day past
  the end of its recording window, whatever its origin.
- The files Tencent recorded for a created task (its record-file callbacks) are kept one entry each, by the
  task and the file's ``file_id`` (:meth:`Ledger.add_file`: a redelivery adds nothing), a bounded number per
  task, each living as long as the recording's entry, and read a page at a time (:meth:`Ledger.files`;
  :mod:`shared.storage.ledger_files`). Entries written by earlier versions hold their files inline
  (``Entry.inline_files``, at most 500): read with the others, never written.
- Created entries are listed by stream (:meth:`Ledger.by_stream`): where Tencent cannot list tasks, the
  ledger answers what liverec created.

The in-process :class:`MemoryLedger` serves tests and local runs; :mod:`shared.storage.ledger_dynamodb` keeps
the same entries in the DynamoDB table (``LIVEREC_IDEMPOTENCY_TABLE``). No path imports boto3.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any, Literal, Protocol, Self

from shared.storage.ledger_files import FilePage, RecordFile
from shared.support.records import Record

State = Literal["in_progress", "created", "stopped", "deleted", "unknown"]
OriginKind = Literal["http", "hook", "rollout", "callback"]
DONE: frozenset[str] = frozenset({"created", "stopped", "deleted"})  # a task exists (or existed): replay it

# Retention: every entry at least a day, and at least a day past its window's end. That covers an HTTP
# retry (24 h), Tencent's callback redeliveries (13 deliveries a minute apart), and a rollout occurrence
# until well after its window has left every tick's horizon.
MIN_RETENTION = 86400.0
AFTER_END = 86400.0


def retain_until(now: float, end: float | None) -> float:
    """When an entry may be forgotten (the table's TTL attribute ``expiration``)."""
    return max(now + MIN_RETENTION, (end if end is not None else now) + AFTER_END)


class Origin(Record):
    """What asked for a recording: ``kind``, and the program or callback rule by ``name`` where there is one."""

    __slots__ = ()
    kind: OriginKind
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}


ADOPTED = "adopted: already at Tencent"  # the warning an adopted recording carries
CLOCK_SKEW = 60.0  # seconds two containers' clocks may disagree by without a create being made twice


class Recording(Record):
    """A recording as liverec asked for it: planned (``task_id`` None) or created. Times are UNIX seconds."""

    __slots__ = ()
    api: str
    mode: str
    stream: str
    domain: str | None
    app: str | None
    start: int
    end: int
    task_id: str | None = None
    warnings: tuple[str, ...] = ()
    # the task was found at Tencent and recorded here (adopted), not created by this entry's create: another
    # program, caller or container booked it, so cancelling this entry's program never stops or deletes it
    found: bool = False

    @property
    def booked_here(self) -> bool:
        """Whether this entry's own create made the task (not found at Tencent and adopted). Entries adopted
        before the ``found`` flag existed carry only the adoption warning."""
        return not self.found and ADOPTED not in self.warnings

    @property
    def sends_start(self) -> bool:
        """Whether the create carried the start (scheduled) or Tencent started it on arrival (real-time)."""
        return self.mode == "scheduled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "mode": self.mode,
            "stream": self.stream,
            "domain": self.domain,
            "app": self.app,
            "start": self.start,
            "end": self.end,
            "task_id": self.task_id,
            "warnings": list(self.warnings),
            "found": self.found,
        }


class Entry(Record):
    __slots__ = ()
    key: str
    state: State
    fingerprint: str
    origin: Origin
    owner: str  # the token of the claim that last wrote this entry; reclaim and release check it
    claimed_at: float
    lease_until: float  # in_progress only: until then its holder may still be running
    expires_at: float
    recording: Recording  # planned (in_progress, unknown) or created (with its task id)
    updated_at: float
    # files an earlier version kept inline on the entry (read for them, never written: Ledger.files)
    inline_files: tuple[RecordFile, ...] = ()
    # in_progress only: the holder was about to send its create (written before the first byte left). A claim
    # whose lease ran out without it certainly never reached Tencent: created again, never in doubt
    sent: bool = False

    def held(self, now: float) -> bool:
        """A claim whose holder may still be running: wait for it, never reconcile under it. One whose create
        may be on its way is held :data:`CLOCK_SKEW` longer: its lease is the holder's clock, and the reader's
        may run ahead of it (a reconcile then would find nothing yet and create a second task)."""
        return self.state == "in_progress" and now < self.lease_until + (CLOCK_SKEW if self.sent else 0.0)

    def in_doubt(self, now: float) -> bool:
        """A create that may have reached Tencent without an answer: its outcome was unknown, or its holder
        died after sending. A claim that died before sending is not in doubt: nothing left."""
        return self.state == "unknown" or (self.state == "in_progress" and self.sent and not self.held(now))


class StreamPage(Record):
    """One page of a stream's created recordings, by start; ``after`` resumes after the last one."""

    __slots__ = ()
    entries: list[Entry]
    after: tuple[int, str] | None  # (start, key) of the last entry, when more may follow


class Claim(Record):
    """What ``claim`` asks for. ``owner``: the claim's token, fresh per claim unless given (a take-over
    writes the token it claimed with). ``sent``: a take-over of an entry in doubt, which a crash must leave
    in doubt (its task may exist), never as a claim that certainly sent nothing."""

    __slots__ = ()
    key: str
    fingerprint: str
    origin: Origin
    now: float
    lease_until: float
    recording: Recording  # the plan: what a reconciler looks for if this claim's holder dies
    owner: str = ""  # not given (empty): a fresh token, drawn as the claim is built
    sent: bool = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        claim = super().__new__(cls, *args, **kwargs)
        return claim if claim.owner else claim._replace(owner=uuid.uuid4().hex)

    def entry(self) -> Entry:
        return Entry(
            key=self.key,
            state="in_progress",
            fingerprint=self.fingerprint,
            origin=self.origin,
            owner=self.owner,
            claimed_at=self.now,
            lease_until=self.lease_until,
            expires_at=retain_until(self.now, self.recording.end),
            recording=self.recording,
            updated_at=self.now,
            sent=self.sent,
        )


class Summary(Record):
    """A shard of the rollout's occurrences, key -> window end: ``done`` (a task exists or existed),
    ``unresolved`` (a create got no answer: the task may exist), and the summary's version. Never changed
    once built (its dicts neither): :meth:`merged` makes the next one."""

    __slots__ = ()
    done: dict[str, int]
    version: int
    unresolved: dict[str, int]

    @classmethod
    def empty(cls, version: int = 0) -> Self:
        """A shard with nothing noted (at ``version``: an expired summary's, for the next conditional
        write)."""
        return cls({}, version, {})

    def merged(self, add: dict[str, int], unresolved: dict[str, int], drop: dict[str, int]) -> "Summary":
        """This summary with ``add`` and ``unresolved`` noted and ``drop`` forgotten, one version on; an
        occurrence noted done is no longer unresolved."""
        done = {k: end for k, end in (self.done | add).items() if k not in drop}
        doubt = {
            k: end for k, end in (self.unresolved | unresolved).items() if k not in drop and k not in done
        }
        return Summary(done, self.version + 1, doubt)


class Ledger(Protocol):
    def claim(self, claim: Claim) -> Entry | None:
        """Own ``claim.key`` (returns None), or return the live entry already stored under it."""

    def get(self, key: str, now: float) -> Entry | None: ...

    def get_many(self, keys: Iterable[str], now: float) -> dict[str, Entry]:
        """The live entries of ``keys`` (absent keys are left out), read consistently."""

    def settle(self, key: str, owner: str, state: State, recording: Recording, now: float) -> bool:
        """Record the outcome of the claim ``owner`` holds (``created`` or ``unknown``), indexed by task id
        when there is one. False when the claim is no longer ``owner``'s (nothing written)."""

    def sending(self, key: str, owner: str, now: float) -> bool:
        """Note on the claim ``owner`` holds that its create is about to be sent (before the first byte
        leaves). False when the claim is no longer ``owner``'s: then nothing may be sent."""

    def release(self, key: str, owner: str) -> None:
        """Forget ``owner``'s claim: its create certainly did not happen."""

    def reclaim(self, observed: Entry, claim: Claim) -> bool:
        """Atomically turn ``observed`` (unknown, or a claim whose lease ran out) into ``claim``; False when
        the entry changed since it was read."""

    def by_task(self, api: str, task_id: str, now: float) -> Entry | None: ...

    def mark(self, api: str, task_id: str, state: State, now: float) -> Entry | None:
        """A created recording was stopped or deleted; None when the ledger does not know the task."""

    def add_file(self, api: str, task_id: str, file: RecordFile, now: float) -> bool:
        """Keep a file Tencent recorded for a created task, once per ``file_id`` (a redelivery, or the same
        file again, changes nothing: the first arrival is kept). True when kept (now or before); False when
        the ledger does not know the task. ``TooManyFiles`` past ``MAX_FILES``, ``FileTooLarge`` past
        ``MAX_FILE_BYTES`` (both 413, :mod:`shared.storage.ledger_files`): nothing written."""

    def files(self, entry: Entry, now: float, *, after: str | None = None, limit: int = 100) -> FilePage:
        """A page of the files of ``entry``'s task (with those an earlier version kept inline), by
        position (``ledger_files.file_position``), after the position ``after``; at most ``limit``."""

    def by_stream(
        self,
        api: str,
        stream: str,
        now: float,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 100,
    ) -> StreamPage:
        """The live entries of ``stream`` that have a task id or are ``unknown`` (in doubt, none yet), by
        start (within ``[start_from, start_to]``), resuming ``after`` a page's last (start, key). Reads are
        proportional to the stream's entries."""

    def settled(self, shards: Iterable[str], now: float) -> dict[str, Summary]:
        """Per shard of the rollout's programs, the occurrence keys whose entries are settled (created,
        stopped or deleted), and those whose outcome is unknown, with their window's end: a tick reads a few
        summary items, not one entry per occurrence. Both states are final while an entry lives (an unknown
        entry changes only by a reclaim, which the tick decides on from the summary alone), so this is a
        safe summary of the entries."""

    def note_settled(
        self,
        shard: str,
        seen: Summary,
        add: dict[str, int],
        drop: dict[str, int],
        now: float,
        *,
        unresolved: dict[str, int] | None = None,
    ) -> None:
        """Add settled (``add``) and unknown (``unresolved``) occurrences to a shard's summary (read as
        ``seen``); ``drop`` those whose window ended."""


def ledger_key(kind: OriginKind, key: str) -> str:
    """The ledger's key for an origin's own key: each origin has its own namespace."""
    return f"{kind}:{key}"


def fingerprint(payload: Any) -> str:
    """A stable digest of the request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def task_ref(api: str, task_id: str) -> str:
    return f"{api}:{task_id}"
