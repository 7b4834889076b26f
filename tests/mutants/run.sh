#!/usr/bin/env bash
# Mutants: shows that the tests named in each patch of tests/mutants/ can fail (docs/contributing.md, Testing).
#   ./build.sh mutants [NAME...]        (NAME = a patch's file name without .patch; default: every patch)
# For each tests/mutants/*.patch (a deliberately broken proxy; its header says what it breaks and which tests must
# catch it, in "# Guarded by: Class.Method" lines): copy the working tree to a temporary directory, apply the patch,
# publish the Native AOT binary there, run only the guarding E2E tests against it (LLMPROXY_BINARY) and require an
# assertion failure. Then the same tests against the real binary (artifacts/llm-proxy, published when stale) must
# pass. One line per mutant: "killed by <test>" or "SURVIVED" (or "BROKEN" when the mutant did not build or its
# tests failed without an assertion, e.g. the binary did not start: that proves nothing about the tests). Exits
# non-zero when a mutant is not killed or the real build fails the tests.
# Not part of ./build.sh test: it costs one AOT publish per mutant. LLMPROXY_MUTANTS_KEEP=1 keeps the temp directory.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
ensure_dotnet

mutants_dir="$ROOT/tests/mutants"
names=("$@")
if [ ${#names[@]} = 0 ]; then
  for patch in "$mutants_dir"/*.patch; do names+=("$(basename "$patch" .patch)"); done
fi
for name in "${names[@]}"; do
  [ -f "$mutants_dir/$name.patch" ] || die "no mutant tests/mutants/$name.patch"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/llm-proxy-mutants.XXXXXX")"
if [ -z "${LLMPROXY_MUTANTS_KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else log "keeping $work"; fi
started=$SECONDS

# The guarding tests of a mutant: its "# Guarded by:" lines, as one dotnet test filter.
guards() { sed -n 's/^# Guarded by: *\([A-Za-z0-9_.]*\).*/\1/p' "$mutants_dir/$1.patch"; }
filter_of() { # test names... -> "FullyQualifiedName~A|FullyQualifiedName~B"
  local out="" t
  for t in "$@"; do out+="${out:+|}FullyQualifiedName~LlmProxy.E2E.$t"; done
  echo "$out"
}

# One snapshot of the working tree (tracked and new files, as they are now), so edits made during the run change
# nothing. The E2E tests are built once there and run from there against each binary.
log "snapshot of the working tree"
mkdir -p "$work/base"
# (--ignore-failed-read: a tracked file deleted in the working tree is simply not copied.)
git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null \
  | tar -xf - -C "$work/base"
log "build of the E2E tests"
dotnet build "$work/base/tests/LlmProxy.E2E/LlmProxy.E2E.csproj" -c Release -nologo -v q >"$work/e2e-build.log" 2>&1 \
  || { cat "$work/e2e-build.log" >&2; die "the E2E tests did not build"; }

# run_tests BINARY RESULTS_DIR FILTER: the E2E tests matching FILTER against BINARY. Prints one line per failed test
# ("<test>\t<first line of its message>") and "ran N" on stderr; the exit code of dotnet test is ignored (the TRX
# tells what happened).
run_tests() {
  local binary="$1" results="$2" filter="$3"
  LLMPROXY_BINARY="$binary" dotnet test "$work/base/tests/LlmProxy.E2E/LlmProxy.E2E.csproj" -c Release --no-build -nologo \
    --filter "$filter" --logger trx --results-directory "$results" >"$results.log" 2>&1 || true
  python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
ran = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        ran += 1
        if result.get("outcome") != "Passed":
            message = result.findtext(".//t:Message", default="(no message)", namespaces=ns).strip()
            print(result.get("testName") + "\t" + " | ".join(message.splitlines()[:3]))
print("ran %d" % ran, file=sys.stderr)
PY
}

# The failures that are assertions: xunit writes any other exception's message as "Its.Type : message" (a proxy that
# did not start, a fixture that threw), an assertion's without the type.
assertion_failures() { [ -z "$1" ] || echo "$1" | grep -Pv '\t[A-Za-z0-9_.+`]+ : ' || true; }

print_failed() { local line; while IFS= read -r line; do echo "    failed: $line"; done <<<"$1"; }

summary=()
failures=0
# First the real binary (artifacts/llm-proxy, published when stale): the guarding tests must pass there, or a mutant
# "killed" by them proves nothing (a test that fails everywhere kills every mutant). Copied, so a publish later in
# the run cannot change it.
mapfile -t all < <(for name in "${names[@]}"; do guards "$name"; done | sort -u)
log "the real build: AOT publish when stale, run ${all[*]}"
t0=$SECONDS
"$SCRIPTS/publish-aot.sh" --if-stale src/LlmProxy/LlmProxy.csproj llm-proxy "$ARTIFACTS"
mkdir -p "$work/real" && cp "$ARTIFACTS/llm-proxy" "$work/real/llm-proxy"
failed="$(run_tests "$work/real/llm-proxy" "$work/real.results" "$(filter_of "${all[@]}")" 2>"$work/real.ran")"
ran="$(cat "$work/real.ran")"
if [ -z "$failed" ] && [ "$ran" != "ran 0" ]; then
  summary+=("real build: passed (${ran#ran } test cases, $((SECONDS - t0)) s)")
else
  print_failed "$failed"
  summary+=("real build: FAILED (${ran#ran } test cases)")
  failures=$((failures + 1))
fi

for name in "${names[@]}"; do
  t0=$SECONDS
  mapfile -t tests < <(guards "$name")
  [ ${#tests[@]} -gt 0 ] || die "tests/mutants/$name.patch names no test (# Guarded by: Class.Method)"
  log "mutant $name: apply, AOT publish, run ${tests[*]}"
  dir="$work/$name"
  cp -a "$work/base" "$dir"
  if ! (cd "$dir" && git apply "$mutants_dir/$name.patch") 2>"$work/$name.apply.log"; then
    cat "$work/$name.apply.log" >&2
    summary+=("$name: BROKEN (the patch no longer applies; refresh it against the current source)")
    failures=$((failures + 1)); continue
  fi
  if ! LLMPROXY_ARTIFACTS="$dir/artifacts" "$dir/scripts/publish-aot.sh" src/LlmProxy/LlmProxy.csproj llm-proxy "$dir/artifacts" 2>"$work/$name.publish.log"; then
    tail -n 30 "$work/$name.publish.log" >&2
    summary+=("$name: BROKEN (the mutant does not publish)")
    failures=$((failures + 1)); continue
  fi
  failed="$(run_tests "$dir/artifacts/llm-proxy" "$work/$name.results" "$(filter_of "${tests[@]}")" 2>"$work/$name.ran")"
  ran="$(cat "$work/$name.ran")"
  if [ -n "$failed" ]; then
    print_failed "$failed"
  fi
  if [ "$ran" = "ran 0" ]; then
    tail -n 20 "$work/$name.results.log" >&2
    summary+=("$name: BROKEN (no test ran: check the Guarded by lines)")
    failures=$((failures + 1))
  elif [ -n "$(assertion_failures "$failed")" ]; then
    # Killed by the tests that failed on an assertion (a theory's cases share one method name).
    killers="$(assertion_failures "$failed" | cut -f1 | sed 's/(.*//' | sort -u | paste -sd, -)"
    summary+=("$name: killed by $killers ($((SECONDS - t0)) s)")
  elif [ -n "$failed" ]; then
    summary+=("$name: BROKEN (tests failed without an assertion; see above)")
    failures=$((failures + 1))
  else
    summary+=("$name: SURVIVED (${ran#ran } test cases passed against the broken build)")
    failures=$((failures + 1))
  fi
done

echo
printf '%s\n' "${summary[@]}"
echo "mutants: ${#names[@]}, not killed or failing: $failures, $((SECONDS - started)) s"
[ "$failures" = 0 ]
