"""AWS credentials from a container credentials endpoint: what Lambda gives a SnapStart function in place of
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` (a snapshot would carry those past
their expiry, so under SnapStart Lambda does not set them), as ECS and EKS give their tasks.

``GET`` of ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` with ``Authorization:`` the value of
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` (or the content of the file ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``
names); the answer is JSON with ``AccessKeyId``, ``SecretAccessKey``, ``Token`` and ``Expiration`` (ISO 8601).
The credentials are kept until :data:`REFRESH` seconds before their expiration by the wall clock (right after
a restore too: the wall clock is the real one then) and read again then, within the caller's deadline and
:data:`TIMEOUT`. One source per endpoint and process (:func:`source`), shared by every client;
:func:`forget_all` drops what they hold (``shared.support.snapstart`` does after a restore).

The endpoint is ``http`` on a loopback address, or on the link-local addresses ECS and EKS use (the ones
botocore accepts), or ``https`` anywhere: a credential is never sent elsewhere in the clear. A failure to
read them raises :class:`~shared.support.aws.AwsError` ``CredentialsUnavailable``, retryable: nothing was
sent with them. Standard library only, on :mod:`shared.support.http1` (a connection per read, closed after).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from shared.support.aws import AwsError
from shared.support.errors import ConfigError
from shared.support.http1 import Connection
from shared.support.keepalive import ascii_host, tls_context
from shared.support.sigv4 import Credentials

FULL_URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - the variable's name
TOKEN_FILE_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105 - the variable's name
TIMEOUT = 2.0  # seconds one read of the endpoint may take
REFRESH = 300.0  # seconds before their expiration the credentials are read again
MAX_ANSWER = 16384  # bytes of the endpoint's answer
# besides loopback: ECS's and EKS's endpoints (IPv4 and IPv6), as botocore's ContainerMetadataFetcher allows
LINK_LOCAL = frozenset({"169.254.170.2", "169.254.170.23", "fd00:ec2::23"})
INCOMPLETE = "the endpoint's answer lacks AccessKeyId, SecretAccessKey, Token or Expiration"


class ContainerCredentials:
    """The credentials one endpoint serves, read when first needed and again before they expire."""

    def __init__(
        self,
        uri: str,
        token: Callable[[], str | None],
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = TIMEOUT,
    ) -> None:
        parts = urlsplit(uri)
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(
                f"{FULL_URI_VAR} is not a valid URL (check its port)", field=FULL_URI_VAR
            ) from None
        host = parts.hostname or ""
        if not (parts.scheme == "https" and host) and not (parts.scheme == "http" and _local(host)):
            raise ConfigError(
                f"{FULL_URI_VAR} must be https, or http on a loopback address (or ECS's or EKS's)",
                field=FULL_URI_VAR,
            )
        self._host, self._port, self._https = host, port, parts.scheme == "https"
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._token = token
        self._clock = clock
        self.timeout = timeout
        self._held: tuple[Credentials, float] | None = None  # the credentials and their expiration
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self._host!r})"

    def get(self, until: float | None = None) -> Credentials:
        """The credentials to sign with now, read from the endpoint when none are held or they expire within
        :data:`REFRESH` seconds; the read ends by ``until`` (an instant of ``time.monotonic``) at the
        latest."""
        with self._lock:
            held = self._held
            if held is None or held[1] - REFRESH <= self._clock():
                held = self._held = self._read(until)
            return held[0]

    def known(self) -> Credentials | None:
        """The credentials held, without reading any (to keep their values out of an error message)."""
        held = self._held
        return None if held is None else held[0]

    def forget(self) -> None:
        """Drop the credentials held: the next :meth:`get` reads them again."""
        with self._lock:
            self._held = None

    def _read(self, until: float | None) -> tuple[Credentials, float]:
        stop = time.monotonic() + self.timeout
        stop = stop if until is None else min(until, stop)
        token = self._token()
        context = tls_context() if self._https else None
        conn = Connection(self._host, self._port, timeout=self.timeout, context=context, max_body=MAX_ANSWER)
        conn.deadline = stop
        try:
            conn.connect(ascii_host(self._host))
            conn.request("GET", self._target, headers={"Authorization": token} if token else None)
            response = conn.getresponse()
            data = response.read()
        # refused, timed out, cut short, over its cap; a token that would inject a header line
        except (OSError, ValueError) as exc:
            raise _unavailable(f"the endpoint gave no answer ({type(exc).__name__})") from None
        finally:
            conn.close()
        if response.status != 200:
            raise _unavailable(f"the endpoint answered HTTP {response.status}")
        return _parsed(data)


def _parsed(data: bytes) -> tuple[Credentials, float]:
    try:
        answer = json.loads(data)
        expires = datetime.fromisoformat(answer["Expiration"]).timestamp()
        fields = (answer["AccessKeyId"], answer["SecretAccessKey"], answer["Token"])
    except (ValueError, KeyError, TypeError, AttributeError):  # not JSON, a field missing or of another type
        raise _unavailable(INCOMPLETE) from None
    if not all(isinstance(field, str) and field for field in fields):
        raise _unavailable(INCOMPLETE)
    return Credentials(*fields), expires


def _unavailable(why: str) -> AwsError:
    return AwsError("CredentialsUnavailable", f"container credentials: {why}", retryable=True)


def _local(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or str(address) in LINK_LOCAL


_sources: dict[str, ContainerCredentials] = {}
_sources_lock = threading.Lock()


def source(env: Mapping[str, str]) -> ContainerCredentials:
    """The process's source for the endpoint ``env`` names (``AWS_CONTAINER_CREDENTIALS_FULL_URI``), built
    once; its token is read from ``env`` (or the token file) at each read. A ConfigError names the
    variable."""
    uri = env.get(FULL_URI_VAR, "")
    token_file = env.get(TOKEN_FILE_VAR, "")

    def token() -> str | None:
        if env.get(TOKEN_VAR):
            return env[TOKEN_VAR]
        if token_file:
            try:
                with open(token_file, encoding="utf-8") as file:
                    return file.read().strip()
            except OSError:
                raise _unavailable(f"{TOKEN_FILE_VAR} cannot be read") from None
        return None

    with _sources_lock:
        if uri not in _sources:
            _sources[uri] = ContainerCredentials(uri, token)
        return _sources[uri]


def forget_all() -> None:
    """Every source drops the credentials it holds (after a SnapStart restore: read them afresh)."""
    with _sources_lock:
        held = list(_sources.values())
    for each in held:
        each.forget()
