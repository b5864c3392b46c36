"""The control API, ``/_emulator/<name>``: no authentication (loopback only), JSON in and out.

One table, name -> (method, handler). A bad body or argument is 400 ``{"error": ...}``, another method
405, an unknown name 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from devtools.emulator.faults import FAULT_KINDS
from devtools.emulator.server import Incoming, Reply

if TYPE_CHECKING:
    from devtools.emulator.emulator import Emulator

PREFIX = "/_emulator"
ControlHandler = Callable[["Emulator", dict[str, Any]], Reply]


def _ok(**extra: Any) -> Reply:
    return Reply(body={"ok": True, **extra})


def health(emu: Emulator, body: dict[str, Any]) -> Reply:
    return _ok()


def tasks(emu: Emulator, body: dict[str, Any]) -> Reply:
    return Reply(body={"tasks": [asdict(t) for t in emu.tasks()]})


def requests(emu: Emulator, body: dict[str, Any]) -> Reply:
    return Reply(body={"requests": [asdict(r) for r in emu.requests()]})


def reset(emu: Emulator, body: dict[str, Any]) -> Reply:
    emu.reset()
    return _ok()


def deliveries(emu: Emulator, body: dict[str, Any]) -> Reply:
    return Reply(body={"deliveries": [asdict(d) for d in emu.callbacks.deliveries()]})


def clock(emu: Emulator, body: dict[str, Any]) -> Reply:
    if "set" in body:
        emu.clock.set(body["set"])
    elif "advance" in body:
        emu.clock.advance(body["advance"])
    elif "freeze" in body:
        emu.clock.freeze(None if body["freeze"] is True else body["freeze"])
    elif body.get("reset") is True:
        emu.clock.reset()
    else:
        return Reply(
            400, {"error": 'send one of {"set": ts}, {"advance": s}, {"freeze": ts|true}, {"reset": true}'}
        )
    return _ok(now=emu.clock.now(), frozen=emu.clock.frozen)


def faults(emu: Emulator, body: dict[str, Any]) -> Reply:
    kind = body.pop("kind", None)
    if kind == "clear":
        emu.faults.clear()
    elif kind in FAULT_KINDS:
        getattr(emu.faults, str(kind))(**body)
    else:
        return Reply(400, {"error": f"kind must be one of {', '.join((*FAULT_KINDS, 'clear'))}"})
    return _ok()


def callbacks(emu: Emulator, body: dict[str, Any]) -> Reply:
    emu.callbacks.configure(
        body.get("url"),
        body.get("key"),
        retry_interval=body.get("retry_interval"),
        max_redeliveries=body.get("max_redeliveries"),
        timeout=body.get("timeout"),
    )
    return _ok()


def push(emu: Emulator, body: dict[str, Any]) -> Reply:
    names = [body.get(k) for k in ("domain", "app", "stream")]
    if not all(isinstance(n, str) and n for n in names):
        return Reply(
            400, {"error": 'send {"domain", "app", "stream", "action": "begin"|"end"|"forbid"|"allow"}'}
        )
    domain, app, stream = (str(n) for n in names)
    action = body.get("action", "begin")
    if action == "begin":
        return _ok(callback=emu.callbacks.push_begin(domain, app, stream))
    if action == "end":
        return _ok(callback=emu.callbacks.push_end(domain, app, stream))
    if action in ("forbid", "allow"):  # DescribeLiveStreamState: forbid while banned
        emu.callbacks.forbid(domain, app, stream, banned=action == "forbid")
        return _ok()
    return Reply(400, {"error": 'action must be "begin", "end", "forbid" or "allow"'})


def record_file(emu: Emulator, body: dict[str, Any]) -> Reply:
    """A record-file callback for a task over [start, end); ``lost``: never delivered, only recorded."""
    task_id, start, end = body.get("task_id"), body.get("start"), body.get("end")
    if not isinstance(task_id, str) or not isinstance(start, int) or not isinstance(end, int):
        return Reply(400, {"error": 'send {"task_id", "start", "end", "lost": false|true} (UNIX seconds)'})
    try:
        fields = emu.callbacks.record_file(task_id, start, end, lost=body.get("lost") is True)
    except ValueError as exc:
        return Reply(400, {"error": str(exc)})
    return _ok(callback=fields)


ROUTES: dict[str, tuple[str, ControlHandler]] = {
    "health": ("GET", health),
    "tasks": ("GET", tasks),
    "requests": ("GET", requests),
    "deliveries": ("GET", deliveries),
    "reset": ("POST", reset),
    "clock": ("POST", clock),
    "faults": ("POST", faults),
    "callbacks": ("POST", callbacks),
    "push": ("POST", push),
    "record-file": ("POST", record_file),
}


def is_control(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def handle(emu: Emulator, req: Incoming) -> Reply:
    route = ROUTES.get(req.path.removeprefix(PREFIX).strip("/"))
    if route is None:
        return Reply(404, {"error": f"no control endpoint {req.path}"})
    method, handler = route
    if req.method != method:
        return Reply(405, {"error": f"use {method} {req.path}"})
    try:
        body = json.loads(req.body) if req.body.strip() else {}
    except ValueError:
        return Reply(400, {"error": "the body is not JSON"})
    if not isinstance(body, dict):
        return Reply(400, {"error": "the body must be a JSON object"})
    try:
        return handler(emu, body)
    except (TypeError, ValueError) as exc:
        return Reply(400, {"error": str(exc)})
