#!/usr/bin/env bats
# Volumes and mounts: -v, --mount, --tmpfs, and berth volume create/ls/inspect/rm/prune

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "-v HOST:CTR binds a host directory, read-write or :ro" {
	mkdir "$TESTDIR/host"
	echo from-host > "$TESTDIR/host/f"
	run b run --rm -v "$TESTDIR/host:/mnt" busybox sh -c 'cat /mnt/f; echo back > /mnt/w'
	[ "$output" = from-host ]
	[ "$(cat "$TESTDIR/host/w")" = back ]
	run b run --rm -v "$TESTDIR/host:/mnt:ro" busybox sh -c 'echo x > /mnt/x'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$TESTDIR/host/x" ]
	# a file, and a destination the image lacks
	run b run --rm -v "$TESTDIR/host/f:/new/dir/file:ro" busybox cat /new/dir/file
	[ "$output" = from-host ]
	# inspect shows the mount
	b run -d --name mnt1 -v "$TESTDIR/host:/mnt:ro" busybox true > /dev/null
	[ "$(b inspect mnt1 | jq -c '.[0].Mounts[0] | [.Type, .Source, .Destination, .RW]')" = "[\"bind\",\"$TESTDIR/host\",\"/mnt\",false]" ]
}

@test "-v NAME:CTR: a named volume is made on first use, keeps data, and gets the image's files" {
	b run --rm -v data:/data busybox sh -c 'echo kept > /data/k'
	[ "$(b run --rm -v data:/data busybox cat /data/k)" = kept ]
	# copy-up: a new volume over a directory of the image starts with its content
	b run --rm -v etcvol:/etc busybox true
	[ -f "$STORE/volumes/etcvol/_data/passwd" ]
	run b volume ls
	[ "${lines[0]}" = "DRIVER   VOLUME NAME" ]
	[[ "$output" == *"local    data"* ]]
	[ "$(b volume ls -q | sort | tr '\n' ' ')" = "data etcvol " ]
	run b volume inspect data
	[ "$(echo "$output" | jq -r '.[0].Name + " " + .[0].Driver + " " + .[0].Mountpoint')" = "data local $STORE/volumes/data/_data" ]
}

@test "volume rm refuses a volume a container uses; rm -v removes anonymous volumes" {
	b volume create keep > /dev/null
	b run -d --name user -v keep:/k -v /anon busybox true > /dev/null
	b wait user > /dev/null
	run b volume rm keep
	[ "$status" -eq 1 ]
	[[ "$output" == *"in use by container"* ]]
	anon=$(b inspect user | jq -r '.[0].Mounts[] | select(.Destination == "/anon") | .Name')
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	b rm -v user
	[ "$(b volume ls -q)" = keep ]
	b volume rm keep
	[ -z "$(b volume ls -q)" ]
	run b volume rm keep
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such volume: keep"* ]]
	b volume rm -f keep
	# --rm takes the anonymous volumes with it
	b run --rm -v /anon2 busybox true
	[ -z "$(b volume ls -q)" ]
	# prune: anonymous volumes nobody uses
	b run -d --name a2 -v /x busybox true > /dev/null
	b wait a2 > /dev/null
	b rm a2
	b volume create named > /dev/null
	run b volume prune
	[ "$status" -eq 125 ]
	run b volume prune -f
	[ "${#lines[@]}" -eq 2 ]
	[ "$(b volume ls -q)" = named ]
}

@test "--tmpfs and --mount type=bind|volume|tmpfs" {
	run b run --rm --tmpfs /scratch:size=1m busybox sh -c 'grep " /scratch " /proc/mounts'
	[[ "$output" == "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k"* ]]
	mkdir "$TESTDIR/host"
	run b run --rm --mount "type=bind,src=$TESTDIR/host,dst=/m,readonly" busybox touch /m/y
	[ "$status" -ne 0 ]
	b run --rm --mount type=volume,source=mv,target=/v busybox sh -c 'echo in > /v/f'
	[ "$(cat "$STORE/volumes/mv/_data/f")" = in ]
	run b run --rm --mount type=tmpfs,dst=/t,tmpfs-size=2m busybox sh -c 'grep " /t " /proc/mounts'
	[[ "$output" == *"size=2048k"* ]]
}

@test "mounts: bad input gets one line and exit 125, and leaves no container or anonymous volume" {
	run -125 b run --rm -v /nonexistent-$$:/x busybox true
	[[ "$output" == *"bind source path does not exist"* ]]
	run -125 b run --rm -v bad/name:/x busybox true
	[[ "$output" == *"invalid volume name"* ]]
	run -125 b run --rm -v data:relative busybox true
	[[ "$output" == *"must be an absolute path"* ]]
	run -125 b run --rm -v /anon -v data:/x:bogus busybox true
	[[ "$output" == *'unknown mount option "bogus"'* ]]
	run -125 b run --rm --mount type=nfs,dst=/x busybox true
	run -125 b run --rm --mount type=bind,dst=/x busybox true
	run -125 b run --rm --mount type=volume,dst=/x,color=red busybox true
	run -125 b run --rm -v /:/ busybox true
	run -125 b volume create 'bad name'
	[ -z "$(b ps -aq)" ]
	[ "$(b volume ls -q)" = data ]
	! grep -q "$STORE" /proc/self/mountinfo
}
