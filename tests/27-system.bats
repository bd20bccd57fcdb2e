#!/usr/bin/env bats
# berth info, version, system df and system prune: docker's layouts over the engine's numbers

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "info: docker's sections, the host's cgroup version, and counts that follow the containers" {
	run b info
	[ "$status" -eq 0 ]
	[[ "$output" == *"Client:"* ]]
	[[ "$output" == *"Server:"* ]]
	[[ "$output" == *" Storage Driver: overlay2"* ]]
	[[ "$output" == *" Cgroup Driver: cgroupfs"* ]]
	[[ "$output" == *" Docker Root Dir: $STORE"* ]]
	[[ "$output" == *"  Default Pids Limit: 2048"* ]]
	# what src/cgroup detects: a cgroup2 /sys/fs/cgroup is v2, a hybrid or legacy host v1
	want=1
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && want=2
	[ "$(b info -f '{{.CgroupVersion}}')" = "$want" ]
	[ "$(b info --format '{{.Images}} {{.Containers}} {{.OSType}} {{.Driver}}')" = "1 0 linux overlay2" ]
	[ "$(b info -f '{{.NCPU}}')" = "$(nproc)" ]
	b run -d --name sleeper busybox sleep 60 > /dev/null
	b create --name idle busybox true > /dev/null
	[ "$(b info -f '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}')" = "2 1 1" ]
	b rm -f sleeper > /dev/null
	[ "$(b info -f '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}')" = "1 0 1" ]
	# the whole document as JSON, for a daemon's GET /info
	[ "$(b info -f json | jq -r '.SecurityOptions[0]')" = "name=seccomp,profile=default" ]
}

@test "info: the default pids limit in force is the one berth.json sets" {
	echo '{"default-pids-limit": 77}' > "$TESTDIR/berth.json"
	[ "$(b --config "$TESTDIR/berth.json" info -f '{{.BerthConfig.DefaultPidsLimit}}')" = 77 ]
	run b --config "$TESTDIR/berth.json" info
	[[ "$output" == *"  Default Pids Limit: 77"* ]]
	echo '{"default-pids-limit": -1}' > "$TESTDIR/berth.json"
	run b --config "$TESTDIR/berth.json" info
	[[ "$output" == *"  Default Pids Limit: unlimited"* ]]
	# a bad file is an error, not silently the defaults
	echo '{"nope": 1}' > "$TESTDIR/berth.json"
	run b --config "$TESTDIR/berth.json" info
	[ "$status" -ne 0 ]
}

@test "version: Client and Server sections, --format, and --version unchanged" {
	run b version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Client:" ]
	[[ "$output" == *" API version:       1.41"* ]]
	[[ "$output" == *"Server:"* ]]
	[[ "$output" == *"  API version:      1.41 (minimum version 1.41)"* ]]
	v=$(b --version | awk '{print $3}')
	[ -n "$v" ]
	[ "$(b version -f '{{.Client.Version}}')" = "$v" ]
	[ "$(b version --format '{{.Server.ApiVersion}} {{.Server.Os}}')" = "1.41 linux" ]
	[ "$(b -v)" = "berth version $v" ]
}

