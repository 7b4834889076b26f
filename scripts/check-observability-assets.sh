#!/usr/bin/env bash
# Checks the observability assets in docs/ (docs/observability.md): `promtool check rules` and `promtool test rules`
# on docs/prometheus/alerts.yml, the structure and PromQL of docs/grafana/llm-proxy.json, and every metric name both
# query against a real /metrics scrape of the published binary (tests/observability/not-yet-exported.txt lists the
# names the binary does not export yet). Prints node's TAP report; the exit status is the test runner's.
#   scripts/check-observability-assets.sh            uses artifacts/llm-proxy (./build.sh publish first)
#   LLMPROXY_BINARY=/path/to/llm-proxy scripts/check-observability-assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

need() { # command debian-package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "check-observability-assets.sh: $1 is required: sudo apt-get install $2" >&2
    exit 1
  fi
}
need promtool prometheus
need node nodejs
need npm npm

export LLMPROXY_BINARY="${LLMPROXY_BINARY:-$ROOT/artifacts/llm-proxy}"
[ -x "$LLMPROXY_BINARY" ] || { echo "check-observability-assets.sh: no binary at $LLMPROXY_BINARY (./build.sh publish)" >&2; exit 1; }
cd tests/observability
npm ci --no-audit --no-fund --loglevel=error
exec node --test --test-reporter=tap observability-assets.test.mjs
