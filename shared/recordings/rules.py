"""The documented rules of each generation, applied before anything is sent; every limit comes from the
generation's row in the capability table (:mod:`shared.tencent.generations`).

``plan_recording`` turns a validated input into the :class:`RecordingPlan` Tencent will actually carry
out. Where Tencent would *reject*, we reject first with a message naming the field;
where Tencent would *silently clamp* (a real-time end beyond now + 30 min), we clamp ourselves and say so
in a warning, so the caller sees the effective window instead of a surprise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.recordings.requests import DEFAULT_REALTIME_DURATION, OPTIONS, RecordingRequest
from shared.support.config import LiveApi
from shared.support.errors import InvalidRequest
from shared.support.timeutil import human_span, isoformat
from shared.tencent.generations import Generation, generation
from shared.tencent.types import Mode, RecordingPlan

# Formats that can carry video: a record_type of video (the default) needs one of them. fcgi states the
# combinations; CreateLiveRecord's extra format mp3 is audio only, like aac.
VIDEO_FORMATS = frozenset({"flv", "hls", "mp4"})


SHORTENED = "shortened"  # the warning of a scheduled window already under way, booked from now


def stream_identity(gen: Generation, domain: str | None, app: str | None) -> tuple[str | None, str | None]:
    """The push domain and app that, with the stream name, identify a stream in this generation."""
    return (None, None) if gen.names_streams_alone else (domain, app)


def plan_recording(
    req: RecordingRequest,
    api: LiveApi,
    now: datetime,
    *,
    default_domain: str | None = None,
    default_app: str | None = None,
) -> RecordingPlan:
    gen = generation(api)
    now = now.replace(microsecond=0)
    warnings: list[str] = []
    explicit, mode = req.given, req.mode  # what the caller set (a default from the configuration is not)
    _check_options(req, gen)
    domain, app = _domain_app(req, gen, default_domain, default_app, warnings)

    if req.end is not None and req.duration is not None:
        raise InvalidRequest("send either end or duration, not both", field="duration")

    if mode is Mode.SCHEDULED:
        start, end = _scheduled_window(req, gen, now)
        if start < now:  # under way: nobody records the past; what remains of the window is booked
            warnings.append(
                f"{SHORTENED}: start ({isoformat(start)}) has passed; recording from {isoformat(now)}"
            )
            start = now
        send_start = True
    else:
        start, end = _realtime_window(req, gen, now, warnings, explicit)
        send_start = False

    file_format, record_type = _format(req, gen)
    return RecordingPlan(
        api=api,
        mode=mode,
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


def _domain_app(
    req: RecordingRequest,
    gen: Generation,
    default_domain: str | None,
    default_app: str | None,
    warnings: list[str],
) -> tuple[str | None, str | None]:
    """The stream's domain and app: the request's, else the configured ones; required where the
    generation's create names them, and dropped (a warning when the caller sent them) where it identifies a
    stream by its name alone."""
    domain = req.domain or default_domain
    app = req.app or default_app
    if gen.requires_domain_app:
        for name, value, var in (("domain", domain, "LIVE_DOMAIN"), ("app", app, "LIVE_APP")):
            if not value:
                raise InvalidRequest(
                    f"{name} is required by {gen.create_action}: send {name} or set {var}", field=name
                )
    if gen.names_streams_alone:
        ignored = sorted(f for f in ("domain", "app") if f in req.given)
        if ignored:
            warnings.append(
                f"{' and '.join(ignored)} ignored: {gen.api.value} identifies a stream by its name alone"
            )
        domain, app = stream_identity(gen, domain, app)
    return domain, app


def _check_options(req: RecordingRequest, gen: Generation) -> None:
    for name in OPTIONS:
        if getattr(req, name) is not None and name not in gen.options:
            raise InvalidRequest(
                f"{name} is not supported with LIVE_API={gen.api.value}: {gen.options_hint}",
                field=name,
                code="UnsupportedField",
            )


def _scheduled_window(req: RecordingRequest, gen: Generation, now: datetime) -> tuple[datetime, datetime]:
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
    if gen.scheduled_cap is not None and length > gen.scheduled_cap:
        raise InvalidRequest(
            f"a scheduled recording may last at most {human_span(gen.scheduled_cap)} with LIVE_API={gen.api.value} "
            f"(asked for {human_span(length)}); split it into consecutive recordings",
            field="end" if req.end is not None else "duration",
        )
    if gen.start_horizon is not None and start > now + gen.start_horizon:
        raise InvalidRequest(
            f"start ({isoformat(start)}) is more than {human_span(gen.start_horizon)} ahead; {gen.create_action} "
            f"accepts start <= now + {human_span(gen.start_horizon)} ({isoformat(now + gen.start_horizon)})",
            field="start",
        )
    if gen.end_horizon is not None and end >= now + gen.end_horizon:
        raise InvalidRequest(
            f"end ({isoformat(end)}) is {human_span(gen.end_horizon)} or more ahead; {gen.create_action} accepts "
            f"end < now + {human_span(gen.end_horizon)} ({isoformat(now + gen.end_horizon)}), strictly",
            field="end" if req.end is not None else "duration",
        )
    return start, end


def _realtime_window(
    req: RecordingRequest, gen: Generation, now: datetime, warnings: list[str], explicit: frozenset[str]
) -> tuple[datetime, datetime]:
    if "start" in explicit and req.start is not None:
        warnings.append("start ignored: a real-time recording starts when it is created")
    if req.end is not None:
        if req.end <= now:
            raise InvalidRequest(f"end ({isoformat(req.end)}) is not in the future", field="end")
        end = req.end
        field = "end"
    else:
        end = now + timedelta(seconds=req.duration or DEFAULT_REALTIME_DURATION)
        field = "duration"
    if end - now <= gen.realtime_cap:
        return now, end
    if gen.realtime_over_cap == "reject":  # Tencent refuses it, so we do too
        raise InvalidRequest(
            f"a recording may last at most {human_span(gen.realtime_cap)} with LIVE_API={gen.api.value} "
            f"(asked for {human_span(end - now)})",
            field=field,
        )
    capped = now + gen.realtime_cap
    warnings.append(
        f"real-time recording capped at {human_span(gen.realtime_cap)} by Tencent ({gen.api.value}): asked to end "
        f"at {isoformat(end)}, will end at {isoformat(capped)}"
    )
    return now, capped


def _format(req: RecordingRequest, gen: Generation) -> tuple[str | None, str | None]:
    if gen.formats is None:
        return None, None
    fmt, rtype = req.format, req.record_type
    if fmt is not None and fmt not in gen.formats:
        allowed = ", ".join(sorted(gen.formats))
        raise InvalidRequest(
            f"format={fmt} is not available with LIVE_API={gen.api.value} ({allowed})", field="format"
        )
    if (rtype or "video") == "video" and fmt is not None and fmt not in VIDEO_FORMATS:
        raise InvalidRequest(
            f"format={fmt} holds audio only: send record_type=audio, or a video format (flv, hls, mp4)",
            field="format",
        )
    return fmt, rtype
