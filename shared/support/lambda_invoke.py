"""Lambda's asynchronous Invoke (``InvocationType: Event``) on the standard library: ``POST
/2015-03-31/functions/<name>/invocations`` with ``X-Amz-Invocation-Type: Event``, signed with SigV4 (service
``lambda``), on a new connection closed after the call.

Under SnapStart (any published version), the function runs as a version: its invocations name that version
(``AWS_LAMBDA_FUNCTION_VERSION``, as ``?Qualifier=<version>``), so the event runs restored from that
version's snapshot, the code that queued it, and not cold on ``$LATEST``.

Lambda answers ``202`` once the event is queued; the function runs it later, in another invocation. The call
is bounded as a whole, not per read: connecting, sending and reading the answer all end within ``deadline``
seconds (each socket operation waits at most what is left of it), and at most :data:`MAX_ANSWER` bytes of the
answer are read (its status line and headers; an error's body is not needed). Every failure raises
:class:`~shared.support.aws.AwsError` with a code: ``ConnectFailed`` (nothing was sent), ``Timeout``,
``NoAnswer``, ``InvalidResponse``, or Lambda's ``x-amzn-ErrorType`` (``AccessDeniedException``,
``ResourceNotFoundException``, ``TooManyRequestsException`` ...), else ``HTTP<status>``. A timeout after
the request was sent leaves it unknown whether the event was queued.

Credentials and region come from the environment as for the other AWS clients
(:func:`shared.support.aws_env.environment`); the endpoint from ``AWS_ENDPOINT_URL_LAMBDA`` (locally,
serverless-offline's invoke port), else ``AWS_ENDPOINT_URL``, else ``https://lambda.<region>.amazonaws.com``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Self

from shared.support.aws import AwsError
from shared.support.aws_env import Endpoint, current, default_endpoint, environment
from shared.support.errors import ConfigError
from shared.support.http1 import Connection
from shared.support.keepalive import ascii_host, tls_context
from shared.support.sigv4 import Credentials, sign

if TYPE_CHECKING:  # loaded only where the environment names a container credentials endpoint
    from shared.support.container_credentials import ContainerCredentials

ENDPOINT_VAR = "AWS_ENDPOINT_URL_LAMBDA"
DEADLINE = 1.0  # seconds the whole call may take
MAX_ANSWER = 4096  # bytes of the answer read at most
USER_AGENT = "liverec-aws/1"
CONTENT_TYPE = "application/json"
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a function's name (what AWS_LAMBDA_FUNCTION_NAME holds)
VERSION = re.compile(r"[0-9]{1,10}")  # a published version (AWS_LAMBDA_FUNCTION_VERSION; else "$LATEST")
_STATUS = re.compile(rb"HTTP/1\.[01] ([1-9][0-9]{2})[^\r\n]*\r?\n")


class AsyncInvoker:
    """Queues events for one function (``invoke``); thread-safe (each call opens its own connection)."""

    def __init__(
        self,
        credentials: Credentials | ContainerCredentials,
        region: str,
        function_name: str,
        endpoint: str | None = None,
        *,
        version: str | None = None,
        deadline: float = DEADLINE,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not FUNCTION_NAME.fullmatch(function_name):
            raise ConfigError(
                "AWS_LAMBDA_FUNCTION_NAME is not a Lambda function name", field="AWS_LAMBDA_FUNCTION_NAME"
            )
        self._credentials = credentials
        self.region = region
        self.path = f"/2015-03-31/functions/{function_name}/invocations"
        # the version this code runs as: invoked by it (else $LATEST, unqualified)
        self.query = f"Qualifier={version}" if version and VERSION.fullmatch(version) else ""
        self._endpoint = Endpoint(endpoint or default_endpoint("lambda", region), "endpoint")
        self.endpoint = self._endpoint.url
        self.deadline = deadline
        self._clock = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, deadline: float = DEADLINE) -> Self:
        """An invoker of the function running this code (``AWS_LAMBDA_FUNCTION_NAME``, in the version
        ``AWS_LAMBDA_FUNCTION_VERSION`` names), built from the environment (``os.environ`` by default); a
        ConfigError names what is missing."""
        env = os.environ if environ is None else environ
        credentials, region, endpoint = environment("lambda", ENDPOINT_VAR, env)
        name, version = env.get("AWS_LAMBDA_FUNCTION_NAME", ""), env.get("AWS_LAMBDA_FUNCTION_VERSION")
        return cls(credentials, region, name, endpoint, version=version, deadline=deadline)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, endpoint={self.endpoint!r})"

    def invoke(self, event: bytes) -> int:
        """Queue ``event`` (JSON) for an asynchronous run of the function, within ``deadline``: Lambda's
        status (202). Raises :class:`AwsError` for anything else."""
        stop = self._monotonic() + self.deadline
        headers = sign(
            current(self._credentials, stop),
            service="lambda",
            content_type=CONTENT_TYPE,
            region=self.region,
            host=self._endpoint.signed_host,
            target=None,
            body=event,
            when=self._clock(),
            path=self.path,
            query=self.query,
            extra={"X-Amz-Invocation-Type": "Event"},
        )
        headers["User-Agent"] = USER_AGENT
        ep = self._endpoint
        conn = Connection(
            ep.host, ep.port, timeout=self.deadline, context=tls_context() if ep.https else None
        )
        try:
            try:
                conn.connect(ascii_host(ep.host))
            except OSError as exc:
                raise AwsError(
                    "ConnectFailed",
                    f"Invoke: cannot connect to {self.endpoint} ({type(exc).__name__}); nothing was sent",
                    retryable=True,
                ) from exc
            try:
                head = self._exchange(conn, event, headers, stop)
            except OSError as exc:  # refused, reset, or the deadline passed (TimeoutError)
                code = "Timeout" if isinstance(exc, TimeoutError) else "NoAnswer"
                raise AwsError(
                    code,
                    f"Invoke: no answer from {self.endpoint} within {self.deadline:g} s "
                    f"({type(exc).__name__}); the event may have been queued",
                ) from exc
        finally:
            conn.close()
        return self._status(head)

    def _exchange(self, conn: Connection, event: bytes, headers: dict[str, str], stop: float) -> bytes:
        """Send the request and read the answer's head (at most MAX_ANSWER bytes), all before ``stop``."""
        sock = conn.sock
        if sock is None:
            raise ConnectionError("not connected")
        sock.settimeout(self._left(stop))
        target = f"{self.path}?{self.query}" if self.query else self.path
        conn.request("POST", target, body=event, headers=headers)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < MAX_ANSWER:
            sock.settimeout(self._left(stop))
            chunk = sock.recv(MAX_ANSWER - len(head))
            if not chunk:
                break
            head += chunk
        return head

    def _left(self, stop: float) -> float:
        left = stop - self._monotonic()
        if left <= 0:
            raise TimeoutError("the call's deadline passed")
        return left

    def _status(self, head: bytes) -> int:
        if not head:
            raise AwsError("NoAnswer", f"Invoke: {self.endpoint} closed the connection without an answer")
        found = _STATUS.match(head)
        if found is None:
            raise AwsError("InvalidResponse", f"Invoke: not an HTTP/1.x answer: {head[:40]!r}")
        status = int(found.group(1))
        if status == 202:
            return status
        code = f"HTTP{status}"
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"x-amzn-errortype":
                text = value.decode("latin-1").partition(":")[0].strip()
                code = re.sub(r"[^A-Za-z0-9_.-]", "", text)[:100] or code
                break
        raise AwsError(code, f"Invoke: HTTP {status} from {self.endpoint}", status=status)
