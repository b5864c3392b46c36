"""The composition root: the one place the pieces are built from the configuration, once per container
(cached, under a lock: concurrent first calls share one ledger), and reused across warm invocations (one
adapter, one keep-alive connection pool). Handlers import from here; nothing below builds anything.

Tests and local runs swap the clock (``use_clock``), install how a callback asks for a drain off Lambda
(``use_kick``), and forget what was built (``reset``): the state of a fresh container.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from shared.recordings.service import RecordingService
from shared.storage.ledger import Ledger
from shared.storage.memory import MemoryLedger
from shared.support.config import Settings, get_settings
from shared.support.errors import ConfigError, InvalidRequest
from shared.support.observability import logger
from shared.support.timeutil import Clock, system_clock
from shared.tencent.adapter import Sleep

# the webhooks function's pieces load only when it builds them (not in the other functions' cold start)
if TYPE_CHECKING:
    from shared.recordings.programs import Program
    from shared.storage.program_store import ProgramStore
    from shared.storage.state import StateStore
    from shared.webhooks.callbacks import CallbackService
    from shared.webhooks.kick import Kick, LambdaKick
    from shared.webhooks.outbox import Forwarder

_service: RecordingService | None = None
_state: StateStore | None = None
_callbacks: CallbackService | None = None
_programs: list[Program] | None = None
_program_store: ProgramStore | None = None
_lambda_kick: LambdaKick | None = None
_local_kick: Kick | None = None
_lock = threading.RLock()
_clock: Clock = system_clock
_sleep: Sleep = time.sleep
_monotonic: Clock = time.monotonic


def use_clock(
    clock: Clock = system_clock, sleep: Sleep = time.sleep, monotonic: Clock = time.monotonic
) -> None:
    """The wall clock every piece built from here reads, how it waits (backoff, pacing) and the clock that
    waiting is measured by: a simulated set in tests. Forgets what was built."""
    global _clock, _sleep, _monotonic
    _clock, _sleep, _monotonic = clock, sleep, monotonic
    reset()


def now() -> float:
    """The wall clock the pieces built here read (signature expiry checks read it too)."""
    return _clock()


def service() -> RecordingService:
    """Built once on first use (under a lock: concurrent first calls must share one ledger), then reused
    across warm invocations (one adapter, one keep-alive connection pool); built again when the settings
    are (a secret from a store read again: its TTL, or a refused credential)."""
    global _service  # noqa: PLW0603 - the per-container singleton
    settings = get_settings()
    if _service is None or _service.settings is not settings:
        with _lock:
            if _service is None or _service.settings is not settings:
                from shared.tencent.adapter import get_adapter

                logger.info("liverec configured", extra={"settings": settings.describe()})
                ledger = _service.ledger if _service is not None else _ledger(settings)
                _service = RecordingService(
                    settings=settings,
                    adapter=get_adapter(settings, clock=_clock, sleep=_sleep),
                    ledger=ledger,
                    clock=_clock,
                    sleep=_sleep,
                    monotonic=_monotonic,
                )
    return _service


def durable_service(what: str) -> RecordingService:
    """The service, for a path whose exactly-once guarantee spans invocations (the timer rollout, Tencent's
    callbacks): on Lambda it refuses the in-process ledger, which every new container starts without."""
    settings = get_settings()
    if settings.on_lambda and not settings.idempotency_table:
        raise ConfigError(
            f"LIVEREC_IDEMPOTENCY_TABLE is not set: {what} needs the DynamoDB ledger on Lambda (the in-process "
            "one is forgotten with each container, so every cold start would record again)",
            field="LIVEREC_IDEMPOTENCY_TABLE",
        )
    return service()


def callbacks() -> CallbackService:
    """The callback logic, built on first use from the same settings, ledger and service (and again when
    the service is)."""
    global _callbacks  # noqa: PLW0603 - the per-container singleton
    recordings = durable_service("Tencent's callbacks")
    if _callbacks is None or _callbacks.recordings is not recordings:
        from shared.webhooks.callbacks import CallbackService, parse_rules

        with _lock:
            if _callbacks is None or _callbacks.recordings is not recordings:
                _callbacks = CallbackService(
                    recordings=recordings,
                    state=state(),
                    forwarder=forwarder(),
                    rules=parse_rules(recordings.settings.callback_rules),
                    clock=_clock,
                    url_hosts=recordings.settings.callback_url_hosts,
                )
    return _callbacks


def programs() -> list[Program]:
    """``LIVEREC_PROGRAMS``, validated once per container like the rest of the configuration (a ConfigError
    naming the variable, the program and the field); empty when unset."""
    global _programs  # noqa: PLW0603 - the per-container singleton
    if _programs is None:
        from shared.recordings.programs import parse_programs

        raw = get_settings().programs
        try:
            _programs = parse_programs(raw, "LIVEREC_PROGRAMS") if raw else []
        except InvalidRequest as exc:
            raise ConfigError(exc.message, field="LIVEREC_PROGRAMS") from None
    return _programs


def program_store() -> ProgramStore:
    """The programs stored over HTTP (``/programs``): in the ledger's table, or in-process."""
    global _program_store  # noqa: PLW0603 - the per-container singleton
    if _program_store is None:
        with _lock:
            if _program_store is None:
                settings = get_settings()
                if settings.idempotency_table:
                    from shared.storage.program_store_dynamodb import DynamoDBProgramStore

                    _program_store = DynamoDBProgramStore(
                        settings.idempotency_table, limit=settings.max_programs
                    )
                else:
                    from shared.storage.program_store import MemoryProgramStore

                    _program_store = MemoryProgramStore(settings.max_programs)
    return _program_store


