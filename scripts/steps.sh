# shellcheck shell=bash
# The tally of `./build.sh test` (sourced by scripts/test.sh after lib.sh): every step adds to PASSED and FAILED,
# and finish prints "N passed, M failed" and fails when M > 0. A step that cannot produce results counts as a
# failure, never as nothing.
PASSED=0
FAILED=0
RESULTS="$ARTIFACTS/test-results"

fail() { warn "$*"; FAILED=$((FAILED + 1)); }

add_counts() { # "PASSED FAILED" as printed by trx-count.sh / tap-count.sh
  local p f
  read -r p f <<<"$1"
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
}

gate() { # name command...: a build step that counts as one failure when it fails
  local name="$1"; shift
  log "$name"
  if "$@"; then return 0; fi
  fail "FAILED: $name"
  return 1
}

check() { # name command...: a gate that also counts one pass when it holds (image smoke, build.ps1 publish)
  if gate "$@"; then PASSED=$((PASSED + 1)); fi
}

dotnet_tests() { # name project.csproj: a built .NET test project, counted from its TRX
  local name="$1" project="$2" dir="$RESULTS/$1" rc=0 counts
  rm -rf "$dir"
  log "$name tests"
  dotnet test "$project" -c Release --no-build --logger "trx" --logger "console;verbosity=minimal" --results-directory "$dir" || rc=$?
  counts="$("$SCRIPTS/trx-count.sh" "$dir")" || { fail "$name tests produced no results"; return; }
  add_counts "$counts"
  [ "$rc" = 0 ] || warn "$name tests failed"
}

# npm_suite NAME DIR TEST_FILE...: a node:test suite (e.g. an official SDK against the published binary, which it
# finds in LLMPROXY_BINARY). npm ci once per DIR per run, then `node --test` with the TAP reporter; the TAP summary
# joins the tally. Extra environment goes in front: `REDIS_URL=... npm_suite "redis" tests/redis redis.test.mjs`.
declare -A NPM_READY=()
npm_suite() {
  local name="$1" dir="$ROOT/$2"; shift 2
  local out="$RESULTS/${name// /-}.tap" rc=0 counts failed
  log "$name tests"
  if ! { ensure_apt_package node nodejs && ensure_apt_package npm npm; }; then fail "$name: node and npm are required"; return; fi
  if [ -z "${NPM_READY[$dir]:-}" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { fail "npm ci failed in ${dir#"$ROOT"/}"; return; }
    NPM_READY[$dir]=1
  fi
  mkdir -p "$RESULTS"
  (cd "$dir" && LLMPROXY_BINARY="${LLMPROXY_BINARY:-$ARTIFACTS/llm-proxy}" node --test --test-reporter=tap "$@") >"$out" 2>&1 || rc=$?
  cat "$out"
  counts="$("$SCRIPTS/tap-count.sh" "$out")" || { fail "$name tests produced no results"; return; }
  add_counts "$counts"
  read -r _ failed <<<"$counts"
  # A runner that fails without a failing test (a crash after the summary, a bad file name) is one failure more.
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then fail "$name: the runner failed (exit $rc) without a failing test"; fi
}

finish() {
  echo
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}
