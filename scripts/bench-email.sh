#!/usr/bin/env bash
# Email benchmark: the inbound pipeline (store the raw mail as the SMTP listener does, parse with
# mail-parser, thread by In-Reply-To/References and ticket number, land in tickets) on SQLite with a
# release build, over realistic mixed mail (UTF-8 and GBK, HTML alternatives, attachments, replies,
# automatic replies and bounces). Prints messages/s; the target (≥ 200/s) is printed, never asserted.
#
# Usage: scripts/bench-email.sh [--mails N] [--concurrency N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kefu --bin kefu-bench-email
"${CARGO_TARGET_DIR:-./target}/release/kefu-bench-email" "$@"
