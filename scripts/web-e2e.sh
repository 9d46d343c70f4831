#!/usr/bin/env bash
# Browser tests of the web UI (web/e2e/*.test.mjs: the shell and admin screens, the agent workspace, the SLA
# screens, live chat), driving Debian's Chromium with playwright-core, after the Vitest unit tests.
#
# Against a server you started:
#   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' scripts/web-e2e.sh
# Without KEFU_URL the script starts a throw-away kefu itself (KEFU_BIN, else the debug build under
# ${CARGO_TARGET_DIR:-target}, brought up to date with cargo after the UI build) on a free port, with a
# temporary data directory and a fresh platform admin, and stops it afterwards.
# KEFU_SCREENSHOTS=DIR saves a screenshot of each step. Arguments name test files to run instead of all
# (scripts/bench-web.sh runs e2e/perf.test.mjs this way).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"

if [ ! -x /usr/bin/chromium ]; then
  echo "web-e2e: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi

"$root/scripts/web-build.sh"

server_pid=""
tmp=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

if [ -z "${KEFU_URL:-}" ]; then
  target="${CARGO_TARGET_DIR:-$root/target}"
  bin="${KEFU_BIN:-}"
  if [ -z "$bin" ]; then
    # Build (or bring up to date) the debug binary now, after the UI build, so it serves this UI.
    command -v cargo >/dev/null || { echo "web-e2e: set KEFU_URL (a running kefu) or KEFU_BIN" >&2; exit 1; }
    (cd "$root" && cargo build --quiet -p kefu)
    bin="$target/debug/kefu"
  fi
  tmp="$(mktemp -d)"
  port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  export KEFU_ADMIN_USER="${KEFU_ADMIN_USER:-e2e.admin}"
  export KEFU_ADMIN_PASSWORD="${KEFU_ADMIN_PASSWORD:-E2e-Admin-Pass-2026}"
  # kefu refuses unknown KEFU_* variables, so the test's own ones stay out of its environment.
  clean_env=(env -u KEFU_URL -u KEFU_ADMIN_USER -u KEFU_ADMIN_PASSWORD -u KEFU_SCREENSHOTS -u KEFU_BIN)
  "${clean_env[@]}" "$bin" --data-dir "$tmp/data" user create --username "$KEFU_ADMIN_USER" \
    --password "$KEFU_ADMIN_PASSWORD" --role platform_admin >"$tmp/user.log" 2>&1 ||
    { cat "$tmp/user.log" >&2; exit 1; }
  # No --web-dir: the UI comes from the binary itself (embedded in release builds), as in production.
  # Webhooks may target loopback here: the admin test subscribes a receiver it runs on 127.0.0.1. The
  # demo shop (/demo-shop/) plays the merchants' shop system for the order and after-sales tests.
  "${clean_env[@]}" KEFU_WEBHOOK_ALLOW_PRIVATE=true KEFU_DEMO_SHOP=true "$bin" --data-dir "$tmp/data" serve --listen "127.0.0.1:$port" \
    >"$tmp/server.log" 2>&1 &
  server_pid=$!
  export KEFU_URL="http://127.0.0.1:$port"
  up=0
  for _ in $(seq 1 150); do
    if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$KEFU_URL/healthz"; then
      up=1
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ "$up" != 1 ]; then
    echo "web-e2e: kefu did not start" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  # The server must serve the UI just built, not the "not built" page.
  if ! node -e "fetch(process.argv[1]).then(r => r.text()).then(t => process.exit(t.includes('/assets/') ? 0 : 1), () => process.exit(1))" "$KEFU_URL/"; then
    echo "web-e2e: $bin does not serve the built web UI (web/dist); rebuild it after scripts/web-build.sh" >&2
    exit 1
  fi
fi

cd "$web"
if [ "$#" -gt 0 ]; then
  # Only the named files (paths relative to web/, e.g. e2e/perf.test.mjs), without the unit tests.
  node --test --test-concurrency=1 --test-reporter=spec "$@"
  exit
fi
# The unit tests of the front end's logic first (chat socket client, message merging, formatting).
npm run --silent test:unit
# One file at a time: all drive a browser against the same server.
node --test --test-concurrency=1 --test-reporter=spec e2e/perf.test.mjs e2e/ui.test.mjs e2e/tickets.test.mjs e2e/sla.test.mjs e2e/workspace2.test.mjs e2e/routing.test.mjs e2e/chat.test.mjs e2e/admin2.test.mjs e2e/dashboard.test.mjs e2e/approvals.test.mjs e2e/aftersales.test.mjs e2e/satisfaction.test.mjs e2e/complaints.test.mjs e2e/shop.test.mjs
