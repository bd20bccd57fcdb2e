#!/bin/sh
# Runs the integration tests and ends with one summary line ("N passed, M failed, K skipped").
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bats --jobs "${BATS_JOBS:-1}" "$@" | tee "$out"
rc=$?
# bats' own status, not tee's
[ -n "${PIPESTATUS:-}" ] || true
skipped=$(grep -c '^ok .* # skip' "$out")
passed=$(($(grep -c '^ok ' "$out") - skipped))
failed=$(grep -c '^not ok ' "$out")
echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$(grep -c '^1\.\.' "$out")" -ge 1 ]
