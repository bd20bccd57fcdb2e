#!/usr/bin/env bats
# bad input and faults: each fails with one clear line, a non-zero exit, and leaves nothing
# behind (no state, no cgroup, no process, no mount)

load helpers
bats_require_minimum_version 1.5.0

# helpers.bash's teardown, kept under another name: ours adds the host paths a broken
# runtime could have made outside the rootfs
eval "helpers_teardown() $(declare -f teardown | tail -n +2)"

teardown() {
	local p
	for p in "/tmp/escape-$ID" "/tmp/host-target-$ID"; do
		while mountpoint -q "$p" 2>/dev/null; do umount -l "$p" || break; done
		rm -rf "$p"
	done
	# a mount a failed test may have left in our namespace, deepest first
	for p in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$p" 2>/dev/null || true
	done
	helpers_teardown
}

# leftovers ID: prints what container ID left behind, one thing a line; nothing when clean
leftovers() {
	local id=$1 d p cmd
	[ -e "$ROOT/$id" ] && echo "state dir $ROOT/$id"
	for d in /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"; do
		[ -e "$d" ] && echo "cgroup $d"
	done
	local ourns
	ourns=$(readlink /proc/self/ns/mnt)
	for p in /proc/[0-9]*; do
		# a container's process: in another mount namespace whose mounts come from our dirs
		if [ "$(readlink "$p/ns/mnt" 2>/dev/null)" != "$ourns" ] &&
			grep -qF -e "$ROOTFS" -e "$TESTDIR" "$p/mountinfo" 2>/dev/null; then
			echo "process ${p#/proc/} ($(cat "$p/comm" 2>/dev/null)) in the container's mounts"
		fi
		mapfile -d '' cmd < "$p/cmdline" 2>/dev/null || continue
		[[ " ${cmd[*]} " == *" $id "* ]] && echo "process ${p#/proc/}: ${cmd[*]}"
	done
	grep -F -e "$BUNDLE" -e "$ROOTFS" -e "$TESTDIR" /proc/self/mountinfo | sed 's/^/mount /'
	return 0
}

# alive PID: the process exists and is not a zombie (kill -0 succeeds on one: an orphan's
# zombie waits for pid 1, which on some hosts reaps late)
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# assert_clean ID: fails, saying what, when the container left anything behind
assert_clean() {
	local left
	left=$(leftovers "${1:-$ID}")
	if [ -n "$left" ]; then
		echo "left behind by ${1:-$ID}:" >&2
		echo "$left" >&2
		return 1
	fi
}

# assert_error PHRASE: the last `run` failed with exactly one line that contains PHRASE
assert_error() {
	if [ "$status" -eq 0 ] || [ "${#lines[@]}" -ne 1 ] || [[ "$output" != *"$1"* ]]; then
		echo "expected one line with \"$1\" and a non-zero exit, got $status: $output" >&2
		return 1
	fi
}

# writable_rootfs: a copy of the busybox rootfs this test may change, used by the bundle
writable_rootfs() {
	cp -a "$ROOTFS" "$TESTDIR/rootfs"
	config ".root.path = \"$TESTDIR/rootfs\""
}

@test "a bundle without config.json is refused" {
	rm "$BUNDLE/config.json"
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "config.json"
	[[ "$output" == *"No such file or directory"* ]]
	assert_clean
}

@test "malformed JSON in config.json is refused, naming the line" {
	printf '{\n  "ociVersion": "1.2.0",\n  "process": {"args": ["true"],, }\n}\n' > "$BUNDLE/config.json"
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "line 3"
	[[ "$output" == *"config.json"* ]]
	assert_clean
}

@test "ociVersion 2.0.0 is refused, 1.0.0 1.1.0 1.3.0 are accepted" {
	config '.ociVersion = "2.0.0"'
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "ociVersion"
	[[ "$output" == *'"2.0.0"'* ]]
	assert_clean
	local v
	for v in 1.0.0 1.1.0 1.3.0; do
		config ".ociVersion = \"$v\""
		run rt run --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 0 ] || { echo "ociVersion $v: $output" >&2; return 1; }
		assert_clean
	done
}

@test "an unknown namespace type is refused, naming linux.namespaces[N].type" {
	config '.linux.namespaces += [{"type": "bogus"}]'
	n=$(jq '.linux.namespaces | length - 1' "$BUNDLE/config.json")
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "linux.namespaces[$n].type"
	[[ "$output" == *bogus* ]]
	assert_clean
}

@test "a missing root filesystem is refused" {
	config ".root.path = \"$TESTDIR/no-such-rootfs\""
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "no-such-rootfs"
	[[ "$output" == *"does not exist"* ]]
	assert_clean
}

@test "a mount destination with .. cannot leave the rootfs" {
	writable_rootfs
	config ".mounts += [{\"destination\": \"/../../tmp/escape-$ID\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
	args sh -c "grep -c ' /tmp/escape-$ID ' /proc/self/mountinfo"
	run_ctr
	# refusing is fine; succeeding is fine if the mount stayed inside (runc clamps ..)
	if [ "$status" -eq 0 ]; then
		[ "$output" = 1 ]
		[ -d "$TESTDIR/rootfs/tmp/escape-$ID" ]
	fi
	[ ! -e "/tmp/escape-$ID" ]
	run -1 grep -q "escape-$ID" /proc/self/mountinfo
	assert_clean
}

