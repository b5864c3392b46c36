"""The composition root: the one place the pieces are built from the configuration, once per container, and
reused across warm invocations (one adapter, one keep-alive connection pool, one ledger). Handlers import
their pieces from here; nothing below builds anything.

What each function builds (:data:`BUILDS`; a test holds every handler to its row):

============  =====================================================================================
scheduled     create (POST /recordings/scheduled), the program store, the programs' use cases
realtime      create; highlights armed to wait for their stream (the webhook state)
tasks         lookup (list, describe), stopper (stop, delete)
rollout       the tick's parts (create, finder, ledger), the program store, the configured programs
webhooks      create (hooks), the callbacks (create, stopper, lookup's files, state, forwarder)
============  =====================================================================================

Each factory is a ``functools`` cache: those that read the settings are keyed by them (built again when the
settings are: a secret read again after its TTL, or a refused credential), the ledger by its table (one per
container whatever the settings do). They are called under one lock: concurrent first calls (the local
gateway's threads) share one in-process ledger. Tests and local runs swap the clock (``use_clock``), install
how a callback asks for a drain off Lambda (``use_kick``), and forget what was built (``reset``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from shared.recordings.creating import CreateOnce
from shared.recordings.finding import TaskFinder
from shared.recordings.policy import Policy, policy_of
from shared.storage.ledger import Ledger
from shared.support.config import Settings, get_settings
from shared.support.errors import ConfigError, InvalidRequest
from shared.support.observability import logger
from shared.support.timeutil import Clock, system_clock
from shared.tencent.adapter import LiveAdapter, Sleep

# the pieces only some functions use load when they are built (not in the other functions' cold start)
if TYPE_CHECKING:
    from shared.recordings.booking import Booking
    from shared.recordings.programs import Program
    from shared.recordings.stopping import Stopper
    from shared.recordings.tracking import Lookup
    from shared.storage.program_store import ProgramStore
    from shared.storage.state import StateStore
    from shared.webhooks.callbacks import CallbackService
    from shared.webhooks.kick import Kick, LambdaKick
    from shared.webhooks.outbox import Forwarder

BUILDS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"creator", "program_store", "programs_parts", "now"}),
    "realtime": frozenset({"creator", "state", "now", "durable"}),
    "tasks": frozenset({"lookup", "stopper"}),
    "rollout": frozenset({"booking", "program_store", "programs", "durable"}),
    "webhooks": frozenset({"creator", "callbacks", "forwarder", "now"}),
}

T = TypeVar("T")
_lock = threading.RLock()
_clock: Clock = system_clock
_sleep: Sleep = time.sleep
_monotonic: Clock = time.monotonic
_local_kick: Kick | None = None


def _locked(factory: Callable[..., T]) -> Callable[..., T]:
    """``factory`` called under the composition root's lock (its cache is ``factory.cache_clear``)."""

    def built(*args: Any) -> T:
        with _lock:
            return factory(*args)

    built.__doc__ = factory.__doc__
    return built


# the factories: cached; never called but through the accessors below


@cache
def _ledger(table: str | None) -> Ledger:
    if table:
        from shared.storage.ledger_dynamodb import DynamoDBLedger  # only when configured

        return DynamoDBLedger(table)
    from shared.storage.memory import MemoryLedger

    return MemoryLedger()


@lru_cache(maxsize=1)
def _adapter(settings: Settings) -> LiveAdapter:
    from shared.tencent.adapter import get_adapter

    logger.info("liverec configured", extra={"settings": settings.describe()})
    return get_adapter(settings, clock=_clock, sleep=_sleep)


@lru_cache(maxsize=1)
def _policy(settings: Settings) -> Policy:
    return policy_of(settings)


@lru_cache(maxsize=1)
def _finder(settings: Settings) -> TaskFinder:
    return TaskFinder(_adapter(settings), _policy(settings).generation, _clock)


@lru_cache(maxsize=1)
def _creator(settings: Settings) -> CreateOnce:
    return CreateOnce(
        _ledger(settings.idempotency_table), _adapter(settings), _finder(settings), _policy(settings), _clock
    )


@lru_cache(maxsize=1)
def _lookup(settings: Settings) -> Lookup:
    from shared.recordings.tracking import Lookup

    return Lookup(
        _ledger(settings.idempotency_table), _adapter(settings), _finder(settings), _policy(settings), _clock
    )


@lru_cache(maxsize=1)
def _stopper(settings: Settings) -> Stopper:
    from shared.recordings.stopping import Stopper

    return Stopper(_adapter(settings), _ledger(settings.idempotency_table), settings.api, _clock)


@lru_cache(maxsize=1)
def _booking(settings: Settings) -> Booking:
    from shared.recordings.booking import Booking

    return Booking(
        creator=_creator(settings),
        finder=_finder(settings),
        stopper=_stopper(settings),
        ledger=_ledger(settings.idempotency_table),
        policy=_policy(settings),
        clock=_clock,
        sleep=_sleep,
        monotonic=_monotonic,
    )


@lru_cache(maxsize=1)
def _callbacks(settings: Settings) -> CallbackService:
    from shared.webhooks.callbacks import CallbackService, parse_rules

    return CallbackService(
        creator=_creator(settings),
        stopper=_stopper(settings),
        lookup=_lookup(settings),
        state=_state(settings.idempotency_table),
        forwarder=_forwarder(settings),
        rules=parse_rules(settings.callback_rules),
        clock=_clock,
        url_hosts=settings.callback_url_hosts,
    )


