#!/usr/bin/env bats
# check-bats.py's fixture: each line marked `expect-lint` must be refused, and no other.
# Never run by bats (tests/run-bats.sh runs tests/*.bats only).

helper() {
	! grep -q x /etc/hostname # expect-lint
	echo done
}

@test "a negated command in the middle is ignored by set -e" {
	! grep -q root /etc/passwd # expect-lint
	true
}

@test "negated commands hidden in lists, loops, case arms and continuations" {
	true && ! false # expect-lint
	! true; true # expect-lint
	for f in /etc/passwd; do
		! grep -q "$f" /proc/self/mountinfo # expect-lint
	done
	case x in
	x) ! true ;; # expect-lint
	esac
	! grep -q \
		"a string that goes on" /etc/passwd # expect-lint
	{ ! true; } # expect-lint
	echo "one ! two" | ! grep -q "$(echo '! x')" # expect-lint
	true
}

@test "|| true after a test command, with a marker or without" {
	[ -d /nonexistent ] || true # expect-lint
	[ -d /a ] || [ ! -d /b ] || true # expect-lint
	[[ -e /x ]] || : # expect-lint
	test -e /x || true # cleanup # expect-lint
}

@test "|| true without a reason" {
	grep -q root /etc/passwd || true # expect-lint
	x=$(false) || true # expect-lint
	! grep -q root /etc/passwd
}

@test "checks joined by && before the last line" {
	[ -d /etc ] && [ -f /etc/passwd ] # expect-lint
	[[ -d /etc ]] && [ -f /x ] && test -e /y # expect-lint
	[ -d /a ] && [ -d /b ]; true # expect-lint
	true
}
