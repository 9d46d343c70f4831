#!/usr/bin/env bash
# Web UI figures: the gzipped JavaScript a fresh browser loads to reach the agent workspace, and typing
# latency (input to next paint) with 10 live chats open and in a 500-message ticket. Builds the UI and
# the debug binary, starts a throw-away kefu and runs web/e2e/perf.test.mjs in headless Chromium; the
# figures are the lines starting with '#'. Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/scripts/web-e2e.sh" e2e/perf.test.mjs
