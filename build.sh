#!/usr/bin/env bash
# llm-proxy build script. Verbs:
#   test     format check, build (warnings are errors), unit + TestHost tests, AOT publish (fails on any IL/AOT
#            warning), E2E tests against the published binary. Last line: "N passed, M failed".
#   publish  Native AOT publish to artifacts/llm-proxy (one self-contained executable).
#   run      publish if needed, then start the proxy (stub provider on 127.0.0.1:8000 unless configured otherwise).
#   dev      run from source under `dotnet watch` (hot reload), reading ./.env when present.
#   bench    benchmarks (bench/run.py): llm-proxy beside a direct call and nginx proxy_pass, streaming, leak check,
#            footprint, micro-benchmarks; rewrites docs/BENCHMARKS.md. `./build.sh bench --help` lists its options.
#   image-smoke  run the binary in a distroless base-debian13 root file system (no Docker engine needed; root).
# build.ps1 offers the same verbs for PowerShell 7 (Windows); `test` here also runs `build.ps1 publish` once.
# Extra arguments after `run`/`dev` go to llm-proxy (e.g. ./build.sh run --port 9000).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$PWD"
ARTIFACTS="$(realpath -m "${LLMPROXY_ARTIFACTS:-$ROOT/artifacts}")" # LLMPROXY_ARTIFACTS moves the output (build.ps1 too)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

rid() {
  case "$(uname -m)" in
    x86_64|amd64) echo linux-x64 ;;
    aarch64|arm64) echo linux-arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not on PATH)"
  local major
  major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
  [ "${major:-0}" -ge 10 ] || die "the .NET 10 SDK is required (found $(dotnet --version 2>/dev/null || echo none))"
}

# Native AOT links with clang and needs zlib's headers (https://aka.ms/nativeaot-prerequisites).
ensure_aot_prereqs() {
  if command -v clang >/dev/null 2>&1 && [ -f /usr/include/zlib.h ]; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Native AOT prerequisites (clang, zlib1g-dev)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
  else
    die "Native AOT needs clang and zlib1g-dev: sudo apt-get install clang zlib1g-dev"
  fi
}

# Debian packages the tests use (redis-server: the shared rate-limit store's tests start their own instances;
# promtool validates a real /metrics scrape).
ensure_apt_package() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $2"
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    die "$1 is required: sudo apt-get install $2"
  fi
}

publish() {
  ensure_dotnet
  ensure_aot_prereqs
  local out="$ARTIFACTS/publish" logfile="$ARTIFACTS/publish.log"
  mkdir -p "$ARTIFACTS"
  rm -rf "$out"
  log "AOT publish ($(rid))"
  if ! dotnet publish src/LlmProxy/LlmProxy.csproj -c Release -r "$(rid)" -o "$out" -nologo >"$logfile" 2>&1; then
    cat "$logfile" >&2
    return 1
  fi
  # Zero trim/AOT warnings is a rule, not a wish: any IL/AOT warning fails the publish.
  if grep -Eq 'warning (IL[0-9]+|AOT)' "$logfile"; then
    grep -E 'warning (IL[0-9]+|AOT)' "$logfile" | sort -u >&2
    echo "build.sh: the AOT publish produced trim/AOT warnings" >&2
    return 1
  fi
  install -m 0755 "$out/llm-proxy" "$ARTIFACTS/llm-proxy"
  mkdir -p "$ARTIFACTS/symbols"
  [ -f "$out/llm-proxy.dbg" ] && mv "$out/llm-proxy.dbg" "$ARTIFACTS/symbols/llm-proxy.dbg"
  rm -rf "$out"
  log "published $ARTIFACTS/llm-proxy ($(du -h "$ARTIFACTS/llm-proxy" | cut -f1))"
}

