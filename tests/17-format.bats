#!/usr/bin/env bats
# --format (Go templates, as docker has them) and --filter: ps, inspect, images, volume ls

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

# three containers: web (running, labelled, with a volume), quick (exited 3), made (created)
three() {
	web=$(b run -d --name web -l com.example.role=db -l tier=front -v data:/data busybox sleep 60)
	b run --name quick busybox sh -c 'exit 3' || true
	made=$(b create --name made -l tier=back busybox true)
}

@test "ps --format TEMPLATE: one line a container, \\t a tab, the fields docker has" {
	three
	run b ps --format '{{.ID}}\t{{.Names}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\tweb' "${web:0:12}")" ]
	# newest first; state, status, the command quoted and cut as docker does
	run b ps -a --format '{{.Names}}|{{.State}}|{{.Status}}|{{.Command}}'
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = 'made|created|Created|"true"' ]
	[[ "${lines[1]}" == 'quick|exited|Exited (3) '*' ago|"sh -c exit 3"' ]]
	[[ "${lines[2]}" == 'web|running|Up '*'|"sleep 60"' ]]
	b run -d --name long busybox sh -c 'echo "a quoted \"word\" and more"; sleep 60' > /dev/null
	[ "$(b ps -f name=long --format '{{.Command}}')" = '"sh -c echo \"a quote…"' ]
	[ "$(b ps -f name=long --no-trunc --format '{{.Command}}')" = \
		'"sh -c echo \"a quoted \\\"word\\\" and more\"; sleep 60"' ]
	# labels (sorted k=v), .Label "key", mounts, networks, IDs, times
	run b ps -f name=web --format '{{.Labels}}|{{.Label "com.example.role"}}|{{.Label "nope"}}|{{.Mounts}}|{{.LocalVolumes}}|{{.Networks}}|{{.Ports}}'
	[ "$output" = "com.example.role=db,tier=front|db||data|1|none|" ]
	[ "$(b ps -f name=web --no-trunc --format '{{.ID}}')" = "$web" ]
	[[ "$(b ps -f name=web --format '{{.CreatedAt}}')" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [+-][0-9]{4}\ [A-Z]+$ ]]
	[[ "$(b ps -f name=web --format '{{.RunningFor}}')" == *" ago" ]]
	# functions, conditions, pipelines
	[ "$(b ps -a --format '{{if eq .State "running"}}{{.Names | upper}}{{end}}' | grep . | sort | tr '\n' ' ')" = "LONG WEB " ]
	run b ps -f name=web --format '{{.Label}}'
	[ "$status" -eq 125 ]
	[[ "$output" == *"wrong number of args for Label: want 1 got 0" ]]
	# -q wins over a format, as with docker
	[ "$(b ps -q --format '{{.Names}}')" = "$(b ps -q)" ]
}

@test "ps --format 'table ...': docker's column names, aligned; json keeps docker's keys" {
	three
	run b ps -a --format 'table {{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label "com.example.role"}}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "CONTAINER ID   NAMES   STATE     role" ]
	[ "${lines[1]}" = "${made:0:12}   made    created   " ]
	[ "${lines[3]}" = "${web:0:12}   web     running   db" ]
	run b ps --format 'table {{.Image}}\t{{.RunningFor}}\t{{.Status}}\t{{.Size}}'
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +STATUS\ +SIZE$ ]]
	# the default table is unchanged, and -s adds SIZE
	run b ps
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	run b ps -s
	[[ "${lines[0]}" =~ NAMES\ +SIZE$ ]]
	[[ "${lines[1]}" == *" web "*"B (virtual "*"B)" ]]
	run b ps -a --format json
	[ "${#lines[@]}" -eq 3 ]
	[ "$(echo "${lines[2]}" | jq -r '[.Names, .State, .Labels, .Mounts, .Networks] | join(" ")')" = \
		"web running com.example.role=db,tier=front data none" ]
	[ "$(echo "${lines[2]}" | jq -r 'keys | join(",")')" = \
		"Command,CreatedAt,ID,Image,Labels,LocalVolumes,Mounts,Names,Networks,Ports,RunningFor,Size,State,Status" ]
}

@test "ps .Size: what the container wrote, and with its image" {
	b run -d --name writer busybox sh -c 'dd if=/dev/zero of=/big bs=1000 count=5 2>/dev/null; sleep 60' > /dev/null
	for i in $(seq 50); do [ "$(b inspect -s -f '{{.SizeRw}}' writer)" -ge 5000 ] && break; sleep 0.1; done
	rw=$(b inspect -s -f '{{.SizeRw}}' writer)
	[ "$rw" -ge 5000 ]
	[ "$rw" -lt 6000 ]
	[ "$(b inspect -s -f '{{gt .SizeRootFs .SizeRw}}' writer)" = true ]
	[[ "$(b ps --format '{{.Size}}')" =~ ^5(\.[0-9]+)?kB\ \(virtual\ [0-9.]+MB\)$ ]]
}

