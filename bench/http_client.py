"""Which HTTP/1.1 client the functions' outbound calls use (issue #26, point 1): ours
(``shared/support/http1.py``), the standard library's ``http.client``, and ``h11`` (when installed; it is
not a dependency), each measured in fresh processes, interleaved, side by side in one run.

    python -m bench.http_client            # 21 processes per client, prints the table
    python -m bench.http_client --runs 5

Each process imports the client (for h11 with ``socket`` and ``ssl``, which a client on it needs as
``http1`` and ``http.client`` load them), then opens a connection to a keep-alive server on 127.0.0.1 (in
this process), sends one GET and reads its answer, as a cold start's first Tencent call does; it reports
the import's time, the first request's time and the modules the import added. Bytecode is cached for all
three (the dev venv). The same deadline and answer cap would cost nothing to import on any of them: it is
code of ours around the socket (``http.client`` reads through ``sock.makefile``, so it needs a wrapped
socket for the deadline, and reads a ``Content-Length`` whole, so it needs our cap before ``read``)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import ROOT, Goal, Section, median, table

ANSWER = b'{"Response":{"TaskId":"UpTbk5RSVhRQFkAAfHwQCCjcRD0l","RequestId":"r-1"}}'
# one client per row: what its import is, and one GET on it to 127.0.0.1:PORT, printing the body's length
CLIENTS = {
    "http1 (ours)": (
        "from shared.support.http1 import Connection",
        "c = Connection('127.0.0.1', PORT, timeout=5); c.connect(); c.request('GET', '/'); "
        "n = len(c.getresponse().read())",
    ),
    "http.client": (
        "import http.client",
        "c = http.client.HTTPConnection('127.0.0.1', PORT, timeout=5); c.request('GET', '/'); "
        "n = len(c.getresponse().read())",
    ),
    "h11": (
        "import h11, socket, ssl",
        "s = socket.create_connection(('127.0.0.1', PORT), 5); h = h11.Connection(h11.CLIENT); "
        "s.sendall(h.send(h11.Request(method='GET', target='/', headers=[('Host', '127.0.0.1')])) "
        "+ h.send(h11.EndOfMessage())); n = 0\n"
        "while True:\n"
        "    e = h.next_event()\n"
        "    if e is h11.NEED_DATA: h.receive_data(s.recv(65536)); continue\n"
        "    if type(e) is h11.Data: n += len(e.data)\n"
        "    if type(e) is h11.EndOfMessage: break",
    ),
}
CHILD = """import sys, time
before = set(sys.modules); t0 = time.perf_counter()
{imports}
t1 = time.perf_counter(); added = len(set(sys.modules) - before)
{request}
t2 = time.perf_counter()
print('{{"import_ms": %.3f, "first_ms": %.3f, "modules": %d, "bytes": %d}}' % ((t1 - t0) * 1000, (t2 - t1) * 1000, added, n))
"""


def installed(name: str) -> bool:
    probe = [sys.executable, "-c", f"import {name.strip(',').split('.')[0]}"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


@contextmanager
def server() -> Iterator[int]:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 answering every request with ANSWER; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            data = b""
            while not stop.is_set():
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    _, _, data = data.partition(b"\r\n\r\n")
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(ANSWER)}\r\n\r\n".encode()
                    conn.sendall(head + ANSWER)

    def accept() -> None:
        with listener:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)


def measure(runs: int) -> dict[str, dict[str, Any]]:
    """Per client: the runs' import and first-request times (ms) and the modules its import added; the
    clients interleaved run by run, each run a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONPATH": str(ROOT)}
    names = [name for name, (imports, _) in CLIENTS.items() if installed(imports.split()[1])]
    found: dict[str, dict[str, Any]] = {n: {"import_ms": [], "first_ms": [], "modules": 0} for n in names}
    with server() as port:
        for _ in range(runs):
            for name in names:
                imports, request = CLIENTS[name]
                code = CHILD.format(imports=imports, request=request.replace("PORT", str(port)))
                out = subprocess.run(
                    [sys.executable, "-c", code],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                assert result["bytes"] == len(ANSWER), result  # the request was really served
                found[name]["import_ms"].append(result["import_ms"])
                found[name]["first_ms"].append(result["first_ms"])
                found[name]["modules"] = result["modules"]
    return found


def run(smoke: bool) -> Section:
    runs = 3 if smoke else 21
    found = measure(runs)
    base = median(found["http1 (ours)"]["import_ms"]) + median(found["http1 (ours)"]["first_ms"])
    rows = []
    for name, data in found.items():
        imp, first = median(data["import_ms"]), median(data["first_ms"])
        rows.append(
            [
                name,
                f"{imp:.1f}",
                f"{first:.1f}",
                f"{imp + first:.1f}",
                f"{(imp + first) / base:.2f}x",
                data["modules"],
            ]
        )
    missing = [name for name in CLIENTS if name not in found]
    ours = found["http1 (ours)"]
    other = found.get("http.client")
    markdown = "\n".join(
        [
            f"Fresh processes, {runs} per client, interleaved (`python -m bench.http_client`); medians in ms. "
            "*import*: the client's modules (h11 with `socket` and `ssl`); *first request*: connect, one GET "
            "and its answer read, to a keep-alive server on 127.0.0.1; *modules*: what the import added.",
            "",
            table(["client", "import ms", "first request ms", "together ms", "vs http1", "modules"], rows),
            "",
            ("h11 is not installed here (it is not a dependency), so it has no row." if missing else ""),
        ]
    )
    goal = Goal(
        "outbound HTTP client: import and first request, http1 against http.client",
        "http1 no slower",
        f"{median(ours['import_ms']) + median(ours['first_ms']):.1f} ms vs "
        + (f"{median(other['import_ms']) + median(other['first_ms']):.1f} ms" if other else "—"),
        None if other is None else base <= median(other["import_ms"]) + median(other["first_ms"]),
    )
    return Section(
        "http",
        "Outbound HTTP client (http1, http.client, h11)",
        markdown,
        [goal],
        {"runs": runs, "found": found},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_client", description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    found = measure(args.runs)
    for name, data in found.items():
        imp, first = median(data["import_ms"]), median(data["first_ms"])
        print(f"{name:14} import {imp:6.1f} ms  first request {first:6.1f} ms  modules {data['modules']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
