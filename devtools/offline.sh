#!/usr/bin/env bash
# `make offline`: the HTTP routes of serverless.yml served by serverless-offline 14.x (the line for
# osls 4) against the bundled emulator, a second way to run locally beside `make run`. PORT (default
# 3000) is the HTTP port. `devtools/offline.sh --check` starts it on a free port, makes a few calls, checks
# their statuses and stops (CI). Needs node_modules and .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source devtools/local_env.sh
params=()
while read -r _ param value; do params+=("--param=$param=$value"); done < <(local_secrets)
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# serverless-offline's Python runner gives every invocation a 6 s deadline, whatever the function's timeout:
# the Tencent client's timeout must leave the 2 s the functions keep in hand
export LIVE_TIMEOUT=3.5
check=false
[ "${1:-}" = "--check" ] && check=true
http=${PORT:-3000}
$check && http=$(free_port)
# the functions run as on Lambda (AWS_LAMBDA_FUNCTION_NAME set): a callback's kick, the webhooks function
# invoking itself asynchronously, goes to serverless-offline's own Invoke endpoint, never to AWS
lambda_port=$(free_port)
export AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$lambda_port"
offline=(npx serverless offline --host 127.0.0.1 --httpPort "$http" --lambdaPort "$lambda_port" "${params[@]}")
if ! $check; then
  echo "serverless offline on http://127.0.0.1:$http (emulator at $LIVE_ENDPOINT); Ctrl-C stops"
  "${offline[@]}"
  exit
fi
log="${TMPDIR:-/tmp}/liverec-offline-$$.log"
# its own process group: npx, the serverless process it starts and the handlers' runners stop together
setsid "${offline[@]}" > "$log" 2>&1 &
server=$!
stop() { kill -- "-$server" 2>/dev/null || true; kill "$emulator" 2>/dev/null || true; }
trap stop EXIT
rc=0
$PY -m devtools.offline_check "$http" "$log" || rc=$?
stop
for _ in $(seq 50); do pgrep -g "$server" > /dev/null || break; sleep 0.1; done
if pgrep -g "$server" > /dev/null; then
  echo "offline-check: serverless offline did not stop (process group $server)" >&2
  kill -9 -- "-$server" 2>/dev/null || true
  exit 1
fi
exit $rc
