#!/usr/bin/env bash
# Soak test (not in CI): N minutes of mixed traffic through the published binary in front of a fault-injecting fake
# upstream (bench/soak/, one .NET console process): non-streaming and streaming on /proxy, /proxy/stream and
# /v1/chat/completions, client disconnects mid-stream, upstream 500/429/error events/resets/missing [DONE], and a
# greedy client over its rate limit. Samples the proxy's RSS, open fds and sockets to the upstream port (/proc) and
# fails (exit 1) unless every request got one complete well-formed answer (or the error docs/api.md documents for it), nothing grew
# (first vs last third), and every dropped stream's upstream request was aborted within 1 s.
#
#   bench/soak.sh                    10 minutes against artifacts/llm-proxy (published first if missing)
#   bench/soak.sh --minutes 2        any driver option: --minutes --workers --rate-limit --sample-seconds --seed
# The markdown report goes to artifacts/soak/report.md (docs/RELIABILITY.md quotes a run of it).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS="$(realpath -m "${LLMPROXY_ARTIFACTS:-$PWD/artifacts}")"
[ -x "$ARTIFACTS/llm-proxy" ] || ./build.sh publish
mkdir -p "$ARTIFACTS/soak"
dotnet build bench/soak/Soak.csproj -c Release -nologo -v quiet -o "$ARTIFACTS/soak/bin" >/dev/null
exec dotnet "$ARTIFACTS/soak/bin/Soak.dll" --binary "$ARTIFACTS/llm-proxy" --report "$ARTIFACTS/soak/report.md" "$@"
