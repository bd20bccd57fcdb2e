#!/usr/bin/env bats
# berth run --rm: an image's container in the foreground (the first part of `run`)

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "run --rm: the command runs in the image and its exit code comes back" {
	run b run --rm busybox sh -c 'echo hello; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	# nothing stays: no container dir, no mount, no runtime state
	[ -z "$(ls "$STORE/containers")" ]
	run -1 grep -q "$TESTDIR" /proc/self/mountinfo
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
}

@test "run: docker's exit codes: 127 not found, 126 not executable, 125 berth's own errors" {
	run -127 b run --rm busybox nosuchcommand
	[[ "$output" == *"executable file not found"* ]]
	run -126 b run --rm busybox /etc/passwd
	run b run --rm --pull never nosuchimage
	[ "$status" -eq 125 ]
	[[ "$output" == *'image "nosuchimage" not found'* ]]
	# pulled when missing: from the suite's default registry, where nothing listens
	run b run --rm nosuchimage
	[ "$status" -eq 125 ]
	[[ "$output" == *"Unable to find image 'nosuchimage:latest' locally"* ]]
	[[ "$output" == *"berth: run: pull nosuchimage:latest: GET http://127.0.0.1:1/"* ]]
	run b run --rm --bogus busybox true
	[ "$status" -eq 125 ]
	[ -z "$(ls "$STORE/containers")" ]
}

@test "run: the image's config and the flags: Cmd, Env, -e, -w, -u, --entrypoint, -h" {
	run b run --rm busybox
	[ "$status" -eq 0 ]
	run b run --rm -e FOO=bar -w /tmp -u 65534:65534 -h box1 busybox sh -c 'echo $FOO; pwd; id -u; hostname'
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 65534 ]
	[ "${lines[3]}" = box1 ]
	run b run --rm --entrypoint /bin/echo busybox one two
	[ "$output" = "one two" ]
	run b run --rm busybox sh -c 'echo $PATH'
	[[ "$output" == */bin* ]]
}

