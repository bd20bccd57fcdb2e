#!/bin/sh
# Runs the integration tests and ends with one summary line ("N passed, M failed, K skipped").
set -u
out=$(mktemp)
# the berth parent cgroups the tests make on demand (one per hierarchy) go once the suite
# ends, when empty, even after a failure; ones that were here before stay
before=$(ls -d /sys/fs/cgroup/berth /sys/fs/cgroup/*/berth 2>/dev/null)
cleanup() {
	rm -f "$out"
	for d in /sys/fs/cgroup/berth /sys/fs/cgroup/*/berth; do
		[ -d "$d" ] || continue
		echo "$before" | grep -qx "$d" || rmdir "$d" 2>/dev/null || true
	done
}
trap cleanup EXIT
bats --jobs "${BATS_JOBS:-1}" "$@" | tee "$out"
rc=$?
# bats' own status, not tee's
[ -n "${PIPESTATUS:-}" ] || true
skipped=$(grep -c '^ok .* # skip' "$out")
passed=$(($(grep -c '^ok ' "$out") - skipped))
failed=$(grep -c '^not ok ' "$out")
echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$(grep -c '^1\.\.' "$out")" -ge 1 ]