needs_publish() {
  [ ! -x "$ARTIFACTS/llm-proxy" ] && return 0
  # Sources only: bin/ and obj/ change on every build and would force a publish each time.
  [ -n "$(find src Directory.Build.props Directory.Packages.props -newer "$ARTIFACTS/llm-proxy" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]
}

# --- test --------------------------------------------------------------------------------------------------
PASSED=0
FAILED=0
RESULTS="$ARTIFACTS/test-results"

gate() { # name command...: a build step that counts as one failure when it fails
  local name="$1"; shift
  log "$name"
  if "$@"; then return 0; fi
  echo "build.sh: FAILED: $name" >&2
  FAILED=$((FAILED + 1))
  return 1
}

count_trx() { # adds the counters of every .trx under $1
  local file total passed failed
  for file in "$1"/*.trx; do
    [ -f "$file" ] || continue
    passed=$(grep -o '<Counters [^>]*' "$file" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    failed=$(grep -o '<Counters [^>]*' "$file" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    total=$(grep -o '<Counters [^>]*' "$file" | grep -o 'total="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    PASSED=$((PASSED + passed))
    # Tests that never ran (crashed host, aborted run) count as failed, not as nothing.
    FAILED=$((FAILED + total - passed))
  done
}

run_tests() { # name project
  local name="$1" project="$2" dir="$RESULTS/$1"
  rm -rf "$dir"
  log "$name tests"
  local rc=0
  dotnet test "$project" -c Release --no-build --logger "trx" --logger "console;verbosity=minimal" --results-directory "$dir" || rc=$?
  if ! ls "$dir"/*.trx >/dev/null 2>&1; then
    echo "build.sh: $name tests produced no results" >&2
    FAILED=$((FAILED + 1))
    return
  fi
  count_trx "$dir"
  [ "$rc" = 0 ] || echo "build.sh: $name tests failed" >&2
}

# The official openai npm client against the published binary (tests/interop, node's built-in test runner).
# Its TAP summary (# pass / # fail / # cancelled) joins PASSED and FAILED; a run that reports nothing counts as failed.
run_interop() {
  local dir="$ROOT/tests/interop" out="$RESULTS/interop.tap" rc=0 passed failed cancelled
  log "openai npm interop tests"
  ensure_apt_package node nodejs
  ensure_apt_package npm npm
  if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "build.sh: npm ci failed in tests/interop" >&2
    FAILED=$((FAILED + 1))
    return
  fi
  (cd "$dir" && LLMPROXY_BINARY="$ARTIFACTS/llm-proxy" node --test --test-reporter=tap openai-interop.test.mjs) >"$out" 2>&1 || rc=$?
  cat "$out"
  passed=$(grep -E '^# pass [0-9]+$' "$out" | grep -oE '[0-9]+' | tail -1 || true)
  failed=$(grep -E '^# fail [0-9]+$' "$out" | grep -oE '[0-9]+' | tail -1 || true)
  cancelled=$(grep -E '^# cancelled [0-9]+$' "$out" | grep -oE '[0-9]+' | tail -1 || true)
  if [ -z "$passed" ] || [ -z "$failed" ]; then
    echo "build.sh: the interop tests produced no results" >&2
    FAILED=$((FAILED + 1))
    return
  fi
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed + ${cancelled:-0}))
  if [ "$rc" != 0 ] && [ "$failed" = 0 ] && [ "${cancelled:-0}" = 0 ]; then
    echo "build.sh: the interop runner failed (exit $rc) without a failing test" >&2
    FAILED=$((FAILED + 1))
  fi
}

test_all() {
  ensure_dotnet
  mkdir -p "$RESULTS"
  gate "restore" dotnet restore LlmProxy.sln -nologo -v q || { finish; return; }
  gate "format check (dotnet format --verify-no-changes)" dotnet format LlmProxy.sln --verify-no-changes --no-restore -v q || true
  if gate "build (warnings are errors)" dotnet build LlmProxy.sln -c Release --no-restore -nologo -v q; then
    ensure_apt_package redis-server redis-server
    run_tests "unit+testhost" tests/LlmProxy.Tests/LlmProxy.Tests.csproj
  fi
  if gate "AOT publish (zero IL/AOT warnings)" publish; then
    ensure_apt_package promtool prometheus
    LLMPROXY_BINARY="$ARTIFACTS/llm-proxy" run_tests "e2e" tests/LlmProxy.E2E/LlmProxy.E2E.csproj
    run_interop
  else
    # The E2E layer never skips: without a binary it counts as failed.
    FAILED=$((FAILED + 1))
  fi
  if [ "$(id -u)" = 0 ]; then
    if gate "image smoke: the binary in a distroless base-debian13 root file system (docker/rootfs-smoke.sh)" image_smoke; then PASSED=$((PASSED + 1)); fi
  else
    log "image smoke not run: docker/rootfs-smoke.sh needs root (CI runs as root)"
  fi
  if gate "build.ps1 publish (PowerShell)" ps1_publish; then PASSED=$((PASSED + 1)); fi
  finish
}

# No Docker engine here: run the published binary in a root file system built from the image base's own packages,
# as the image's user, env and port (docker/rootfs-smoke.sh says what it checks). One pass or one failure.
image_smoke() {
  [ -x "$ARTIFACTS/llm-proxy" ] || { echo "build.sh: no published binary" >&2; return 1; }
  ensure_apt_package openssl openssl && ensure_apt_package ip iproute2 && ensure_apt_package unshare util-linux || return 1
  docker/rootfs-smoke.sh "$ARTIFACTS/llm-proxy"
}

# build.ps1 must not rot: publish once through PowerShell 7.6.9 (a local .NET tool, .config/dotnet-tools.json) into
# a directory of its own, so it can never replace the binary the E2E step tests. One pass or one failure.
ps1_publish() {
  local out="$ARTIFACTS/build.ps1"
  dotnet tool restore >/dev/null || return 1
  LLMPROXY_ARTIFACTS="$out" dotnet pwsh -NoProfile -File ./build.ps1 publish || return 1
  [ -x "$out/llm-proxy" ] && [ "$("$out/llm-proxy" --version)" = "$("$ARTIFACTS/llm-proxy" --version)" ]
}

finish() {
  echo
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

# --- bench -------------------------------------------------------------------------------------------------
# The fake upstream is published Native AOT like the proxy, so that it is not the bottleneck of what it serves.
publish_fake_upstream() {
  local out="$ARTIFACTS/bench/fake-upstream-publish" bin="$ARTIFACTS/bench/fake-upstream"
  if [ -x "$bin" ] && [ -z "$(find bench/FakeUpstream Directory.Build.props -newer "$bin" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]; then
    return
  fi
  log "AOT publish of the fake upstream"
  mkdir -p "$ARTIFACTS/bench"
  dotnet publish bench/FakeUpstream/FakeUpstream.csproj -c Release -r "$(rid)" -o "$out" -nologo >"$ARTIFACTS/bench/fake-publish.log" 2>&1 \
    || { cat "$ARTIFACTS/bench/fake-publish.log" >&2; return 1; }
  install -m 0755 "$out/fake-upstream" "$bin"
  rm -rf "$out"
}

bench() {
  ensure_dotnet
  ensure_aot_prereqs
  ensure_apt_package wrk wrk
  ensure_apt_package nginx nginx
  ensure_apt_package python3 python3
  ensure_apt_package taskset util-linux
  # perf is optional: without it the profile section says so and the rest runs.
  if ! command -v perf >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null 2>&1 || log "linux-perf not installable: no profile"
  fi
  if needs_publish; then publish; fi
  publish_fake_upstream
  LLMPROXY_ARTIFACTS="$ARTIFACTS" python3 bench/run.py "$@"
}

# --- verbs -------------------------------------------------------------------------------------------------
verb="${1:-}"
[ $# -gt 0 ] && shift
case "$verb" in
  test) test_all ;;
  publish) publish ;;
  image-smoke)
    if needs_publish; then publish; fi
    image_smoke
    ;;
  run)
    if needs_publish; then publish; fi
    exec "$ARTIFACTS/llm-proxy" "$@"
    ;;
  bench) bench "$@" ;;
  dev)
    ensure_dotnet
    envfile=()
    [ -f .env ] && envfile=(--env-file "$ROOT/.env")
    exec dotnet watch --project src/LlmProxy/LlmProxy.csproj run -- "${envfile[@]}" "$@"
    ;;
  *)
    echo "usage: ./build.sh {test|publish|run|dev|bench|image-smoke} [args]" >&2
    exit 64
    ;;
esac
