#!/usr/bin/env bash
# API fuzzing: schemathesis against /api/v1/openapi.json of a real `cqdt serve --demo` on a random
# loopback port with a fresh SQLite database, once without credentials and once as the demo
# administrator. Fails on any 5xx and on any response the OpenAPI document does not describe
# (status code, content type, headers, body schema).
#
# Usage: tests/fuzz/run.sh   (from anywhere; needs a built cqdt binary, it builds nothing)
# Env:   CQDT_BIN       the binary (default: /root/.cache/cqdt-target/debug/cqdt, then target/debug/cqdt)
#        FUZZ_EXAMPLES  examples per operation and phase (default 30)
#        FUZZ_SEED      schemathesis seed, to replay a run (default: random, printed in the summary)
#        FUZZ_WORKERS   concurrent schemathesis workers (default 1: with more, hypothesis under
#                       Python 3.11 sometimes fails with "AST constructor recursion depth mismatch")
# Reports (JUnit XML, NDJSON events of every request and response) go to target/fuzz/, and so
# does schemathesis' crash cache (it runs there, so `st replay ID` works from that folder).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: API fuzzing (no python3)"
  exit 0
fi

examples="${FUZZ_EXAMPLES:-30}"
workers="${FUZZ_WORKERS:-1}"

# --- schemathesis in its own virtualenv, reinstalled when requirements.txt changes ---
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$venv/.requirements.txt"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/.requirements.txt"
fi
st="$venv/bin/schemathesis"

# --- the server ---
bin=""
for c in "${CQDT_BIN:-}" /root/.cache/cqdt-target/debug/cqdt "$root/target/debug/cqdt"; do
  if [ -n "$c" ] && [ -x "$c" ]; then bin="$c"; break; fi
done
if [ -z "$bin" ]; then
  echo "no cqdt binary: build it with \`CARGO_TARGET_DIR=/root/.cache/cqdt-target cargo build -p cqdt\` or set CQDT_BIN" >&2
  exit 1
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$tmp" && exec env CQDT__SERVER__METRICS_LISTEN="" CQDT__DATABASE__URL="sqlite://$tmp/cqdt.sqlite" \
  "$bin" serve --demo --listen 127.0.0.1:0 >"$tmp/stdout.log" 2>"$tmp/stderr.log") &
server_pid=$!

base=""
for _ in $(seq 1 300); do
  base="$(sed -n 's|^cqdt đang chạy tại \(http://[^ ]*\).*|\1|p' "$tmp/stdout.log" | head -n1)"
  [ -n "$base" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "the server did not start ($bin):" >&2
  cat "$tmp/stdout.log" "$tmp/stderr.log" >&2
  exit 1
fi
base="${base%/}"
echo "fuzzing $base/api/v1/openapi.json with $bin ($examples examples per operation)"

# --- the administrator's session, taken before any fuzzing: the unauthenticated run makes many
# failed logins from 127.0.0.1, and after 20 the address is throttled (429) for a while ---
"$venv/bin/python" - "$base" >"$tmp/auth.env" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
req = urllib.request.Request(
    base + "/api/v1/auth/login",
    data=json.dumps({"login": "quantri@tayninh.demo", "password": "TayNinh@2019"}).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(req, timeout=30) as r:
    me = json.load(r)
    cookies = r.headers.get_all("Set-Cookie") or []
session = next(c.split(";", 1)[0] for c in cookies if c.startswith("cqdt_session="))
print(f"COOKIE='{session}'")
print(f"CSRF='{me['csrf_token']}'")
PY
# shellcheck disable=SC1091
. "$tmp/auth.env"

reports="$root/target/fuzz"
rm -rf "$reports"
mkdir -p "$reports"

common=(
  --config-file "$here/schemathesis.toml"
  run "$base/api/v1/openapi.json"
  --checks all
  --max-examples "$examples"
  --workers "$workers"
  --no-shrink
  --request-timeout 30
)
if [ -n "${FUZZ_SEED:-}" ]; then
  common+=(--seed "$FUZZ_SEED")
fi

status=0

echo
echo "==> fuzzing without credentials"
(cd "$reports" && "$st" --no-color "${common[@]}" \
  --warnings off \
  --report junit,ndjson --report-dir "$reports/anonymous") || status=1

echo
echo "==> fuzzing as the demo administrator (session cookie and CSRF token)"
# Logging out would end the fuzzer's own session: those two operations run only without
# credentials above.
(cd "$reports" && "$st" --no-color "${common[@]}" \
  -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/logout-all \
  --report junit,ndjson --report-dir "$reports/administrator") || status=1

# After the fuzzing: the session is still the platform administrator's (had the fuzzer locked
# itself out part-way, the authenticated run would have proved little), and every write it made
# left the audit chain intact.
echo
echo "==> after fuzzing: administrator rights and audit chain"
"$venv/bin/python" - "$base" "$COOKIE" <<'PY' || status=1
import json, sys, urllib.error, urllib.request
base, cookie = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return None, str(e)
ok = True
status, keys = get("/api/v1/api-keys")
if status != 200:
    print(f"the administrator's session lost its rights during fuzzing: GET /api/v1/api-keys -> {status} {keys}")
    ok = False
status, verify = get("/api/v1/audit/verify")
if status != 200 or not (isinstance(verify, dict) and verify.get("intact")):
    print(f"audit chain after fuzzing: {status} {verify}")
    ok = False
if ok:
    print(f"administrator session still valid; audit chain intact ({verify.get('entries')} entries)")
sys.exit(0 if ok else 1)
PY

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server died during fuzzing:" >&2
  tail -n 50 "$tmp/stderr.log" >&2
  status=1
fi
if grep -q "panicked" "$tmp/stderr.log"; then
  echo "the server panicked during fuzzing:" >&2
  grep -A5 "panicked" "$tmp/stderr.log" | head -n 40 >&2
  status=1
fi

echo
if [ "$status" -eq 0 ]; then
  echo "API fuzzing: no failures (reports in target/fuzz/)"
else
  echo "API fuzzing: FAILED (reports in target/fuzz/)"
fi
exit "$status"
