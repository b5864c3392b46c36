"""``python -m devtools.emulator``: run the emulator in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from devtools.emulator import Credentials, Emulator, EmulatorConfig


def credentials_from_env() -> Credentials:
    """The same variables the functions read; development defaults where unset."""
    defaults = Credentials()
    appid = os.environ.get("LIVE_FCGI_APPID") or str(defaults.fcgi_appid)
    return Credentials(
        secret_id=os.environ.get("TENCENTCLOUD_SECRET_ID") or defaults.secret_id,
        secret_key=os.environ.get("TENCENTCLOUD_SECRET_KEY") or defaults.secret_key,
        fcgi_appid=int(appid),
        fcgi_key=os.environ.get("LIVE_FCGI_KEY") or defaults.fcgi_key,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "9100")))
    parser.add_argument("--verbose", action="store_true", help="log every request (never secrets)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(asctime)s %(message)s"
    )

    emulator = Emulator(EmulatorConfig(credentials=credentials_from_env()))
    emulator.start(args.host, args.port)
    print(
        f"Tencent Live emulator listening on {emulator.base_url} (secret id {emulator.config.credentials.secret_id}, fcgi appid {emulator.config.credentials.fcgi_appid})",
        flush=True,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
