#!/usr/bin/env bats
# create / start / state / kill / delete, run, and the runc-compatible command surface

load helpers

@test "run: the process runs in the bundle and its exit code is returned" {
	args sh -c 'echo hello; exit 3'
	run_ctr
	[ "$status" -eq 3 ]
	[ "$output" = "hello" ]
	# run deletes the container afterwards
	run rt state "$ID"
	[ "$status" -ne 0 ]
}

@test "create, start, state, kill, delete walk the OCI lifecycle" {
	args sleep 100
	rt create --bundle "$BUNDLE" --pid-file "$TESTDIR/pid" "$ID"
	[ "$(rt state "$ID" | jq -r .status)" = created ]
	pid=$(cat "$TESTDIR/pid")
	[ "$(rt state "$ID" | jq -r .pid)" = "$pid" ]
	[ "$(rt state "$ID" | jq -r .bundle)" = "$BUNDLE" ]
	# still blocked before exec: the process is not sleep yet
	[ "$(cat /proc/$pid/comm)" != sleep ]
	rt start "$ID"
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	[ "$(cat /proc/$pid/comm)" = sleep ]
	rt kill "$ID" KILL
	wait_status "$ID" stopped
	rt delete "$ID"
	run rt state "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -d "$ROOT/$ID" ]
}

@test "kill takes signal names and numbers, default SIGTERM" {
	args sh -c 'trap "echo got-usr1 > /tmp/sig" USR1; trap "exit 0" TERM; touch /tmp/ready; while true; do sleep 0.05; done'
	config '.root.readonly = false | .mounts += [{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}]'
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	# pid 1 ignores signals it has no handler for: wait until the trap is set
	for i in $(seq 50); do rt exec "$ID" test -e /tmp/ready && break; sleep 0.05; done
	rt kill "$ID" SIGUSR1
	for i in $(seq 50); do rt exec "$ID" test -e /tmp/sig && break; sleep 0.05; done
	run rt exec "$ID" cat /tmp/sig
	echo "$output"
	[ "$output" = got-usr1 ]
	rt kill "$ID" 15
	wait_status "$ID" stopped
	run rt kill "$ID" NOSUCHSIG
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown signal"* ]]
}

@test "delete refuses a running container without --force" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt delete "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"running"* ]]
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	rt delete --force "$ID"
	[ ! -d "$ROOT/$ID" ]
	[ ! -d "$(cgroup_dir memory)" ]
}

@test "list shows containers as a table, json and quiet" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	run rt list
	[[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"* ]]
	[[ "${lines[1]}" == "$ID"*created* ]]
	[ "$(rt list --format json | jq -r '.[0].id')" = "$ID" ]
	[ "$(rt list -q)" = "$ID" ]
}

@test "exec runs a process in the container's namespaces and returns its exit code" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt exec "$ID" sh -c 'echo $$; hostname; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[1]}" = berth ]
	# same pid namespace as the init: its pid 1 is sleep
	run rt exec "$ID" cat /proc/1/comm
	[ "$output" = sleep ]
	run rt exec --env FOO=bar --cwd /tmp "$ID" sh -c 'echo $FOO; pwd'
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	run rt exec --user 65534:65534 "$ID" id -u
	[ "$output" = 65534 ]
}

@test "exec --detach leaves the process running and writes its pid" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	rt exec --detach --pid-file "$TESTDIR/epid" "$ID" sleep 50
	epid=$(cat "$TESTDIR/epid")
	[ "$(cat /proc/$epid/comm)" = sleep ]
	run rt ps --format json "$ID"
	[[ "$output" == *"$epid"* ]]
}

@test "exec --process takes a whole process.json" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	cat > "$TESTDIR/p.json" <<-'J'
	{"args":["sh","-c","echo $X; id -u"],"env":["X=from-process","PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}
	J
	run rt exec --process "$TESTDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-process ]
	[ "${lines[1]}" = 0 ]
}

@test "exec into a stopped container fails clearly" {
	args true
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	wait_status "$ID" stopped
	run rt exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"stopped"* ]]
}

@test "pause and resume freeze the container" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	rt pause "$ID"
	[ "$(rt state "$ID" | jq -r .status)" = paused ]
	pid=$(rt state "$ID" | jq -r .pid)
	grep -q '^State:.*[DS]' /proc/$pid/status
	rt resume "$ID"
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	run rt resume "$ID"
	[ "$status" -ne 0 ]
}

@test "ps lists the container's processes" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	pid=$(rt state "$ID" | jq -r .pid)
	[ "$(rt ps --format json "$ID")" = "[$pid]" ]
	run rt ps "$ID"
	[[ "${lines[0]}" == *PID* ]]
	[[ "${lines[1]}" == *"sleep 100"* ]]
}

@test "spec writes a valid default config, and refuses to overwrite it" {
	run rt spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	rm "$BUNDLE/config.json"
	rt spec --bundle "$BUNDLE"
	[ "$(jq -r .ociVersion "$BUNDLE/config.json")" = 1.2.0 ]
	jq -e '.linux.seccomp.defaultAction' "$BUNDLE/config.json"
	rm "$BUNDLE/config.json"
	rt spec --rootless --bundle "$BUNDLE"
	jq -e '.linux.uidMappings[0].hostID == 0' "$BUNDLE/config.json"
}

@test "features and --version answer" {
	rt features | jq -e '.ociVersionMax and (.linux.namespaces | index("user"))'
	run rt --version
	[[ "$output" == *"version"* ]]
	run rt --systemd-cgroup list
	[ "$status" -ne 0 ]
	[[ "$output" == *"not supported"* ]]
}

@test "the runtime answers to berth runtime too" {
	run "$BERTH" runtime --root "$ROOT" list -q
	[ "$status" -eq 0 ]
}

@test "state reports stopped truthfully after the init was killed from outside" {
	args sleep 100
	rt create --bundle "$BUNDLE" --pid-file "$TESTDIR/pid" "$ID"
	rt start "$ID"
	kill -9 "$(cat "$TESTDIR/pid")"
	wait_status "$ID" stopped
	rt delete "$ID"
}
