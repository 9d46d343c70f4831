#!/usr/bin/env bash
# Build kefu with its web UI and start it on SQLite in ./kefu-data, with the demo data set loaded
# (skip the demo with --no-demo). Any other arguments go to `kefu serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
demo=1
args=()
for a in "$@"; do
  if [ "$a" = "--no-demo" ]; then demo=0; else args+=("$a"); fi
done
# The demo connects the demo merchants to the demo shop at the address kefu serves on: take --listen.
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --listen) export KEFU_LISTEN="${args[$((i + 1))]:-}" ;;
    --listen=*) export KEFU_LISTEN="${args[$i]#--listen=}" ;;
  esac
done
if [ -f web/package.json ]; then
  scripts/web-build.sh
fi
cargo build --release -p kefu
if [ "$demo" = 1 ]; then
  ./target/release/kefu demo
  # The demo shop system (演示店铺, /demo-shop/) plays the demo merchants' shop: orders and shop actions.
  export KEFU_DEMO_SHOP="${KEFU_DEMO_SHOP:-true}"
fi
exec ./target/release/kefu serve "${args[@]}"
