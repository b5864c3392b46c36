"""Tencent's stream begin (event 1) and end (event 0) callbacks, and the rules that say what they record.

- stream begin: the first rule in ``LIVEREC_CALLBACK_RULES`` whose globs match the stream starts a
  recording. The create goes through the recordings ledger under a key made of the event's identity
  (domain/app/stream, ``sequence``, ``event_time``), so Tencent's 13 deliveries of one event create one task,
  even when the container handling one of them died mid-create (the next delivery reconciles it);
- stream end: if that rule says ``stop_on_end``, the task it started is stopped.

A stream begin first starts the highlight armed for the stream, if one waits for it
(``shared.recordings.highlights``: ``POST /recordings/realtime`` with ``wait``), once; then the rules.

Which task a rule started is noted in the webhook state under the stream (``active:``), for its end.
``shared.webhooks.callbacks`` reads and admits the callback, then hands these events here.
"""

from __future__ import annotations

import hashlib
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, TypeAdapter, ValidationError

from shared.recordings.creating import Created, CreateOnce, as_created
from shared.recordings.models import (
    MAX_DURATION,
    Name,
    RealtimeRecordingInput,
    RecordingInput,
    RecordingOptions,
    ScheduledRecordingInput,
)
from shared.recordings.stopping import Stopper
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
    from_validation,
)
from shared.support.observability import count, logger
from shared.support.timeutil import NO_DEADLINE, Clock, Deadline
from shared.tencent.types import Mode
from shared.webhooks.tencent_events import StreamEvent, begin_key, stream_key

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


class StreamCallbacks:
    """What a stream's begin and end do, by the first rule matching the stream."""

    def __init__(
        self,
        creator: CreateOnce,
        stopper: Stopper,
        state: StateStore,
        rules: tuple[CallbackRule, ...],
        clock: Clock,
    ) -> None:
        self.creator, self.stopper = creator, stopper
        self.state = state
        self.rules = rules
        self.clock = clock

    def rule_for(self, event: StreamEvent) -> CallbackRule | None:
        return next((r for r in self.rules if r.matches(event.app, event.appname, event.stream_id)), None)

    def begin(self, event: StreamEvent, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        """The highlight armed for the stream (if any) starts, then the first matching rule's recording."""
        # a stream begin's alone: the webhooks function's other callbacks never load it
        from shared.recordings.highlights import Highlights

        highlights = Highlights(self.creator, self.state, self.clock)
        armed = highlights.begin(event.app, event.appname, event.stream_id, event.event_time, deadline)
        result = self.by_rule(event, deadline)
        return result | {"highlight": armed} if armed is not None else result

    def by_rule(self, event: StreamEvent, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
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
            outcome: Created = self.creator.create(
                data.request(rule.mode),
                begin_key(event),
                origin=Origin("callback", rule.name),
                deadline=deadline,
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
        task_id = outcome.recording.task_id
        self._remember(event, rule, str(task_id))
        count("CallbackRecordings" if not outcome.replayed else "CallbackRedeliveries", rule=rule.name)
        logger.info(
            "stream began: recording" if not outcome.replayed else "stream-begin redelivered: same recording",
            extra=where | {"rule": rule.name, "task_id": task_id, "mode": rule.mode.value},
        )
        return {
            "action": "recording",
            "rule": rule.name,
            "replayed": outcome.replayed,
            "task": as_created(outcome.recording),
        }

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

    def end(self, event: StreamEvent) -> dict[str, Any]:
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
            self.stopper.stop(active["task_id"], event.stream_id)
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
