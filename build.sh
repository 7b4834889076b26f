#!/usr/bin/env bash
# llm-proxy build script. Verbs:
#   test     format check, build (warnings are errors), unit + TestHost tests, AOT publish (fails on any IL/AOT
#            warning), E2E and npm interop tests against the published binary. Last line: "N passed, M failed".
#   publish  Native AOT publish to artifacts/llm-proxy (one self-contained executable; symbols in artifacts/symbols).
#   run      publish if needed, then start the proxy (stub provider on 127.0.0.1:8000 unless configured otherwise).
#   dev      run from source under `dotnet watch` (hot reload), reading ./.env when present.
#   bench    benchmarks (bench/run.py): llm-proxy beside nginx proxy_pass and a bare forwarder, streaming, leak check,
#            footprint, micro-benchmarks; rewrites docs/BENCHMARKS.md. `./build.sh bench --help` lists its options.
#   image-smoke  run the binary in a distroless base-debian13 root file system (no Docker engine needed; root).
#   mutants  [NAME...] show that tests can fail: each tests/mutants/*.patch is a deliberately broken proxy, published (AOT)
#            in a temp copy; the E2E tests its header names must fail against it and pass against artifacts/llm-proxy.
#            One line per mutant: "killed by <test>" or "SURVIVED". Slow (one AOT publish per mutant): not part of `test`.
#   openapi  regenerate src/LlmProxy/Operations/Docs/openapi.json from the routes (after a route or its metadata
#            changed; the unit tests fail while the committed document is stale). Review the diff and commit it.
# The steps live in scripts/ (one concern per script; scripts/lib.sh has the shared helpers). build.ps1 offers the
# same verbs for PowerShell 7 (Windows); `test` here also runs `build.ps1 publish` once.
# Extra arguments after `run`/`dev` go to llm-proxy (e.g. ./build.sh run --port 9000).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/scripts/lib.sh"
cd "$ROOT"

publish() { "$SCRIPTS/publish-aot.sh" "$@" src/LlmProxy/LlmProxy.csproj llm-proxy "$ARTIFACTS"; }

verb="${1:-}"
[ $# -gt 0 ] && shift
case "$verb" in
  test) exec "$SCRIPTS/test.sh" ;;
  publish) publish ;;
  image-smoke) publish --if-stale && exec "$SCRIPTS/image-smoke.sh" ;;
  run) publish --if-stale && exec "$ARTIFACTS/llm-proxy" "$@" ;;
  bench) exec "$SCRIPTS/bench.sh" "$@" ;;
  mutants) exec "$ROOT/tests/mutants/run.sh" "$@" ;;
  openapi)
    ensure_dotnet
    LLMPROXY_UPDATE_OPENAPI=1 exec dotnet test tests/LlmProxy.Tests/LlmProxy.Tests.csproj -c Release -nologo \
      --filter "FullyQualifiedName~OpenApiDocumentTests"
    ;;
  dev)
    ensure_dotnet
    envfile=()
    [ -f .env ] && envfile=(--env-file "$ROOT/.env")
    exec dotnet watch --project src/LlmProxy/LlmProxy.csproj run -- "${envfile[@]}" "$@"
    ;;
  *)
    echo "usage: ./build.sh {test|publish|run|dev|bench|mutants|image-smoke|openapi} [args]" >&2
    exit 64
    ;;
esac
