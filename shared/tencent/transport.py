"""The one HTTP transport every generation uses: a small keep-alive client on the standard library's sockets
(:mod:`shared.support.http1`; connections are reused across warm invocations), JSON answers, and the
retry-safety split.

It tells the two transport failures apart, because retry safety depends on it:
- :class:`NotSent`: the connection could not be opened; the request never left (``TencentUnavailable``);
- :class:`NoAnswer`: the request may have reached the server, but no complete answer came back; for a
  create that is ``OutcomeUnknown`` (reconcile, never retry blindly).
Connections are pooled and never reused when they may be dead (:mod:`shared.support.keepalive`): a create sent
on a dead connection would be an ambiguous failure. Each exchange ends by its deadline (``until``; by default
the timeout from its start: :func:`shared.tencent.adapter.call_deadline`), whatever the server does: a
deadline passed before the request left is :class:`NotSent`, after it :class:`NoAnswer`. An answer is read
within :data:`MAX_ANSWER` bytes and parsed with the bounded JSON reader (:mod:`shared.support.boundedjson`);
one over either bound, or that is not a JSON object, counts as no answer, and so does a non-200 HTTP status
unless its body is Tencent's own error object (:func:`carries_error`): that is Tencent's answer, classified
like any other refusal; anything else came from something in between.

No retries here, and no third-party HTTP stack: v2 and fcgi send signed GETs, API 3.0 TC3-signed POSTs.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

from shared.support import boundedjson
from shared.support.config import LiveApi
from shared.support.errors import LiverecError, TencentUnavailable
from shared.support.http1 import Unsent
from shared.support.keepalive import ConnectFailed, Pool
from shared.support.observability import logger
from shared.tencent.adapter import no_answer

# bytes of one answer: a page of DescribeRecordTask's tasks is tens of KiB; the largest answer is far under
MAX_ANSWER = 8 * 1024 * 1024


class NotSent(Exception):
    pass


class NoAnswer(Exception):
    pass


_ESCAPE = r"%[0-9A-F]{2}"  # compiled on first use (re caches it): API 3.0 sends no query


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """Form-encode as Tencent's examples spell it: spaces as ``+``, escapes lowercase (``2017-05-20+10%3a00%3a00``)."""

    def enc(text: str) -> str:
        quoted = quote(text, safe="").replace("%20", "+")
        return re.sub(_ESCAPE, lambda m: m.group(0).lower(), quoted)

    return "&".join(f"{enc(k).replace('%2e', '.')}={enc(v)}" for k, v in pairs)


class KeepAliveHttp:
    """Requests on pooled keep-alive connections to one base URL (see :mod:`shared.support.keepalive`)."""

    def __init__(self, base_url: str, timeout: float, max_idle: int = 4) -> None:
        parts = urlsplit(base_url)
        self.netloc = parts.netloc
        self._pool = Pool(
            parts.scheme,
            parts.hostname or "",
            parts.port,
            connect_timeout=timeout,
            read_timeout=timeout,
            max_idle=max_idle,
            max_body=MAX_ANSWER,
        )

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        until: float | None = None,
    ) -> tuple[int, bytes]:
        """One request on a pooled connection, ended by ``until`` (``time.monotonic``) when given;
        ``(status, body)``, or :class:`NotSent` / :class:`NoAnswer`."""
        try:
            conn = self._pool.acquire(until)
        except ConnectFailed as exc:
            raise NotSent(str(exc)) from exc
        try:
            conn.request(
                method,
                target,
                body=body,
                headers={"Host": self.netloc, "Connection": "keep-alive", **(headers or {})},
            )
            response = conn.getresponse()
            answer = response.read()
        except Unsent as exc:  # the deadline passed before the first byte left
            conn.close()
            raise NotSent(str(exc)) from exc
        except OSError as exc:  # reset, timed out, or an answer malformed, over the cap or cut short
            conn.close()
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        if response.will_close:
            conn.close()
        else:
            self._pool.release(conn)
        return response.status, answer


