"""SnapStart's runtime hooks (``shared.support.snapstart``): registered by every handler under SnapStart and
only then; before the snapshot no pooled socket is left; after each restore the container's randomness,
connections and secrets are its own. ``snapshot_restore_py`` exists only in Lambda's runtime: a fake stands
in for it, recording what is registered, and the runtime's calls are made by hand."""

from __future__ import annotations

import json
import os
import random
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shared.support import container_credentials, secrets, snapstart
from shared.support.aws import AwsError
from shared.support.config import INIT_TYPE_VAR, SNAP_START
from shared.support.keepalive import Pool
from shared.support.observability import entry
from shared.support.secret_stores import Ssm
from shared.support.sigv4 import Credentials

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("scheduled", "realtime", "tasks", "rollout", "webhooks")


class FakeRuntimeHooks(types.ModuleType):
    """``snapshot_restore_py`` as Lambda's runtime has it: two registries."""

    def __init__(self) -> None:
        super().__init__(snapstart.RUNTIME_HOOKS)
        self.before: list[Callable[[], None]] = []
        self.after: list[Callable[[], None]] = []

    def register_before_snapshot(self, func: Callable[[], None]) -> Callable[[], None]:
        self.before.append(func)
        return func

    def register_after_restore(self, func: Callable[[], None]) -> Callable[[], None]:
        self.after.append(func)
        return func


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeRuntimeHooks:
    fake = FakeRuntimeHooks()
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, fake)
    monkeypatch.setattr(snapstart, "_registered", False)
    monkeypatch.setenv(INIT_TYPE_VAR, SNAP_START)
    return fake


@pytest.fixture
def http_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def pooled(port: int) -> tuple[Pool, Any]:
    """A pool holding one idle keep-alive connection to 127.0.0.1:port, and that connection."""
    pool = Pool("http", "127.0.0.1", port, connect_timeout=2.0, read_timeout=2.0)
    conn = pool.acquire()
    conn.request("GET", "/")
    conn.getresponse().read()
    pool.release(conn)
    assert pool.idle and conn.sock is not None
    return pool, conn


def test_every_handler_registers_the_hooks_once_under_snapstart_and_imports_nothing_otherwise(
    tmp_path: Path,
) -> None:
    (tmp_path / f"{snapstart.RUNTIME_HOOKS}.py").write_text(
        "before, after = [], []\n"
        "def register_before_snapshot(f, *a, **k):\n    before.append(f.__name__); return f\n"
        "def register_after_restore(f, *a, **k):\n    after.append(f.__name__); return f\n"
    )
    probe = textwrap.dedent(
        f"""
        import importlib, json, sys
        for name in {HANDLERS!r}:
            importlib.import_module(f"functions.{{name}}.handler")
        hooks = sys.modules.get("{snapstart.RUNTIME_HOOKS}")
        print(json.dumps({{
            "snapstart": "shared.support.snapstart" in sys.modules,
            "hooks": None if hooks is None else [hooks.before, hooks.after],
        }}))
        """
    )

    def run(**env: str) -> dict[str, Any]:
        environ = {k: v for k, v in os.environ.items() if k != INIT_TYPE_VAR}
        environ |= {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"} | env
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=environ, cwd=ROOT
        )
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    # five handlers in one process (as the local gateway has them): one registration of each hook
    assert run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start") == {
        "snapstart": True,
        "hooks": [["before_snapshot"], ["after_restore"]],
    }
    # on demand (or unset): neither the module nor Lambda's hooks are imported
    for init_type in ("on-demand", "provisioned-concurrency"):
        assert run(AWS_LAMBDA_INITIALIZATION_TYPE=init_type) == {"snapstart": False, "hooks": None}
    assert run() == {"snapstart": False, "hooks": None}


