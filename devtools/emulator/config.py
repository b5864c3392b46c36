"""What an emulator is configured with: the credentials it checks and the limits it enforces.

Standard library only, and nothing from ``shared`` nor the SDK: the emulator checks our client, so it must
not share its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """Development defaults for a local emulator; the CLI reads the real variables when set."""

    secret_id: str = "AKIDemulator"  # noqa: S105 - a local emulator's documented default
    secret_key: str = field(default="emulator-secret-key", repr=False)
    fcgi_appid: int = 1234
    fcgi_key: str = field(default="emulator-fcgi-key", repr=False)


@dataclass
class EmulatorConfig:
    """Limits are plain attributes: a test may change them on a running emulator."""

    credentials: Credentials = field(default_factory=Credentials)
    # DescribeRecordTask: tasks per page before a ScrollToken is returned.
    describe_page_size: int = 100
    # CreateLiveRecord / fcgi / v2 scheduled tasks: at most 4000 created per CST day and 400 running at once.
    # None: not checked (benchmarks; see NO_LIMITS).
    daily_task_cap: int | None = 4000
    running_task_cap: int | None = 400
    # CreateRecordTask: concurrent running tasks before LimitExceeded.MaximumRunningTask.
    record_task_running_cap: int | None = 400
    # CreateRecordTask: at most this many overlapping tasks of one stream actually record.
    overlap_cap: int = 3
    # Requests per second, per action, on a sliding one-second window: the CreateRecordTask family 20/s,
    # CreateLiveRecord 100/s.
    rate_limits: dict[str, int] = field(
        default_factory=lambda: {
            "CreateRecordTask": 20,
            "StopRecordTask": 20,
            "DeleteRecordTask": 20,
            "CreateLiveRecord": 100,
        }
    )


# For benchmarks that send thousands of creates: no rate limits, no caps (each cap check scans every stored
# task, which would make the round trip grow with the run). Tencent has these limits; tests keep them.
NO_LIMITS: dict[str, object] = {
    "rate_limits": {},
    "daily_task_cap": None,
    "running_task_cap": None,
    "record_task_running_cap": None,
}
