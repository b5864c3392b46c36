"""The one place the powertools Logger and Metrics are created (JSON logs, EMF metrics), and the decorator
every handler wears.

Log fields carry the release (``version``, every line), stream, task id, API and mode; never a secret (settings are logged only through
``Settings.describe()``). The event is never logged by powertools: :func:`entry` passes ``log_event=False``
whatever ``POWERTOOLS_LOGGER_LOG_EVENT`` says and, when that variable asks for the event, logs a redacted copy
(``shared.support.redact.redact_event``). powertools' own log (``POWERTOOLS_DEBUG``), which quotes a route's
arguments, is redacted line by line and kept out of the root logger.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

from shared import __version__
from shared.support.config import get_settings, snap_start
from shared.support.errors import LiverecError
from shared.support.redact import redact_event, redact_text

SERVICE = "liverec"
# powertools' own variable (serverless.yml sets it per stage: Liverec-<stage>); read once, as powertools does
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Liverec"

# the release on every line: which code wrote a log is known without looking up the deployment
logger = Logger(service=SERVICE, version=__version__)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

Handler = Callable[[Any, Any], Any]


def known_secrets(*, build: bool = False) -> tuple[str, ...]:
    """The secrets configured, from the settings already built (or built now, with ``build``); none while
    the configuration cannot be read (the handler reports that itself)."""
    settings = get_settings.built()
    if settings is None and build:
        try:
            settings = get_settings()
        except LiverecError:
            return ()
    return settings.secret_values() if settings is not None else ()


def entry(correlation_id_path: str) -> Callable[[Handler], Handler]:
    """Every handler's decorators: metrics flushed, the Lambda context and correlation id on every line, the
    event logged only redacted. ``POWERTOOLS_LOGGER_LOG_EVENT`` is read when the function loads, as
    powertools reads it. Under SnapStart it registers the runtime hooks (:mod:`shared.support.snapstart`,
    imported then only)."""
    log_event = resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_LOGGER_LOG_EVENT", "false"))
    if snap_start(os.environ):
        from shared.support import snapstart

        snapstart.register()

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def logged(event: Any, context: Any) -> Any:
            if log_event:
                logger.info("event received", extra={"event": redact_event(event, known_secrets(build=True))})
            return handler(event, context)

        injected = logger.inject_lambda_context(
            logged, correlation_id_path=correlation_id_path, clear_state=True, log_event=False
        )
        return cast(Handler, metrics.log_metrics(injected))

    return decorate


class _Redacted(logging.Filter):
    """Each line of powertools' own log redacted as text (with ``POWERTOOLS_DEBUG`` it quotes a route's
    arguments, a signature header among them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the message: the message alone
            text = str(record.msg)
        record.msg = redact_text(text, known_secrets(), limit=4096)
        record.args = None
        return True


# powertools' package logger: a NullHandler, or (POWERTOOLS_DEBUG) a stream handler on stdout, set when
# powertools was imported. Its lines go to that handler only, redacted, never on to the root logger's
# (Lambda's) handler unredacted.
_PACKAGE = logging.getLogger("aws_lambda_powertools")
_PACKAGE.propagate = False
for _handler in _PACKAGE.handlers:
    _handler.addFilter(_Redacted())


def count(name: str, **dimensions: str) -> None:
    """One EMF count. Dimensions vary per metric (mode, api, code), so each such count is its own blob.

    Honours ``POWERTOOLS_METRICS_DISABLED`` / ``POWERTOOLS_DEV`` as ``metrics`` does (powertools'
    ``single_metric`` prints regardless)."""
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return
    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
