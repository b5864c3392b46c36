"""``make run``: the functions behind a local HTTP gateway, with no cloud account.

Starts the Tencent Live emulator on a free loopback port (or, only with ``--real``, talks to Tencent with the
credentials in the environment: exported credentials alone are ignored), a gateway on 127.0.0.1:3000
(``--port``; ``make run PORT=3001``) that turns
HTTP requests into the API Gateway HTTP API (payload 2.0) events the functions receive, and a local
webhook subscriber that verifies every forward it gets. Then it replays a few ``events/`` samples so you
see tasks being created, runs the webhook loop once (a simulated push -> Tencent-style callback ->
recording -> file ready -> forwarded, signed webhook), prints curls to try, and serves until Ctrl-C.
``--once`` does the same and exits (0 when every sample gave its documented status and the loop closed).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from devtools.emulator import Credentials, Emulator, EmulatorConfig
from devtools.emulator.stop_signals import StopSignals
from devtools.events import LOCAL_HOOK_SECRET, LOCAL_TOKEN, emulator_settings, load_event, local_defaults
from devtools.gateway import Routes
from devtools.kit import LambdaContext, Subscriber, event_from_request, poll_until
from devtools.kit.invocations import eventbridge_event
from devtools.programs_demo import program_loop

LOCAL_WEBHOOK_SECRET = "local-forward-secret-0123456789"  # noqa: S105 - local runs only
LOCAL_CREDS = Credentials()
PUSH = ("5000.live.push.com", "live", "livestage")  # the stream the loop pushes (matches the live* rule)
# pushed from the start: the samples' and the README's highlights record it (a highlight of a stream that
# is not live is refused, 409 StreamNotLive, where the generation can tell)
LIVE = ("5000.live.push.com", "live", "livetest")
LOCAL: dict[str, Emulator] = {}  # the emulator /_push pushes on (none with --real)
REDELIVERY_INTERVAL = 10.0  # the emulator redelivers an unanswered callback after this (Tencent: 60 s)


def configure_environment(use_emulator: bool, emulator_url: str | None, subscriber_url: str) -> None:
    """The local defaults where the environment says nothing; the emulator's endpoint and credentials
    (overriding) when it is used; always the in-process store."""
    defaults = local_defaults() | {
        "LIVEREC_WEBHOOK_URLS": subscriber_url,
        "LIVEREC_WEBHOOK_SECRET": LOCAL_WEBHOOK_SECRET,
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    if use_emulator and emulator_url:
        os.environ.update(emulator_settings(emulator_url))
    os.environ.pop("LIVEREC_IDEMPOTENCY_TABLE", None)  # the embedded (in-process) store


CONTEXT = LambdaContext(
    function_name="liverec-local",
    invoked_function_arn="arn:aws:lambda:local:000000000000:function:liverec-local",
    aws_request_id="local",
)


ROUTES = Routes.from_serverless()  # the HTTP API's routes, from serverless.yml


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    quiet = True  # no access log while the replay and the loop print their own lines

    def log_message(self, format: str, *args: Any) -> None:
        if not Gateway.quiet:
            sys.stderr.write(f"gateway: {format % args}\n")

    def _serve(self) -> None:
        """Answer the request; then, as Lambda would run the asynchronous invocations a callback asked for
        (``shared.webhooks.kick``), drain the outbox in a thread, with those payloads first."""
        _kicked.ids = []
        try:
            self._route()
        finally:
            ids, _kicked.ids = _kicked.ids, None
            if ids:
                threading.Thread(target=drain_kicked, args=(ids,), daemon=True).start()

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1024 * 1024:
            self._reply(413, {"error": {"code": "TooLarge", "message": "body over 1 MiB", "field": None}}, {})
            return
        body = self.rfile.read(length) if length else b""
        # a timer tick, as EventBridge delivers it: the schedule's input ({"programs": [...]}) or the
        # scheduled event itself; {} stands for a bare rule's event, no body for the sample's input
        if urlsplit(self.path).path == "/_tick":
            from functions.rollout import handler as rollout

            try:
                event = json.loads(body) if body else load_event("rollout_timer_programs")
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                self._reply(
                    400,
                    {"error": {"code": "InvalidJson", "message": "a tick's body is JSON", "field": None}},
                    {},
                )
                return
            if event == {}:
                event = eventbridge_event()
            self._reply(200, rollout.lambda_handler(event, CONTEXT), {})
            return
        if urlsplit(self.path).path == "/_push":
            self._reply(*local_push(body), {})
            return
        event = event_from_request(self.command, self.path, dict(self.headers.items()), body)
        result = ROUTES.dispatch(event, CONTEXT)
        payload = result.get("body") or ""
        self._reply(result["statusCode"], payload, result.get("headers") or {})

    def _reply(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)).encode(
            "utf-8"
        )
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        if "Content-Type" not in headers and "content-type" not in headers:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # every other method (HEAD, TRACE, QUERY, ...) reaches the routing too: what serverless.yml does
        # not route is the gateway's 404, as API Gateway answers it, never http.server's 501
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


_kicked = threading.local()  # the payloads a request's callback asked a drain for (its thread's)


def kick_after_answer(payload_id: str) -> bool:
    """The gateway's kick (``shared.app.use_kick``): noted by the request's thread, drained once its answer
    is written. Outside a request (the replay), none: the forwards wait for a drain."""
    ids: list[str] | None = getattr(_kicked, "ids", None)
    if ids is None:
        return False
    ids.append(payload_id)
    return True


def drain_kicked(ids: list[str]) -> None:
    """The drains Lambda would run for these kicks: the webhooks function invoked with each drain event."""
    from functions.webhooks import handler as webhooks
    from shared.webhooks.kick import drain_event

    for payload_id in ids:
        webhooks.lambda_handler(drain_event(payload_id), CONTEXT)


REPLAY = [
    ("realtime_create", 201),
    ("scheduled_create", 201),
    ("tasks_list", 200),
    ("scheduled_bad_body", 422),
    ("scheduled_unauthorized", 401),
]


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """The functions log only errors meanwhile: an expected refusal is the replay's own short line, not a
    WARNING line of JSON."""
    from shared.support.observability import logger

    level = logger.log_level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


def replay() -> bool:
    with quiet_logs():
        return _replay()


def _replay() -> bool:
    ok = True
    ctx = CONTEXT
    for name, expected in REPLAY:
        event = load_event(name)
        result = ROUTES.dispatch(event, ctx)
        status = result["statusCode"]
        body = json.loads(result["body"]) if result.get("body") else None
        mark = "ok " if status == expected else "BAD"
        ok &= status == expected
        print(f"  {mark} {name:24s} -> {status} {_summary(body)}")
    from functions.rollout import handler as rollout

    tick = rollout.lambda_handler(load_event("rollout_timer_programs"), ctx)
    booked = len(tick.get("created", []))
    ok &= not tick.get("failed") and "error" not in tick
    print(
        f"  {'ok ' if ok else 'BAD'} rollout_timer_programs -> booked {booked} recurring recordings, failed {len(tick.get('failed', []))}"
    )
    return ok


def local_push(body: bytes) -> tuple[int, dict[str, Any]]:
    """``POST /_push`` (make run only): an encoder's push on the emulator, ``{"stream", "domain", "app",
    "action": "begin"|"end"}`` (domain and app: the local defaults); Tencent's callback follows."""
    emulator = LOCAL.get("emulator")
    try:
        data = json.loads(body) if body else {}
        stream = data["stream"]
        domain, app = data.get("domain", LIVE[0]), data.get("app", LIVE[1])
        if emulator is None or not all(isinstance(v, str) and v for v in (stream, domain, app)):
            raise ValueError('send {"stream"} (and domain, app) to the emulator make run started')
        if data.get("action", "begin") == "end":
            return 200, {"pushed": "end", "callback": emulator.callbacks.push_end(domain, app, stream)}
        return 200, {"pushed": "begin", "callback": emulator.callbacks.push_begin(domain, app, stream)}
    except (ValueError, KeyError, TypeError, RecursionError, AttributeError) as exc:
        return 400, {"error": {"code": "InvalidPush", "message": str(exc), "field": None}}


