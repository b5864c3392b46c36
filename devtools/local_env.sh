# Sourced by devtools/invoke_local.sh and devtools/offline.sh: the bundled emulator on a free loopback port
# (stopped when the calling script exits) and the settings serverless.yml reads from the environment (its
# params default to these variables). Needs .venv (and the runtime's venv); run from the repository's root.
PY=.venv/bin/python
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY -m devtools.emulator --port "$port" > "${TMPDIR:-/tmp}/liverec-emulator-$$.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 50); do $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/_emulator/health')" 2>/dev/null && break; sleep 0.1; done

# the runtime's venv first (make passes RUNTIME_VENV, .venv-3.13): invoke local runs python3.13 and
# serverless-offline python3 from the PATH, so the handlers run on the functions' Python
export PATH="$PWD/${RUNTIME_VENV:-.venv}/bin:$PWD/.venv/bin:$PATH" SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
export LIVE_ENDPOINT="http://127.0.0.1:$port" TENCENTCLOUD_SECRET_ID=AKIDemulator
export LIVE_DOMAIN=5000.live.push.com LIVEREC_IDEMPOTENCY_TABLE=memory
export PYTHONWARNINGS=ignore
LIVEREC_CALLBACK_RULES=$($PY -c 'from devtools.events import LOCAL_CALLBACK_RULES; print(LOCAL_CALLBACK_RULES)')
export LIVEREC_CALLBACK_RULES
# Secrets: serverless.yml sets each secret variable to its param (a reference when deployed, empty here) and
# never reads the value from the environment; the local values, as `<VARIABLE> <param> <value>` lines, for
# the caller to pass (`invoke local --env`, `offline --param`). The webhooks function is keyed as the
# events/ samples are signed (devtools/events.py).
local_secrets() {
  $PY -c '
from devtools import events as e
print("TENCENTCLOUD_SECRET_KEY tencentSecretKeyRef emulator-secret-key")
print(f"LIVEREC_API_TOKENS apiTokensRef {e.LOCAL_TOKEN}")
print(f"LIVE_CALLBACK_KEY callbackKeyRef {e.LOCAL_CALLBACK_KEY}")
print(f"LIVEREC_HOOK_SECRETS hookSecretsRef {e.LOCAL_HOOK_SECRET}")'
}
