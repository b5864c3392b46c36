"""The documented rules of each generation, applied before anything is sent.

``plan_recording`` turns a normalised :class:`RecordingRequest` into the :class:`RecordingPlan` Tencent
will actually carry out. Where Tencent would *reject*, we reject first with a message naming the field;
where Tencent would *silently clamp* (a real-time end beyond now + 30 min), we clamp ourselves and say so
in a warning, so the caller sees the effective window instead of a surprise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.recordings.models import (
    DEFAULT_REALTIME_DURATION,
    Mode,
    RecordingPlan,
    RecordingRequest,
    TaskQuery,
)
from shared.support.config import LiveApi
from shared.support.errors import InvalidRequest
from shared.support.timeutil import from_unix, isoformat

REALTIME_CAP = timedelta(minutes=30)  # fcgi, v2, CreateLiveRecord highlight mode
ONE_DAY = timedelta(days=1)  # fcgi and v2 scheduled (seed 001, 003); CreateRecordTask (seed 004)
RECORD_TASK_HORIZON = timedelta(days=6)  # CreateRecordTask: StartTime <= now + 6 days
DESCRIBE_WINDOW = timedelta(weeks=1)  # DescribeRecordTask: span <= one week
DESCRIBE_LOOKBACK = timedelta(days=90)  # DescribeRecordTask: not before now - 90 days

FORMATS: dict[LiveApi, frozenset[str]] = {
    LiveApi.FCGI: frozenset({"flv", "hls", "mp4", "aac"}),
    LiveApi.LIVE_RECORD: frozenset({"flv", "hls", "mp4", "aac", "mp3"}),
}
# Formats that can carry video. fcgi (seed 001) states the combinations; for CreateLiveRecord we apply the
# same rule to its extra audio-only format mp3 (aac and mp3 cannot hold a video track).
VIDEO_FORMATS = frozenset({"flv", "hls", "mp4"})

# Options each generation can express; anything else the caller sets is rejected, naming the field.
SUPPORTED_OPTIONS: dict[LiveApi, frozenset[str]] = {
    LiveApi.RECORD_TASK: frozenset({"template_id", "stream_type"}),
    LiveApi.LIVE_RECORD: frozenset(
        {"file_format", "record_type", "stream_type", "record_interval", "storage_time"}
    ),
    LiveApi.V2: frozenset(),
    LiveApi.FCGI: frozenset({"file_format", "record_type"}),
}
_OPTION_FIELDS = (
    "file_format",
    "record_type",
    "template_id",
    "stream_type",
    "record_interval",
    "storage_time",
)
# The caller-facing name of each option (the body says "format", the wire says FileFormat).
PUBLIC_NAME = {"file_format": "format"}
_ALTERNATIVE = {
    LiveApi.RECORD_TASK: "use a recording template (template_id) with LIVE_API=record-task",
    LiveApi.LIVE_RECORD: "CreateLiveRecord has no templates",
    LiveApi.V2: "v2 CreateRecord takes only the stream and the window",
    LiveApi.FCGI: "Live_Tape_Start takes only format and record_type",
}


def plan_recording(
    req: RecordingRequest,
    api: LiveApi,
    now: datetime,
    *,
    default_domain: str | None = None,
    default_app: str | None = None,
) -> RecordingPlan:
    now = now.replace(microsecond=0)
    warnings: list[str] = []
    domain = req.domain or default_domain
    app = req.app or default_app

    _check_options(req, api)
    if api is LiveApi.RECORD_TASK:
        if not domain:
            raise InvalidRequest(
                "domain is required by CreateRecordTask: send domain or set LIVE_DOMAIN", field="domain"
            )
        if not app:
            raise InvalidRequest("app is required by CreateRecordTask: send app or set LIVE_APP", field="app")
    if stream_identity(api, domain, app) != (domain, app):
        ignored = sorted(f for f in ("domain", "app") if f in req.explicit)
        if ignored:
            warnings.append(
                f"{' and '.join(ignored)} ignored: {api.value} identifies a stream by its name alone"
            )
        domain, app = stream_identity(api, domain, app)

    if req.end is not None and req.duration is not None:
        raise InvalidRequest("send either end or duration, not both", field="duration")

    if req.mode is Mode.SCHEDULED:
        start, end = _scheduled_window(req, api, now)
        send_start = True
    else:
        start, end = _realtime_window(req, api, now, warnings)
        send_start = False

    file_format, record_type = _format(req, api)
    return RecordingPlan(
        api=api,
        mode=req.mode,
        stream=req.stream,
        domain=domain,
        app=app,
        start=start,
        end=end,
        send_start=send_start,
        file_format=file_format,
        record_type=record_type,
        template_id=req.template_id,
        stream_type=req.stream_type,
        record_interval=req.record_interval,
        storage_time=req.storage_time,
        warnings=tuple(warnings),
    )


def stream_identity(api: LiveApi, domain: str | None, app: str | None) -> tuple[str | None, str | None]:
    """The push domain and app that, with the stream name, identify a stream: v2 and fcgi name a stream by
    its name alone."""
    if api in (LiveApi.V2, LiveApi.FCGI):
        return None, None
    return domain, app


def _check_options(req: RecordingRequest, api: LiveApi) -> None:
    supported = SUPPORTED_OPTIONS[api]
    for name in _OPTION_FIELDS:
        if getattr(req, name) is not None and name not in supported:
            public = PUBLIC_NAME.get(name, name)
            raise InvalidRequest(
                f"{public} is not supported with LIVE_API={api.value}: {_ALTERNATIVE[api]}",
                field=public,
                code="UnsupportedField",
            )


def _scheduled_window(req: RecordingRequest, api: LiveApi, now: datetime) -> tuple[datetime, datetime]:
    if req.start is None:
        raise InvalidRequest("a scheduled recording needs start", field="start")
    start = req.start
    if req.end is not None:
        end = req.end
    elif req.duration is not None:
        end = start + timedelta(seconds=req.duration)
    else:
        raise InvalidRequest("a scheduled recording needs end or duration", field="end")
    if end <= start:
        raise InvalidRequest(f"end ({isoformat(end)}) must be after start ({isoformat(start)})", field="end")
    if end <= now:
        raise InvalidRequest(f"end ({isoformat(end)}) is not in the future", field="end")
    length = end - start
    # CreateLiveRecord states no cap for a scheduled window; the other three cap it at one day.
    if api is not LiveApi.LIVE_RECORD and length > ONE_DAY:
        raise InvalidRequest(
            f"a scheduled recording may last at most 24 h with LIVE_API={api.value} "
            f"(asked for {_human(length)}); split it into consecutive recordings",
            field="end" if req.end is not None else "duration",
        )
    if api is LiveApi.RECORD_TASK and start > now + RECORD_TASK_HORIZON:
        raise InvalidRequest(
            f"start ({isoformat(start)}) is more than 6 days ahead; CreateRecordTask accepts "
            f"start <= now + 6 days ({isoformat(now + RECORD_TASK_HORIZON)})",
            field="start",
        )
    return start, end


def _realtime_window(
    req: RecordingRequest, api: LiveApi, now: datetime, warnings: list[str]
) -> tuple[datetime, datetime]:
    if "start" in req.explicit and req.start is not None:
        warnings.append("start ignored: a real-time recording starts when it is created")
    if req.end is not None:
        if req.end <= now:
            raise InvalidRequest(f"end ({isoformat(req.end)}) is not in the future", field="end")
        end = req.end
        field = "end"
    else:
        end = now + timedelta(seconds=req.duration or DEFAULT_REALTIME_DURATION)
        field = "duration"
    if api is LiveApi.RECORD_TASK:
        if end - now > ONE_DAY:  # Tencent rejects this one, so we do too
            raise InvalidRequest(
                f"a recording may last at most 24 h with LIVE_API=record-task (asked for {_human(end - now)})",
                field=field,
            )
    elif end - now > REALTIME_CAP:
        capped = now + REALTIME_CAP
        warnings.append(
            f"real-time recording capped at 30 min by Tencent ({api.value}): asked to end at {isoformat(end)}, "
            f"will end at {isoformat(capped)}"
        )
        end = capped
    return now, end


def _format(req: RecordingRequest, api: LiveApi) -> tuple[str | None, str | None]:
    if api not in FORMATS:
        return None, None
    fmt, rtype = req.file_format, req.record_type
    if fmt is not None and fmt not in FORMATS[api]:
        allowed = ", ".join(sorted(FORMATS[api]))
        raise InvalidRequest(
            f"format={fmt} is not available with LIVE_API={api.value} ({allowed})", field="format"
        )
    if (rtype or "video") == "video" and fmt is not None and fmt not in VIDEO_FORMATS:
        raise InvalidRequest(
            f"format={fmt} holds audio only: send record_type=audio, or a video format (flv, hls, mp4)",
            field="format",
        )
    return fmt, rtype


def check_task_query(query: TaskQuery, api: LiveApi, now: datetime) -> tuple[datetime, datetime]:
    """DescribeRecordTask's window rules; returns the effective (start, end) window."""
    # Default window: the last day and the 6-day creation horizon, so upcoming recordings are listed too.
    if query.start is None and query.end is None:
        start, end = now - timedelta(days=1), now + RECORD_TASK_HORIZON
    elif query.start is None:
        end = query.end  # type: ignore[assignment]
        start = end - DESCRIBE_WINDOW
    else:
        start = query.start
        end = query.end or start + DESCRIBE_WINDOW
    if end <= start:
        raise InvalidRequest("to must be after from", field="to")
    if api is LiveApi.RECORD_TASK:
        if end - start > DESCRIBE_WINDOW:
            raise InvalidRequest(
                f"the window may span at most one week (asked {_human(end - start)})", field="to"
            )
        if start < now - DESCRIBE_LOOKBACK:
            raise InvalidRequest(
                "from may be at most 90 days back (Tencent keeps task records 3 months)", field="from"
            )
    return start, end


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rem = divmod(seconds, 3600)
    minutes, secs = divmod(rem, 60)
    return f"{hours} h {minutes:02d} min" + (f" {secs:02d} s" if secs else "")


__all__ = ["check_task_query", "from_unix", "plan_recording"]
