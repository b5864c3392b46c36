"""Render ``events/<name>.json`` for a run. Placeholders:

- ``{{now+SECONDS}}`` / ``{{now-SECONDS}}``: UNIX seconds from now (quoted in the file, a number once rendered);
- ``{{task_id}}``: a task id;
- ``{{sign}}`` in a Tencent callback body: ``md5_hex(callback_key + str(t))`` over the rendered ``t``;
- ``{{hook_signature}}`` in a header: ``t=<now>,v1=<hex HMAC-SHA256(hook_secret, "<now>." + body)>`` over the
  rendered body, as a signed-hook caller sends it.

The keys are the ``callback_key``/``hook_secret`` arguments, else ``LIVE_CALLBACK_KEY`` and the first of
``LIVEREC_HOOK_SECRETS`` from the environment, else the local defaults below (what ``make run`` and
``make invoke-local`` configure). The signing here is written from the protocol, not imported from
``shared``, so a sample also checks the functions' verifiers.

The tests load events through :func:`load_event`; for ``serverless invoke local`` render one first::

    python -m devtools.events scheduled_create > /tmp/event.json
    npx serverless invoke local -f scheduled -p /tmp/event.json
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"
LOCAL_CALLBACK_KEY = "local-callback-key-0123456789"  # local runs and samples only
LOCAL_HOOK_SECRET = "local-hook-secret-0123456789"  # noqa: S105 - local runs and samples only
# the callback rule local runs configure: pushes of live* streams get a 5-minute highlight, stopped at stream end
LOCAL_CALLBACK_RULES = '[{"name": "highlights", "stream": "live*", "duration": 300, "stop_on_end": true}]'
LOCAL_TOKEN = "local-dev-token-0123456789"  # noqa: S105 - the bearer token the samples carry; local only


def local_defaults() -> dict[str, str]:
    """The functions' environment for local runs (make run, the artifact checks, the benchmarks): the
    samples' token, keys and callback rule, quiet logs, no EMF lines in a terminal."""
    return {
        "LIVE_DOMAIN": "5000.live.push.com",
        "LIVE_APP": "live",
        "LIVEREC_API_TOKENS": LOCAL_TOKEN,
        "LIVE_CALLBACK_KEY": LOCAL_CALLBACK_KEY,
        "LIVEREC_CALLBACK_RULES": LOCAL_CALLBACK_RULES,
        "LIVEREC_HOOK_SECRETS": LOCAL_HOOK_SECRET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def emulator_settings(url: str) -> dict[str, str]:
    """Point the functions at the emulator at ``url``, with the credentials it accepts by default."""
    from devtools.emulator import Credentials

    creds = Credentials()
    return {
        "LIVE_ENDPOINT": url,
        "TENCENTCLOUD_SECRET_ID": creds.secret_id,
        "TENCENTCLOUD_SECRET_KEY": creds.secret_key,
        "LIVE_FCGI_APPID": str(creds.fcgi_appid),
        "LIVE_FCGI_KEY": creds.fcgi_key,
    }


# inside a JSON string that is itself JSON (the HTTP body), the placeholder is quoted: "\"{{now+600}}\""
_QUOTED_NOW = re.compile(r'\\"\{\{now([+-]\d+)\}\}\\"')
_NOW = re.compile(r'"\{\{now([+-]\d+)\}\}"')


def render(text: str, *, now: float | None = None, task_id: str = "0") -> str:
    base = int(time.time() if now is None else now)
    text = _QUOTED_NOW.sub(lambda m: str(base + int(m.group(1))), text)
    text = _NOW.sub(lambda m: str(base + int(m.group(1))), text)
    return text.replace("{{task_id}}", task_id)


def callback_sign(key: str, t: int | str) -> str:
    """Tencent's callback signature: md5 of the key followed by the decimal ``t``."""
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


def hook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _sign(event: dict[str, Any], now: int, callback_key: str, hook_secret: str) -> None:
    body = event.get("body")
    if isinstance(body, str) and "{{sign}}" in body:
        t = json.loads(body.replace("{{sign}}", ""))["t"]
        event["body"] = body = body.replace("{{sign}}", callback_sign(callback_key, t))
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if value == "{{hook_signature}}":
            headers[name] = hook_signature(hook_secret, now, (body or "").encode("utf-8"))


def load_event(
    name: str,
    *,
    now: float | None = None,
    task_id: str = "0",
    callback_key: str | None = None,
    hook_secret: str | None = None,
) -> dict[str, Any]:
    base = int(time.time() if now is None else now)
    data: dict[str, Any] = json.loads(
        render((EVENTS / f"{name}.json").read_text(encoding="utf-8"), now=base, task_id=task_id)
    )
    env_secrets = [s.strip() for s in os.environ.get("LIVEREC_HOOK_SECRETS", "").split(",") if s.strip()]
    _sign(
        data,
        base,
        callback_key or os.environ.get("LIVE_CALLBACK_KEY") or LOCAL_CALLBACK_KEY,
        hook_secret or (env_secrets[0] if env_secrets else LOCAL_HOOK_SECRET),
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
