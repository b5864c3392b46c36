"""Injected failures: latency, HTTP errors, dropped connections and rate-limit refusals."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from devtools.emulator.clock import finite

FAULT_KINDS = ("latency", "http_error", "drop_before_store", "drop_after_store", "rate_limit")


@dataclass
class Fault:
    kind: str
    remaining: int | None  # None: until cleared
    action: str | None
    seconds: float = 0.0
    status: int = 502
    error_body: bool = (
        False  # http_error: Tencent's own error object (InternalError) rather than an HTML page
    )


@dataclass(frozen=True)
class Injected:
    """The faults that apply to one request: the summed latency, and at most one other effect."""

    latency: float = 0.0
    effect: Fault | None = None


class Faults:
    """Injected failures, matched by ``action`` (the Action / interface name; ``None`` matches all) and
    consumed in the order they were added. ``count=None`` keeps a fault until :meth:`clear`."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def latency(self, seconds: float, count: int | None = None, action: str | None = None) -> None:
        """Delay the response by ``seconds`` (the request itself is processed first)."""
        seconds = finite(seconds, "seconds")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._add(Fault("latency", _count(count), _action(action), seconds=seconds))

    def http_error(
        self, status: int = 502, count: int | None = 1, action: str | None = None, *, error_body: bool = False
    ) -> None:
        """Answer with this HTTP status and a non-JSON body (something between the caller and Tencent), or
        with ``error_body`` Tencent's own error object in the generation's shape (``InternalError``: Tencent
        answered, and refused); the request is not processed."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        self._add(Fault("http_error", _count(count), _action(action), status=status, error_body=error_body))

    def drop_before_store(self, count: int | None = 1, action: str | None = None) -> None:
        """Close the connection without answering; the request is not processed."""
        self._add(Fault("drop_before_store", _count(count), _action(action)))

    def drop_after_store(self, count: int | None = 1, action: str | None = None) -> None:
        """Process the request (a create is stored), then close the connection without answering."""
        self._add(Fault("drop_after_store", _count(count), _action(action)))

    def rate_limit(self, count: int | None = 1, action: str | None = None) -> None:
        """Answer with the generation's rate-limit error; the request is not processed."""
        self._add(Fault("rate_limit", _count(count), _action(action)))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [replace(f) for f in self._faults]

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, action: str) -> Injected:
        """Consume the faults that match this request: every latency, and the first other effect."""
        latency = 0.0
        effect: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                if fault.action is not None and fault.action != action:
                    continue
                if fault.kind == "latency":
                    latency += fault.seconds
                elif effect is None:
                    effect = replace(fault)
                else:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return Injected(latency=latency, effect=effect)


def _count(count: object) -> int | None:
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer or None (until cleared)")
    return count


def _action(action: object) -> str | None:
    if action is not None and not isinstance(action, str):
        raise ValueError("action must be a string or None")
    return action
