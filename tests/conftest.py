"""Fixtures shared by every test layer. No environment is read at import; settings are built explicitly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.config import LiveApi, Settings

SECRET_ID = "AKIDtestsecretid0000"
SECRET_KEY = "test-secret-key-不要泄露"
FCGI_APPID = 1234
FCGI_KEY = "test-fcgi-key"


@pytest.fixture
def now() -> datetime:
    """A fixed instant inside the 00:00-08:00 CST window, where the UTC and CST dates differ."""
    return datetime(2026, 5, 20, 18, 30, 0, tzinfo=UTC)  # 2026-05-21 02:30:00 CST


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    def build(
        api: LiveApi | str = LiveApi.RECORD_TASK, endpoint: str | None = None, **extra: Any
    ) -> Settings:
        env = {
            "LIVE_API": LiveApi(api).value,
            "TENCENTCLOUD_SECRET_ID": SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "LIVE_FCGI_APPID": str(FCGI_APPID),
            "LIVE_FCGI_KEY": FCGI_KEY,
            "LIVE_DOMAIN": "5000.live.push.com",
            "LIVE_APP": "live",
        }
        if endpoint:
            env["LIVE_ENDPOINT"] = endpoint
        env.update({k: str(v) for k, v in extra.items()})
        return Settings.from_env(env)

    return build
