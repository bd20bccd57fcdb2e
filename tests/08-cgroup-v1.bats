#!/usr/bin/env bats
# cgroup v1 for real: tests/vm/cgroup-v1.sh runs once in a qemu VM with a pure cgroup v1
# layout (tests/vm/run-vm.sh --cgroup v1: one hierarchy per controller, name=systemd, no
# cgroup2 anywhere), and each @test here checks one area of its TAP output.
# Skipped, with the harness's reason, when the VM cannot run on this machine at all.
#
# Not `load helpers`: its setup/teardown make bundles on the host, and nothing here does.

BERTH_BUILD=${BERTH_BUILD:-$(cd "$BATS_TEST_DIRNAME/../build" && pwd)}

setup_file() {
	local out=$BATS_FILE_TMPDIR/vm.out err=$BATS_FILE_TMPDIR/vm.err rc
	"$BATS_TEST_DIRNAME/vm/run-vm.sh" --cgroup v1 "$BERTH_BUILD/berth" \
		"$BATS_TEST_DIRNAME/vm/cgroup-v1.sh" "$BATS_TEST_DIRNAME/vm/lib.sh" >"$out" 2>"$err" \
		</dev/null && rc=0 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/vm.rc"
	# The script exits 0 or 1; 2 is the harness: no qemu, no kernel, no boot, or a timeout.
	# Only when the script printed nothing at all did the VM not run: a VM that started the
	# test and then stopped (a hang, a panic) is a failure, not a skip.
	if [ "$rc" = 2 ] && ! grep -qE '^(not )?ok [0-9]' "$out"; then
		{
			grep -E '^run-vm: (error|FAILED)' "$err" | head -3
			[ -s "$err" ] || echo "run-vm.sh exited 2 and printed nothing"
		} >"$BATS_FILE_TMPDIR/vm.skip"
		[ -s "$BATS_FILE_TMPDIR/vm.skip" ] || tail -n 3 "$err" >"$BATS_FILE_TMPDIR/vm.skip"
	fi
}

# vm_ran: skip when the VM could not run; otherwise show the whole output if the test fails
vm_ran() {
	if [ -f "$BATS_FILE_TMPDIR/vm.skip" ]; then
		skip "VM cannot run here: $(tr '\n' ' ' <"$BATS_FILE_TMPDIR/vm.skip")"
	fi
	OUT=$(cat "$BATS_FILE_TMPDIR/vm.out")
}

# not_ok_lines REGEX: the TAP lines matching REGEX with their diagnostics ("#   ..." after)
not_ok_lines() {
	awk -v re="$1" '$0 ~ re { p = 1; print; next } p && /^#   / { print; next } { p = 0 }' \
		<<<"$OUT"
}

# area REGEX: the TAP lines whose description starts with REGEX all passed, and there is
# at least one. A SKIPped area skips.
area() {
	vm_ran
	local lines bad
	lines=$(grep -E "^(not )?ok [0-9]+ (- |# SKIP )$1" <<<"$OUT" || true)
	if [ -z "$lines" ]; then
		echo "no TAP line for '$1' in the VM's output:"
		cat "$BATS_FILE_TMPDIR/vm.out" "$BATS_FILE_TMPDIR/vm.err"
		return 1
	fi
	bad=$(not_ok_lines "^not ok [0-9]+ - $1")
	if [ -n "$bad" ]; then
		echo "$bad"
		return 1
	fi
	if ! grep -qE "^ok [0-9]+ - $1" <<<"$lines"; then
		skip "$(sed -n 's/^ok [0-9]* # SKIP //p' <<<"$lines" | head -1)"
	fi
}

@test "VM: boots and is a pure cgroup v1 host (no cgroup2 mounted)" {
	vm_ran
	grep -E '^ok [0-9]+ - host: pure cgroup v1' <<<"$OUT"
}

@test "memory: limit, reservation, swap -> limit_in_bytes, soft_limit_in_bytes, memsw; update order" {
	area 'mem: (create|memory|update)'
}

@test "cpu: shares, quota/period -> cpu.shares, cfs_quota_us/cfs_period_us; cpus/mems -> cpuset" {
	area 'cpu: (create|cpu)'
}

@test "blockIO.weight -> blkio.weight / blkio.bfq.weight" {
	area 'blkio:'
}

@test "pids: pids.max, and forks beyond it fail" {
	area 'pids:'
}

@test "hugepageLimits -> hugetlb.2MB.limit_in_bytes" {
	area 'hugetlb:'
}

@test "network: classID -> net_cls.classid, priorities -> net_prio.ifpriomap" {
	area 'net:'
}

@test "devices (v1 devices cgroup): deny by default but the defaults, /dev/kmsg only when allowed" {
	area 'dev(-allow|-deny|-spec|-list)?:'
}

@test "the container sees its own cgroups: / paths, one /sys/fs/cgroup directory per hierarchy" {
	area 'self:'
}

@test "pause/resume: state and freezer.state agree, a paused container does not run" {
	area 'pause: (create|pause|paused|resume)'
}

@test "update --resources changes memory.limit_in_bytes, pids.max and cpu.shares" {
	area 'pause: (update|still running)'
}

@test "kill --all KILL kills init and its background children" {
	area 'killall: (container|kill)'
}

@test "OOM: run exits 137, events --stats shows data.oom_kill > 0" {
	area 'oom(-run)?: (run|events)'
}

@test "delete removes the container's cgroup in every hierarchy" {
	area '[a-z-]+: delete removes'
	area 'no cgroup left'
}

@test "the kernel memory limit is ignored with a warning, kernelTCP and the rest apply" {
	area 'kmem:'
}

@test "resources the host lacks (64KB huge pages, unified, ...) are refused, nothing left" {
	area '(huge64k|unified|blkio-weight):'
}

@test "VM: every check passed (exit 0, summary line)" {
	vm_ran
	local rc
	rc=$(cat "$BATS_FILE_TMPDIR/vm.rc")
	grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$OUT" || {
		echo "no summary line: the script did not finish (run-vm.sh exit $rc)"
		cat "$BATS_FILE_TMPDIR/vm.out" "$BATS_FILE_TMPDIR/vm.err"
		return 1
	}
	if [ "$rc" != 0 ]; then
		echo "run-vm.sh exit $rc; failed checks:"
		not_ok_lines '^not ok'
		return 1
	fi
}
