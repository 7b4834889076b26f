#!/usr/bin/env bash
# Prints "PASSED FAILED" summed over the .trx files (VSTest results) in a directory; exits 1 when there are none.
# Tests that never ran (a crashed test host, an aborted run) count as failed, not as nothing: failed = total - passed.
#   scripts/trx-count.sh artifacts/test-results/e2e   ->   "212 0"
set -euo pipefail
dir="${1:?usage: scripts/trx-count.sh DIR}"
passed=0 failed=0 found=0
counter() { # file attribute: the attribute of the <Counters> element of the run summary
  grep -o '<Counters [^>]*' "$1" | grep -oE "(^| )$2=\"[0-9]+\"" | grep -oE '[0-9]+' || echo 0
}
for file in "$dir"/*.trx; do
  [ -f "$file" ] || continue
  found=1
  p="$(counter "$file" passed)" t="$(counter "$file" total)"
  passed=$((passed + p))
  failed=$((failed + t - p))
done
[ "$found" = 1 ] || exit 1
echo "$passed $failed"
