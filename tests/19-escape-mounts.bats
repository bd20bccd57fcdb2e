#!/usr/bin/env bats
# A hostile image (or a container racing with shared mounts) redirects where the kernel's
# file systems, the masks over them and the runtime's writes to /proc land. Each container
# here must be refused with a clear error, or run with every mask in place; and nothing
# may reach the host. (issue 8, escape 1; runc's CVE-2025-31133, -52565, -52881)
#
# No test writes the host's core_pattern: the container only opens it for writing (an open
# of a sysctl file changes nothing), and the host's value is checked to be unchanged.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

# Runs in the container: every procfs and sysfs it can reach that is unmasked or writable.
PROBE='for d in /proc /sys /realproc /realsys /run/p /run/s /x/y/z /deep/er/proc /a/b; do '\
'[ -d "$d" ] || continue; '\
'if ( : >> "$d/sys/kernel/core_pattern" ) 2>/dev/null; then echo "WRITABLE $d"; fi; '\
'if [ -d "$d/firmware" ] && [ -n "$(ls -A "$d/firmware")" ]; then echo "UNMASKED $d"; fi; '\
'done; echo probed'

setup() {
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	ROOT="$TESTDIR/state"
	BUNDLE="$TESTDIR/bundle"
	ID="bt-$$-${BATS_TEST_NUMBER}"
	STORE="$TESTDIR/root"
	RUNROOT="$TESTDIR/run"
	mkdir -p "$BUNDLE"
	"$RUNTIME" spec --bundle "$BUNDLE"
	config '.root.path = env.ROOTFS | .process.terminal = false'
	args sh -c "$PROBE"
	CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
}

