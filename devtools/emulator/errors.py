"""One error type, rendered in each generation's own response shape."""

from __future__ import annotations

# API 3.0 code -> (v2 code, v2 codeDesc). Tencent documents 4100-4110 as v2 authentication failures and
# 4500 as a replayed request; 4000 (invalid parameter), 4400 (quota) and 6000 (internal) are our reading
# of the v2 common error table.
V2_CODES: dict[str, tuple[int, str]] = {
    "AuthFailure": (4100, "AuthFailure"),
    "NonceReplay": (4500, "NonceReplay"),
    "RequestLimitExceeded": (4400, "RequestLimitExceeded"),
    "LimitExceeded": (4400, "LimitExceeded"),
    "ResourceNotFound": (4000, "ResourceNotFound"),
    "InternalError": (6000, "InternalError"),
}
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


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def v2(self) -> dict[str, object]:
        for prefix, (num, desc) in V2_CODES.items():
            if self.code == prefix or self.code.startswith(prefix + "."):
                return {"code": num, "message": self.message, "codeDesc": desc}
        return {"code": 4000, "message": self.message, "codeDesc": "InvalidParameter"}

    def fcgi(self) -> dict[str, object]:
        for prefix in (self.code, self.code.split(".")[0]):
            if prefix in FCGI_CODES:
                return {"ret": FCGI_CODES[prefix], "message": self.message}
        return {"ret": 1001, "message": self.message}


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"missing parameter: {name}")


def invalid(name: str, why: str, code: str = "InvalidParameterValue") -> ApiError:
    return ApiError(code, f"{name}: {why}")
