#!/usr/bin/env bash
# Every test of kefu, as CI runs it: formatting, lints, the Rust suites (domain, storage and API on SQLite
# and on PostgreSQL, CLI) and, when the web UI is present, its build and browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
# Each test makes its own PostgreSQL database; clear the ones earlier runs left behind.
pg="${KEFU_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
for db in $(psql -Atq "$pg" -c "SELECT datname FROM pg_database WHERE datname LIKE 'kefu\_test\_%'" 2>/dev/null); do
  psql -q "$pg" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
done
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
if [ -f web/package.json ]; then
  scripts/web-build.sh
  scripts/web-e2e.sh
fi
