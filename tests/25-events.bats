#!/usr/bin/env bats
# berth events: the journal of state changes under the run root, read back as docker's
# `docker events` shows it (--since, --until, -f KEY=VALUE, --format), past and future

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	EVPID=
}

teardown() {
	# the follower a test started, by its PID
	[ -n "$EVPID" ] && kill "$EVPID" 2>/dev/null || true
	engine_teardown
}

# every event of the journal so far, as JSON lines
past_json() {
	b events --since 0 --until 0s --format '{{json .}}' "$@"
}

# waits (up to 10 s) until file $1 has a line matching the regex $2
wait_line() {
	local k
	for k in $(seq 100); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	echo "no line matching $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

@test "events: a container's life, in docker's default line format" {
	b run -d --name web --label tier=front busybox sh -c 'exit 3' > /dev/null
	b wait web > /dev/null
	id=$(b inspect -f '{{.Id}}' web)
	b rm web > /dev/null
	run b events --since 0 --until 0s
	[ "$status" -eq 0 ]
	# create, start, die, destroy: in this order, each once
	[ "$(echo "$output" | awk '$2 == "container" { print $3 }' | paste -sd ' ')" = "create start die destroy" ]
	# time (RFC 3339, 9 digits of fraction) type action ID (attributes sorted by key)
	echo "$output" | grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2}) container create $id \(image=busybox, name=web, tier=front\)$"
	echo "$output" | grep -E " container die $id \(exitCode=3, image=busybox, name=web, tier=front\)$"
}

@test "events: --since and --until pick the past by RFC 3339 time, unix time or duration" {
	b volume create early > /dev/null
	sleep 0.05
	mark=$(date +%s.%N)
	mark3339=$(date -u -d "@$mark" +%Y-%m-%dT%H:%M:%S.%NZ)
	sleep 0.05
	b volume create late > /dev/null
	[ "$(b events --since 0 --until "$mark" -f type=volume --format '{{.Actor.ID}}' | paste -sd ' ')" = early ]
	[ "$(b events --since "$mark" --until 0s --format '{{.Actor.ID}}' | paste -sd ' ')" = late ]
	[ "$(b events --since "$mark3339" --until 0s --format '{{.Actor.ID}}' | paste -sd ' ')" = late ]
	[ "$(b events --until "$mark3339" -f type=volume --format '{{.Actor.ID}}' | paste -sd ' ')" = early ]
	[ "$(b events --since 10m --until 0s -f type=volume --format '{{.Actor.ID}}' | paste -sd ' ')" = "early late" ]
	# a bad time, a bad filter: docker's usage error
	run b events --since yesterday --until 0s
	[ "$status" -eq 125 ]
	[[ "$output" == *"--since yesterday"* ]]
	run b events --since 0 --until 0s -f colour=red
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid filter 'colour'"* ]]
}

@test "events: --format '{{json .}}' has docker's fields" {
	b run -d --name web busybox true > /dev/null
	b wait web > /dev/null
	id=$(b inspect -f '{{.Id}}' web)
	line=$(past_json -f event=start)
	[ "$(echo "$line" | jq -r '[.Type, .Action, .Actor.ID, .Actor.Attributes.name, .Actor.Attributes.image, .scope] | join(" ")')" = "container start $id web busybox local" ]
	# the legacy fields docker 20.10 still sends
	[ "$(echo "$line" | jq -r '[.status, .id, .from] | join(" ")')" = "start $id busybox" ]
	# time in seconds, timeNano in nanoseconds of the same moment, and recent
	echo "$line" | jq -e '(.timeNano / 1000000000 | floor) == .time and (now - .time) < 600 and (now - .time) > -5'
	# Go's field names in a template
	[ "$(past_json -f event=start | jq -r .time)" = "$(b events --since 0 --until 0s -f event=start --format '{{.Time}}')" ]
	[ "$(b events --since 0 --until 0s -f event=start --format '{{.Status}} {{.ID}} {{.From}} {{.Scope}}')" = "start $id busybox local" ]
}

@test "events: filters container=, event=, type=, image=, label=, volume=" {
	b run -d --name web --label a=1 busybox true > /dev/null
	b wait web > /dev/null
	b run -d --name other busybox true > /dev/null
	b wait other > /dev/null
	id=$(b inspect -f '{{.Id}}' web)
	b volume create vol1 > /dev/null
	b tag busybox mybox:1
	[ "$(past_json -f container=web | jq -r .Actor.Attributes.name | sort -u)" = web ]
	[ "$(past_json -f container="${id:0:12}" | jq -r .Actor.ID | sort -u)" = "$id" ]
	[ "$(past_json -f container=web -f event=die | jq -r .Action)" = die ]
	# two values of one key: either
	[ "$(past_json -f event=create -f event=die -f container=other | jq -r .Action | paste -sd ' ')" = "create die" ]
	# type=image: the import and the tag, nothing else
	[ "$(past_json -f type=image | jq -r .Action | paste -sd ' ')" = "import tag" ]
	[ "$(past_json -f type=image -f event=tag | jq -r .Actor.Attributes.name)" = mybox:1 ]
	[ "$(past_json -f label=a=1 | jq -r .Actor.Attributes.name | sort -u)" = web ]
	[ "$(past_json -f label=a=2 | wc -l)" -eq 0 ]
	[ "$(past_json -f volume=vol1 | jq -r '.Type + " " + .Action')" = "volume create" ]
	# image=: the containers of that image (and the image's own events)
	[ "$(past_json -f image=busybox -f type=container -f event=start | jq -r .Actor.Attributes.name | paste -sd ' ')" = "web other" ]
}

