#!/usr/bin/env bash
# Tickets benchmark: create throughput through the API at concurrency 32 (tickets/s, p50/p99), then
# kill -9 in the middle of a burst and check every acknowledged ticket is there after a restart — on
# SQLite and on PostgreSQL. With --big, also p50/p99 of filtered lists, Chinese full-text search and
# opening a 200-message ticket on 1,000,000 tickets with 5,000,000 messages (generated once by
# `kefu demo --tickets 1000000 --messages-per-ticket 5` into kefu-data/bench-big, reused afterwards).
# Prints the figures; targets are printed next to them, never asserted.
#
# Usage: scripts/bench-tickets.sh [--big] [--seconds N] [other kefu-bench options]
#   KEFU_BENCH_PG=postgres://postgres@127.0.0.1:5432  PostgreSQL server for the PostgreSQL run
#                                                      (a database kefu_bench_tickets is recreated;
#                                                      KEFU_BENCH_PG=none skips the run)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kefu --bins
target="${CARGO_TARGET_DIR:-./target}/release"

pg_server="${KEFU_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
# kefu refuses unknown KEFU_* variables, so the benchmark's own stays out of its environment.
unset KEFU_BENCH_PG
pg_args=()
if [ "$pg_server" != "none" ]; then
  db=kefu_bench_tickets
  if psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1; then
    pg_args=(--database-url "$pg_server/$db")
  else
    echo "PostgreSQL at $pg_server is not reachable (scripts/ensure-postgres.sh starts the local one); skipping it" >&2
  fi
fi

"$target/kefu-bench" --kefu "$target/kefu" "${pg_args[@]}" "$@"
