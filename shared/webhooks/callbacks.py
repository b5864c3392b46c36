"""Tencent Live callbacks (``POST /callbacks/tencent``) and signed highlight hooks, as logic without HTTP.

- event 1 (stream begin): the first rule in ``LIVEREC_CALLBACK_RULES`` whose globs match the stream starts
  a recording. The create goes through the recordings ledger under a key made of the event's identity
  (domain/app/stream, ``sequence``, ``event_time``), so Tencent's 13 deliveries of one event create one task,
  even when the container handling one of them died mid-create (the next delivery reconciles it);
- event 0 (stream end): if that rule says ``stop_on_end``, the task it started is stopped;
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

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StrictInt, TypeAdapter, ValidationError

from shared.recordings.models import (
    MAX_DURATION,
    Name,
    RealtimeRecordingInput,
    RecordingInput,
    RecordingOptions,
    ScheduledRecordingInput,
    parse_input,
)
from shared.recordings.service import Outcome, RecordingService
from shared.storage.ledger import Origin
from shared.storage.state import StateStore
from shared.support.errors import (
    ConfigError,
    InvalidRequest,
    LiverecError,
    OutcomeUnresolved,
    TaskNotFound,
    TencentError,
    TencentInputError,
    TooLargeToKeep,
    from_validation,
)
from shared.support.observability import count, logger
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline, system_clock
from shared.tencent.types import Mode
from shared.webhooks.outbox import Forwarder
from shared.webhooks.replay import ReplayGuard
from shared.webhooks.tencent_events import (
    FORWARDED,
    KNOWN_IGNORED,
    RecordFileEvent,
    StreamEvent,
    TencentEvent,
    begin_key,
    checked_urls,
    event_type_of,
    identity,
    payload_id,
    record_file_of,
    stream_key,
)

ACTIVE_TTL_EXTRA = 86400  # an "active task" note outlives its recording by a day


class CallbackRule(RecordingOptions):
    """Which pushed streams to record, and how. Globs (``*``, ``?``, ``[...]``) match case-sensitively."""

    name: Name
    domain: str = "*"
    app: str = "*"
    stream: str = "*"
    mode: Mode = Mode.REALTIME
    # realtime: record this long from now; scheduled: the window [event_time, event_time + duration]
    duration: Annotated[StrictInt, Field(gt=0, le=MAX_DURATION)] = 1800
    stop_on_end: StrictBool = False

    def matches(self, domain: str, app: str, stream: str) -> bool:
        return (
            fnmatchcase(domain, self.domain)
            and fnmatchcase(app, self.app)
            and fnmatchcase(stream, self.stream)
        )


RULES = TypeAdapter(list[CallbackRule])


def parse_rules(raw: str | None) -> tuple[CallbackRule, ...]:
    """``LIVEREC_CALLBACK_RULES`` (a JSON list), with errors naming the variable, the rule and the field."""
    if not raw:
        return ()
    var = "LIVEREC_CALLBACK_RULES"
    try:
        rules = RULES.validate_json(raw)
    except ValidationError as exc:
        raise from_validation(
            exc.errors(include_url=False, include_input=False), cls=ConfigError, where=var, field=var
        ) from None
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"{var}: rule names must be unique", field=var)
    return tuple(rules)


def permanent(exc: LiverecError) -> bool:
    """Errors a redelivery of the same callback cannot fix: the rule or the stream is refused."""
    return isinstance(exc, InvalidRequest | TencentInputError)


@dataclass
class CallbackService:
    recordings: RecordingService
    state: StateStore
    forwarder: Forwarder
    rules: tuple[CallbackRule, ...]
    clock: Clock = system_clock
    url_hosts: tuple[str, ...] = ()  # LIVEREC_CALLBACK_URL_HOSTS

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
            return self.stream_begin(event, deadline) if kind == 1 else self.stream_end(event)
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

    def rule_for(self, event: StreamEvent) -> CallbackRule | None:
        return next((r for r in self.rules if r.matches(event.app, event.appname, event.stream_id)), None)

    def stream_begin(self, event: StreamEvent, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        rule = self.rule_for(event)
        where = {
            "stream": event.stream_id,
            "domain": event.app,
            "app": event.appname,
            "event_time": event.event_time,
        }
        if rule is None:
            logger.info("stream began; no callback rule matches", extra=where)
            count("CallbacksIgnored", event_type="1")
            return {"action": "no_rule", **where}
        try:
            data = self._input(rule, event)
            outcome: Outcome = self.recordings.create(
                data, rule.mode, begin_key(event), origin=Origin("callback", rule.name), deadline=deadline
            )
        except OutcomeUnresolved as exc:
            # an earlier delivery's create may have made the task; another could record twice: acknowledge
            count("CallbackRecordingsUnresolved", rule=rule.name)
            logger.error(
                "stream began, but an earlier delivery's recording is in doubt; not creating another",
                extra=where | {"rule": rule.name, "error": exc.to_dict()},
            )
            return {"action": "unresolved", "rule": rule.name, "error": exc.to_dict()}
        except (InvalidRequest, TencentError) as exc:
            if not permanent(exc):
                raise  # not 200: Tencent redelivers, and the idempotency key keeps it to one task
            # a redelivery cannot fix this: acknowledge, and say so loudly
            count("CallbackRecordingsRefused", rule=rule.name, code=exc.code)
            logger.error(
                "stream began but the rule's recording was refused; fix the rule",
                extra=where | {"rule": rule.name, "error": exc.to_dict()},
            )
            return {"action": "refused", "rule": rule.name, "error": exc.to_dict()}
        task_id = outcome.body.get("task_id")
        self._remember(event, rule, str(task_id))
        count("CallbackRecordings" if not outcome.replayed else "CallbackRedeliveries", rule=rule.name)
        logger.info(
            "stream began: recording" if not outcome.replayed else "stream-begin redelivered: same recording",
            extra=where | {"rule": rule.name, "task_id": task_id, "mode": rule.mode.value},
        )
        return {"action": "recording", "rule": rule.name, "replayed": outcome.replayed, "task": outcome.body}

    @staticmethod
    def _input(rule: CallbackRule, event: StreamEvent) -> RecordingInput:
        common: dict[str, Any] = {
            "stream": event.stream_id,
            "domain": event.app,
            "app": event.appname,
            **rule.options(),
        }
        if rule.mode is Mode.SCHEDULED:  # bounded by the rule, from the moment the push began
            return ScheduledRecordingInput(
                **common, start=event.event_time, end=event.event_time + rule.duration
            )
        return RealtimeRecordingInput(**common, duration=rule.duration)

    def _active_key(self, event: StreamEvent) -> str:
        return "active:" + hashlib.sha256(stream_key(event).encode("utf-8")).hexdigest()[:40]

    def _remember(self, event: StreamEvent, rule: CallbackRule, task_id: str) -> None:
        key = self._active_key(event)
        now = self.clock()
        current = self.state.get(key, now)
        if current is not None and (
            current["event_time"] > event.event_time or current.get("ended_at", -1) >= event.event_time
        ):
            return  # a late redelivery of an older session: keep the newer note
        self.state.put(
            key,
            {
                "task_id": task_id,
                "rule": rule.name,
                "stream": event.stream_id,
                "event_time": event.event_time,
                "stop_on_end": rule.stop_on_end,
            },
            now,
            rule.duration + ACTIVE_TTL_EXTRA,
        )

    def stream_end(self, event: StreamEvent) -> dict[str, Any]:
        where = {
            "stream": event.stream_id,
            "domain": event.app,
            "app": event.appname,
            "event_time": event.event_time,
        }
        key = self._active_key(event)
        now = self.clock()
        active = self.state.get(key, now)
        if active is None or "ended_at" in active or active["event_time"] > event.event_time:
            logger.info("stream ended; no recording of ours to stop", extra=where)
            return {"action": "none", **where}
        if not active.get("stop_on_end"):
            self.state.put(key, active | {"ended_at": event.event_time}, now, ACTIVE_TTL_EXTRA)
            logger.info(
                "stream ended; rule keeps recording to its end", extra=where | {"rule": active["rule"]}
            )
            return {"action": "kept", "task_id": active["task_id"], **where}
        try:
            self.recordings.stop(active["task_id"], event.stream_id)
            stopped = True
        except TaskNotFound:
            stopped = False  # already over: nothing to stop
        self.state.put(key, active | {"ended_at": event.event_time}, now, ACTIVE_TTL_EXTRA)
        count("CallbackStops", rule=str(active["rule"]))
        logger.info(
            "stream ended: recording stopped" if stopped else "stream ended: recording already over",
            extra=where | {"rule": active["rule"], "task_id": active["task_id"]},
        )
        return {"action": "stopped" if stopped else "already_over", "task_id": active["task_id"], **where}

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
        kept = self.recordings.keep_file(task_id, record_file_of(event, self.clock()))
        if not kept:
            count("CallbackFilesUnmatched")
            logger.info(
                "record file for a task liverec did not create: forwarded, not kept",
                extra={"task_id": task_id[:256], "stream": event.stream_id, "file_id": event.file_id},
            )
        return kept

    def forward(self, kind: int, name: str, event: BaseModel, body: dict[str, Any]) -> dict[str, Any]:
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
