"""What the two query-string generations (v2 and fcgi) share: sending a GET and reading a JSON answer,
with the retry-safety split between "never sent" and "no answer"."""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.base import no_answer
from shared.adapters.legacy_http import LegacyHttp, NoAnswer, NotSent, encode_query
from shared.config import LiveApi
from shared.errors import LiverecError, TencentUnavailable


class QueryTransport:
    def __init__(self, api: LiveApi, base_url: str, path: str, timeout: float) -> None:
        self.api = api
        self.path = path
        self.http = LegacyHttp(base_url, timeout)

    @property
    def netloc(self) -> str:
        return self.http.netloc

    def send(self, action: str, pairs: list[tuple[str, str]], *, creates: bool) -> dict[str, Any]:
        query = encode_query(pairs)
        try:
            status, body = self.http.get(f"{self.path}?{query}")
        except NotSent as exc:
            raise TencentUnavailable(f"could not reach Tencent Live for {action}: {exc}") from None
        except NoAnswer as exc:
            raise self._no_answer(action, pairs, creates, f"transport error: {exc}") from None
        if status != 200:
            raise self._no_answer(action, pairs, creates, f"HTTP {status}")
        try:
            data = json.loads(body)
        except ValueError:
            raise self._no_answer(action, pairs, creates, "a body that is not JSON") from None
        if not isinstance(data, dict):
            raise self._no_answer(action, pairs, creates, "a JSON body that is not an object")
        return data

    def _no_answer(self, action: str, pairs: list[tuple[str, str]], creates: bool, why: str) -> LiverecError:
        safe = {k: v for k, v in pairs if k not in _SECRET_PARAMS}
        return no_answer(self.api, action, creates=creates, why=why, params=safe)


# Signatures are not secrets, but they are replayable until they expire: keep them out of errors and logs.
_SECRET_PARAMS = frozenset({"sign", "Signature", "SecretId"})
