"""What a create asks the recordings domain for, typed and already checked: built by the edge from the body it
validated (:meth:`~shared.recordings.models.RecordingInput.request`) or by a tick from its chunk
(:meth:`~shared.recordings.planning.Chunk.request`), and never validated again. The rules
(:func:`~shared.recordings.rules.plan_recording`) turn it into Tencent's plan."""

from datetime import datetime
from typing import Any

from shared.support.records import Record
from shared.tencent.types import Mode

DEFAULT_REALTIME_DURATION = 300
# a recording's options, by name (as RecordingOptions declares them; a test holds the two equal)
OPTIONS = ("format", "record_type", "template_id", "stream_type", "record_interval", "storage_time")


class RecordingRequest(Record):
    __slots__ = ()
    mode: Mode
    stream: str
    # the digest a replay of this request is compared by: the mode and the fields the caller set, as JSON
    # (shared.storage.ledger.fingerprint), the same whether the edge or a tick built it
    fingerprint: str
    given: frozenset[str] = frozenset()  # the fields the caller set (a default from the configuration is not)
    domain: str | None = None
    app: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    duration: int | None = None
    format: str | None = None
    record_type: str | None = None
    template_id: int | None = None
    stream_type: int | None = None
    record_interval: int | None = None
    storage_time: int | None = None

    def options(self) -> dict[str, Any]:
        """The options set, by name."""
        return {name: getattr(self, name) for name in OPTIONS if getattr(self, name) is not None}
