#!/usr/bin/env bash
# Live chat benchmark: 10,000 customer WebSockets on one node (server RSS), 1,000 messages/s for 10 s
# with customer → agent delivery p50/p99, then the cross-node delivery p99 on PostgreSQL (two nodes).
# The server runs as a child process, so the RSS is the server's. Prints the figures; targets are printed
# next to them, never asserted.
#
# Usage: scripts/bench-chat.sh [--connections N] [--rate R] [--seconds S] [--active M] [--pg URL | --no-pg]
set -euo pipefail
cd "$(dirname "$0")/.."
# Each process holds one descriptor per socket: raise the soft limit to the hard one (the server child
# inherits it).
ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p kefu --bin kefu-bench-chat
"${CARGO_TARGET_DIR:-./target}/release/kefu-bench-chat" "$@"
