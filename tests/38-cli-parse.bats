#!/usr/bin/env bats
# Flags parsed as docker parses them: whole long names only (glibc's getopt would take a
# prefix: `--pid 7` as `--pids-limit 7`), `--flag=true|false` for booleans, docker's words
# for an unknown flag or a missing value, exit 125, nothing made.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "a prefix of a long flag is an unknown flag, not the flag it begins: exit 125, nothing made" {
	run -125 b run --pid 7 busybox true
	[ "${lines[0]}" = "berth: run: unknown flag: --pid" ]
	run -125 b run --pids 7 busybox true
	[ "${lines[0]}" = "berth: run: unknown flag: --pids" ]
	run -125 b create --mem 10m busybox true
	[ "${lines[0]}" = "berth: create: unknown flag: --mem" ]
	[ -z "$(ls "$STORE/containers")" ]
	run -125 b ps --al
	[ "${lines[0]}" = "berth: ps: unknown flag: --al" ]
	run -125 b images --dig
	[ "${lines[0]}" = "berth: images: unknown flag: --dig" ]
	# the whole names still work, and a name that is also a prefix of another is itself
	b run --rm --pids-limit 7 --net none busybox true
	b ps --all > /dev/null
}

@test "booleans take =true and =false; other values, unknown shorthands and missing values in docker's words" {
	run -0 b run --rm=true busybox echo gone
	[ "$output" = gone ]
	[ -z "$(b ps -aq)" ]
	b run --rm=false --name kept busybox true
	[ "$(b ps -aq | wc -l)" -eq 1 ]
	b rm kept > /dev/null
	run -1 b run --rm --read-only=true busybox touch /x
	[[ "$output" == *"Read-only file system"* ]]
	run -125 b run --rm=maybe busybox true
	[ "${lines[0]}" = "berth: run: invalid argument \"maybe\" for \"--rm\" flag: use true or false" ]
	run -125 b run --name
	[ "${lines[0]}" = "berth: run: flag needs an argument: --name" ]
	run -125 b run -Z busybox true
	[ "${lines[0]}" = "berth: run: unknown shorthand flag: 'Z' in -Z" ]
	# after the image the command's own arguments begin
	run -0 b run --rm busybox echo --pid -e
	[ "$output" = "--pid -e" ]
	run -125 b logs --follo x
	[ "${lines[0]}" = "berth: logs: unknown flag: --follo" ]
}

@test "flags anywhere among the arguments, except after run's image and exec's container" {
	b run -d --name web busybox sh -c 'echo hello; exec sleep 60' > /dev/null
	run -0 b inspect web -f '{{.Config.Hostname}}'
	[ "$output" = "$(b inspect -f '{{.Config.Hostname}}' web)" ]
	[ "$(b inspect web -f '{{.Id}}' | cut -c1-12)" = "$output" ]
	for k in $(seq 50); do
		[ "$(b logs web 2>&1)" = hello ] && break
		sleep 0.1
	done
	run -0 b logs web --tail 1
	[ "$output" = hello ]
	run -0 b exec web echo -f --tail
	[ "$output" = "-f --tail" ]
	b stop web -t 1 > /dev/null
	run -0 b ps -a --format '{{.Names}} {{.Status}}' --filter name=web
	[[ "$output" == "web Exited"* ]]
	b export web -o "$TESTDIR/web.tar"
	[ -s "$TESTDIR/web.tar" ]
	b start web -a > /dev/null
	b rm web -f > /dev/null
	[ -z "$(b ps -aq)" ]
	run -0 b images busybox -q
	[ -n "$output" ]
}
