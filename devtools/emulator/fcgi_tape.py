"""fcgi's Live_Tape_* interfaces: Live_Tape_Start and Live_Tape_Stop.
``Param.s.*`` / ``Param.n.*`` parameters, China Standard Time strings, integer task ids."""

from __future__ import annotations

from typing import Any

from devtools.emulator.errors import invalid
from devtools.emulator.params import DAY, choice, cst_time, flag, text
from devtools.emulator.tasks import Context, Handler, create_cst_task, on_task, stopped

VIDEO_FORMATS = frozenset({"flv", "hls", "mp4"})
AUDIO_FORMATS = frozenset({"aac", "flv", "hls", "mp4"})


def tape_start(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    stream = text(p, "Param.s.channel_id")
    assert stream is not None  # noqa: S101 - required above
    sub = flag(p, "Param.n.task_sub_type")
    rtype = choice(p, "Param.s.record_type", {"video", "audio"}, "video")
    fmt = choice(p, "Param.s.file_format", AUDIO_FORMATS | VIDEO_FORMATS, "flv")
    if rtype == "video" and fmt not in VIDEO_FORMATS:
        raise invalid("Param.s.file_format", f"{fmt} is not allowed with record_type video (flv, hls, mp4)")
    start, end = cst_time(p, "Param.s.start_time"), cst_time(p, "Param.s.end_time")
    # scheduled: both times, at most one day apart; task_sub_type=1: real-time, at most 30 minutes from now
    task_id = create_cst_task(
        ctx, api="fcgi", stream=stream, start=start, end=end, realtime=sub == 1, params=p,
        names=("Param.s.start_time", "Param.s.end_time"), max_span=DAY,
    )  # fmt: skip
    return {"output": {"task_id": task_id}}


ACTIONS: dict[str, Handler] = {
    "Live_Tape_Start": tape_start,
    # the task id is accepted as Param.n.task_id or Param.s.task_id
    "Live_Tape_Stop": on_task("fcgi", ("Param.n.task_id", "Param.s.task_id"), "Param.s.channel_id", stopped),
}