def test_a_missing_runtime_module_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, None)  # import fails
    monkeypatch.setattr(snapstart, "_registered", False)
    monkeypatch.setenv(INIT_TYPE_VAR, SNAP_START)
    entry("requestContext.requestId")
    assert snapstart._registered is False
    assert "no runtime hooks module" in caplog.text


def test_before_the_snapshot_every_pool_is_emptied(hooks: FakeRuntimeHooks, http_server: int) -> None:
    entry("requestContext.requestId")
    (before,) = hooks.before
    # the Tencent transport's pool and an AWS client's, each with a kept-alive connection
    tencent, tencent_conn = pooled(http_server)
    ssm = Ssm(Credentials("AKID", "secret"), "ap-southeast-1", f"http://127.0.0.1:{http_server}")
    aws_conn = ssm._pool.acquire()
    ssm._pool.release(aws_conn)
    before()
    assert tencent.idle == [] and ssm._pool.idle == []
    assert tencent_conn.sock is None and aws_conn.sock is None  # closed, not just dropped
    # the pools stay usable: the next request opens a connection
    conn = tencent.acquire()
    assert conn.sock is not None
    conn.close()


def jitter_after(snapshot: object, restore: Callable[[], None] | None, refused_port: int) -> list[float]:
    """A container restored from ``snapshot`` (random's state at the snapshot): the waits of an AWS call
    whose every connection is refused (the retries' jittered backoff)."""
    random.setstate(snapshot)  # type: ignore[arg-type]  # a state random.getstate() made
    if restore is not None:
        restore()
    waits: list[float] = []
    client = Ssm(
        Credentials("AKID", "secret"),
        "ap-southeast-1",
        f"http://127.0.0.1:{refused_port}",
        sleep=waits.append,
    )
    with pytest.raises(AwsError):
        client.call("GetParameter", Name="/x")
    assert len(waits) == 2
    return waits


def test_after_a_restore_two_containers_draw_different_jitter(hooks: FakeRuntimeHooks) -> None:
    entry("requestContext.requestId")
    (after,) = hooks.after
    with socket.socket() as probe:  # a port nothing listens on: every connect refused
        probe.bind(("127.0.0.1", 0))
        refused_port = probe.getsockname()[1]
    state = random.getstate()
    try:
        snapshot = random.getstate()
        # without the hook, two containers from one snapshot retry in step
        assert jitter_after(snapshot, None, refused_port) == jitter_after(snapshot, None, refused_port)
        first = jitter_after(snapshot, after, refused_port)
        second = jitter_after(snapshot, after, refused_port)
        assert first != second
    finally:
        random.setstate(state)


def test_after_a_restore_no_connection_secret_or_credential_from_before_is_used(
    hooks: FakeRuntimeHooks, http_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry("requestContext.requestId")
    (after,) = hooks.after
    pool, conn = pooled(http_server)
    # a secret resolved from a reference before the snapshot
    resolver = secrets.Resolver()
    monkeypatch.setattr(secrets, "RESOLVER", resolver)
    monkeypatch.setattr(secrets, "_fetch", lambda var, ref, environ: "resolved-value")
    assert resolver.value("LIVE_CALLBACK_KEY", "ssm:/liverec/prod/callback-key", {}) == "resolved-value"
    assert not resolver.stale()
    # container credentials read before the snapshot
    source = container_credentials.ContainerCredentials("http://127.0.0.1:9/creds", lambda: None)
    source._held = (Credentials("ASIAOLD", "old-secret", "old-token"), 4_000_000_000.0)
    monkeypatch.setitem(container_credentials._sources, "http://127.0.0.1:9/creds", source)
    added: list[tuple[bytes, float]] = []
    monkeypatch.setattr(ssl, "RAND_add", lambda data, entropy: added.append((data, entropy)))
    after()
    assert pool.idle == [] and conn.sock is None
    assert resolver.stale()  # the settings are built again, the reference read again
    assert source.known() is None
    assert len(added) == 1 and len(added[0][0]) == 32  # OpenSSL's generator given fresh entropy
