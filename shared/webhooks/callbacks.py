"""Tencent Live callbacks (``POST /callbacks/tencent``) and signed highlight hooks, as logic without HTTP.

- events 1 (stream begin) and 0 (stream end): what the callback rules say (``shared.webhooks.streams``: the
  first matching rule starts a recording, once for Tencent's 13 deliveries; its ``stop_on_end`` stops it);
- events 100 (record file) and 332 (record status): validated, logged, counted, queued to be forwarded
  (signed; ``shared.webhooks.outbox`` sends them after the answer); a record file is first kept in the
  ledger with the recording of its ``task_id`` (once per ``file_id``), so ``GET /recordings/{task_id}``
  shows it. A file for a task the ledger does not know (liverec did not create
  it) is forwarded, not kept: ``sign`` does not cover the body, so keeping whatever task id a body names would
  let one captured callback fill the table. Every field named ``*url`` of these events is checked before
  anything is kept or forwarded (``checked_urls``: http(s) on a public host name, within
  ``LIVEREC_CALLBACK_URL_HOSTS`` when set), else the callback is refused (422 ``InvalidUrl``). A file the
  ledger refuses for its size (a recording holding ``MAX_FILES`` already, or a file's entry past its bound)
  is queued all the same and answered 413 with the reason; a ledger that is down answers 503 before anything
  is queued (Tencent redelivers);
- anything else is acknowledged and logged.

``receive`` admits each verified callback under its ``t``/``sign`` first (``shared.webhooks.replay``): an
exact replay of one already handled is acknowledged without effect, another body for the same event refused.
"""

from __future__ import annotations

from typing import Any

from shared.recordings.creating import CreateOnce
from shared.recordings.models import parse_input
from shared.recordings.stopping import Stopper
from shared.recordings.tracking import Lookup
from shared.storage.state import StateStore
from shared.support.errors import TooLargeToKeep
from shared.support.observability import count, logger
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, system_clock
from shared.webhooks.outbox import Forwarder
from shared.webhooks.replay import ReplayGuard
from shared.webhooks.streams import CallbackRule, StreamCallbacks, parse_rules
from shared.webhooks.tencent_events import (
    FORWARDED,
    KNOWN_IGNORED,
    RecordFileEvent,
    StreamEvent,
    TencentEvent,
    checked_urls,
    event_type_of,
    identity,
    payload_id,
    record_file_of,
)

__all__ = ["CallbackRule", "CallbackService", "parse_rules"]  # the rules are read where they were


class CallbackService:
    """One verified callback: read, admitted (``receive``), and acted on: stream events by
    ``StreamCallbacks``, record files kept then queued, record status queued, anything else acknowledged."""

    def __init__(
        self,
        creator: CreateOnce,
        stopper: Stopper,
        lookup: Lookup,  # where a recording's files are kept
        *,
        state: StateStore,
        forwarder: Forwarder,
        rules: tuple[CallbackRule, ...],
        clock: Clock = system_clock,
        url_hosts: tuple[str, ...] = (),  # LIVEREC_CALLBACK_URL_HOSTS
    ) -> None:
        self.lookup = lookup
        self.state = state
        self.forwarder = forwarder
        self.rules = rules
        self.clock = clock
        self.url_hosts = url_hosts
        self.streams = StreamCallbacks(creator, stopper, state, rules, clock)

    def receive(self, body: dict[str, Any], deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        """A verified callback (its ``t`` and ``sign`` checked): read, admitted under its ``t``/``sign``
        (``shared.webhooks.replay``: an exact replay of one already handled is acknowledged without effect,
        another body for the same event refused), then handled. Returns a summary for the log."""
        kind, body, event = self.read(body)
        guard = ReplayGuard(self.state, self.clock)
        seen = guard.admit(body, identity(kind, event, body))
        if seen.replay:
            count("CallbackReplays", event_type=str(kind))
            logger.info("callback replayed: acknowledged without effect", extra={"event_type": kind})
            return {"action": "replayed", "event_type": kind}
        result = self.act(kind, event, body, deadline)
        guard.handled(seen)
        return result

    def handle(self, body: dict[str, Any], deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        """Act on one callback body, without the replay guard (each delivery is handled)."""
        kind, body, event = self.read(body)
        return self.act(kind, event, body, deadline)

    def read(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], TencentEvent | None]:
        """The event type, the body, and the event where liverec acts on it, all validated (422 naming the
        field). An event that is kept or forwarded has its URLs checked first (``checked_urls``)."""
        kind = event_type_of(body)
        if kind in (0, 1):
            return kind, body, parse_input(StreamEvent, body)
        if kind in FORWARDED:
            body = checked_urls(body, self.url_hosts)
            return kind, body, parse_input(FORWARDED[kind][1], body)
        return kind, body, None

    def act(
        self, kind: int, event: TencentEvent | None, body: dict[str, Any], deadline: Deadline
    ) -> dict[str, Any]:
        if isinstance(event, StreamEvent):
            return self.streams.begin(event, deadline) if kind == 1 else self.streams.end(event)
        if isinstance(event, RecordFileEvent):
            return self.record_file(kind, FORWARDED[kind][0], event, body)
        if event is not None:
            return self.forward(kind, FORWARDED[kind][0], event, body)
        logger.info(
            "callback acknowledged, not handled",
            extra={
                "event_type": kind,
                "kind": KNOWN_IGNORED.get(kind, "unknown"),
                "stream": body.get("stream_id"),
            },
        )
        count("CallbacksIgnored", event_type=str(kind))
        return {"action": "ignored", "event_type": kind}

    def record_file(
        self, kind: int, name: str, event: RecordFileEvent, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Keep the file, then queue it to be forwarded. One the ledger refuses for its size is queued all
        the same, then answered 413 with the reason (``TooLargeToKeep``)."""
        try:
            kept = self.keep_file(event)
        except TooLargeToKeep as exc:
            self.forward(kind, name, event, body)
            count("CallbackFilesRefused", code=exc.code)
            logger.error(
                "record file queued to be forwarded, not kept: the ledger refused it for its size",
                extra={"task_id": str(event.task_id)[:256], "file_id": event.file_id, "error": exc.to_dict()},
            )
            raise
        return self.forward(kind, name, event, body) | {"kept": kept}

    def keep_file(self, event: RecordFileEvent) -> bool:
        """Keep the file with its recording in the ledger, before it is forwarded (a store that is down
        answers 503: Tencent redelivers, and nothing was forwarded yet). False when no recording of ours."""
        task_id = str(event.task_id) if event.task_id is not None else ""
        kept = self.lookup.keep_file(task_id, record_file_of(event, self.clock()))
        if not kept:
            count("CallbackFilesUnmatched")
            logger.info(
                "record file for a task liverec did not create: forwarded, not kept",
                extra={"task_id": task_id[:256], "stream": event.stream_id, "file_id": event.file_id},
            )
        return kept

    def forward(self, kind: int, name: str, event: TencentEvent, body: dict[str, Any]) -> dict[str, Any]:
        pid = payload_id(kind, body)
        data = {k: v for k, v in body.items() if k not in ("t", "sign")}
        fields = event.model_dump(exclude_none=True)
        logger.info(
            f"callback {name}",
            extra={"payload_id": pid, **{k: fields[k] for k in fields if k != "video_url"}},
        )
        count("CallbacksReceived", event_type=str(kind))
        result = self.forwarder.publish(pid, name, data)
        return {"action": "queued", "payload_id": pid, **result}
