"""moto's server application (the WSGI app ``python -m moto.server`` runs) on a threaded HTTP/1.1 server that
keeps connections open, as DynamoDB does: werkzeug's development server, which ``moto.server`` uses, closes
every connection after one answer. The functions' keep-alive pools are then exercised as deployed, and each
request is spared a connection and a server thread. Requests are applied one at a time (connections are read
and answered concurrently): moto checks a write's condition and then applies it with no lock between, so two
concurrent conditional writes to one item could both succeed, which DynamoDB never allows (two outbox ticks
both leasing one item, seen under load). Run as a script (no import of this repository's code):
``python -P moto_host.py [PORT]`` (``-P``: this directory's ``http.py`` must not shadow the standard
library's); it prints the ``Running on`` line ``moto.server`` prints. Development only.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

HOST = "127.0.0.1"
# set by the server itself
DROPPED = frozenset({"content-length", "connection", "transfer-encoding", "server", "date"})

APPLYING = threading.Lock()

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def handler(app: App, port: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # an answer's head and body are two writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            environ: dict[str, Any] = {
                "REQUEST_METHOD": self.command,
                "SCRIPT_NAME": "",
                "PATH_INFO": unquote(path),
                "QUERY_STRING": query,
                "SERVER_NAME": HOST,
                "SERVER_PORT": str(port),
                "SERVER_PROTOCOL": self.request_version,
                "REMOTE_ADDR": self.client_address[0],
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
            for name, value in self.headers.items():
                key = "HTTP_" + name.upper().replace("-", "_")
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    environ[key] = value
            started: list[Any] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                started[:] = [status, headers]
                return lambda data: None

            with APPLYING:  # one request at a time in moto, as DynamoDB makes each write atomic
                answer = app(environ, start_response)
                try:
                    data = b"".join(answer)
                finally:
                    getattr(answer, "close", lambda: None)()
            status, headers = started
            code, _, reason = status.partition(" ")
            self.send_response(int(code), reason)
            for name, value in headers:
                if name.lower() not in DROPPED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = serve

    return Handler


def main(port: int = 0) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    server = ThreadingHTTPServer((HOST, port), BaseHTTPRequestHandler)
    server.RequestHandlerClass = handler(app, server.server_port)
    server.daemon_threads = True
    print(f" * Running on http://{HOST}:{server.server_port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
