"""``python -m devtools.emulator``: run the emulator in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from devtools.emulator import Credentials, Emulator, EmulatorConfig
from devtools.emulator.config import NO_LIMITS
from devtools.emulator.stop_signals import StopSignals

ENV_NAMES = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "LIVE_FCGI_APPID", "LIVE_FCGI_KEY")
# LIVE_CALLBACK_KEY (default "emulator-callback-key") signs callbacks when --callback-url is given
# the events/ samples' stream, where local runs push (devtools.events' LIVE_DOMAIN and LIVE_APP defaults)
SAMPLES_DOMAIN, SAMPLES_APP, SAMPLES_STREAM = "5000.live.push.com", "live", "livetest"


def credentials_from_env() -> Credentials:
    """The same variables the functions read; development defaults where unset."""
    defaults = Credentials()
    appid = os.environ.get("LIVE_FCGI_APPID") or str(defaults.fcgi_appid)
    if not appid.isascii() or not appid.isdigit():
        raise ValueError("LIVE_FCGI_APPID must be a decimal integer")
    return Credentials(
        secret_id=os.environ.get("TENCENTCLOUD_SECRET_ID") or defaults.secret_id,
        secret_key=os.environ.get("TENCENTCLOUD_SECRET_KEY") or defaults.secret_key,
        fcgi_appid=int(appid),
        fcgi_key=os.environ.get("LIVE_FCGI_KEY") or defaults.fcgi_key,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("EMULATOR_PORT") or 9100),
        help="port to listen on, 0 for any free one (default $EMULATOR_PORT or 9100)",
    )
    parser.add_argument(
        "--callback-url",
        help="send Tencent-style callbacks here (loopback), signed with $LIVE_CALLBACK_KEY",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="no rate limits and no task caps (benchmarks that send thousands of creates)",
    )
    parser.add_argument(
        "--live",
        action="append",
        metavar="STREAM",
        help=f"a stream pushed from the start on {SAMPLES_DOMAIN}/{SAMPLES_APP}, as an encoder would (a highlight "
        "of a stream that is not live is refused where the generation can tell); repeatable; default: "
        f"{SAMPLES_STREAM}, the events/ samples' stream; --live '' for none",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request (never secrets)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(asctime)s %(message)s"
    )
    try:
        credentials = credentials_from_env()
    except ValueError as exc:
        parser.error(str(exc))

    # installed before the "listening" line: whoever waits for it may send SIGTERM at once
    stop = StopSignals()
    config = EmulatorConfig(credentials=credentials)
    if args.no_limits:
        for name, value in NO_LIMITS.items():
            setattr(config, name, value)
    emulator = Emulator(config)
    try:
        emulator.start(args.host, args.port)
    except (OSError, ValueError) as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    for stream in filter(None, [SAMPLES_STREAM] if args.live is None else args.live):
        emulator.callbacks.push_begin(
            SAMPLES_DOMAIN, SAMPLES_APP, stream
        )  # before callbacks: none sent for it
    if args.callback_url:
        try:
            emulator.callbacks.configure(
                args.callback_url, os.environ.get("LIVE_CALLBACK_KEY") or "emulator-callback-key"
            )
        except ValueError as exc:
            emulator.stop()
            parser.error(str(exc))
    print(f"Tencent Live emulator listening on {emulator.base_url}", flush=True)
    unset = [name for name in ENV_NAMES if not os.environ.get(name)]
    if args.callback_url and not os.environ.get("LIVE_CALLBACK_KEY"):
        unset.append("LIVE_CALLBACK_KEY")
    if unset:  # names only, never values
        print(f"development defaults in use for: {', '.join(unset)}", file=sys.stderr, flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
