#!/usr/bin/env bash
# Build the web UI (web/) into web/dist, which kefu serves (and embeds in release builds).
# Idempotent and quiet: installs dependencies only when node_modules is missing or older than the
# lockfile, and skips the build when dist/ is newer than every source. --force rebuilds anyway.
set -euo pipefail

web="$(cd "$(dirname "${BASH_SOURCE[0]}")/../web" && pwd)"
cd "$web"
force=0
[ "${1:-}" = "--force" ] && force=1

command -v npm >/dev/null || { echo "web-build: npm (Node.js 20+) is required" >&2; exit 1; }

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  force=1
fi

if [ "$force" = 0 ] && [ -f dist/index.html ] &&
  [ -z "$(find src public *.html vite.config.ts package.json package-lock.json tsconfig*.json env.d.ts -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  exit 0
fi

npm run --silent build -- --logLevel warn
