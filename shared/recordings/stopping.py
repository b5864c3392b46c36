"""Stop and delete a recording's task at Tencent, and note it in the ledger; cancel one (delete where the
generation deletes, else stop).

Asked over HTTP (:meth:`Stopper.stop_asked`, :meth:`Stopper.delete_asked`), the stream is the ledger's where
liverec created the task: the caller need not repeat it, and a stream given that is not the ledger's is
refused (422 ``StreamMismatch`` naming ``stream``) rather than acted on. For a task the ledger does not know
the caller's stream is sent as before (where the generation needs one, a 422 naming ``stream`` without it).
Where the generation's delete leaves a running recording running (its row's ``delete_stops``), a recording
the ledger knows to be running is stopped first, then deleted.
"""

from shared.storage.ledger import Entry, Ledger, State
from shared.support.config import LiveApi
from shared.support.errors import IdempotencyStoreUnavailable, InvalidRequest
from shared.support.observability import logger
from shared.support.timeutil import Clock
from shared.tencent.adapter import LiveAdapter
from shared.tencent.generations import generation

MAX_TASK_ID = 256  # as shared.recordings.tracking's: longer than any generation's task id


class Stopper:
    __slots__ = ("adapter", "api", "clock", "ledger")

    def __init__(self, adapter: LiveAdapter, ledger: Ledger, api: LiveApi, clock: Clock) -> None:
        self.adapter, self.ledger, self.api, self.clock = adapter, ledger, api, clock

    def stop(self, task_id: str, stream: str | None) -> None:
        self.adapter.stop(task_id, stream=stream)
        self._mark(task_id, "stopped")

    def delete(self, task_id: str, stream: str | None) -> None:
        self.adapter.delete(task_id, stream=stream)
        self._mark(task_id, "deleted")

    def stop_asked(self, task_id: str, stream: str | None) -> Entry | None:
        """``POST /recordings/{task_id}/stop``: the ledger's stream where it knows the task; its entry."""
        entry, stream = self._known(task_id, stream)
        self.stop(task_id, stream)
        return entry

    def delete_asked(self, task_id: str, stream: str | None) -> bool:
        """``DELETE /recordings/{task_id}``: as :meth:`stop_asked`; True when a running recording was stopped
        first (the generation's delete would leave it running)."""
        entry, stream = self._known(task_id, stream)
        now = self.clock()
        running = (
            entry is not None
            and entry.state == "created"
            and entry.recording.start <= now < entry.recording.end
        )
        stop_first = running and not generation(self.api).delete_stops and generation(self.api).deletes
        if stop_first:
            self.stop(task_id, stream)
        self.delete(task_id, stream)
        return stop_first

    def _known(self, task_id: str, stream: str | None) -> tuple[Entry | None, str | None]:
        """The ledger's entry of the task (None: liverec did not create it, or the ledger cannot say) and the
        stream to send: the ledger's, or the caller's for a task it does not know."""
        if not task_id.strip() or len(task_id) > MAX_TASK_ID:  # the adapter refuses it, naming task_id
            return None, stream
        try:
            entry = self.ledger.by_task(self.api.value, task_id, self.clock())
        except IdempotencyStoreUnavailable as exc:
            if stream is None:  # nothing to send instead of the ledger's stream
                raise
            logger.warning(
                "the ledger is unavailable: the stream given is used", extra={"error": exc.to_dict()}
            )
            return None, stream
        if entry is None:
            return None, stream
        known = entry.recording.stream
        if stream is not None and stream != known:
            raise InvalidRequest(
                f"stream={stream!r} is not the stream of task {task_id} ({known!r}, as liverec created it): "
                "leave stream out, or give the task's own",
                field="stream",
                code="StreamMismatch",
            )
        return entry, known

    def cancel(self, task_id: str, stream: str) -> str:
        """Delete the task where the generation deletes (its capability row), else stop it; says which."""
        if generation(self.api).deletes:
            self.delete(task_id, stream)
            return "deleted"
        self.stop(task_id, stream)
        return "stopped"

    def _mark(self, task_id: str, state: State) -> None:
        try:
            self.ledger.mark(self.api.value, task_id, state, self.clock())
        except IdempotencyStoreUnavailable as exc:  # done at Tencent; the ledger's note is what failed
            logger.error(
                f"{state} at Tencent, but the ledger could not record it", extra={"error": exc.to_dict()}
            )
