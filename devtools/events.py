"""Render ``events/<name>.json`` for a run: ``{{now+SECONDS}}`` becomes UNIX seconds from now, and
``{{task_id}}`` a task id. The tests load events through :func:`load_event`; for
``serverless invoke local`` render one first::

    python -m devtools.events scheduled_create > /tmp/event.json
    npx serverless invoke local -f scheduled -p /tmp/event.json
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"
# inside a JSON string that is itself JSON (the HTTP body), the placeholder is quoted: "\"{{now+600}}\""
_QUOTED_NOW = re.compile(r'\\"\{\{now\+(\d+)\}\}\\"')
_NOW = re.compile(r'"\{\{now\+(\d+)\}\}"')


def render(text: str, *, now: float | None = None, task_id: str = "0") -> str:
    base = int(time.time() if now is None else now)
    text = _QUOTED_NOW.sub(lambda m: str(base + int(m.group(1))), text)
    text = _NOW.sub(lambda m: str(base + int(m.group(1))), text)
    return text.replace("{{task_id}}", task_id)


def load_event(name: str, *, now: float | None = None, task_id: str = "0") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        render((EVENTS / f"{name}.json").read_text(encoding="utf-8"), now=now, task_id=task_id)
    )
    return data


def main(argv: list[str]) -> int:
    if len(argv) < 1 or not (EVENTS / f"{argv[0]}.json").exists():
        names = ", ".join(sorted(p.stem for p in EVENTS.glob("*.json")))
        sys.stderr.write(f"usage: python -m devtools.events NAME [TASK_ID]\nnames: {names}\n")
        return 2
    sys.stdout.write(
        json.dumps(load_event(argv[0], task_id=argv[1] if len(argv) > 1 else "0"), indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
