#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use (127.0.0.1:5432, user postgres) is up; start the local
# cluster if it is installed but stopped, install it from Debian's packages if it is missing.
set -euo pipefail
url="${KEFU_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
ready() { pg_isready -q -d "$url" 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! ready; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL is not reachable at $url; the test suite needs it" >&2; exit 1; }
