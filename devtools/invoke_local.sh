#!/usr/bin/env bash
# Each events/ sample through `serverless invoke local` (the real serverless.yml wiring) against the
# emulator, checking the documented status. Run by CI after `make package`; needs node_modules and .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source devtools/local_env.sh
secrets=()
while read -r variable _ value; do secrets+=(--env "$variable=$value"); done < <(local_secrets)

fail=0
# each run its own event file: two runs side by side (two checkouts) must not serve each other's samples
event=$(mktemp "${TMPDIR:-/tmp}/liverec-event-XXXXXX.json")
trap 'rm -f "$event"; kill $emulator 2>/dev/null || true' EXIT
check() {  # function event expected-status
  local out status
  $PY -m devtools.events "$2" > "$event"
  out=$(npx serverless invoke local -f "$1" -p "$event" "${secrets[@]}" 2>/dev/null)
  # serverless prints the handler's return value last, pretty-printed; log and EMF lines come before it
  status=$(printf '%s' "$out" | $PY -c '
import json, sys
t = sys.stdin.read()
i = t.rfind("\n{\n")
d = json.loads(t[i + 1 :] if i >= 0 else t[t.index("{") :])
print(d["statusCode"] if "statusCode" in d else "error" if "error" in d else "tick" if "occurrences" in d else "outbox" if "delivered" in d else "?")')
  if [ "$status" = "$3" ]; then echo "ok   $1 $2 -> $status"; else echo "FAIL $1 $2 -> $status (expected $3)"; fail=1; fi
}
check realtime realtime_create 201
check realtime realtime_capped 201
check scheduled scheduled_create 201
check scheduled scheduled_bad_body 422
check scheduled scheduled_unauthorized 401
check scheduled scheduled_program_put 201
check scheduled scheduled_program_bad_cron 422
check rollout rollout_timer_programs tick
check rollout rollout_timer_bad_programs error
check tasks tasks_list 200
# each invocation is a fresh process on the in-process ledger: no recording is known there
check tasks tasks_get_unknown 404
check webhooks webhooks_callback_stream_begin 200
check webhooks webhooks_callback_stream_end 200
check webhooks webhooks_callback_record_file 200
check webhooks webhooks_callback_record_status 200
check webhooks webhooks_callback_screenshot 200
check webhooks webhooks_callback_wrong_sign 401
check webhooks webhooks_callback_expired 401
check webhooks webhooks_callback_missing_field 422
check webhooks webhooks_callback_not_json 400
check webhooks webhooks_hook_highlight 201
check webhooks webhooks_hook_bad_signature 401
check webhooks webhooks_timer_outbox outbox
check webhooks webhooks_outbox_drain outbox
exit $fail
