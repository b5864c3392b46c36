"""A Lambda context for local invocations: what the functions read of it (names, the request id, and the
time left, which sets a create's lease and the timer's deadline). Standard library only: the package check
loads this file by its path beside an unzipped artifact."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LambdaContext:
    function_name: str = "liverec-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:ap-east-1:123456789012:function:liverec-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    remaining_ms: int = 29_000  # the HTTP functions' timeout in serverless.yml

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
