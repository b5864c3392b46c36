"""A minimal AWS JSON-protocol client (DynamoDB, SSM, Secrets Manager): ``POST /`` over the keep-alive
connections of :mod:`shared.support.keepalive` (:mod:`shared.support.http1`), signed with SigV4, standard
library only.

Why not boto3: building a boto3 client costs ~250-350 ms and ~20 MiB at a Lambda cold start, for the few
operations liverec needs. boto3 is never bundled and never imported.

Requests and answers are the service's own JSON shapes, the dicts boto3's low-level client takes and
returns (DynamoDB: ``Item={"id": {"S": "k"}}``, numbers as strings ``{"N": "1"}``; binary values are
base64 strings, as on the wire).

Configuration is read when a client is built (never at import), from the environment only:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, optional ``AWS_SESSION_TOKEN`` (sent as
``X-Amz-Security-Token``; Lambda sets all three), else, without them, the container credentials endpoint
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` names (Lambda's under SnapStart; read when first signing and again
before they expire: :mod:`shared.support.container_credentials`); the region from ``AWS_REGION``, else
``AWS_DEFAULT_REGION``; the endpoint from the service's botocore variable (``AWS_ENDPOINT_URL_DYNAMODB``,
``AWS_ENDPOINT_URL_SSM``, ``AWS_ENDPOINT_URL_SECRETS_MANAGER``), else ``AWS_ENDPOINT_URL``, else
``https://<service>.{region}.amazonaws.com`` (``.com.cn`` in China regions);
:func:`shared.support.aws_env.environment` reads them (Lambda's Invoke too:
:mod:`shared.support.lambda_invoke`).
No profiles, SSO or instance credentials. Anything missing or malformed is a
:class:`~shared.support.errors.ConfigError` naming the variable.

Errors: every failure (an error answer, a transport failure, an answer that is not JSON) raises
:class:`AwsError`, or the service's own subclass for an answer that has one (DynamoDB's
:class:`ConditionalCheckFailed`; a client may tell one by more than its code: ``error_class``), with a
``code`` (the service's ``__type`` name, or ours:
``ConnectFailed``, ``ReadTimeout``, ``NoAnswer``, ``InvalidResponse``, ``HTTP<status>``) and a short
message. Neither ever carries a credential: the secret key and session token are kept in ``SecretStr``
and scrubbed from anything the server echoes.

Retries, only where nothing can have been applied:

- the connection could not be opened (DNS failure, refused, unreachable, TCP or TLS timeout): the request
  never left;
- the service answered one of its throttling errors: it refused the request without executing it.

Up to 3 attempts, 50 ms then 100 ms apart (jittered). Everything else raises at once: in particular a read
timeout, a reset or a truncated answer after the request was sent, and a 5xx, because a write may have been
applied. Retrying a conditional PutItem that was applied would find its own claim, and its caller would then
wait for itself.

Connections are kept alive and shared by threads through the pool in :mod:`shared.support.keepalive` (the
one the Tencent transport uses): an idle connection is reused only when the server has not closed it and it
has been idle for less than ``IDLE_REUSE`` seconds, since a socket that sat through a long freeze of the
Lambda sandbox may be dead without the client knowing, and a request sent on it fails *after* sending, which
is ambiguous and so is not retried. Connect timeout 3 s (TCP + TLS), read timeout 5 s, and one call, its
retries included, ends within ``CALL_TIMEOUT`` (8 s) whatever the server does: each connect, send and read
waits at most what is left of it (:mod:`shared.support.http1`), so a server answering a byte at a time is cut
there (``ReadTimeout``). An answer is at most ``MAX_ANSWER`` bytes (BatchGetItem's answers reach 16 MB) and
nested within the parser's recursion limit: over either, ``InvalidResponse`` (never a ``MemoryError`` or a
``RecursionError``).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from shared.support.aws_env import REGION, Endpoint, current, default_endpoint, environment
from shared.support.errors import ConfigError
from shared.support.http1 import Connection, Response, Unsent
from shared.support.keepalive import MAX_IDLE, ConnectFailed, Pool
from shared.support.records import Record
from shared.support.sigv4 import Credentials, sign

if TYPE_CHECKING:  # loaded only where the environment names a container credentials endpoint
    from shared.support.container_credentials import ContainerCredentials

USER_AGENT = "liverec-aws/1"
ATTEMPTS = 3
BACKOFF = 0.05  # seconds before the second attempt; doubles
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
CALL_TIMEOUT = CONNECT_TIMEOUT + READ_TIMEOUT  # seconds one call may take in all, its retries included
MAX_ANSWER = 32 * 1024 * 1024  # bytes of one answer (BatchGetItem: up to 16 MB of items)
MAX_MESSAGE = 200  # characters of a server's error message kept


class AwsError(Exception):
    """The service refused or could not be reached. ``retryable``: nothing was applied (refused or never sent)."""

    def __init__(
        self, code: str, message: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable


class ConditionalCheckFailed(AwsError):
    """DynamoDB: the write's ``ConditionExpression`` was false: nothing was written."""


class Service(Record):
    """One AWS JSON-protocol service, as the client signs and addresses it."""

    __slots__ = ()
    name: str  # the signing name and the endpoint's first label
    target_prefix: str  # X-Amz-Target is this and the operation
    content_type: str
    endpoint_var: str  # botocore's variable for this service's endpoint (then AWS_ENDPOINT_URL)
    throttling: frozenset[str]  # codes that refuse a request without executing it (retried)
    errors: tuple[tuple[str, type[AwsError]], ...] = ()  # codes with a class of their own


