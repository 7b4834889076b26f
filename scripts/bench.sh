#!/usr/bin/env bash
# `./build.sh bench [options]`: installs the load tools, publishes llm-proxy and the bench programs Native AOT (each
# only if its sources changed), then runs bench/run.py with the options (`./build.sh bench --help` lists them).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_dotnet
for need in "wrk wrk" "nginx nginx" "python3 python3" "taskset util-linux"; do
  # shellcheck disable=SC2086 # "command package" pairs
  ensure_apt_package $need || exit 1
done
# perf is optional: without it the profile section says so and the rest runs.
ensure_apt_package perf linux-perf || log "linux-perf not installable: no profile"

"$SCRIPTS/publish-aot.sh" --if-stale src/LlmProxy/LlmProxy.csproj llm-proxy "$ARTIFACTS"
# The fake upstream is AOT like the proxy, so that it is not the bottleneck of what it serves; the bare forwarder
# (Kestrel + one SocketsHttpHandler, no features) is the floor the proxy's CPU per request is compared with.
"$SCRIPTS/publish-aot.sh" --if-stale bench/FakeUpstream/FakeUpstream.csproj fake-upstream "$ARTIFACTS/bench"
"$SCRIPTS/publish-aot.sh" --if-stale bench/BareForwarder/BareForwarder.csproj bare-forwarder "$ARTIFACTS/bench"
exec python3 bench/run.py "$@"
