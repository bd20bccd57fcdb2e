#!/usr/bin/env bats
# The engine as its front ends see it: the CLI only parses and prints (what it may include),
# and what the engine notes that the CLI never did (volume create and mount)

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "engine: only the runtime's CLI reaches below the engine (runtime/, cgroup/, linux/, image/)" {
	src="$BATS_TEST_DIRNAME/../src/cli"
	[ -d "$src" ] || skip "no source tree next to the tests"
	run grep -lE '#include "(runtime|cgroup|linux|image)/' "$src"/*.c
	[ "$output" = "$src/cmd-runtime.c" ]
	# and no CLI file builds a container's path or resolves one itself
	run grep -nE 'ctr_dir\(|ctr_resolve\(|ctr_load\(|"%s/containers' "$src"/*.c
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "engine: a run notes the volumes it creates and mounts, as docker does" {
	b run --rm -v evvol:/data busybox true
	b run --rm -v evvol:/data:ro busybox true
	run b events --since 0 --until 0s -f volume=evvol --format '{{.Action}} {{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}'
	[ "${lines[0]}" = "create  " ]
	[ "${lines[1]}" = "mount /data true" ]
	[ "${lines[2]}" = "mount /data false" ]
	[ "${#lines[@]}" -eq 3 ]
	# the mount names its container
	id=$(b create -v evvol:/x busybox true)
	b start "$id" > /dev/null
	b wait "$id" > /dev/null
	[ "$(b events --since 0 --until 0s -f volume=evvol -f event=mount --format '{{index .Actor.Attributes "container"}}' | tail -1)" = "$id" ]
	b rm "$id" > /dev/null
	b volume rm evvol > /dev/null
}
