#!/usr/bin/env bash
# Routing benchmark: the decision among 500 online agents and 5,000 waiting requests (p50/p99), then the
# router under 2,000 arriving tickets a minute across 200 agents (arrival to assignment, p50/p99).
# Prints the figures; targets are printed next to them, never asserted.
#
# Usage: scripts/bench-routing.sh [--agents N] [--per-minute N] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kefu --bin kefu-bench-routing
cargo run --release -q -p kefu-core --example bench_routing
"${CARGO_TARGET_DIR:-./target}/release/kefu-bench-routing" "$@"
