"""A create's request is built two ways: by the edge from the body it validated, and by a tick from its chunk
(never validated again). Both must ask the domain for the same thing, with the same fingerprint, or a tick's
booking and a caller's replay of it would not be recognised as one request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.recordings.models import OPTIONS as MODEL_OPTIONS
from shared.recordings.models import ScheduledRecordingInput
from shared.recordings.planning import plan_chunks
from shared.recordings.programs import Program
from shared.recordings.requests import OPTIONS
from shared.support.config import LiveApi
from shared.tencent.types import Mode

NOW = datetime(2026, 12, 5, 23, 59, 30, tzinfo=UTC)  # a Saturday, just before midnight UTC


def test_the_request_names_the_options_the_body_model_declares() -> None:
    assert OPTIONS == MODEL_OPTIONS


PROGRAMS: list[dict[str, Any]] = [
    {"stream": "plain", "cron": "0 * * * *", "timezone": "UTC", "duration": 600},
    {
        "name": "news",
        "stream": "news",
        "domain": "d.example.com",
        "app": "live",
        "cron": "30 20 * * *",
        "timezone": "Asia/Shanghai",
        "duration": 3600,
        "format": "mp4",
        "record_type": "video",
    },
    {"stream": "tpl", "cron": "*/20 * * * *", "timezone": "Europe/London", "duration": 900, "template_id": 7},
]


@pytest.mark.parametrize("api", list(LiveApi))
@pytest.mark.parametrize("body", PROGRAMS, ids=lambda b: str(b["stream"]))
def test_a_chunk_asks_what_the_same_body_validated_asks(api: LiveApi, body: dict[str, Any]) -> None:
    program = Program.model_validate(body)
    chunks = plan_chunks([program], api, NOW, timedelta(days=1), default_domain="d", default_app="a")
    assert chunks
    for chunk in chunks:
        as_caller = {"stream": program.stream, "start": chunk.span[0], "end": chunk.span[1]}
        as_caller |= {k: v for k, v in (("domain", program.domain), ("app", program.app)) if v is not None}
        validated = ScheduledRecordingInput.model_validate(as_caller | program.options())
        assert chunk.request() == validated.request(Mode.SCHEDULED)
