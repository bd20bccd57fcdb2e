#!/usr/bin/env bats
# Escapes through the processes berth puts into a running container (issue 8):
# - the caller's terminal: no process in a container ever holds an fd of a host terminal or
#   is in the caller's session (where /dev/tty is the admin's terminal, and TIOCSTI on it
#   types commands into the admin's shell): exec with and without -i/-t, -d, run, start -a,
#   attach, all under a pty as an admin's shell would run them;
# - CVE-2019-5736 through exec: a container with CAP_SYS_PTRACE that opens the
#   /proc/<pid>/exe of every process it sees must not be able to write berth's binary.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

# What a process in the container sees of its own stdio and session, one fact a line:
# fd=DEV:MAJOR:MINOR of what each fd is (st_dev tells the host's devpts from the
# container's own), ttyN when fd N is a terminal, devtty when it has a controlling terminal
# (/dev/tty opens), and its session id next to its pid (equal: it leads a session of its own).
PROBE='stat -L -c fd=%d:%t:%T /proc/$$/fd/*
[ -t 0 ] && echo tty0; [ -t 1 ] && echo tty1; [ -t 2 ] && echo tty2
(exec 3< /dev/tty) 2> /dev/null && echo devtty
echo "sid=$(cut -d" " -f6 /proc/self/stat) pid=$$"'

# with_env CMD...: CMD with what a command line given as a string needs ($B, $PROBE)
with_env() {
	BERTH="$BERTH" STORE="$STORE" RUNROOT="$RUNROOT" PROBE="$PROBE" "$@"
}

# under_pty CMDLINE: runs CMDLINE in a shell whose terminal is a new pty, as an admin's
# interactive shell; the first line says which terminal that is (host=DEV:MAJOR:MINOR)
under_pty() {
	with_env script -qec "echo host=\$(stat -L -c %d:%t:%T /proc/self/fd/0); $1" /dev/null | tr -d '\r'
}

# no_host_tty: $output (of under_pty) shows the probe ran, and no fd of the host's terminal
no_host_tty() {
	local host
	host=$(printf '%s\n' "$output" | sed -n 's/^host=//p' | head -1)
	[ -n "$host" ]
	[[ "$host" == *:88:* ]] # a pty slave (major 136) on the host's devpts
	[[ "$output" == *"fd="* ]]
	[[ "$output" != *"fd=$host"* ]]
	# the session is the process's own
	printf '%s\n' "$output" | grep -Eq '^sid=([0-9]+) pid=\1$'
}

# no_tty: and it has no terminal at all (no -t)
no_tty() {
	no_host_tty
	[[ "$output" != *tty0* ]]
	[[ "$output" != *tty1* ]]
	[[ "$output" != *tty2* ]]
	[[ "$output" != *devtty* ]]
}

B='"$BERTH" --root "$STORE" --runroot "$RUNROOT"'

@test "exec without -t under a terminal: pipes, no host tty, a session of its own" {
	b run -d --name c1 busybox sleep 1000
	run under_pty "$B exec c1 sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
	# stdin is empty without -i (docker's), stdout and stderr are pipes
	[ "$(printf '%s\n' "$output" | grep -c '^fd=.*:0:0$')" -eq 2 ]
	run under_pty "$B exec -i c1 sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
	# -i with input from a pipe, output on the terminal
	run under_pty "echo \"\$PROBE\" | $B exec -i c1 sh"
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
}

@test "exec -t and -it under a terminal: the container's own pty, never the host's" {
	b run -d --name c1 busybox sleep 1000
	local cpts
	cpts=$(b exec c1 stat -c %d /dev/pts/ptmx)
	run under_pty "$B exec -t c1 sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_host_tty
	[[ "$output" == *tty0* ]]
	[[ "$output" == *"fd=$cpts:88:"* ]]
	run under_pty "$B exec -it c1 sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_host_tty
	[[ "$output" == *tty1* ]]
	[[ "$output" == *"fd=$cpts:88:"* ]]
}

@test "berth-runtime exec keeps the caller's stdio (runc's contract) but not its session" {
	b run -d --name c1 busybox sleep 1000
	local id
	id=$(b inspect c1 | jq -r '.[0].Id')
	run under_pty "\"\$BERTH-runtime\" --root \"\$RUNROOT/runtime\" exec $id sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	# its stdio is the terminal it was given; its session is its own, so that terminal is
	# not its controlling one (no /dev/tty, no TIOCSTI into the caller's shell through it)
	[[ "$output" == *tty0* ]]
	[[ "$output" != *devtty* ]]
	printf '%s\n' "$output" | grep -Eq '^sid=([0-9]+) pid=\1$'
}

@test "exec -d under a terminal: /dev/null, no host tty" {
	b run -d --name c1 busybox sleep 1000
	run under_pty "$B exec -d c1 sh -c \"\$PROBE\" > /dev/null; echo detached=\$?"
	echo "$output"
	[[ "$output" == *detached=0* ]]
	local host
	host=$(printf '%s\n' "$output" | sed -n 's/^host=//p')
	run under_pty "$B exec -d c1 sh -c \"(\$PROBE) > /tmp/probe 2>&1\""
	[ "$status" -eq 0 ]
	for i in $(seq 50); do b exec c1 grep -q sid= /tmp/probe && break; sleep 0.1; done
	run b exec c1 cat /tmp/probe
	echo "$output"
	output="host=$host
$output"
	no_tty
}