class Transport:
    """One base URL's pooled connections, read as JSON objects, failures typed for retry safety."""

    def __init__(self, api: LiveApi, base_url: str, timeout: float, path: str = "/") -> None:
        self.api = api
        self.path = path
        self.timeout = timeout
        self.http = KeepAliveHttp(base_url, timeout)

    @property
    def netloc(self) -> str:
        return self.http.netloc

    def send(
        self, action: str, pairs: list[tuple[str, str]], *, creates: bool, until: float | None = None
    ) -> dict[str, Any]:
        """A signed GET with ``pairs`` as its query (v2, fcgi)."""
        safe = {k: v for k, v in pairs if k not in _SECRET_PARAMS}
        target = f"{self.path}?{encode_query(pairs)}"
        return self.exchange(action, "GET", target, None, None, creates=creates, params=safe, until=until)

    def post(
        self,
        action: str,
        payload: bytes,
        headers: dict[str, str],
        *,
        creates: bool,
        params: dict[str, Any],
        until: float | None = None,
    ) -> dict[str, Any]:
        """A signed POST of ``payload`` (API 3.0); ``params`` is what errors may quote (no secrets)."""
        return self.exchange(
            action, "POST", self.path, payload, headers, creates=creates, params=params, until=until
        )

    def exchange(
        self,
        action: str,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str] | None,
        *,
        creates: bool,
        params: dict[str, Any],
        until: float | None = None,
    ) -> dict[str, Any]:
        """One request and its answer as a JSON object, by ``until`` (``time.monotonic``; by default the
        timeout from now)."""
        started = time.monotonic()
        until = started + self.timeout if until is None else until
        try:
            status, raw = self.http.request(method, target, body, headers, until)
        except NotSent as exc:
            raise TencentUnavailable(f"could not reach Tencent Live for {action}: {exc}") from None
        except NoAnswer as exc:
            raise self._no_answer(action, params, creates, f"transport error: {exc}") from None
        try:
            data = boundedjson.loads(raw)
        except boundedjson.JsonRefused as exc:
            why = f"HTTP {status}" if status != 200 else f"a body that is not JSON within bounds ({exc})"
            raise self._no_answer(action, params, creates, why) from None
        if not isinstance(data, dict):
            raise self._no_answer(action, params, creates, "a JSON body that is not an object")
        if status != 200 and not carries_error(data):  # something in between answered, not Tencent
            raise self._no_answer(action, params, creates, f"HTTP {status}")
        response = data.get("Response")
        answer: dict[str, Any] = response if isinstance(response, dict) else data
        found = answer.get("Error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        logger.info(
            "tencent call",
            extra={
                "action": action,
                "api": self.api.value,
                "request_id": _shown(answer.get("RequestId")),  # API 3.0 names every answer; v2, fcgi not
                "code": _shown(error.get("Code", data.get("code", data.get("ret")))),
                "ms": round(1000 * (time.monotonic() - started)),
            },
        )
        return data

    def _no_answer(self, action: str, params: dict[str, Any], creates: bool, why: str) -> LiverecError:
        return no_answer(self.api, action, creates=creates, why=why, params=params)


def carries_error(data: dict[str, Any]) -> bool:
    """Whether a body is Tencent's own error answer in one of its dialects (API 3.0 ``Response.Error``, v2's
    non-zero ``code``, fcgi's non-zero ``ret``): Tencent answered and refused, whatever the HTTP status, so
    the request certainly made nothing. Anything else with a non-200 status came from something between."""
    response = data.get("Response")
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return True
    return any(
        isinstance(data.get(k), int) and not isinstance(data.get(k), bool) and data[k] != 0
        for k in ("code", "ret")
    )


def _shown(value: object) -> object:
    """A field as the log shows it before the dialect has checked it: a number, or a string cut to 64."""
    if isinstance(value, str):
        return value[:64]
    return value if isinstance(value, int | float) else None


# Signatures are not secrets, but they are replayable until they expire: keep them out of errors and logs.
_SECRET_PARAMS = frozenset({"sign", "Signature", "SecretId"})