@test "system df: the table, and numbers that follow images, containers and volumes" {
	run b system df
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	[[ "${lines[1]}" =~ ^Images\ +1\ +0\ +[0-9.]+[kMG]?B\ +[0-9.]+[kMG]?B\ \(100%\)$ ]]
	[[ "${lines[2]}" =~ ^Containers\ +0\ +0\ +0B\ +0B$ ]]
	[[ "${lines[3]}" =~ ^Local\ Volumes\ +0\ +0\ +0B\ +0B$ ]]
	[[ "${lines[4]}" =~ ^Build\ Cache\ +0\ +0\ +0B\ +0B$ ]]
	# a second image with its own layer: two images, a larger size
	mkdir "$TESTDIR/extra"
	head -c 5000 /dev/zero > "$TESTDIR/extra/blob"
	tar -C "$TESTDIR/extra" -cf "$TESTDIR/extra.tar" .
	b import "$TESTDIR/extra.tar" extra > /dev/null
	[ "$(b system df --format '{{.Type}}={{.TotalCount}}' | head -1)" = "Images=2" ]
	# a container that wrote 3000 bytes, and a volume with 2000
	b run --name writer -v vol1:/data busybox sh -c 'head -c 3000 /dev/zero > /f; head -c 2000 /dev/zero > /data/g'
	run b system df --format '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}'
	[ "${lines[0]%% *}" = Images ]
	[[ "${lines[0]}" == "Images 2 1 "* ]]
	[ "${lines[1]}" = "Containers 1 0 3kB 3kB (100%)" ]
	[ "${lines[2]}" = "Local Volumes 1 1 2kB 0B (0%)" ]
	# -v: the items
	run b system df -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"Images space usage:"* ]]
	[[ "$output" == *"Containers space usage:"* ]]
	[[ "$output" == *"Local Volumes space usage:"* ]]
	[[ "$output" == *"Build cache usage: 0B"* ]]
	echo "$output" | grep -E '^extra +latest +[0-9a-f]{12} .* 0$'
	echo "$output" | grep -E '^busybox +latest +[0-9a-f]{12} .* 1$'
	echo "$output" | grep -E '^vol1 +1 +2kB$'
	echo "$output" | grep -E '^[0-9a-f]{12} +busybox .* 3kB .* exited +writer$'
	[ "$(b system df -v --format '{{len .Images}} {{len .Containers}} {{len .Volumes}}')" = "2 1 1" ]
}

@test "system prune: asks first; n keeps everything, y removes stopped containers and dangling images" {
	b run --name done busybox true
	b run -d --name up busybox sleep 60 > /dev/null
	b tag busybox other
	b rmi busybox > /dev/null
	run b system prune <<< n
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING! This will remove:"* ]]
	[[ "$output" == *"  - all stopped containers"* ]]
	[[ "$output" == *"Are you sure you want to continue? [y/N]"* ]]
	[ "$(b ps -aq | wc -l)" -eq 2 ]
	id=$(b inspect -f '{{.Id}}' done)
	run b system prune <<< y
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Containers:"*"$id"* ]]
	[[ "$output" == *"Total reclaimed space: "* ]]
	# the running one and the image it uses stay
	[ "$(b ps -aq --no-trunc)" = "$(b inspect -f '{{.Id}}' up)" ]
	b inspect -f '{{.Id}}' other
}

@test "system prune -f -a --volumes: unused images and volumes go, nothing in use does" {
	mkdir "$TESTDIR/extra"
	echo x > "$TESTDIR/extra/f"
	tar -C "$TESTDIR/extra" -cf "$TESTDIR/extra.tar" .
	b import "$TESTDIR/extra.tar" unused > /dev/null
	b volume create keepme > /dev/null
	b volume create loose > /dev/null
	b run -d --name up -v keepme:/k busybox sleep 60 > /dev/null
	# without -a the tagged unused image stays; without --volumes every volume stays
	run b system prune -f
	[ "$status" -eq 0 ]
	b image inspect unused > /dev/null
	[ "$(b volume ls -q | sort | tr '\n' ' ')" = "keepme loose " ]
	run b system prune -f -a --volumes
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Images:"*"untagged: unused:latest"* ]]
	[[ "$output" == *"Deleted Volumes:"*"loose"* ]]
	[[ "$output" != *keepme* ]]
	[[ "$output" == *"Total reclaimed space: "* ]]
	run b image inspect unused
	[ "$status" -ne 0 ]
	[ "$(b volume ls -q)" = keepme ]
	b image inspect busybox > /dev/null
	[ "$(b inspect -f '{{.State.Status}}' up)" = running ]
}

@test "system: an unknown verb or flag is a usage error" {
	run b system frob
	[ "$status" -eq 125 ]
	[[ "$output" == *"system frob: not a system command"* ]]
	run b system
	[ "$status" -eq 125 ]
	run b system df --nope
	[ "$status" -eq 125 ]
}
