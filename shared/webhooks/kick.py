"""Asking for the outbox to be drained now, so that a callback is answered before anything is sent.

A callback queues its forwards (:meth:`shared.webhooks.outbox.Forwarder.publish`) and answers Tencent. The
sending runs in another invocation of the webhooks function: the callback *kicks* it with the event
``{"outbox": "drain", "payload_id": "<id>"}``, which drains the outbox as the timer's tick does, that payload's
forwards first (read by key: the due index may not show an item written a moment ago). A Lambda function
cannot go on sending after it has answered, so on Lambda the kick is an asynchronous invocation of the
function itself (:class:`LambdaKick`); elsewhere it is whatever the composition root installs (the local
gateway drains in a thread once it has answered), or nothing.

A kick is best effort: its failure is logged and counted (``WebhooksKickFailed``), never raised, and the
forwards stay due for the timer (every minute), which was always the fallback. Several callbacks send several
kicks; the drains they start never send an item twice (each item is leased before it is sent).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from shared.support.aws import AwsError
from shared.support.errors import ConfigError
from shared.support.lambda_invoke import DEADLINE, AsyncInvoker
from shared.support.observability import count, logger

# (payload id) -> whether a drain was asked for; never raises
Kick = Callable[[str], bool]


def drain_event(payload_id: str | None = None) -> dict[str, str]:
    """The event asking the webhooks function to drain its outbox (``payload_id``'s forwards first).
    ``shared.edge.events`` accepts it in exactly this shape."""
    return {"outbox": "drain"} if payload_id is None else {"outbox": "drain", "payload_id": payload_id}


class LambdaKick:
    """The function invoking itself asynchronously (``InvocationType: Event``) within ``deadline`` seconds.
    The invoker is built on first use, from the environment (a misconfiguration is logged, not raised)."""

    def __init__(
        self, deadline: float = DEADLINE, build: Callable[[float], AsyncInvoker] | None = None
    ) -> None:
        self.deadline = deadline
        self._build = build or (lambda seconds: AsyncInvoker.from_env(deadline=seconds))
        self._invoker: AsyncInvoker | None = None
        self._lock = threading.Lock()

    def __call__(self, payload_id: str) -> bool:
        where = {"payload_id": payload_id}
        try:
            with self._lock:
                if self._invoker is None:
                    self._invoker = self._build(self.deadline)
                invoker = self._invoker
            invoker.invoke(json.dumps(drain_event(payload_id), separators=(",", ":")).encode())
        except ConfigError as exc:
            count("WebhooksKickFailed")
            logger.error(
                "outbox drain not requested: the Lambda client is misconfigured; the timer sends it",
                extra=where | {"field": exc.field, "error": exc.message},
            )
            return False
        except AwsError as exc:
            count("WebhooksKickFailed")
            # a refusal that will not pass by itself (IAM, a wrong function) is an error; the rest a warning
            refused = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
            log = logger.error if refused else logger.warning
            log(
                "outbox drain not requested; the timer sends it",
                extra=where | {"code": exc.code, "error": exc.message},
            )
            return False
        return True
