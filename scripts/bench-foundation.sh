#!/usr/bin/env bash
# Foundation benchmark: start-up time to ready on an existing database, idle memory (RSS), and the
# throughput of an authenticated GET of a small resource over loopback with keep-alive (wrk, 32
# connections, 2 threads, sharing this machine's cores with the server). Prints the figures.
# Usage: scripts/bench-foundation.sh [seconds]   (SQLite; KEFU_BENCH_DATABASE_URL=postgres://… for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p kefu
bin=./target/release/kefu
data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
db_args=(--data-dir "$data")
[ -n "${KEFU_BENCH_DATABASE_URL:-}" ] && db_args+=(--database-url "$KEFU_BENCH_DATABASE_URL")
# kefu refuses unknown KEFU_* variables, so the benchmark's own stays out of its environment.
unset KEFU_BENCH_DATABASE_URL
"$bin" "${db_args[@]}" demo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

start=$(date +%s%N)
KEFU_LOG_LEVEL=warn "$bin" "${db_args[@]}" serve --listen "127.0.0.1:$port" & pid=$!
until curl -sf "$base/readyz" >/dev/null 2>&1; do sleep 0.005; done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))

sleep 3  # the Chinese segmenter's dictionary loads in the background after start-up
idle_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"Kefu-Demo-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf "$base/api/v1/merchants/1" -H "authorization: Bearer $token" >/dev/null
wrk -t2 -c32 -d3s -H "authorization: Bearer $token" "$base/api/v1/merchants/1" >/dev/null  # warm-up
out=$(wrk -t2 -c32 -d"${secs}s" --latency -H "authorization: Bearer $token" "$base/api/v1/merchants/1")
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p99=$(echo "$out" | awk '$1=="99%" {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
load_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

echo "kefu foundation benchmark ($(nproc) cores, backend: ${KEFU_BENCH_DATABASE_URL:+postgres}${KEFU_BENCH_DATABASE_URL:-sqlite})"
echo "start-up to ready (existing database): ${ready_ms} ms"
echo "idle RSS (Chinese segmenter loaded): $((idle_rss_kb / 1024)) MB"
echo "authenticated GET /api/v1/merchants/1: ${rps} requests/s, p99 ${p99}, non-2xx ${non2xx:-0} (wrk, 32 connections, ${secs}s)"
echo "RSS after load: $((load_rss_kb / 1024)) MB"
