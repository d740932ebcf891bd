#!/usr/bin/env bash
# Browser tests of the cqdt pages in headless Chromium with axe-core accessibility checks.
# Usage: tests/browser/run.sh   (from anywhere; needs a built cqdt binary, see support.mjs)
# Env: CHROMIUM_PATH (default /usr/bin/chromium), CQDT_BIN (default: the shared cargo target,
# then target/debug/cqdt). Screenshots and the axe report go to target/browser-screenshots/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
  echo "skipped: browser tests (no chromium at $chromium)"
  exit 0
fi

if [ ! -d "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

cd "$root"
rm -rf target/browser-screenshots
mkdir -p target/browser-screenshots
exec node --test tests/browser/*.test.mjs