def webhook_loop(emulator: Emulator, subscriber: Subscriber, timeout: float = 20.0) -> bool:
    """Push a stream on the emulator and follow it through the functions to the subscriber."""
    domain, app, stream = PUSH
    print(f"the webhook loop: a simulated push of {domain}/{app}/{stream}")
    steps = [
        "push began -> callback 1 -> the webhooks function started a recording",
        "recording started -> callback 332 -> forwarded, signed webhook record.status",
        "push ended -> callback 0 -> the rule's recording stopped",
        "file ready -> callback 100 -> forwarded, signed webhook record.file_ready",
    ]
    emulator.callbacks.push_begin(domain, app, stream)
    task = poll_until(
        lambda: next((t for t in emulator.tasks() if t.stream == stream and t.running), None), timeout
    )
    results = [task is not None]
    results.append(
        poll_until(
            lambda: subscriber.find("record.status", stream, record_event="record_start_succeeded"), timeout
        )
        is not None
    )
    emulator.callbacks.push_end(domain, app, stream)
    results.append(
        task is not None
        and bool(
            poll_until(
                lambda: any(t.task_id == task.task_id and t.stopped_at is not None for t in emulator.tasks()),
                timeout,
            )
        )
    )
    file_ready = poll_until(lambda: subscriber.find("record.file_ready", stream), timeout)
    results.append(file_ready is not None)
    for ok, step in zip(results, steps, strict=True):
        print(f"  {'ok ' if ok else 'BAD'} {step}")
    if file_ready is not None:
        print(f"      {file_ready['data']['video_url']} (task {file_ready['data']['task_id']})")
    return all(results)