@test "run: the container writes to its own layer; the image stays as it was" {
	# (busybox sh runs its applets without /bin/ls, so the container looks for itself)
	run b run --rm busybox sh -c 'echo x > /new-file; rm /bin/ls; cat /new-file; [ -e /bin/ls ] || echo ls-gone'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\nls-gone')" ]
	run b run --rm busybox sh -c 'test -e /new-file && echo leaked; test -x /bin/ls && echo ls-ok'
	[ "$output" = ls-ok ]
	run b run --rm --read-only busybox touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "run -t: the process gets a terminal" {
	run script -qec "$BERTH --root $STORE --runroot $RUNROOT run --rm -t busybox sh -c 'test -t 0 && echo tty'" /dev/null
	[[ "$output" == *tty* ]]
}

@test "run: a signal to berth reaches the container; a killed container's code is 128+N" {
	# berth itself in the background (not the shell function b, which would not pass the signal)
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm busybox sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done' &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || status=$?
	[ "$status" -eq 42 ]
	run -137 b run --rm busybox sh -c 'sh -c "kill -9 \$\$"; exit $?'
}

@test "rmi refuses nothing it should not: an image can go once its containers are gone" {
	b run --rm busybox true
	run b rmi busybox
	[ "$status" -eq 0 ]
}

@test "rmi and prune leave an image while a container uses it" {
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm busybox sleep 3 &
	pid=$!
	for i in $(seq 50); do [ -n "$(ls "$STORE/containers" 2>/dev/null)" ] && break; sleep 0.05; done
	sleep 0.3
	run b rmi busybox
	[ "$status" -ne 0 ]
	[[ "$output" == *"is using it"* ]]
	run b image prune -a -f
	[[ "$output" != *deleted* ]]
	wait "$pid"
	b rmi busybox
}

@test "run: the container's root file system is never mounted on the host, even if berth is killed" {
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm busybox sleep 1 &
	pid=$!
	for i in $(seq 50); do [ -n "$(ls "$STORE/containers" 2>/dev/null)" ] && break; sleep 0.05; done
	sleep 0.3
	run -1 grep -q "$STORE/containers" /proc/self/mountinfo
	kill -9 "$pid"
	wait "$pid" || [ $? -eq 137 ]
	sleep 1.5
	! grep -q "$STORE/containers" /proc/self/mountinfo
}

@test "security: a working directory of /proc/self/fd/N cannot reach a host directory (CVE-2024-21626)" {
	b import -c 'WORKDIR /proc/self/fd/3' "$TESTDIR/rootfs.tar" evilwd > /dev/null
	for n in 3 4 5 6 7; do
		run b run --rm -w "/proc/self/fd/$n" busybox sh -c "echo pwned > ../../../../../../tmp/escaped-$$-$n; pwd"
		[ "$status" -ne 0 ]
		[ ! -e "/tmp/escaped-$$-$n" ]
	done
	run b run --rm evilwd true
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.cwd"* ]]
	# the runtime too: process.cwd from config.json
	mkdir -p "$TESTDIR/bundle"
	"$RUNTIME" spec --bundle "$TESTDIR/bundle"
	jq --arg r "$ROOTFS" '.root.path = $r | .process.terminal = false | .process.cwd = "/proc/self/fd/3" |
		.process.args = ["sh", "-c", "echo pwned > ../../../../../../tmp/escaped-rt-'$$'"]' \
		"$TESTDIR/bundle/config.json" > "$TESTDIR/bundle/c" && mv "$TESTDIR/bundle/c" "$TESTDIR/bundle/config.json"
	run "$RUNTIME" --root "$TESTDIR/rtstate" run --bundle "$TESTDIR/bundle" "cwd-$$"
	[ "$status" -ne 0 ]
	[ ! -e "/tmp/escaped-rt-$$" ]
}

@test "security: an image's /etc/passwd that is a fifo or a device is not read" {
	mkdir -p "$TESTDIR/fifo"
	cp -a "$ROOTFS/." "$TESTDIR/fifo/"
	rm "$TESTDIR/fifo/etc/passwd"
	mkfifo "$TESTDIR/fifo/etc/passwd"
	tar -C "$TESTDIR/fifo" -cf "$TESTDIR/fifo.tar" .
	b import "$TESTDIR/fifo.tar" fifopw > /dev/null
	run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm -u root fifopw true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unable to find user root"* ]]
	run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm -u 0 fifopw true
	[ "$status" -eq 0 ]
}

@test "security: a hostile image config (non-string Entrypoint) is refused, nothing left" {
	b import -c 'ENTRYPOINT [1,2]' "$TESTDIR/rootfs.tar" badep > /dev/null
	run b run --rm badep
	[ "$status" -eq 125 ]
	[[ "$output" == *"Entrypoint[0] is not a string"* ]]
	[ -z "$(ls "$STORE/containers")" ]
	b rmi badep
}

@test "run: a relative --root works" {
	cd "$TESTDIR"
	run "$BERTH" --root root --runroot "$RUNROOT" run --rm busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run "$BERTH" --root "/tmp/a,b" images
	[ "$status" -eq 125 ]
}

@test "run: a container whose berth run was killed is cleared by the next run once it exited" {
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --rm busybox sleep 1 &
	pid=$!
	for i in $(seq 50); do [ -n "$(ls "$STORE/containers" 2>/dev/null)" ] && break; sleep 0.05; done
	sleep 0.3
	kill -9 "$pid"
	wait "$pid" || [ $? -eq 137 ]
	left=$(ls "$STORE/containers")
	[ -n "$left" ]
	# still running: the next run leaves it
	b run --rm busybox true
	[ "$(ls "$STORE/containers")" = "$left" ]
	sleep 1.5
	# exited: the next run clears it, runtime state and cgroup included
	b run --rm busybox true
	[ -z "$(ls "$STORE/containers")" ]
	[ -z "$(ls "$RUNROOT/runtime")" ]
	for d in /sys/fs/cgroup/*/berth/"${left:0:12}"; do [ ! -e "$d" ]; done
}
