#!/usr/bin/env bats
# Errors: every failure carries an error (no NULL err that crashes or reads as success), and
# the exit code comes from the error's kind, never from its message's text (issue 8).

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "ps -f ancestor: an image that is missing or not a valid name matches nothing, as docker" {
	# docker's daemon warns "Could not find image" and lists no container, exit 0
	local id
	id=$(b run -d --name keeper busybox sleep 30)
	local what
	for what in Foo nosuch 'nosuch:latest' 'sha256:ffffffffffff' 'library/Busybox:x' '::'; do
		run b ps -a -f "ancestor=$what"
		[ "$status" -eq 0 ] || { echo "ancestor=$what: exit $status: $output"; false; }
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "CONTAINER ID"* ]]
	done
	# an ancestor that is there still selects its containers
	run -0 b ps -a -q -f ancestor=busybox
	[ "$output" = "${id:0:12}" ]
	# and with no container at all
	b rm -f keeper > /dev/null
	run -0 b ps -a -f ancestor=Foo
	[ "${#lines[@]}" -eq 1 ]
}

@test "exit codes: 127 command not found, 126 not runnable, for run and exec alike" {
	run -127 b run --rm busybox nosuchcommand
	[[ "$output" == *'"nosuchcommand": executable file not found'* ]]
	run -127 b run --rm busybox /no/such/file
	run -126 b run --rm busybox /etc/passwd
	[[ "$output" == *'"/etc/passwd": '*'ermission denied'* ]]
	b run -d --name target busybox sleep 30 > /dev/null
	run -127 b exec target nosuchcommand
	[[ "$output" == *'executable file not found'* ]]
	run -127 b exec target /no/such/file
	run -127 b exec target ''
	run -126 b exec target /etc/passwd
	# executable by its mode, but not a program (ENOEXEC at execve): it cannot be run
	b exec target sh -c 'printf "not a program\n" > /tmp/junk; chmod 755 /tmp/junk'
	run -126 b exec target /tmp/junk
	[[ "$output" == *'"/tmp/junk"'* ]]
	# the container is unharmed and a good exec still works
	run -0 b exec target echo fine
	[ "$output" = fine ]
}

@test "exit codes: berth's own errors are 125, even when their message starts with \"exec: \"" {
	run -125 b exec nosuchcontainer true
	[[ "$output" == *'no such container'* ]]
	b run -d --name target busybox sleep 30 > /dev/null
	run -125 b exec -w relative/dir target true
	[[ "$output" == *'exec: -w relative/dir'* ]]
	run -125 b exec -u nosuchuser target true
	run -125 b exec -w /no/such/dir target true
	run -125 b exec target
	[[ "$output" == *'exec: '* ]]
	run -125 b run --rm nosuchimage true
	run -125 b run --rm -u nosuchuser busybox true
	run -125 b run --rm -w /etc/passwd busybox true
}

@test "exit codes: a command that cannot be run, from the image's own config" {
	# the command comes from the image (Cmd/Entrypoint), not the command line
	mkdir -p "$TESTDIR/img"
	tar -C "$TESTDIR/img" -xf "$TESTDIR/rootfs.tar"
	printf 'not a program\n' > "$TESTDIR/img/junk"
	chmod 755 "$TESTDIR/img/junk"
	tar -C "$TESTDIR/img" -cf "$TESTDIR/img.tar" .
	b import -c 'CMD ["/junk"]' "$TESTDIR/img.tar" junkimg > /dev/null
	b import -c 'ENTRYPOINT ["/nothing/here"]' "$TESTDIR/img.tar" missingimg > /dev/null
	run -126 b run --rm junkimg
	run -127 b run --rm missingimg
	[[ "$output" == *'"/nothing/here"'* ]]
	[ -z "$(ls "$STORE/containers")" ]
}
