#!/usr/bin/env bash
# After-sales benchmark: the eligibility engine's time per order item (p50/p99/max) over 200,000 varied
# requests. Prints the figures; the target is printed next to them, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p kefu-core --example bench_eligibility