@test "events: following prints the future as it happens, until killed (exit 0)" {
	since=$(date +%s.%N)
	# berth itself (not the b function's subshell) gets the signal; fd 3 closed for bats
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" events --since "$since" --format '{{json .}}' > "$TESTDIR/out" 2> "$TESTDIR/err" 3>&- &
	EVPID=$!
	b volume create first > /dev/null
	wait_line "$TESTDIR/out" '"ID":"first"'
	# now surely following (the first line came): these come from the future
	b run -d --name web busybox sh -c 'exit 7' > /dev/null
	wait_line "$TESTDIR/out" '"Action":"die"'
	jq -e 'select(.Action == "die") | .Actor.Attributes.exitCode == "7" and .Actor.Attributes.name == "web"' "$TESTDIR/out"
	b volume rm first > /dev/null
	wait_line "$TESTDIR/out" '"Action":"destroy"'
	kill -INT "$EVPID"
	st=0
	wait "$EVPID" || st=$?
	EVPID=
	[ "$st" -eq 0 ]
	[ ! -s "$TESTDIR/err" ]
	# every line whole JSON, in order
	[ "$(jq -r '.Type + ":" + .Action' "$TESTDIR/out" | paste -sd ' ')" = "volume:create container:create container:start container:die volume:destroy" ]
}

@test "events: --until in the future stops following then" {
	b volume create v0 > /dev/null
	start=$(date +%s)
	run timeout 10 "$BERTH" --root "$STORE" --runroot "$RUNROOT" events --until 1s
	[ "$status" -eq 0 ]
	# without --since the past is not printed, as docker
	[ -z "$output" ]
	[ $(($(date +%s) - start)) -le 3 ]
}

@test "events: kill with its signal, pause, unpause, rename, exec, stop" {
	b run -d --name web busybox sleep 1000 > /dev/null
	id=$(b inspect -f '{{.Id}}' web)
	b exec web true
	b pause web > /dev/null
	b unpause web > /dev/null
	b rename web web2
	b kill -s USR1 web2 > /dev/null
	b stop -t 1 web2 > /dev/null
	# by ID: container=web2 matches only the events after the rename, as with docker
	[ "$(past_json -f container=web2 | jq -r .Action | grep -v '^kill$' | paste -sd ' ')" = "rename die stop" ]
	run past_json -f container="$id"
	[ "$(echo "$output" | jq -r .Action | grep -v '^kill$' | paste -sd ' ')" = "create start exec_create: true exec_start: true exec_die pause unpause rename die stop" ]
	[ "$(echo "$output" | jq -r 'select(.Action == "kill") | .Actor.Attributes.signal')" = 10 ]
	[ "$(echo "$output" | jq -r 'select(.Action == "rename") | .Actor.Attributes.oldName + " " + .Actor.Attributes.name')" = "/web web2" ]
	[ "$(echo "$output" | jq -r 'select(.Action == "exec_die") | .Actor.Attributes.exitCode')" = 0 ]
	# docker's fuzzy match of exec_start
	[ "$(past_json -f event=exec_start | jq -r .Action)" = "exec_start: true" ]
}

@test "events: 20 processes at once: every line whole, none missing; the journal is 0600" {
	local i pids=()
	for i in $(seq 20); do
		(umask 000; b volume create "v$i.x" > /dev/null && b volume rm "v$i.x" > /dev/null) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	[ "$(stat -c %a "$RUNROOT/events.log")" = 600 ]
	# each line parses alone
	while IFS= read -r line; do
		echo "$line" | jq -e . > /dev/null
	done < "$RUNROOT/events.log"
	[ "$(wc -l < "$RUNROOT/events.log")" -eq 41 ]
	[ "$(past_json -f type=volume | jq -r '.Action + " " + .Actor.ID' | sort -u | wc -l)" -eq 40 ]
	for i in $(seq 20); do
		[ "$(past_json -f volume="v$i.x" | jq -r .Action | paste -sd ' ')" = "create destroy" ]
	done
}

@test "events: container, image and system prune note what they remove" {
	b run --name gone busybox true
	id=$(b inspect -f '{{.Id}}' gone)
	b container prune -f > /dev/null
	[ "$(past_json -f event=destroy | jq -r .Actor.ID)" = "$id" ]
	b tag busybox extra:1
	b run --name gone2 busybox true
	id2=$(b inspect -f '{{.Id}}' gone2)
	b volume create unused > /dev/null
	imid=$(b image inspect -f '{{.Id}}' busybox)
	b system prune -f -a --volumes > /dev/null
	[ "$(past_json -f event=destroy -f type=container | jq -r .Actor.ID | tail -1)" = "$id2" ]
	[ "$(past_json -f type=volume -f event=destroy | jq -r .Actor.ID)" = unused ]
	[ "$(past_json -f type=image -f event=delete | jq -r .Actor.ID)" = "$imid" ]
	[ "$(past_json -f type=image -f event=untag | wc -l)" -eq 2 ]
}