@test "a symlink in the rootfs cannot lead a mount outside it" {
	writable_rootfs
	ln -s "/tmp/host-target-$ID" "$TESTDIR/rootfs/evil"
	# the target exists both on the host (empty) and in the rootfs
	mkdir "/tmp/host-target-$ID" "$TESTDIR/rootfs/tmp/host-target-$ID"
	config '.mounts += [{"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"}]'
	args sh -c 'touch /evil/x/written && grep " /tmp/host-target-[^ ]*/x " /proc/self/mountinfo | cut -d" " -f9'
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = tmpfs ]
	[ -d "$TESTDIR/rootfs/tmp/host-target-$ID/x" ]
	[ -z "$(ls -A "/tmp/host-target-$ID")" ]
	assert_clean
}

@test "a dangling symlink in the rootfs cannot lead a mount outside it either" {
	writable_rootfs
	ln -s "/tmp/host-target-$ID" "$TESTDIR/rootfs/evil"
	config '.mounts += [{"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"}]'
	args sh -c 'grep " /tmp/host-target-[^ ]*/x " /proc/self/mountinfo | cut -d" " -f9'
	run_ctr
	[ ! -e "/tmp/host-target-$ID" ]
	assert_clean
	# runc and crun create what is missing inside the rootfs; refusing clearly is fine too
	if [ "$status" -eq 0 ]; then
		[ "$output" = tmpfs ]
		[ -d "$TESTDIR/rootfs/tmp/host-target-$ID/x" ]
	else
		assert_error "/evil"
	fi
}

@test "an ID already in use is refused and the first container is untouched" {
	args sleep 100
	rt create --bundle "$BUNDLE" --pid-file "$TESTDIR/pid" "$ID"
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "already exists"
	[ "$(rt state "$ID" | jq -r .status)" = created ]
	[ "$(rt state "$ID" | jq -r .pid)" = "$(cat "$TESTDIR/pid")" ]
	[ "$(rt list -q)" = "$ID" ]
	rt delete --force "$ID"
	assert_clean
}

@test "an invalid ID is refused" {
	run rt create --bundle "$BUNDLE" "a/b"
	assert_error "invalid container ID"
	[[ "$output" == *'"a/b"'* ]]
	[ ! -e "$ROOT/a" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	run rt create --bundle "$BUNDLE" ".."
	assert_error "invalid container ID"
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "a resource of a controller that is not mounted is refused, naming the field" {
	if [ -d /sys/fs/cgroup/net_cls ] || grep -qw net_cls /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		skip "net_cls is available here"
	fi
	config '.linux.resources.network = {"classID": 1048577}'
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "linux.resources.network.classID"
	assert_clean
}

@test "an rlimit above the hard limit is refused, naming it" {
	# 1073741816 is above fs.nr_open, so even CAP_SYS_RESOURCE could not raise it
	config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 1073741816, "soft": 1024}]'
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "RLIMIT_NOFILE"
	assert_clean
}

@test "an unknown capability name is refused" {
	config '.process.capabilities.bounding += ["CAP_BOGUS"]'
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "CAP_BOGUS"
	[[ "$output" == *"unknown capability"* ]]
	assert_clean
}

@test "a command not in PATH fails at create and at run, leaving nothing" {
	args "no-such-command-$ID"
	run rt create --bundle "$BUNDLE" "$ID"
	assert_error "executable file not found"
	[[ "$output" == *"no-such-command-$ID"* ]]
	assert_clean
	run_ctr
	assert_error "executable file not found"
	assert_clean
}

@test "delete --force removes a half-created container" {
	# what a creator killed before it wrote state.json leaves
	mkdir -p "$ROOT/$ID"
	[ "$(rt state "$ID" | jq -r .status)" = creating ]
	run rt delete "$ID"
	assert_error "being created"
	[ -d "$ROOT/$ID" ]
	rt delete --force "$ID"
	assert_clean
	run rt state "$ID"
	assert_error "does not exist"
}

@test "two creates of one ID at once: exactly one wins" {
	args sleep 100
	local i
	for i in 1 2 3 4 5; do
		rt create --bundle "$BUNDLE" "$ID" > "$TESTDIR/out1" 2>&1 3>&- &
		p1=$!
		rt create --bundle "$BUNDLE" "$ID" > "$TESTDIR/out2" 2>&1 3>&- &
		p2=$!
		s1=0 s2=0
		wait $p1 || s1=$?
		wait $p2 || s2=$?
		if [ $s1 -eq 0 ]; then loser=2; else loser=1; fi
		[ $((s1 == 0)) -ne $((s2 == 0)) ] || { echo "round $i: exits $s1 and $s2" >&2; cat "$TESTDIR"/out? >&2; return 1; }
		grep -q "already exists" "$TESTDIR/out$loser"
		[ "$(wc -l < "$TESTDIR/out$loser")" -eq 1 ]
		[ "$(rt list -q)" = "$ID" ]
		[ "$(rt state "$ID" | jq -r .status)" = created ]
		# only one init: one process in the container's cgroup
		[ "$(wc -l < "$(cgroup_dir pids)/cgroup.procs")" -eq 1 ]
		rt start "$ID"
		run rt exec "$ID" echo works
		[ "$output" = works ]
		rt delete --force "$ID"
		assert_clean
	done
}

@test "kill -9 of the foreground run: state tells the truth, delete --force cleans up" {
	args sleep 100
	"$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" > /dev/null 2>&1 3>&- &
	rpid=$!
	wait_status "$ID" running
	pid=$(rt state "$ID" | jq -r .pid)
	kill -9 "$rpid"
	wait "$rpid" || [ $? -eq 137 ]
	st=$(rt state "$ID" | jq -r .status)
	case "$st" in
	running) alive "$pid" ;;
	stopped) run ! alive "$pid" ;;
	*) echo "state says $st" >&2; return 1 ;;
	esac
	rt delete --force "$ID"
	for i in $(seq 50); do alive "$pid" || break; sleep 0.02; done
	run ! alive "$pid"
	assert_clean
	run rt state "$ID"
	assert_error "does not exist"
}
