#!/usr/bin/env bash
# build.ps1 must not rot: publish once through PowerShell 7.6.9 (a local .NET tool, .config/dotnet-tools.json) into a
# directory of its own, so it can never replace the binary the E2E step tests, and compare the two versions.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$ARTIFACTS/build.ps1"
dotnet tool restore >/dev/null
LLMPROXY_ARTIFACTS="$out" dotnet pwsh -NoProfile -File ./build.ps1 publish
[ -x "$out/llm-proxy" ] && [ "$("$out/llm-proxy" --version)" = "$("$ARTIFACTS/llm-proxy" --version)" ]