class AwsJsonClient:
    """A thread-safe client of one AWS JSON-protocol service, for one region and endpoint.
    ``call(operation, **params)`` returns the service's answer as a dict."""

    service: Service

    def __init__(
        self,
        credentials: Credentials | ContainerCredentials,
        region: str,
        endpoint: str | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
        max_idle: int = MAX_IDLE,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not REGION.fullmatch(region):
            raise ConfigError(f"not a valid AWS region: {region!r}", field="AWS_REGION")
        self._credentials = credentials
        self.region = region
        self._endpoint = Endpoint(endpoint or default_endpoint(self.service.name, region), "endpoint")
        self.endpoint = self._endpoint.url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        ep = self._endpoint
        self._pool = Pool(
            "https" if ep.https else "http",
            ep.host,
            ep.port,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_idle=max_idle,
            max_body=MAX_ANSWER,
        )
        self.call_timeout = call_timeout

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> Self:
        """Built from the environment (``os.environ`` by default); a ConfigError names what is missing."""
        credentials, region, endpoint = environment(cls.service.name, cls.service.endpoint_var, environ)
        return cls(credentials, region, endpoint, connect_timeout=connect_timeout, read_timeout=read_timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, endpoint={self.endpoint!r})"

    # --- operations ---------------------------------------------------------------------------------

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One operation (``PutItem``, ``GetParameter`` ...) with its parameters, as the service names them."""
        body = json.dumps(params, separators=(",", ":")).encode()
        until = time.monotonic() + self.call_timeout
        for attempt in range(ATTEMPTS):
            if attempt:
                self._sleep(BACKOFF * 2 ** (attempt - 1) * (0.5 + random.random() / 2))  # noqa: S311
            try:
                return self._send(operation, body, until)
            except AwsError as exc:
                if not exc.retryable or attempt == ATTEMPTS - 1 or time.monotonic() >= until:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the idle connections (the client stays usable)."""
        self._pool.close()

    # --- transport ----------------------------------------------------------------------------------

    def _send(self, operation: str, body: bytes, until: float) -> dict[str, Any]:
        headers = sign(
            current(self._credentials, until),
            service=self.service.name,
            content_type=self.service.content_type,
            region=self.region,
            host=self._endpoint.signed_host,
            target=self.service.target_prefix + operation,
            body=body,
            when=self._clock(),
        )
        headers["User-Agent"] = USER_AGENT
        headers["Accept-Encoding"] = "identity"
        conn = self._acquire(until)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except Unsent as exc:  # the call's time was up before the first byte left
            conn.close()
            raise AwsError(
                "ConnectFailed", f"{operation}: out of time before sending; nothing was sent"
            ) from exc
        except OSError as exc:  # reset, timed out, or an answer malformed, over the cap or cut short
            conn.close()
            code = "ReadTimeout" if isinstance(exc, TimeoutError) else "NoAnswer"
            raise AwsError(
                code,
                f"{operation}: no complete answer from {self.endpoint} ({type(exc).__name__}); "
                "it may have been applied",
            ) from exc
        if response.will_close:
            conn.close()
        else:
            self._release(conn)
        return self._answer(operation, response, data)

    def _answer(self, operation: str, response: Response, data: bytes) -> dict[str, Any]:
        status = response.status
        try:
            payload: Any = json.loads(data) if data.strip() else {}
        except (ValueError, RecursionError):  # UnicodeDecodeError too; nested past the parser's limit
            payload = None
        if 200 <= status < 300:
            if not isinstance(payload, dict):
                raise AwsError(
                    "InvalidResponse",
                    f"{operation}: HTTP {status} with a body that is not a JSON object",
                    status=status,
                )
            return payload
        code, message = f"HTTP{status}", ""
        if isinstance(payload, dict):
            kind = payload.get("__type")
            if isinstance(kind, str) and kind:
                code = kind.rpartition("#")[2]
            text = payload.get("message", payload.get("Message"))
            if isinstance(text, str):
                message = text
        if code.startswith("HTTP"):
            header = response.getheader("x-amzn-ErrorType") or ""
            code = header.partition(":")[0].strip() or code
        code = self._scrub(code)[:100] or f"HTTP{status}"
        cls = self.error_class(code, message)  # the whole message: a class may be told by it alone
        message = self._scrub(message)[:MAX_MESSAGE]
        raise cls(code, message, status=status, retryable=code in self.service.throttling)

    def error_class(self, code: str, message: str) -> type[AwsError]:
        """The class of an error answer: by its code (the service's table), else :class:`AwsError`."""
        return dict(self.service.errors).get(code, AwsError)

    def _scrub(self, text: str) -> str:
        creds = self._credentials if isinstance(self._credentials, Credentials) else self._credentials.known()
        if creds is None:
            return text
        for secret in (
            creds.secret_access_key.get_secret_value(),
            creds.session_token.get_secret_value() if creds.session_token else "",
            creds.access_key_id,
        ):
            if secret:
                text = text.replace(secret, "**********")
        return text

    def _acquire(self, until: float) -> Connection:
        try:
            return self._pool.acquire(until)
        except ConnectFailed as exc:  # the request never left
            raise AwsError(
                "ConnectFailed",
                f"cannot connect to {self.endpoint} ({exc}); nothing was sent",
                retryable=True,
            ) from exc

    def _release(self, conn: Connection) -> None:
        self._pool.release(conn)
