#!/usr/bin/env bash
# Prints "PASSED FAILED" from the summary node's test runner writes at the end of TAP output
# (`node --test --test-reporter=tap`: "# pass N", "# fail N", "# cancelled N"); cancelled tests count as failed.
# Exits 1 when the summary is missing (a runner that crashed before reporting has not passed anything).
#   scripts/tap-count.sh artifacts/test-results/openai-interop.tap   ->   "14 0"
set -euo pipefail
file="${1:?usage: scripts/tap-count.sh FILE.tap}"
summary() { grep -E "^# $1 [0-9]+\$" "$file" | grep -oE '[0-9]+' | tail -1 || true; }
passed="$(summary pass)" failed="$(summary fail)" cancelled="$(summary cancelled)"
[ -n "$passed" ] && [ -n "$failed" ] || exit 1
echo "$passed $((failed + ${cancelled:-0}))"
