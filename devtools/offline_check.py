"""``python -m devtools.offline_check PORT LOG``: a few calls to ``serverless offline`` on PORT (started by
``devtools/offline.sh --check``), each checked against its documented status; exit 1 on any other. LOG is
the server's output, shown when it never comes up."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from devtools.events import LOCAL_TOKEN

AUTH = {"Authorization": f"Bearer {LOCAL_TOKEN}"}
CHECKS: list[tuple[str, str, dict[str, Any] | None, dict[str, str], int]] = [
    ("POST", "/recordings/realtime", {"stream": "livetest", "duration": 60}, AUTH, 201),
    ("GET", "/recordings?stream=livetest", None, AUTH, 200),
    ("POST", "/recordings/realtime", {"stream": "livetest"}, {}, 401),
    ("GET", "/nope", None, AUTH, 404),  # the gateway's own answer: no route
]


def call(base: str, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)  # noqa: S310
    if data:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait(base: str, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(base + "/", timeout=1)  # noqa: S310 - loopback only
        except urllib.error.HTTPError:
            return True  # any answer: it serves
        except OSError:
            time.sleep(0.1)
        else:
            return True
    return False


def main(argv: list[str]) -> int:
    base, log = f"http://127.0.0.1:{argv[0]}", Path(argv[1])
    if not wait(base):
        sys.stderr.write(
            f"offline: no server on {base} within 60 s; its log ends:\n{log.read_text()[-2000:]}\n"
        )
        return 1
    failed = 0
    for method, path, body, headers, expected in CHECKS:
        status, text = call(base, method, path, body, headers)
        failed += status != expected
        verdict = "ok  " if status == expected else "FAIL"
        detail = "" if status == expected else f" (expected {expected}): {text[:300]}"
        sys.stdout.write(f"{verdict} {method} {path} -> {status}{detail}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
