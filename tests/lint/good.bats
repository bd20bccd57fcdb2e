#!/usr/bin/env bats
# check-bats.py's fixture: nothing here may be refused.
# Never run by bats (tests/run-bats.sh runs tests/*.bats only).

bats_require_minimum_version 1.5.0

setup() {
	mkdir -p /tmp/x || true
}

teardown() {
	rm -rf /tmp/x || true
	umount -l /tmp/x 2>/dev/null || :
}

helper() {
	kill "$1" 2>/dev/null || true
	! grep -q x /etc/hostname
}

@test "real assertions" {
	run ! grep -q nosuch /etc/passwd
	run -1 grep -q nosuch /etc/passwd
	[ ! -e /nonexistent ]
	[[ ! -e /nonexistent && ! -e /other ]]
	if ! grep -q nosuch /etc/passwd; then echo no; fi
	if true && ! false; then
		echo yes
	fi
	while ! true; do sleep 1; done
	until ! false; do :; done
	x=$(! true || echo "! not a command")
	echo '! quoted' "! too" $'! ansi'
	echo "a $(printf '%s' "! nested") b" # ! in a comment
	cat <<-EOT
	! in a heredoc
	EOT
	v="a
	! inside a multi-line string
	"
	child=$(pgrep -P 1 || true)
	[ -z "$(grep -rl nosuch /etc/hostname || true)" ]
	sleep 0 &
	wait "$!" || [ $? -eq 137 ]
	kill -0 99999999 2>/dev/null || true # cleanup
	false || true # ignore: a reason
	! grep -q nosuch /etc/passwd
}

@test "the last command may be a negated one, after others on its line" {
	true; ! false
}

@test "a negated list at the end counts as a whole" {
	! false && ! false
}

@test "&& as control flow, inside [[ ]], or as the last line" {
	[ -d /etc ] && echo yes
	[[ -d /etc && -f /etc/passwd ]]
	for i in 1 2; do [ "$i" = 2 ] && break; done
	[ -d /a ] && [ -d /b ] || echo neither # the list ends in ||: its last command decides
	[ -d /etc ] && [ -f /etc/passwd ] # ignore: a reason
	[ -d /etc ] && [ -f /etc/passwd ]
}
