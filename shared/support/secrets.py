"""Secrets by reference. A secret variable holds its value (local runs, tests) or a reference resolved at
runtime, so no secret's value is in the deployment template, its bucket or the function's configuration:

- ``ssm:/<name>``: an SSM Parameter Store parameter, decrypted (a SecureString);
- ``secretsmanager:<id>``: a Secrets Manager secret's ``SecretString``.

Resolved with the standard-library AWS client (:mod:`shared.support.aws`, no boto3) when the configuration
is first read, cached per container for ``TTL`` seconds, and read again sooner when a credential it carries
is refused (:func:`refused`, at most once a minute per variable: a caller sending wrong tokens cannot make
it read the store on every request). A reference that cannot be resolved is a ConfigError naming the
variable and the reference, never a value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from shared.support.errors import ConfigError

TTL = 900.0  # seconds a resolved secret is used before it is read again
REFRESH_AFTER_REFUSAL = 60.0  # the soonest a refused credential is read again
PREFIXES = ("ssm:", "secretsmanager:")


def is_reference(value: str) -> bool:
    return value.startswith(PREFIXES)


class Resolver:
    """One per container: resolved values by reference, when each was read, and which variable holds it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}
        self._refs: dict[str, str] = {}  # variable -> its reference
        self._refused: dict[str, float] = {}
        self._lock = threading.Lock()

    def value(self, var: str, raw: str, environ: Mapping[str, str]) -> str:
        """``raw`` itself, or what the reference in it resolves to (read once per TTL)."""
        if not is_reference(raw):
            return raw
        with self._lock:
            self._refs[var] = raw
            cached = self._values.get(raw)
            if cached is not None and cached[1] + TTL > self._clock():
                return cached[0]
        value = _fetch(var, raw, environ)
        with self._lock:
            self._values[raw] = (value, self._clock())
        return value

    def stale(self) -> bool:
        """Whether a resolved value is due to be read again (the configuration is then built anew)."""
        now = self._clock()
        with self._lock:
            return any(self._values.get(ref, ("", -TTL))[1] + TTL <= now for ref in self._refs.values())

    def forget(self) -> None:
        """Forget every value resolved (after a SnapStart restore: they were read before the snapshot, and
        their TTL runs on the monotonic clock, which the snapshot's wait does not advance): the settings are
        built anew, and each reference read again, on their next use."""
        with self._lock:
            self._values.clear()

    def refused(self, var: str) -> bool:
        """A credential ``var`` carries was refused: forget it, so the configuration reads it again (unless
        it was refused less than a minute ago, or is not a reference). True when forgotten."""
        now = self._clock()
        with self._lock:
            ref = self._refs.get(var)
            if ref is None or now - self._refused.get(var, -REFRESH_AFTER_REFUSAL) < REFRESH_AFTER_REFUSAL:
                return False
            self._refused[var] = now
            self._values.pop(ref, None)
            return True


def _fetch(var: str, ref: str, environ: Mapping[str, str]) -> str:
    kind, _, name = ref.partition(":")
    where = f"{var} refers to {ref}"
    if not name or (kind == "ssm" and not name.startswith("/")):
        raise ConfigError(f"{where}: expected ssm:/<parameter name> or secretsmanager:<secret id>", field=var)
    from shared.support.aws import AwsError  # only where a reference is resolved: not on every cold start
    from shared.support.secret_stores import SecretsManager, Ssm

    try:
        if kind == "ssm":
            answer = Ssm.from_env(environ).call("GetParameter", Name=name, WithDecryption=True)
            value = (answer.get("Parameter") or {}).get("Value")
        else:
            value = SecretsManager.from_env(environ).call("GetSecretValue", SecretId=name).get("SecretString")
    except AwsError as exc:  # the code and AWS's message name the parameter, never a value
        raise ConfigError(f"{where}, which could not be read: {exc.code}", field=var) from None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}, which holds no string value", field=var)
    return value


RESOLVER = Resolver()


def refused(var: str) -> bool:
    """A credential from ``var`` was refused (by Tencent, or a caller presented none of ours): read it again
    on the next use, at most once a minute."""
    return RESOLVER.refused(var)