SUMMARY_WIDTH = 72


def clip(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` in at most ``width`` characters, cut between words (never inside one), ``...`` marking a cut."""
    if len(text) <= width:
        return text
    cut = text[: width - 3]
    if text[width - 3] != " " and " " in cut:  # inside a word: back to the space before it
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "..."


def _summary(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if "task_id" in body:
        return f"task {body['task_id']} {body['mode']} {body['stream']} {body['start']} -> {body['end']}"
    if "tasks" in body:
        return f"{len(body['tasks'])} tasks"
    if "error" in body:
        return clip(f"{body['error']['code']}: {body['error']['message']}")
    return ""


def bind_gateway(port: int) -> ThreadingHTTPServer | None:
    """The gateway's socket on 127.0.0.1:``port``; a port in use is one line saying how to choose another."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Gateway)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"make run: port {port} on 127.0.0.1 is in use; stop what holds it, or choose another port: "
            f"make run PORT={port + 1} (or python -m devtools.run --port {port + 1})",
            file=sys.stderr,
        )
        return None
    server.daemon_threads = True
    return server


REAL_VARIABLES = ("TENCENTCLOUD_SECRET_ID", "LIVE_FCGI_KEY")


def talks_to_tencent(real: bool) -> bool:
    """Whether this run reaches a real Tencent account: only when asked (``--real``). Credentials exported
    for something else are ignored, with one line saying so."""
    exported = [name for name in REAL_VARIABLES if os.environ.get(name)]
    if real:
        return True
    if exported and not os.environ.get("LIVE_ENDPOINT"):
        print(
            f"note: {', '.join(exported)} is set but ignored: make run uses the bundled emulator "
            "(make run ARGS=--real talks to your Tencent account)"
        )
    return False


def main(argv: list[str] | None = None) -> int:
    # powertools warns when an invocation published no metric (error responses); noise in a terminal
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--once", action="store_true", help="replay the samples, run the loop, and exit")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "3000")), help="the gateway's port"
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="talk to Tencent Cloud with the credentials in the environment (TENCENTCLOUD_SECRET_ID/KEY, "
        "or LIVE_FCGI_APPID/KEY): real recordings, no emulator",
    )
    args = parser.parse_args(argv)

    real = talks_to_tencent(args.real)
    if real and not any(os.environ.get(name) for name in REAL_VARIABLES):
        print(
            "make run --real: export TENCENTCLOUD_SECRET_ID/KEY (or LIVE_FCGI_APPID/KEY) first",
            file=sys.stderr,
        )
        return 2
    # the gateway serves in --once too (the emulator's callbacks reach the functions through it), on a
    # free port there so a run in CI never collides with one on :3000
    server = bind_gateway(0 if args.once else args.port)
    if server is None:
        return 2
    emulator: Emulator | None = None
    if not real:
        emulator = Emulator(EmulatorConfig(credentials=LOCAL_CREDS))
        emulator.start("127.0.0.1", 0)
        emulator.callbacks.push_begin(*LIVE)  # before callbacks are configured: no callback for it
        LOCAL["emulator"] = emulator
    subscriber = Subscriber(
        "/liverec-webhooks",
        secret=os.environ.get("LIVEREC_WEBHOOK_SECRET") or LOCAL_WEBHOOK_SECRET,
        status=204,
    )
    configure_environment(not real, emulator.base_url if emulator else None, subscriber.url)
    from shared.app import use_kick  # after the environment: its logger reads POWERTOOLS_LOG_LEVEL on import

    use_kick(kick_after_answer)  # a callback's forwards are sent once the gateway has answered it
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = f"http://127.0.0.1:{server.server_address[1]}"
    target = emulator.base_url if emulator else "Tencent Cloud (--real: your credentials)"
    print(
        f"liverec local run: LIVE_API={os.environ.get('LIVE_API', 'record-task')}, Tencent Live at {target}"
    )

    ok = True
    if emulator:
        print("replaying events/ samples:")
        ok = replay()
        print(f"the emulator now holds {len(emulator.tasks())} tasks")
        emulator.callbacks.configure(
            f"{gateway}/callbacks/tencent",
            os.environ["LIVE_CALLBACK_KEY"],
            retry_interval=REDELIVERY_INTERVAL,
        )
        with quiet_logs():  # the loops print their own lines; a late booking (a show on air now) is one
            ok &= webhook_loop(emulator, subscriber)
            ok &= program_loop(gateway, emulator)
    subscriber.verbose = True
    Gateway.quiet = False

    def shutdown() -> None:
        server.shutdown()
        if emulator:
            emulator.stop()
        subscriber.down()

    if args.once:
        shutdown()
        return 0 if ok else 1

    # installed before the "gateway on" line: whoever waits for it may signal at once; any number of
    # SIGINT/SIGTERM then ends the run cleanly (exit 0)
    stop = StopSignals()
    print(f"\ngateway on {gateway}  (Ctrl-C to stop). Try:")
    print(
        f"  curl -s -X POST {gateway}/recordings/realtime \\\n"
        f"       -H 'Authorization: Bearer {LOCAL_TOKEN}' -H 'Content-Type: application/json' \\\n"
        f'       -H \'Idempotency-Key: try-1\' -d \'{{"stream": "livetest", "duration": 120}}\'\n'
        f"  curl -s '{gateway}/recordings?stream=livetest' -H 'Authorization: Bearer {LOCAL_TOKEN}'\n"
        f"  curl -s -X POST {gateway}/_tick     # a timer tick with events/rollout_timer_programs.json"
    )
    if emulator:
        push = f"{emulator.base_url}/_emulator/push"
        print(
            "  # a push: Tencent-style callbacks reach the webhooks function; forwards print here\n"
            f'  curl -s -X POST {push} -d \'{{"domain": "{PUSH[0]}", "app": "live", "stream": "livedemo"}}\'\n'
            f'  curl -s -X POST {push} -d \'{{"domain": "{PUSH[0]}", "app": "live", "stream": "livedemo", "action": "end"}}\''
        )
    print(
        "  # a highlight that waits (10 min at most) for a stream to begin: 202, armed; then its push\n"
        f"  curl -s -X POST {gateway}/recordings/realtime -H 'Authorization: Bearer {LOCAL_TOKEN}' \\\n"
        f'       -H \'Content-Type: application/json\' -d \'{{"stream": "match-7", "duration": 120, "wait": 600}}\'\n'
        f'  curl -s -X POST {gateway}/_push -d \'{{"stream": "match-7"}}\''
    )
    print(
        "  # a signed highlight hook\n"
        f'  body=\'{{"stream": "livetest", "duration": 60}}\'; t=$(date +%s)\n'
        f"  sig=$(printf '%s' \"$t.$body\" | openssl dgst -sha256 -hmac {LOCAL_HOOK_SECRET} | sed 's/^.* //')\n"
        f'  curl -s -X POST {gateway}/hooks/highlight -H "Liverec-Signature: t=$t,v1=$sig" '
        "-H 'Content-Type: application/json' -d \"$body\"",
        flush=True,
    )
    stop.wait()
    shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
