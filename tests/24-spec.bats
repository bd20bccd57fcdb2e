#!/usr/bin/env bats
# Where the runtime spec is looser than berth used to be, berth follows the spec: a namespace
# type not listed is the runtime's own (mount included), and kernel memory limits, which
# Linux no longer enforces, are ignored with a warning (as runc does); v1's kernel TCP
# buffer limit, which Linux still enforces, is applied where the host has it (as crun does).

load helpers
bats_require_minimum_version 1.5.0

# same_ns PID TYPE: the process is in the runtime's (our) namespace of TYPE
same_ns() {
	[ "$(readlink "/proc/$1/ns/$2")" = "$(readlink "/proc/self/ns/$2")" ]
}

# no_host_mounts: nothing of this test's rootfs, bundle or state is mounted on the host
no_host_mounts() {
	local left
	left=$(grep -F -e "$ROOTFS" -e "$TESTDIR" /proc/self/mountinfo || true)
	[ -z "$left" ] || { echo "mounted on the host: $left" >&2; return 1; }
}

# create: `rt create` for `run`: the container's stdio go to a file (`run rt create` would
# wait for a created container to close its output), the runtime's stderr to stdout
create() {
	rt create --bundle "$BUNDLE" "$ID" < /dev/null > "$TESTDIR/ctr.out" 2>&1 3>&-
	local rc=$?
	cat "$TESTDIR/ctr.out"
	return $rc
}

# gone: the container left no state and no mount
gone() {
	run rt state "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	no_host_mounts
}

@test "spec: with no namespace listed, each is the runtime's own, mount included" {
	config '.linux.namespaces = [] | del(.hostname) | .root.readonly = false'
	args sleep 100
	run create
	[ "$status" -eq 0 ]
	# the spec's mounts are not made, and it says so: they would be the host's
	[[ "$output" == *"no mount namespace: mounts"*"are ignored"* ]]
	pid=$(rt state "$ID" | jq -r .pid)
	for ns in mnt pid net ipc uts cgroup; do
		same_ns "$pid" "$ns" || { echo "not the runtime's $ns namespace" >&2; return 1; }
	done
	# its root is root.path all the same (a chroot), and the host's mount table is as it was
	[ "$(readlink "/proc/$pid/root")" = "$(realpath "$ROOTFS")" ]
	no_host_mounts
	rt delete --force "$ID"
	gone
}

@test "spec: without a mount namespace the others are still the container's own" {
	config '.linux.namespaces |= map(select(.type != "mount")) | .root.readonly = false'
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq -r .pid)
	same_ns "$pid" mnt
	for ns in pid net ipc uts; do
		run ! same_ns "$pid" "$ns"
	done
	no_host_mounts
	rt delete --force "$ID"
	gone
}

@test "spec: without a mount namespace the process runs in root.path, and its bind mounts are not made" {
	mkdir -p "$TESTDIR/src"
	echo host-file > "$TESTDIR/src/f"
	config '.linux.namespaces |= map(select(.type != "mount")) | .root.readonly = false'
	config ".mounts += [{\"destination\": \"/tmp\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\"]}]"
	# pid 1 of its own pid namespace; / is the busybox rootfs, /tmp the rootfs's empty one
	args sh -c 'echo $$; cat /etc/passwd | wc -l; ls /tmp | wc -l'
	run_ctr
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"no mount namespace"* ]]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = 2 ]
	[ "${lines[3]}" = 0 ]
	no_host_mounts
}

@test "spec: exec into a container without a mount namespace enters its root, not the host's" {
	config '.linux.namespaces = [{"type": "pid"}] | del(.hostname) | .root.readonly = false'
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt exec "$ID" ls /
	[ "$status" -eq 0 ]
	[ "$output" = "$(ls "$ROOTFS")" ]
	run rt exec "$ID" cat /etc/passwd
	[ "$output" = "$(cat "$ROOTFS/etc/passwd")" ]
	no_host_mounts
}

@test "spec: without a mount namespace, what only a mount gives is refused, not dropped" {
	config '.linux.namespaces = [{"type": "pid"}] | del(.hostname)'
	# the read-only root (the default here)
	run create
	[ "$status" -ne 0 ]
	[[ "$output" == *"root.readonly: needs a mount namespace"* ]]
	gone
	# a masked or read-only path that exists in the rootfs (absent ones are fine: above)
	config '.root.readonly = false | .linux.maskedPaths += ["/etc/passwd"]'
	run create
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.maskedPaths: "/etc/passwd" exists and needs a mount namespace'* ]]
	gone
	config '.linux.maskedPaths = [] | .linux.readonlyPaths = ["/proc/sys", "/bin"]'
	run create
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.readonlyPaths: "/bin" exists'* ]]
	gone
}

@test "spec: the kernel memory limit is ignored with a warning; the others apply" {
	config '.linux.resources.memory = {"limit": 67108864, "kernel": 33554432, "kernelTCP": 16777216}'
	args sleep 100
	run create
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: linux.resources.memory.kernel: ignored (kernel memory limits are deprecated"* ]]
	local dir
	dir=$(cgroup_dir memory)
	if [ -f "$dir/memory.max" ]; then
		[ "$(cat "$dir/memory.max")" = 67108864 ]
	else
		[ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ]
	fi
	# kernelTCP: set where cgroup v1 has it, else ignored with a warning
	if [ -f "$dir/memory.kmem.tcp.limit_in_bytes" ]; then
		[ "$(cat "$dir/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
		[[ "$output" != *kernelTCP* ]]
	else
		[[ "$output" == *"warning: linux.resources.memory.kernelTCP: ignored"* ]]
	fi
	rt delete --force "$ID"
}

@test "spec: kernel memory limits alone, and in update, are not refused" {
	config '.linux.resources = {"memory": {"kernel": 33554432, "kernelTCP": 16777216}}'
	args sleep 100
	run create
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux.resources.memory.kernel: ignored"* ]]
	[ "$(rt state "$ID" | jq -r .status)" = created ]
	echo '{"memory": {"limit": 67108864, "kernel": 50331648}}' > "$TESTDIR/res.json"
	run rt update --resources "$TESTDIR/res.json" "$ID" < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux.resources.memory.kernel: ignored"* ]]
	rt delete --force "$ID"
}
