"""Lambda SnapStart's runtime hooks: what the snapshot of an initialised function must not hold, and what each
container restored from it must make its own.

Under SnapStart Lambda runs a function's init once, when a version is published, snapshots the initialised
runtime, and starts each of the version's containers from a copy of it (``AWS_LAMBDA_INITIALIZATION_TYPE``
is ``snap-start``). Whatever init left in memory is then in every container at once, as it was then:

- **before the snapshot**, the idle keep-alive connections of every pool (:func:`shared.support.keepalive.
  close_all`: Tencent's transport, the DynamoDB and secret stores' clients) are closed, so that no socket is
  frozen into it: a container restored hours later would find it dead, and a create sent on a dead
  connection is in doubt;
- **after each restore**, ``random`` is reseeded from ``os.urandom``: the AWS client jitters its retries with
  ``random.random()``, and containers restored from one snapshot would draw one sequence, retrying in step;
  OpenSSL's generator is given fresh entropy (``ssl.RAND_add``; TLS's randoms); the pools are emptied again;
  and the secrets resolved from references and the container credentials are forgotten, so they are read
  again on first use: read before the snapshot they may be days old, and a secret's TTL runs on the
  monotonic clock, which the snapshot's wait does not advance.

Fine as they are: ``uuid.uuid4`` (a claim's owner token, an automatic idempotency key) and the ``secrets``
module (Tencent's v2 nonce) read ``os.urandom`` at each call, the kernel's generator, never a state in the
snapshot. The settings and what the composition root builds are built on first use, after the restore.

:func:`register` is called by every handler's :func:`shared.support.observability.entry`, only under
SnapStart, so nothing here is imported otherwise. ``snapshot_restore_py`` (``register_before_snapshot``,
``register_after_restore``) exists only in Lambda's Python runtimes, so it is imported only then.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import threading

from shared.support import keepalive, secrets
from shared.support.observability import logger

RUNTIME_HOOKS = "snapshot_restore_py"  # Lambda's module (Python 3.12 and later runtimes)

_registered = False
_lock = threading.Lock()


def before_snapshot() -> None:
    """No socket in the snapshot: every pooled keep-alive connection closed."""
    pools = keepalive.close_all()
    logger.info("snapshot: pooled connections closed", extra={"pools": pools})


def after_restore() -> None:
    """This container's own randomness, no connection and no secret from before the snapshot."""
    random.seed()  # from os.urandom
    ssl = sys.modules.get("ssl")
    if ssl is not None:
        ssl.RAND_add(os.urandom(32), 32.0)
    keepalive.close_all()
    secrets.RESOLVER.forget()
    credentials = sys.modules.get("shared.support.container_credentials")
    if credentials is not None:
        credentials.forget_all()


def register() -> bool:
    """Register the hooks with Lambda's runtime, once per process; False when its module is missing (the
    variable set outside Lambda), which is logged."""
    global _registered  # noqa: PLW0603 - once per process
    with _lock:
        if _registered:
            return True
        try:
            hooks = importlib.import_module(RUNTIME_HOOKS)
        except ImportError:
            logger.warning(
                "SnapStart: no runtime hooks module, the hooks are not registered",
                extra={"hooks_module": RUNTIME_HOOKS},
            )
            return False
        hooks.register_before_snapshot(before_snapshot)
        hooks.register_after_restore(after_restore)
        _registered = True
        return True
