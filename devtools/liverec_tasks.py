"""The operators' CLI on recordings (``devtools/liverec_cli.py`` registers them): a stream's recordings with
their status, and stop or delete one by task id. The stream is asked for only where liverec did not create
the task (the API takes it from the ledger otherwise).

    liverec recordings STREAM [--from TIME]    # every page: task, status (Tencent's word), window, source
    liverec stop TASK_ID [--stream S]          # --stream only for a task liverec did not create
    liverec delete TASK_ID [--stream S]        # a running recording is stopped first where needed
"""

from __future__ import annotations

import argparse
import urllib.parse
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from devtools.liverec_cli import Client

PAGES = 100  # of a list, at most


def add_commands(commands: Any) -> None:
    listing = commands.add_parser("recordings", help="a stream's recordings, with their status")
    listing.add_argument("stream")
    listing.add_argument("--from", dest="from_", help="ISO-8601 or UNIX seconds: starting from")
    for name, text in (
        ("stop", "stop a recording"),
        ("delete", "delete a recording (stopped first if running)"),
    ):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("task_id")
        cmd.add_argument("--stream", help="only for a task liverec did not create (live-record, v2, fcgi)")


def run(client: Client, args: argparse.Namespace, out: TextIO) -> int | None:
    """The command's exit status; None when it is not one of these."""
    if args.command == "recordings":
        return recordings(client, args.stream, args.from_, out)
    if args.command in ("stop", "delete"):
        return stop_or_delete(client, args.command, args.task_id, args.stream, out)
    return None


def _row(task: dict[str, Any]) -> str:
    from devtools.liverec_cli import shown

    word = f" ({shown(task['tencent_status'])})" if task.get("tencent_status") else ""
    return (
        f"{shown(task.get('task_id') or '-'):<24} {shown(task.get('status')) + word:<24} "
        f"{shown(task.get('start'))} -> {shown(task.get('end'))}  {shown(task.get('source'))}"
    )


def recordings(client: Client, stream: str, start: str | None, out: TextIO) -> int:
    query = {"stream": stream, **({"from": start} if start else {})}
    token = None
    count = 0
    for _ in range(PAGES):
        page = client.call(
            "GET", "/recordings?" + urllib.parse.urlencode(query | ({"next": token} if token else {}))
        )
        for task in page["tasks"]:
            print(_row(task), file=out)
            count += 1
        token = page.get("next")
        if not token:
            if count == 0:
                print("  no recordings", file=out)
            return 0
    print(f"  ... more than {PAGES} pages: stopped", file=out)
    return 1


def stop_or_delete(client: Client, action: str, task_id: str, stream: str | None, out: TextIO) -> int:
    from devtools.liverec_cli import shown

    path = f"/recordings/{urllib.parse.quote(task_id, safe='')}"
    query = "?" + urllib.parse.urlencode({"stream": stream}) if stream else ""
    if action == "stop":
        client.call("POST", f"{path}/stop{query}")
        print(f"{shown(task_id)} stopped", file=out)
    else:
        client.call("DELETE", path + query)
        print(f"{shown(task_id)} deleted", file=out)
    return 0