def forwarder() -> Forwarder:
    from shared.webhooks.outbox import Forwarder

    settings = get_settings()
    return Forwarder(
        urls=settings.webhook_urls,
        secret=settings.webhook_secret,
        state=state(),
        max_attempts=settings.webhook_max_attempts,
        clock=_clock,
        kick=kick(),
    )


def use_kick(local: Kick | None = None) -> None:
    """How a callback asks for a drain of the forwards it queued, off Lambda: ``local(payload_id)`` (the
    local gateway drains in a thread once it has answered); None, the default: it does not ask, and the
    forwards wait for a drain (the timer's, ``make run``'s, a test's). On Lambda the function always
    invokes itself (:func:`kick`)."""
    global _local_kick  # noqa: PLW0603 - the process's setting, as the clock
    _local_kick = local


def kick() -> Kick | None:
    """On Lambda, the asynchronous invocation of this function (built once per container); else the
    one :func:`use_kick` installed."""
    global _lambda_kick  # noqa: PLW0603 - the per-container singleton
    if not get_settings().on_lambda:
        return _local_kick
    if _lambda_kick is None:
        from shared.webhooks.kick import LambdaKick

        with _lock:
            if _lambda_kick is None:
                _lambda_kick = LambdaKick()
    return _lambda_kick


def state() -> StateStore:
    """The webhook state (active-task notes, the outbox): the idempotency table, or in-process."""
    global _state  # noqa: PLW0603 - the per-container singleton
    if _state is None:
        with _lock:
            if _state is None:
                settings = get_settings()
                if settings.idempotency_table:
                    from shared.storage.state_dynamodb import DynamoDBState

                    _state = DynamoDBState(settings.idempotency_table)
                else:
                    from shared.storage.memory import MemoryState

                    _state = MemoryState()
    return _state


def _ledger(settings: Settings) -> Ledger:
    if settings.idempotency_table:
        from shared.storage.ledger_dynamodb import DynamoDBLedger  # only when configured

        return DynamoDBLedger(settings.idempotency_table)
    return MemoryLedger()


def reset() -> None:
    """Forget what was built (tests, a new container, or after the configuration changed)."""
    global _service, _state, _callbacks, _programs, _program_store, _lambda_kick  # noqa: PLW0603
    with _lock:
        _lambda_kick = None
        _program_store = None
        _service = None
        _state = None
        _callbacks = None
        _programs = None