@test "ps --filter: docker's keys; a key given twice is either, two keys both" {
	three
	byname() { b ps "$@" --format '{{.Names}}' | tr '\n' ' '; }
	[ "$(byname -f status=exited)" = "quick " ]
	[ "$(byname -f status=created -f status=exited)" = "made quick " ]
	[ "$(byname -a -f status=running)" = "web " ]
	[ "$(byname -a -f exited=3)" = "quick " ]
	[ "$(byname -a -f exited=0)" = "" ]
	# name and id: docker's regular expressions (or the exact value)
	[ "$(byname -a -f name=ma)" = "made " ]
	[ "$(byname -a -f 'name=^/?(web|quick)$')" = "quick web " ]
	[ "$(byname -a -f "id=${web:0:6}")" = "web " ]
	# label: each given must be there (key, or key=value)
	[ "$(byname -a -f label=tier)" = "made web " ]
	[ "$(byname -a -f label=tier=back)" = "made " ]
	[ "$(byname -a -f label=tier -f label=com.example.role=db)" = "web " ]
	[ "$(byname -a -f label=tier=front -f label=com.example.role=other)" = "" ]
	[ "$(byname -a -f label=tier -f status=created)" = "made " ]
	# ancestor (by name or ID), volume (by name or destination), network
	img=$(b images -q --no-trunc busybox)
	b import "$TESTDIR/rootfs.tar" other > /dev/null
	b create --name fromother other true > /dev/null
	[ "$(byname -a -f ancestor=busybox)" = "made quick web " ]
	[ "$(byname -a -f "ancestor=$img")" = "made quick web " ]
	[ "$(byname -a -f ancestor=other)" = "fromother " ]
	[ "$(byname -a -f ancestor=nosuchimage)" = "" ]
	[ "$(byname -a -f volume=data)" = "web " ]
	[ "$(byname -a -f volume=/data)" = "web " ]
	[ "$(byname -a -f network=none -f name=web)" = "web " ]
	# before and since: by creation, the named one left out
	[ "$(byname -a -f before=quick)" = "web " ]
	[ "$(byname -a -f since=quick)" = "fromother made " ]
	# -n counts what the filters let through
	[ "$(byname -n 1 -f label=tier)" = "made " ]
}

@test "ps --filter and --format: bad input gets one line and exit 125" {
	run b ps -f foo=bar
	[ "$status" -eq 125 ]
	[ "$output" = "berth: invalid filter 'foo'" ]
	run b ps -f status=sleeping
	[ "$status" -eq 125 ]
	[ "$output" = "berth: invalid filter 'status=sleeping'" ]
	run b ps -f exited=x
	[ "$status" -eq 125 ]
	run b ps -f nonsense
	[ "$status" -eq 125 ]
	[[ "$output" == *"expected name=value"* ]]
	run b ps -a -f before=nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: nosuch"* ]]
	b run -d --name web busybox sleep 60 > /dev/null
	run b ps --format '{{.Names'
	[ "$status" -eq 125 ]
	[ "$output" = "berth: template parsing error: template: :1: unclosed action" ]
	run b ps --format '{{.Name}}'
	[ "$status" -eq 125 ]
	[ "$output" = 'berth: template parsing error: template: :1:2: executing "" at <.Name>: can'"'"'t evaluate field Name' ]
	run b ps --format '{{nosuch .Names}}'
	[ "$status" -eq 125 ]
	[[ "$output" == *'function "nosuch" not defined' ]]
}

@test "inspect --format: a line an object; containers, images and volumes alike" {
	three
	pid=$(b inspect -f '{{.State.Pid}}' web)
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	run b inspect --format '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' web quick made
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "web running 0 true" ]
	[ "${lines[1]}" = "quick exited 3 false" ]
	[ "${lines[2]}" = "made created 0 false" ]
	[ "$(b inspect -f '{{if .State.Running}}up{{else}}down{{end}}' web quick | tr '\n' ' ')" = "up down " ]
	[ "$(b inspect -f '{{index .Config.Labels "com.example.role"}}|{{.Config.Labels.tier}}|{{.Config.Labels.nope}}' web)" = \
		"db|front|<no value>" ]
	[ "$(b inspect -f '{{json .Config.Labels}}' web)" = '{"com.example.role":"db","tier":"front"}' ]
	[ "$(b inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' web)" = "data:/data " ]
	[ "$(b inspect -f '{{join .Args ","}} {{len .Args}} {{.Path}}' quick)" = "-c,exit 3 2 sh" ]
	[ "$(b container inspect -f '{{.Id}}' web)" = "$web" ]
	# \t stays as typed for inspect, as with docker
	[ "$(b inspect -f '{{.Name}}\t' web)" = 'web\t' ]
	# images and volumes: by inspect, image inspect, volume inspect
	id=$(b images -q --no-trunc busybox)
	[ "$(b inspect -f '{{.Id}} {{.Os}}' busybox)" = "$id linux" ]
	[ "$(b image inspect -f '{{.Id}}' busybox)" = "$id" ]
	[ "$(b inspect -f '{{.Name}} {{.Driver}}' data)" = "data local" ]
	[ "$(b volume inspect -f '{{.Mountpoint}}' data)" = "$STORE/volumes/data/_data" ]
	[ "$(b volume inspect --format '{{.Name}}' data)" = "data" ]
	[ "$(b inspect --type volume -f '{{.Scope}}' data)" = local ]
	# json: the array on one line; without --format the indented array as before
	[ "$(b inspect --format json web quick | jq -r '.[].Name' | tr '\n' ' ')" = "web quick " ]
	[ "$(b inspect --format json web | wc -l)" -eq 1 ]
	[ "$(b inspect web data busybox | jq -r '.[0].Name, .[1].Name, .[2].Id' | tr '\n' ' ')" = "web data $id " ]
	[ "$(b volume inspect data | jq -r '.[0].Name')" = data ]
}

