#!/usr/bin/env bash
# SLA benchmark: business-time arithmetic (add business minutes, business seconds between) on one core
# with a realistic calendar, then the scheduler with 1,000,000 open tickets with live timers on SQLite
# (breach detection delay after the due instant, memory, cost of an idle round, query plans).
# Prints the figures; targets are printed next to them, never asserted.
#
# Usage: scripts/bench-sla.sh [--tickets N] [--due N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kefu --bin kefu-bench-sla
cargo run --release -q -p kefu-core --example bench_calendar
"${CARGO_TARGET_DIR:-./target}/release/kefu-bench-sla" "$@"