teardown() {
	local id
	for id in $("$RUNTIME" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	local d
	for d in /sys/fs/cgroup/*/berth/bt-$$-* /sys/fs/cgroup/berth/bt-$$-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	if [ -d "$STORE" ]; then
		engine_teardown
	else
		rm -rf "$TESTDIR"
	fi
}

# hostile NAME: a writable copy of the busybox rootfs in $TESTDIR/NAME, used by the bundle
hostile() {
	H="$TESTDIR/$1"
	cp -a "$ROOTFS" "$H"
	config ".root.path = \"$H\" | .root.readonly = false"
}

# refused WHAT: the last run failed, said WHAT, and the probe never ran
refused() {
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$1"* ]]
	[[ "$output" != *probed* ]]
	[[ "$output" != *WRITABLE* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN" ]
}

# safe: the last run worked, and found no procfs writable and no sysfs unmasked
safe() {
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *probed* ]]
	[[ "$output" != *WRITABLE* ]]
	[[ "$output" != *UNMASKED* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN" ]
}

tmpfs_run_last='.mounts += [{"destination": "/run", "type": "tmpfs", "source": "tmpfs"}]'
tmpfs_run_first='.mounts = [{"destination": "/run", "type": "tmpfs", "source": "tmpfs"}] + .mounts'

@test "runtime: /proc through a symlink chain hidden by a later mount is refused" {
	local v
	# masks only under /proc: before the fix every one was "missing" and skipped, and the
	# container got a writable procfs at /realproc
	hostile img-procmasks
	rmdir "$H/proc"
	mkdir -p "$H/run" "$H/realproc"
	ln -s /run/p "$H/proc"
	ln -s /realproc "$H/run/p"
	config "$tmpfs_run_last"' | .linux.maskedPaths |= map(select(startswith("/proc/")))'
	run_ctr
	refused 'filesystem "proc" must be mounted on ordinary directory'
	config 'del(.mounts[] | select(.destination == "/run"))'
	# /proc -> /run/p -> /realproc, /run hidden by a tmpfs after /proc is mounted, or before
	for v in last first; do
		hostile "img-$v"
		rmdir "$H/proc"
		mkdir -p "$H/run" "$H/realproc"
		ln -s /run/p "$H/proc"
		ln -s /realproc "$H/run/p"
		if [ $v = last ]; then config "$tmpfs_run_last"; else config "$tmpfs_run_first"; fi
		run_ctr
		refused 'filesystem "proc" must be mounted on ordinary directory'
		config 'del(.mounts[] | select(.destination == "/run"))'
	done
	# a relative link to a deep directory, hidden by a tmpfs on its top
	hostile img-rel
	rmdir "$H/proc"
	mkdir -p "$H/x/y/z"
	ln -s x/y/z "$H/proc"
	config '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs"}]'
	run_ctr
	refused 'filesystem "proc" must be mounted on ordinary directory'
	# three links deep, hidden by a bind mount of a host directory
	hostile img-deep
	rmdir "$H/proc"
	mkdir -p "$H/run" "$H/deep/er/proc" "$TESTDIR/hostrun"
	ln -s /run/a "$H/proc"
	ln -s /run/b "$H/run/a"
	ln -s /deep/er/proc "$H/run/b"
	config ".mounts = [.mounts[] | select(.destination != \"/x\")] + [{\"destination\": \"/run\", \"type\": \"bind\", \"source\": \"$TESTDIR/hostrun\", \"options\": [\"rbind\"]}]"
	run_ctr
	refused 'filesystem "proc" must be mounted on ordinary directory'
	# a file where /proc should be
	hostile img-file
	rmdir "$H/proc"
	echo not-a-directory > "$H/proc"
	run_ctr
	refused 'filesystem "proc" must be mounted on ordinary directory'
}

@test "runtime: /sys, /dev/pts and /dev/mqueue through symlinks are refused" {
	hostile img-sys
	rmdir "$H/sys"
	mkdir -p "$H/run" "$H/realsys"
	ln -s /run/s "$H/sys"
	ln -s /realsys "$H/run/s"
	config "$tmpfs_run_last"
	run_ctr
	refused 'filesystem "sysfs" must be mounted on ordinary directory'

	hostile img-sys-rel
	rmdir "$H/sys"
	mkdir -p "$H/a/b"
	ln -s a/b "$H/sys"
	config 'del(.mounts[] | select(.destination == "/run"))'
	run_ctr
	refused 'filesystem "sysfs" must be mounted on ordinary directory'

	# /dev a link: the tmpfs follows it (inside the root), devpts must not
	hostile img-dev
	rm -rf "$H/dev"
	mkdir -p "$H/realdev"
	ln -s /realdev "$H/dev"
	run_ctr
	refused 'filesystem "devpts" must be mounted on ordinary directory'

	# only /dev/mqueue a link, to a directory that exists
	config '.mounts |= map(select(.destination != "/dev"))'
	hostile img-mq
	mkdir -p "$H/realmq" "$H/dev/pts" "$H/dev/shm"
	ln -s /realmq "$H/dev/mqueue"
	run_ctr
	refused 'filesystem "mqueue" must be mounted on ordinary directory'
}

@test "runtime: a missing /proc and /sys are made, and the masks are in place" {
	hostile img-missing
	rmdir "$H/proc" "$H/sys"
	run_ctr
	safe
	[ -d "$H/proc" ]
	[ ! -L "$H/proc" ]
	args sh -c 'echo x > /proc/sys/kernel/domainname'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	# the unchanged image too
	config '.root.path = env.ROOTFS | .root.readonly = true'
	args sh -c "$PROBE"
	run_ctr
	safe
}

@test "runtime: a masked or read-only path that is a symlink, or under one, is refused" {
	hostile img-masks
	mkdir -p "$H/data"
	ln -s /etc/passwd "$H/etc/secret"
	ln -s /nowhere "$H/etc/dangling"
	ln -s /etc "$H/linked"
	echo s > "$H/data/real"
	local p
	for p in /etc/secret /etc/dangling /linked/passwd; do
		config ".linux.maskedPaths = [\"$p\"] + .linux.maskedPaths"
		run_ctr
		refused "linux.maskedPaths: $p is a symlink or lies under one"
		config ".linux.maskedPaths -= [\"$p\"] | .linux.readonlyPaths = [\"$p\"] + .linux.readonlyPaths"
		run_ctr
		refused "linux.readonlyPaths: $p is a symlink or lies under one"
		config ".linux.readonlyPaths -= [\"$p\"]"
	done
	# missing for real: fine; a real file: masked
	config '.linux.maskedPaths += ["/etc/nothing/here", "/data/real"]'
	args sh -c 'cat /data/real; echo end'
	run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = end ]
}

# bind_dev: the bundle's /dev is a bind mount of $TESTDIR/dev (no devices made by the runtime)
bind_dev() {
	mkdir -p "$TESTDIR/dev/pts" "$TESTDIR/dev/shm" "$TESTDIR/dev/mqueue"
	config ".mounts |= map(if .destination == \"/dev\" then {\"destination\": \"/dev\", \"type\": \"bind\", \"source\": \"$TESTDIR/dev\", \"options\": [\"rbind\"]} else . end)"
}

@test "runtime: the /dev/null masks are bound from must be the null device (CVE-2025-31133)" {
	bind_dev
	# a symlink to the host-steering file, a planted file, another device, nothing
	ln -s /proc/sys/kernel/core_pattern "$TESTDIR/dev/null"
	run_ctr
	refused '/dev/null is not the null device (char 1:3)'
	rm "$TESTDIR/dev/null"
	echo planted > "$TESTDIR/dev/null"
	run_ctr
	refused '/dev/null is not the null device (char 1:3)'
	rm "$TESTDIR/dev/null"
	mknod "$TESTDIR/dev/null" c 1 5
	run_ctr
	refused '/dev/null is not the null device (char 1:3)'
	rm "$TESTDIR/dev/null"
	run_ctr
	refused 'linux.maskedPaths: mask /proc/'
	[[ "$output" == *': /dev/null: No such file or directory'* ]]
	# the real one: the container runs, /proc/timer_list masked (it is never empty)
	[ "$(wc -c < /proc/timer_list)" -gt 0 ]
	mknod -m 666 "$TESTDIR/dev/null" c 1 3
	args sh -c "$PROBE"' ; wc -c < /proc/timer_list'
	run_ctr
	safe
	[ "${lines[${#lines[@]} - 1]}" = 0 ]
}

@test "runtime: /dev/console must not be a symlink (CVE-2025-52565)" {
	config '.process.terminal = true'
	# the control: a console container runs
	args sh -c "$PROBE"
	run_ctr
	safe
	bind_dev
	mknod -m 666 "$TESTDIR/dev/null" c 1 3
	local t
	for t in /proc/sys/kernel/core_pattern /proc/sysrq-trigger /nowhere; do
		rm -f "$TESTDIR/dev/console"
		ln -s "$t" "$TESTDIR/dev/console"
		run_ctr
		refused '/dev/console is not a file or a character device'
	done
}

# idmap N FIRST: N single-id lines "i FIRST+i 1" as a JSON array of mappings
idmap() {
	jq -n --argjson n "$1" --argjson h "$2" '[range($n) | {containerID: ., hostID: ($h + .), size: 1}]'
}

@test "runtime: uid maps up to the kernel's limit are written whole, longer ones refused" {
	# 300 lines of 13-14 bytes: about 4,080 bytes, under the kernel's one page but over
	# what was silently cut before
	local m
	hostile img-uid
	m=$(idmap 300 1000000)
	[ "$(jq -r '.[] | "\(.containerID) \(.hostID) \(.size)"' <<< "$m" | wc -c)" -gt 4032 ]
	config ".linux.namespaces += [{\"type\":\"user\"}] | .linux.uidMappings = $m | .linux.gidMappings = [{\"containerID\":0,\"hostID\":1000000,\"size\":65536}] | del(.linux.resources)"
	chmod 755 "$TESTDIR"
	args sh -c 'wc -l < /proc/self/uid_map'
	run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 300 ]
	# over a page: refused, never cut
	m=$(idmap 340 10000000)
	config ".linux.uidMappings = $m"
	run_ctr
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: "*"more than the kernel takes in one write"* ]]
	m=$(idmap 341 0)
	config ".linux.uidMappings = $m"
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: 341 entries"* ]]
}

# engine: a store of this test's own with the busybox image (engine-helpers' setup, in
# this test's TESTDIR)
engine() {
	tar -C "$ROOTFS" -cf "$TESTDIR/rootfs.tar" .
	b import -c 'CMD ["sh"]' "$TESTDIR/rootfs.tar" busybox > /dev/null
}

# image NAME: imports $H as image NAME into this test's store
image() {
	tar -C "$H" -cf "$TESTDIR/$1.tar" .
	b import -c 'CMD ["sh"]' "$TESTDIR/$1.tar" "$1" > /dev/null
}

@test "engine: an image whose /proc or /sys is a link hidden by --tmpfs, -v DIR or -v VOLUME is refused" {
	engine
	hostile proc-img
	rmdir "$H/proc"
	mkdir -p "$H/run" "$H/realproc"
	ln -s /run/p "$H/proc"
	ln -s /realproc "$H/run/p"
	image evilproc
	hostile sys-img
	rmdir "$H/sys"
	mkdir -p "$H/run" "$H/realsys"
	ln -s /run/s "$H/sys"
	ln -s /realsys "$H/run/s"
	image evilsys
	mkdir -p "$TESTDIR/hostrun"
	local img hide fs
	for img in evilsys evilproc; do
		fs=proc
		[ $img = evilsys ] && fs=sysfs
		for hide in "--tmpfs /run" "-v $TESTDIR/hostrun:/run" "-v runvol:/run"; do
			# shellcheck disable=SC2086
			run b run --rm $hide "$img" sh -c "$PROBE"
			echo "$img $hide"
			refused "filesystem \"$fs\" must be mounted on ordinary directory"
		done
	done
	[ -z "$(ls "$TESTDIR/hostrun")" ]
	# the same image without its links runs, masked
	run b run --rm --tmpfs /run busybox sh -c "$PROBE"
	safe
}

@test "engine: a /dev bound from the host needs a real /dev/null" {
	engine
	mkdir -p "$TESTDIR/hostdev"
	ln -s /proc/sys/kernel/core_pattern "$TESTDIR/hostdev/null"
	run b run --rm -v "$TESTDIR/hostdev:/dev" busybox sh -c "$PROBE"
	refused '/dev/null'
	rm "$TESTDIR/hostdev/null"
	echo planted > "$TESTDIR/hostdev/null"
	run b run --rm -v "$TESTDIR/hostdev:/dev" busybox sh -c "$PROBE"
	refused '/dev/null'
	[ "$(cat "$TESTDIR/hostdev/null")" = planted ]
}