@test "inspect --format: missing objects and bad templates" {
	b run -d --name web busybox sleep 60 > /dev/null
	run b inspect -f '{{.Name}}' nosuch web
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "berth: no such object: nosuch" ]
	[ "${lines[1]}" = web ]
	run b container inspect -f '{{.Id}}' busybox
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: busybox"* ]]
	run b inspect --type image -f '{{.Id}}' web
	[ "$status" -eq 1 ]
	run b inspect -f '{{.State.Pid' web
	[ "$status" -eq 125 ]
	[ "$output" = "berth: template parsing error: template: :1: unclosed action" ]
	run b inspect -f '{{.Nope}}' web
	[ "$status" -eq 125 ]
	[[ "$output" == *"can't evaluate field Nope" ]]
	run b inspect -f '{{index .Args 7}}' web
	[ "$status" -eq 125 ]
	[[ "$output" == *"index out of range: 7" ]]
	run b inspect --type network web
	[ "$status" -eq 125 ]
}

@test "images --format and --filter" {
	b import -c 'LABEL stage=test' "$TESTDIR/rootfs.tar" me/app:v1 > /dev/null
	b tag busybox me/app:v2
	b import "$TESTDIR/rootfs.tar" > /dev/null
	run b images --format '{{.Repository}}:{{.Tag}}'
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "<none>:<none> busybox:latest me/app:v1 me/app:v2 " ]
	id=$(b images -q --no-trunc busybox)
	[ "$(b images --format '{{.ID}}' busybox)" = "${id:7:12}" ]
	[ "$(b images --no-trunc --format '{{.ID}}' busybox)" = "$id" ]
	[[ "$(b images --format '{{.Size}} {{.CreatedSince}} {{.Digest}}' busybox)" =~ ^[0-9.]+[kM]?B\ .*\ ago\ sha256:[0-9a-f]{64}$ ]]
	run b images --format 'table {{.Repository}}\t{{.ID}}' busybox
	[ "${lines[0]}" = "REPOSITORY   IMAGE ID" ]
	[ "${lines[1]}" = "busybox      ${id:7:12}" ]
	# the default table as before
	run b images
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	bytag() { b images "$@" --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' '; }
	[ "$(bytag -f dangling=true)" = "<none>:<none> " ]
	[ "$(bytag -f dangling=false)" = "busybox:latest me/app:v1 me/app:v2 " ]
	[ "$(bytag -f 'reference=me/*')" = "me/app:v1 me/app:v2 " ]
	[ "$(bytag -f 'reference=me/app:v2')" = "me/app:v2 " ]
	[ "$(bytag -f label=stage)" = "me/app:v1 " ]
	[ "$(bytag -f label=stage=prod)" = "" ]
	[ "$(bytag me/app)" = "me/app:v1 me/app:v2 " ]
	run b images -f colour=red
	[ "$status" -eq 125 ]
	[ "$output" = "berth: invalid filter 'colour'" ]
	run b images --format '{{.Tag'
	[ "$status" -eq 125 ]
	[[ "$output" == *"template parsing error"* ]]
}

@test "volume ls --format" {
	b volume create one > /dev/null
	b volume create two > /dev/null
	[ "$(b volume ls --format '{{.Name}}={{.Driver}}' | sort | tr '\n' ' ')" = "one=local two=local " ]
	run b volume ls --format 'table {{.Name}}\t{{.Mountpoint}}'
	[ "${lines[0]}" = "VOLUME NAME   MOUNTPOINT" ]
	[[ "${lines[1]}" == "one           $STORE/volumes/one/_data" ]]
	[ "$(b volume ls --format json | jq -r .Name | sort | tr '\n' ' ')" = "one two " ]
	run b volume ls
	[ "${lines[0]}" = "DRIVER   VOLUME NAME" ]
}
