"""The README says what the code does: every variable is documented, and the webhook snippets run as
written against our real signer (forwards) and verifier (hooks)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
from pydantic import SecretStr

from devtools.fakenow import carried
from shared.edge.body import check_content_type
from shared.storage.memory import MemoryState
from shared.support.config import ENV_FIELDS
from shared.support.errors import LiverecError
from shared.webhooks.outbox import Forwarder
from shared.webhooks.signature import HEADER, verify

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECRET = "forward-secret-0123456789abcdef"


def block(language: str, containing: str) -> str:
    """The README's fenced ``language`` block that contains ``containing`` (exactly one)."""
    blocks = re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)
    (found,) = [b for b in blocks if containing in b]
    return found


def test_every_environment_variable_is_documented() -> None:
    section = README[README.index("## Configuration") :]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z0-9_]+)`", cell)}
    assert set(ENV_FIELDS) - documented == set()


def forwarded(clock: Callable[[], float] = time.time) -> tuple[str, bytes]:
    """One real forward, signed by our Forwarder: (Liverec-Signature header, raw body)."""
    sent: list[tuple[str, bytes]] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        sent.append((headers[HEADER], body))
        return 200

    fwd = Forwarder(urls=("http://127.0.0.1:9/x",), secret=SecretStr(SECRET), state=MemoryState(), send=send)
    fwd.clock = clock
    fwd.publish("tencent-100-abc", "record.file_ready", {"stream_id": "s", "video_url": "http://v/ü.mp4"})
    fwd.drain()
    (one,) = sent
    return one


def cases() -> list[tuple[str, str, bytes, bool]]:
    header, body = forwarded()
    old_header, old_body = forwarded(lambda: time.time() - 400)
    return [
        (SECRET, header, body, True),
        (SECRET, header, body.replace(b'"s"', b'"t"'), False),  # tampered body
        ("another-secret-0123456789", header, body, False),
        (SECRET, old_header, old_body, False),  # outside the 300 s tolerance
        (SECRET, "v1=" + "0" * 64, body, False),  # no t
        (SECRET, "t=1,v1=zz", body, False),
        (SECRET, "garbage", body, False),
    ]


def test_python_verification_snippet() -> None:
    namespace: dict[str, Any] = {}
    exec(block("python", "def verify_liverec"), namespace)  # noqa: S102 - the README's own snippet
    for secret, header, body, expected in cases():
        assert namespace["verify_liverec"](secret, header, body) is expected, header


def test_node_verification_snippet(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed (CI has it: the Serverless Framework runs on it)"
    script = tmp_path / "verify.js"
    script.write_text(
        block("js", "function verifyLiverec")
        + "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        + "console.log(JSON.stringify(cases.map(([s, h, b]) => verifyLiverec(s, h, Buffer.from(b, 'base64')))));\n"
    )
    import base64

    data = cases()
    payload = json.dumps([[s, h, base64.b64encode(b).decode()] for s, h, b, _ in data])
    out = subprocess.run(
        [node, str(script)], input=payload, capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(out.stdout) == [expected for *_, expected in data]


class HookReceiver:
    """Verifies hooks with the function's own verifier; records (status, body)."""

    def __init__(self, secret: str) -> None:
        self.results: list[tuple[int, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    verify(self.headers.get(HEADER), body, [SecretStr(secret)], time.time())
                    # the function's own reader: a body that is not declared JSON is refused (415)
                    check_content_type({"headers": {"content-type": self.headers.get("Content-Type")}})
                    status = 201
                except LiverecError as exc:
                    status = exc.status
                outer.results.append((status, body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/highlight"
        Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    r = HookReceiver("hook-secret-0123456789")
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.mark.dates
def test_python_hook_signing_snippet(receiver: HookReceiver) -> None:
    namespace: dict[str, Any] = {}
    exec(block("python", "def send_highlight"), namespace)  # noqa: S102 - the README's own snippet
    assert namespace["send_highlight"](receiver.url, "hook-secret-0123456789", {"stream": "s"}) == b"{}"
    assert receiver.results == [(201, b'{"stream": "s"}')]


@pytest.mark.dates
def test_shell_hook_signing_snippet(receiver: HookReceiver) -> None:
    if not (shutil.which("openssl") and shutil.which("curl")):
        pytest.skip("openssl and curl are not on this machine")
    script = block("sh", "openssl dgst")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOOK_SECRET": "hook-secret-0123456789",
        "LIVEREC_URL": receiver.url[: -len("/hooks/highlight")],
        **carried(),  # the snippet's `date +%s` reads the run's clock, as the receiver does
    }
    subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", script],
        env=env,
        check=True,
        timeout=30,
        capture_output=True,
    )
    assert receiver.results == [(201, b'{"stream": "livetest", "duration": 60}')]


def test_the_layout_sections_match_the_tree() -> None:
    root = Path(__file__).resolve().parents[2]
    block = README[README.index("## Layout") :].split("```")[1]
    named = [line.split()[0] for line in block.splitlines() if line.strip() and not line.startswith(" ")]
    for path in named:  # every path the README names exists
        assert list(root.glob(path.replace("<name>", "*"))), path
    architecture = (root / "ARCHITECTURE.md").read_text(encoding="utf-8")
    entries = sorted(
        p.name
        for p in (root / "shared").iterdir()
        if p.name not in ("__init__.py", "__pycache__", "py.typed")  # py.typed: PEP 561's marker, no layer
    )
    for entry in entries:  # and every layer of shared/ is in both
        assert f"shared/{entry}" + ("/" if (root / "shared" / entry).is_dir() else "") in block, entry
        assert f"shared/{entry}" in architecture, entry
    assert len(entries) + 1 <= 8  # at most 8 entries at shared/'s top, __init__.py included
