#!/usr/bin/env bash
# Order intake benchmark: shop-system pushes through the HTTP API on SQLite (new orders creating customer
# profiles, then newer states of the same orders). Prints orders/s and push latency; the target is
# printed next to them, never asserted.
#
# Usage: scripts/bench-orders.sh [--orders N] [--batch N] [--customers N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kefu --bin kefu-bench-orders
"${CARGO_TARGET_DIR:-./target}/release/kefu-bench-orders" "$@"