@test "exec: docker's exit codes, stdin EOF and separate stdout and stderr stay" {
	b run -d --name c1 busybox sleep 1000
	run b exec c1 sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run -0 --separate-stderr b exec c1 sh -c 'echo out; echo err >&2'
	[ "$output" = out ]
	[ "$stderr" = err ]
	run -0 with_env bash -c "echo hi | $B exec -i c1 cat"
	[ "$output" = hi ]
	# input bigger than a pipe holds, while the process writes as much back
	run -0 with_env bash -c "head -c 300000 /dev/zero | $B exec -i c1 cat | wc -c"
	[ "$output" = 300000 ]
	# without -i the process reads an empty stdin, even with ours open
	run -0 with_env bash -c "sleep 5 | $B exec c1 cat"
	[ -z "$output" ]
	run -127 b exec c1 nosuchcommand
}

@test "run, start -a and attach under a terminal: the container has no host tty" {
	run under_pty "$B run --rm busybox sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
	run under_pty "echo \"\$PROBE\" | $B run -i --rm busybox sh"
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
	b create --name s1 busybox sh -c "$PROBE"
	run under_pty "$B start -a s1"
	echo "$output"
	[ "$status" -eq 0 ]
	no_tty
	b run -d -i --name a1 busybox sh
	run under_pty "echo \"\$PROBE; exit 0\" | $B attach a1"
	echo "$output"
	no_tty
}

@test "run -t under a terminal: the container's own pty" {
	run under_pty "$B run -t --rm busybox sh -c \"\$PROBE\""
	echo "$output"
	[ "$status" -eq 0 ]
	no_host_tty
	[[ "$output" == *tty0* ]]
}

# The attacker: loops over every process it can see whose program is not its own (busybox),
# keeps its /proc/<pid>/exe open and tries to write that file: at once (O_WRONLY on the
# magic link) and, in a background writer, through the kept fd once the process has exited
# (the binary is busy while it runs). Reports on stdout: found/wrote/denied.
ATTACK='n=0
while [ $n -lt 200000 ]; do
	n=$((n + 1))
	for d in /proc/[0-9]*; do
		command exec 2> /dev/null 5< $d/exe || continue
		[ /proc/self/fd/5 -ef /bin/busybox ] && continue
		echo "found $d"
		echo PWNED 2> /dev/null >> $d/exe && echo "wrote $d"
		(i=0; while [ $i -lt 100 ]; do i=$((i + 1))
			if echo PWNED 2> /dev/null >> /proc/self/fd/5; then echo "wrote via fd"; exit; fi
			sleep 0.05; done; echo denied) &
	done
	exec 5<&-
done'

@test "CVE-2019-5736 through exec: a container with CAP_SYS_PTRACE cannot write berth" {
	# a scratch copy of berth runs everything here: an attack that works damages the copy
	mkdir -p "$TESTDIR/bin"
	cp "$BERTH_BUILD/berth" "$TESTDIR/bin/berth"
	ln -s berth "$TESTDIR/bin/berth-runtime"
	BERTH="$TESTDIR/bin/berth"
	local sum
	sum=$(sha256sum < "$BERTH")
	b run -d --cap-add SYS_PTRACE --name atk busybox sh -c "$ATTACK"
	local i
	# the exec's own result does not matter here (an attack that worked makes the binary
	# busy or broken); the binary's does
	for i in $(seq 50); do
		run b exec atk true
		run b exec atk sh -c 'exit 0'
	done
	# a writer that holds an fd tries for 5 s after its process has gone
	for i in $(seq 60); do
		run b logs atk
		[[ "$output" == *wrote* ]] && break
		[ "$(grep -c found <<< "$output")" -le "$(grep -c denied <<< "$output")" ] && break
		sleep 0.1
	done
	run b logs atk
	echo "found: $(grep -c found <<< "$output"), denied: $(grep -c denied <<< "$output")"
	echo "$output" | grep -v denied | head -20
	# the race was run: the attacker did catch processes of berth's
	[ "$(grep -c found <<< "$output")" -gt 0 ]
	[[ "$output" != *wrote* ]]
	[ "$(sha256sum < "$BERTH")" = "$sum" ]
}

@test "exec -t: a /dev/ptmx the container replaced is refused, never opened as the multiplexer" {
	b run -d --name ptmx busybox sleep 100
	# a symlink to another device, and a fifo: both refused with the reason, nothing hangs
	b exec ptmx sh -c 'rm -f /dev/ptmx && ln -s /dev/null /dev/ptmx'
	run -125 timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec -t ptmx true
	[[ "$output" == *"/dev/ptmx is not the pty multiplexer"* ]]
	b exec ptmx sh -c 'rm -f /dev/ptmx && mkfifo /dev/ptmx'
	run -125 timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec -t ptmx true
	[[ "$output" == *"/dev/ptmx is not the pty multiplexer"* ]]
	# put back, exec -t works again
	b exec ptmx sh -c 'rm -f /dev/ptmx && ln -s pts/ptmx /dev/ptmx'
	run -0 timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec -t ptmx sh -c '[ -t 0 ] && echo tty'
	[[ "$output" == *tty* ]]
}
