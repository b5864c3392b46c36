"""One error type, rendered in each generation's own response shape.

Codes are API 3.0 names (``AuthFailure.SignatureFailure``, ``ResourceNotFound.TaskId``...); v2 and fcgi map
them to their numbers by the longest matching prefix.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

# API 3.0 code (or its prefix) -> (v2 code, v2 codeDesc). Tencent documents 4100-4110 as v2 authentication
# failures and 4500 as a replayed request; the other numbers and every codeDesc are our assumption.
V2_CODES: dict[str, tuple[int, str]] = {
    "AuthFailure": (4100, "AuthFailure"),
    "NonceReplay": (4500, "NonceReplay"),
    "RequestLimitExceeded": (4400, "RequestLimitExceeded"),
    "LimitExceeded": (4400, "LimitExceeded"),
    "ResourceNotFound": (4000, "ResourceNotFound"),
    "InvalidAction": (4000, "InvalidAction"),
}
V2_DEFAULT = (4000, "InvalidParameter")

# fcgi error codes are not documented by Tencent (only "ret != 0 is a failure"): ours, see README.
FCGI_CODES: dict[str, int] = {
    "AppidInvalid": 1002,
    "AuthFailure.SignatureFailure": 1003,
    "AuthFailure.SignatureExpire": 1004,
    "InvalidAction": 1005,
    "ResourceNotFound": 1006,
    "LimitExceeded": 1007,
    "RequestLimitExceeded": 1007,
}
FCGI_DEFAULT = 1001  # missing or invalid parameter


def _lookup(table: dict[str, T], code: str, default: T) -> T:
    """The entry for ``code`` or its longest dotted prefix."""
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in table:
            return table[key]
    return default


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def api3(self) -> dict[str, str]:
        return {"Code": self.code, "Message": self.message}

    def v2(self) -> dict[str, object]:
        number, desc = _lookup(V2_CODES, self.code, V2_DEFAULT)
        return {"code": number, "message": self.message, "codeDesc": desc}

    def fcgi(self) -> dict[str, object]:
        return {"ret": _lookup(FCGI_CODES, self.code, FCGI_DEFAULT), "message": self.message}


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"missing required parameter {name}")


def invalid(name: str, why: str, code: str = "InvalidParameterValue") -> ApiError:
    return ApiError(code, f"invalid parameter {name}: {why}")
