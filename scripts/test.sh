#!/usr/bin/env bash
# `./build.sh test`: format check, build (warnings are errors), unit + TestHost tests, AOT publish (no IL/AOT
# warnings), E2E tests and npm interop suites against the published binary, image smoke (root), build.ps1 publish.
# Last line: "N passed, M failed"; exits non-zero when M > 0. A new suite is one line below (scripts/steps.sh has
# the helpers; ensure_apt_package in scripts/lib.sh installs what a suite needs).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/steps.sh
source "$SCRIPTS/steps.sh"
cd "$ROOT"

ensure_dotnet
mkdir -p "$RESULTS"
gate "restore" dotnet restore LlmProxy.sln -nologo -v q || { finish; exit; }
gate "format check (dotnet format --verify-no-changes)" dotnet format LlmProxy.sln --verify-no-changes --no-restore -v q || true
# The rate-limit store tests (unit layer) start their own redis-server on a free port.
ensure_apt_package redis-server redis-server || fail "redis-server (Debian package redis-server) is missing"
if gate "build (warnings are errors)" dotnet build LlmProxy.sln -c Release --no-restore -nologo -v q; then
  dotnet_tests "unit+testhost" tests/LlmProxy.Tests/LlmProxy.Tests.csproj
fi

if gate "AOT publish (zero IL/AOT warnings)" "$SCRIPTS/publish-aot.sh" src/LlmProxy/LlmProxy.csproj llm-proxy "$ARTIFACTS"; then
  export LLMPROXY_BINARY="$ARTIFACTS/llm-proxy"
  # promtool validates a real /metrics scrape in the E2E layer.
  ensure_apt_package promtool prometheus || fail "promtool (Debian package prometheus) is missing"
  dotnet_tests "e2e" tests/LlmProxy.E2E/LlmProxy.E2E.csproj
  # Official client libraries against the binary: one line per suite.
  npm_suite "openai npm interop" tests/interop openai-interop.test.mjs
  npm_suite "anthropic sdk" tests/interop anthropic-interop.test.mjs
  npm_suite "ollama npm interop" tests/interop ollama-interop.test.mjs
  npm_suite "observability assets (promtool, Grafana dashboard vs a real scrape)" tests/observability observability-assets.test.mjs
  if ensure_apt_package chromium chromium; then
    npm_suite "/ui page in headless Chromium" tests/browser ui-page.test.mjs
    # The page served by the binary, traffic through it; saves docs/ui.png. Its named-upstreams part needs UPSTREAMS.
    npm_suite "/ui of the binary in headless Chromium" tests/browser ui-binary.test.mjs
  else
    fail "chromium (Debian package chromium) is missing"
  fi
else
  # The E2E layer never skips: without a binary it counts as failed.
  FAILED=$((FAILED + 1))
fi

if [ "$(id -u)" = 0 ]; then
  check "image smoke: the binary in a distroless base-debian13 root file system (docker/rootfs-smoke.sh)" "$SCRIPTS/image-smoke.sh"
else
  log "image smoke not run: docker/rootfs-smoke.sh needs root (CI runs as root)"
fi
check "build.ps1 publish (PowerShell)" "$SCRIPTS/ps1-publish.sh"
finish