@cache
def _programs(raw: str | None) -> list[Program]:
    from shared.recordings.programs import parse_programs

    try:
        return parse_programs(raw, "LIVEREC_PROGRAMS") if raw else []
    except InvalidRequest as exc:
        raise ConfigError(exc.message, field="LIVEREC_PROGRAMS") from None


@cache
def _program_store(table: str | None, limit: int) -> ProgramStore:
    if table:
        from shared.storage.program_store_dynamodb import DynamoDBProgramStore

        return DynamoDBProgramStore(table, limit=limit)
    from shared.storage.program_store import MemoryProgramStore

    return MemoryProgramStore(limit)


@cache
def _state(table: str | None) -> StateStore:
    if table:
        from shared.storage.state_dynamodb import DynamoDBState

        return DynamoDBState(table)
    from shared.storage.memory import MemoryState

    return MemoryState()


@lru_cache(maxsize=1)
def _forwarder(settings: Settings) -> Forwarder:
    from shared.webhooks.outbox import Forwarder

    return Forwarder(
        urls=settings.webhook_urls,
        secret=settings.webhook_secret,
        state=_state(settings.idempotency_table),
        max_attempts=settings.webhook_max_attempts,
        clock=_clock,
        kick=kick(),
    )


@cache
def _lambda_kick() -> LambdaKick:
    from shared.webhooks.kick import LambdaKick

    return LambdaKick()


FACTORIES = (
    _ledger,
    _adapter,
    _policy,
    _finder,
    _creator,
    _lookup,
    _stopper,
    _booking,
    _callbacks,
    _programs,
    _program_store,
    _state,
    _forwarder,
    _lambda_kick,
)


# the accessors: what the handlers call


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


def ledger() -> Ledger:
    """The ledger every piece built here shares (one per container and table)."""
    return _locked(_ledger)(get_settings().idempotency_table)


def creator() -> CreateOnce:
    """Create exactly once (:mod:`shared.recordings.creating`)."""
    return _locked(_creator)(get_settings())


def lookup() -> Lookup:
    """A recording by task id, a stream's recordings (:mod:`shared.recordings.tracking`)."""
    return _locked(_lookup)(get_settings())


def stopper() -> Stopper:
    """Stop, delete, cancel (:mod:`shared.recordings.stopping`)."""
    return _locked(_stopper)(get_settings())


def programs_parts() -> tuple[Booking, ProgramStore]:
    """What the programs' routes work with: the tick's parts (the occurrences, cancelling, resolving)
    and the program store."""
    return _locked(_booking)(get_settings()), program_store()


def durable(what: str) -> Settings:
    """The settings, for a path whose exactly-once guarantee spans invocations (the timer rollout, Tencent's
    callbacks): on Lambda it refuses the in-process ledger, which every new container starts without."""
    settings = get_settings()
    if settings.on_lambda and not settings.idempotency_table:
        raise ConfigError(
            f"LIVEREC_IDEMPOTENCY_TABLE is not set: {what} needs the DynamoDB ledger on Lambda (the in-process "
            "one is forgotten with each container, so every cold start would record again)",
            field="LIVEREC_IDEMPOTENCY_TABLE",
        )
    return settings


def booking() -> Booking:
    """The timer tick's parts (:class:`~shared.recordings.rollout.Booking`), on the durable ledger."""
    return _locked(_booking)(durable("the timer rollout"))


def callbacks() -> CallbackService:
    """Tencent's callbacks and their rules, on the durable ledger."""
    return _locked(_callbacks)(durable("Tencent's callbacks"))


def programs() -> list[Program]:
    """``LIVEREC_PROGRAMS``, validated once per container like the rest of the configuration (a ConfigError
    naming the variable, the program and the field); empty when unset."""
    return _locked(_programs)(get_settings().programs)


def program_store() -> ProgramStore:
    """The programs stored over HTTP (``/programs``): in the ledger's table, or in-process."""
    settings = get_settings()
    return _locked(_program_store)(settings.idempotency_table, settings.max_programs)


def state() -> StateStore:
    """The webhook state (active-task notes, the outbox): the idempotency table, or in-process."""
    return _locked(_state)(get_settings().idempotency_table)


def forwarder() -> Forwarder:
    """The outbox's forwarder to the subscribers."""
    return _locked(_forwarder)(get_settings())


def use_kick(local: Kick | None = None) -> None:
    """How a callback asks for a drain of the forwards it queued, off Lambda: ``local(payload_id)`` (the
    local gateway drains in a thread once it has answered); None, the default: it does not ask, and the
    forwards wait for a drain (the timer's, ``make run``'s, a test's). On Lambda the function always
    invokes itself (:func:`kick`)."""
    global _local_kick  # noqa: PLW0603 - the process's setting, as the clock
    _local_kick = local
    _forwarder.cache_clear()
    _callbacks.cache_clear()


def kick() -> Kick | None:
    """On Lambda, the asynchronous invocation of this function (built once per container); else the
    one :func:`use_kick` installed."""
    return _locked(_lambda_kick)() if get_settings().on_lambda else _local_kick


def reset() -> None:
    """Forget what was built (tests, a new container, or after the configuration changed)."""
    with _lock:
        for factory in FACTORIES:
            factory.cache_clear()
