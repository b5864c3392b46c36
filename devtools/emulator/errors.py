"""One error type for every generation; each wire module renders it in its own response shape.

Codes are API 3.0 names (``AuthFailure.SignatureFailure``, ``InvalidParameter``...); the v2 and fcgi
modules map them to their numbers with :func:`lookup_code`.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"missing required parameter {name}")


def invalid(name: str, why: str, code: str = "InvalidParameterValue") -> ApiError:
    return ApiError(code, f"invalid parameter {name}: {why}")


def lookup_code(table: dict[str, T], code: str, default: T) -> T:
    """The entry for ``code`` or its longest dotted prefix."""
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in table:
            return table[key]
    return default
