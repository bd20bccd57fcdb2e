#!/usr/bin/env bats
# podman drives berth-runtime as its OCI runtime (through conmon): run, run -d, exec, logs,
# stop, rm. podman uses the cgroupfs manager (berth refuses --systemd-cgroup), its own
# temporary roots and the vfs driver, and puts containers under /berth/podman-rt-<pid>.

load helpers

setup_file() {
	# one parent for the whole file (each test runs in a process of its own)
	export CGPARENT="/berth/podman-rt-$$"
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	export SKIP_REASON=""
	if ! command -v podman > /dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman > /dev/null 2>&1 ||
			{ apt-get update -qq > /dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman > /dev/null 2>&1; } ||
			SKIP_REASON="podman cannot be installed"
	fi
	if [ -z "$SKIP_REASON" ]; then
		tar -C "$ROOTFS" -cf "$BATS_FILE_TMPDIR/bb.tar" .
		pm import "$BATS_FILE_TMPDIR/bb.tar" localhost/bb > /dev/null 2>&1 ||
			SKIP_REASON="podman import does not work here"
	fi
}

teardown_file() {
	pm ps -aq 2>/dev/null | while read -r c; do pm rm -f "$c" > /dev/null 2>&1 || true; done
	local d
	for d in /sys/fs/cgroup/*"$CGPARENT" /sys/fs/cgroup/*"$CGPARENT"/*; do
		[ -d "$d" ] || continue
		rmdir "$d"/* 2> /dev/null || true
		rmdir "$d" 2> /dev/null || true
	done
}

setup() {
	[ -z "$SKIP_REASON" ] || skip "$SKIP_REASON"
}

teardown() {
	:
}

# pm ARGS...: podman with berth-runtime, and the state of this file
pm() {
	podman --root "$BATS_FILE_TMPDIR/p/root" --runroot "$BATS_FILE_TMPDIR/p/run" \
		--tmpdir "$BATS_FILE_TMPDIR/p/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend none --runtime "$RUNTIME" "$@"
}

OPTS=(--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

@test "podman run --rm with berth-runtime: output, exit code, our cgroup" {
	run pm run --rm "${OPTS[@]}" --cgroup-parent "$CGPARENT" localhost/bb \
		sh -c 'echo hello; grep -c "'"$CGPARENT"'/libpod-" /proc/self/cgroup; exit 3'
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" -ge 1 ]
}

@test "podman run -d, exec, logs, stop, rm with berth-runtime" {
	cid=$(pm run -d "${OPTS[@]}" --cgroup-parent "$CGPARENT" localhost/bb \
		sh -c 'trap "exit 7" TERM; echo started; while true; do sleep 0.1; done')
	for i in $(seq 50); do [ "$(pm logs "$cid" 2>/dev/null)" = started ] && break; sleep 0.1; done
	[ "$(pm logs "$cid")" = started ]
	run pm exec "$cid" sh -c 'echo exec-ok; cat /proc/1/comm'
	[ "${lines[0]}" = exec-ok ]
	[ "${lines[1]}" = sh ]
	pm stop -t 5 "$cid"
	[ "$(pm inspect --format '{{.State.ExitCode}}' "$cid")" = 7 ]
	pm rm "$cid"
	[ -z "$(pm ps -aq)" ]
}
