#!/usr/bin/env bats
# Containers that outlive `berth run`: run -d, ps, logs, stop, kill, wait, rm, inspect

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

# gone PID: the process has exited (a zombie not yet reaped by init counts), within 2 s
gone() {
	local i
	for i in $(seq 40); do
		[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_exited NAME: polls until ps -a shows it exited (5 s at most)
wait_exited() {
	local i
	for i in $(seq 100); do
		[ "$(b inspect "$1" | jq -r '.[0].State.Status')" = exited ] && return 0
		sleep 0.05
	done
	return 1
}

@test "run -d: prints the ID at once; ps shows the container running, by name" {
	# $(...) returns: the monitor keeps nothing of the caller's stdout
	id=$(timeout 5 "$BERTH" --root "$STORE" --runroot "$RUNROOT" run -d --name web busybox sleep 30)
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	run b ps
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	[[ "${lines[1]}" == "${id:0:12}   busybox   \"sleep 30\""*"Up "*"web" ]]
	[ "$(b ps -q)" = "${id:0:12}" ]
	[ "$(b ps -q --no-trunc)" = "$id" ]
	[ "$(b inspect web | jq -r '.[0].State.Running')" = true ]
	pid=$(b inspect web | jq -r '.[0].State.Pid')
	[ "$(cat /proc/$pid/comm)" = sleep ]
	# its root file system is mounted only in the monitor's mount namespace
	! grep -q "$STORE/containers" /proc/self/mountinfo
}

@test "wait prints the exit code; ps -a, inspect and the STATUS column say how it ended" {
	b run -d --name quick busybox sh -c 'exit 3' > /dev/null
	run b wait quick
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	[ -z "$(b ps -q)" ]
	run b ps -a
	[[ "${lines[1]}" == *"Exited (3) "*" ago"*"quick" ]]
	run b inspect quick
	[ "$(echo "$output" | jq -r '.[0].State.Status')" = exited ]
	[ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 3 ]
	[ "$(echo "$output" | jq -r '.[0].State.Running')" = false ]
	[ "$(echo "$output" | jq -r '.[0].Name')" = quick ]
	[ "$(echo "$output" | jq -r '.[0].Path')" = sh ]
	# ps --format json: docker's keys
	[ "$(b ps -a --format json | jq -r '.Names + " " + .State')" = "quick exited" ]
	# the runtime's container is gone once it exited; the record stays
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
}

@test "logs: stdout and stderr apart, --tail, -t, and -f until the container exits" {
	b run -d --name talk busybox sh -c 'echo out1; echo err1 >&2; echo out2; sleep 1; echo late' > /dev/null
	sleep 0.5
	run --separate-stderr b logs talk
	[ "$output" = "$(printf 'out1\nout2')" ]
	[ "$stderr" = err1 ]
	run --separate-stderr b logs -f talk
	[ "$output" = "$(printf 'out1\nout2\nlate')" ]
	run b logs --tail 1 talk
	[ "$output" = late ]
	run b logs -t --tail 1 talk
	[[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ late$ ]]
	run b logs --tail x talk
	[ "$status" -eq 125 ]
	# Docker's json-file lines
	jq -s -e 'any(.[]; .log == "out1\n" and .stream == "stdout" and (.time | length > 20))' "$STORE/containers/$(b ps -aq --no-trunc)/json.log"
}

@test "logs: --log-opt max-size/max-file rotate json.log; --log-driver none keeps nothing" {
	id=$(b run -d --log-opt max-size=2k --log-opt max-file=3 busybox sh -c 'i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done')
	b wait "$id"
	# three files at most, none much over 2,000 bytes; logs reads them oldest first
	[ "$(ls "$STORE/containers/$id" | grep -c '^json\.log')" -eq 3 ]
	for f in "$STORE/containers/$id"/json.log*; do [ "$(stat -c %s "$f")" -le 2100 ]; done
	run b logs "$id"
	[ "${lines[-1]}" = line199 ]
	[ "${#lines[@]}" -lt 200 ]
	[ "${#lines[@]}" -gt 40 ]
	prev=-1
	for l in "${lines[@]}"; do n=${l#line}; [ "$n" -eq $((prev + 1)) ] || [ "$prev" -eq -1 ]; prev=$n; done
	[ "$(b inspect "$id" | jq -c '.[0].HostConfig.LogConfig')" = '{"Config":{"max-file":"3","max-size":"2k"},"Type":"json-file"}' ]
	# max-size alone: one file, as docker
	id=$(b run -d --log-opt max-size=1k busybox sh -c 'i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done')
	b wait "$id"
	[ "$(ls "$STORE/containers/$id" | grep -c '^json\.log')" -eq 1 ]
	b run -d --name quiet --log-driver none busybox echo hi > /dev/null
	b wait quiet
	[ ! -e "$STORE/containers/$(b inspect quiet | jq -r '.[0].Id')/json.log" ]
	run -1 b logs quiet
	[[ "$output" == *"configured logging driver does not support reading"* ]]
	run -125 b run -d --log-opt max-size=lots busybox true
	run -125 b run -d --log-opt max-file=0 busybox true
	run -125 b run -d --log-opt compress=true busybox true
	[[ "$output" == *"unknown log opt 'compress'"* ]]
	run -125 b run -d --log-driver syslog busybox true
	[ "$(b ps -aq | wc -l)" -eq 3 ]
}

@test "run -d -t: the container has a terminal; its output is logged" {
	b run -d -t --name tty busybox sh -c 'test -t 1 && echo has-tty' > /dev/null
	[ "$(b wait tty)" = 0 ]
	[[ "$(b logs tty)" == has-tty* ]]
}

@test "stop: SIGTERM first; a process that ignores it is killed after -t seconds (137)" {
	b run -d --name polite busybox sh -c 'trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done' > /dev/null
	sleep 0.5
	run b stop polite
	[ "$status" -eq 0 ]
	[ "$output" = polite ]
	[ "$(b inspect polite | jq -r '.[0].State.ExitCode')" = 7 ]
	[ "$(b logs polite)" = bye ]
	# PID 1 ignores SIGTERM without a handler: killed after 1 s
	b run -d --name stubborn busybox sleep 100 > /dev/null
	start=$(date +%s%N)
	run b stop -t 1 stubborn
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "$(b inspect stubborn | jq -r '.[0].State.ExitCode')" = 137 ]
	[ $(( (end - start) / 1000000 )) -ge 900 ]
	[ $(( (end - start) / 1000000 )) -lt 5000 ]
	# stopping a stopped container is fine
	run b stop polite
	[ "$status" -eq 0 ]
}

@test "kill: the signal reaches the container; a stopped container cannot be killed" {
	b run -d --name sig busybox sh -c 'trap "echo usr1; exit 9" USR1; while :; do sleep 0.1; done' > /dev/null
	sleep 0.5
	run b kill -s USR1 sig
	[ "$status" -eq 0 ]
	[ "$(b wait sig)" = 9 ]
	[ "$(b logs sig)" = usr1 ]
	run b kill sig
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
	run b kill -s NOSUCH sig
	[ "$status" -eq 125 ]
	# the default is SIGKILL
	b run -d --name k9 busybox sleep 100 > /dev/null
	b kill k9
	[ "$(b wait k9)" = 137 ]
}

@test "rm: refuses a running container without -f; leaves nothing behind" {
	id=$(b run -d --name busy busybox sleep 100)
	run b rm busy
	[ "$status" -eq 1 ]
	[[ "$output" == *"is running"*"-f"* ]]
	[ "$(b ps -q)" = "${id:0:12}" ]
	pid=$(b inspect busy | jq -r '.[0].State.Pid')
	monitor=$(b inspect busy | jq -r '.[0].State.MonitorPid')
	run b rm -f busy
	[ "$status" -eq 0 ]
	[ "$output" = busy ]
	gone "$pid"
	gone "$monitor"
	[ ! -e "$STORE/containers/$id" ]
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
	run ! ls -d /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"
	run b rm busy
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: busy"* ]]
	# and the image can go now
	b rmi busybox
}

@test "rmi leaves an image a stopped container uses" {
	b run -d --name user busybox true > /dev/null
	b wait user
	run b rmi busybox
	[ "$status" -ne 0 ]
	[[ "$output" == *"is using it"* ]]
	# -f: the names go, the image stays nameless while the container needs it
	run b rmi -f busybox
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: busybox:latest" ]
	[[ "$(b images)" == *"<none>"* ]]
	b start user
	[ "$(b wait user)" = 0 ]
	b image prune -f > /dev/null
	[ "$(b images -q | wc -l)" -eq 1 ]
	b rm user
	b image prune -f > /dev/null
	[ -z "$(b images -q)" ]
}

@test "names: unique, checked, generated; containers are found by name, ID or ID prefix" {
	b run -d --name same busybox sleep 30 > /dev/null
	run b run -d --name same busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *'"same" is already in use'* ]]
	run b run -d --name 'bad/name' busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid container name"* ]]
	id=$(b run -d busybox true)
	name=$(b inspect "$id" | jq -r '.[0].Name')
	[[ "$name" =~ ^[a-z]+_[a-z]+[0-9]*$ ]]
	[ "$(b inspect "${id:0:5}" | jq -r '.[0].Id')" = "$id" ]
	[ "$(b inspect "$name" | jq -r '.[0].Id')" = "$id" ]
	run b logs nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: nosuch"* ]]
	[ "$(ls "$STORE/containers" | grep -c '^[0-9a-f]\{64\}$')" -eq 2 ]
}

@test "run -d --rm: the container is removed once it exits; run -d failures leave nothing" {
	b run -d --rm --name gone busybox sh -c 'sleep 0.3' > /dev/null
	[ "$(b ps -q | wc -l)" -eq 1 ]
	for i in $(seq 100); do [ -z "$(b ps -aq)" ] && break; sleep 0.05; done
	[ -z "$(b ps -aq)" ]
	run -127 b run -d busybox nosuchcommand
	[[ "$output" == *"executable file not found"* ]]
	[ -z "$(b ps -aq)" ]
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
	[ -z "$(ls "$STORE/containers" | grep -v '^\.lock$')" ]
}

@test "run without -d or --rm: the exited container stays for ps -a, inspect and rm" {
	run -5 b run --name fg busybox sh -c 'exit 5'
	[ "$(b inspect fg | jq -r '.[0].State.ExitCode')" = 5 ]
	[[ "$(b ps -a)" == *"Exited (5)"*fg* ]]
	b rm fg
	[ -z "$(b ps -aq)" ]
}

@test "a killed monitor: the container is still shown running while it lives, and can be removed" {
	b run -d --name orphan busybox sleep 100 > /dev/null
	monitor=$(b inspect orphan | jq -r '.[0].State.MonitorPid')
	pid=$(b inspect orphan | jq -r '.[0].State.Pid')
	kill -9 "$monitor"
	sleep 0.3
	[ "$(b inspect orphan | jq -r '.[0].State.Running')" = true ]
	kill -9 "$pid"
	wait_exited orphan
	[[ "$(b inspect orphan | jq -r '.[0].State.Error')" == *"monitor was killed"* ]]
	b rm orphan
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
	[ -z "$(b ps -aq)" ]
}

@test "container verbs: bad input gets one clear line and a non-zero exit" {
	run b ps --filter nosuch=exited
	[ "$status" -eq 125 ]
	[ "$output" = "berth: invalid filter 'nosuch'" ]
	run b ps --format '{{.Names'
	[ "$status" -eq 125 ]
	[[ "$output" == *"template parsing error: "*"unclosed action"* ]]
	run b inspect --format '{{.State' x
	[ "$status" -eq 125 ]
	run b stop
	[ "$status" -eq 125 ]
	run b container frob
	[ "$status" -eq 125 ]
	run b container ls -a
	[ "$status" -eq 0 ]
}

@test "exec: runs in the container with its env; -e, -u (the container's users), -w; exit codes" {
	b run -d --name box -e FROM_RUN=1 busybox sleep 60 > /dev/null
	run b exec box sh -c 'echo $FROM_RUN; id -u; pwd; cat /proc/1/comm'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n0\n/\nsleep')" ]
	run b exec -e FROM_RUN=2 -e NEW=x -u nobody -w /tmp box sh -c 'echo $FROM_RUN$NEW; id -u; pwd'
	[ "$output" = "$(printf '2x\n65534\n/tmp')" ]
	run -3 b exec box sh -c 'exit 3'
	run -127 b exec box nosuchcommand
	[[ "$output" == *"executable file not found"* ]]
	run -126 b exec box /etc/passwd
	run -125 b exec -u nosuchuser box id
	[[ "$output" == *"nosuchuser"* ]]
	run -125 b exec nosuch true
	[[ "$output" == *"no such container: nosuch"* ]]
	# stdin only with -i
	[ "$(echo piped | b exec -i box cat)" = piped ]
	[ -z "$(echo piped | b exec box cat)" ]
	# -d: it runs on its own
	b exec -d box sh -c 'echo detached > /tmp/d'
	for i in $(seq 50); do b exec box test -e /tmp/d && break; sleep 0.05; done
	[ "$(b exec box cat /tmp/d)" = detached ]
	# -t: a terminal
	run script -qec "$BERTH --root $STORE --runroot $RUNROOT exec -t box sh -c 'test -t 0 && echo tty'" /dev/null
	[[ "$output" == *tty* ]]
	b stop -t 0 box
	run -125 b exec box true
	[[ "$output" == *"is not running"* ]]
}

# cg FILE-V1 FILE-V2 ID: a container's cgroup file, v1 (controller/file) or v2 (file)
cg() {
	if [ -e "/sys/fs/cgroup/cgroup.controllers" ]; then
		cat "/sys/fs/cgroup/berth/$3/$2"
	else
		cat "/sys/fs/cgroup/${1%%/*}/berth/$3/${1#*/}"
	fi
}

@test "run: -m, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit reach the cgroup; inspect shows them" {
	id=$(b run -d -m 64m --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 50 busybox sleep 60)
	[ "$(cg memory/memory.limit_in_bytes memory.max "$id")" = 67108864 ]
	[[ "$(cg cpu/cpu.cfs_quota_us cpu.max "$id")" == 50000* ]]
	[ "$(cg pids/pids.max pids.max "$id")" = 50 ]
	[ "$(cg cpuset/cpuset.cpus cpuset.cpus "$id")" = 0 ]
	run b inspect "$id"
	[ "$(echo "$output" | jq -c '.[0].HostConfig | [.Memory, .NanoCpus, .CpuShares, .CpusetCpus, .PidsLimit]')" = '[67108864,500000000,512,"0",50]' ]
	# the limit holds: a fork bomb stops at 50
	run b exec "$id" sh -c 'for i in $(seq 80); do sleep 5 & done 2>/dev/null'
	n=$(cg pids/pids.current pids.current "$id")
	[ "$n" -ge 40 ] && [ "$n" -le 50 ]
}

@test "run -m: a container killed for memory is reported OOMKilled, exit 137" {
	b run -d --name hog -m 8m --memory-swap 8m busybox dd if=/dev/zero of=/dev/null bs=64M count=1 > /dev/null
	[ "$(b wait hog)" = 137 ]
	[ "$(b inspect hog | jq -r '.[0].State.OOMKilled')" = true ]
	b run -d --name fine -m 64m busybox true > /dev/null
	[ "$(b wait fine)" = 0 ]
	[ "$(b inspect fine | jq -r '.[0].State.OOMKilled')" = false ]
}

@test "run: --cap-add, --cap-drop (docker's names, ALL), --security-opt no-new-privileges" {
	run b run --rm --cap-add NET_ADMIN --cap-drop chown busybox grep CapBnd /proc/self/status
	[ "$output" = "CapBnd:	00000000a80435fa" ]
	run b run --rm --cap-drop ALL --cap-add cap_kill busybox grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000000000020" ]
	run b run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
	[ "$output" = "NoNewPrivs:	1" ]
	run b run --rm busybox grep NoNewPrivs /proc/self/status
	[ "$output" = "NoNewPrivs:	0" ]
}

@test "run: --privileged, --security-opt seccomp=unconfined|FILE (docker's format), exec --privileged" {
	bnd=$(printf '%016x' $(( $(grep CapBnd /proc/self/status | sed 's/.*\t//; s/^/0x/') )))
	run b run --rm --privileged busybox sh -c 'grep -E "CapEff|Seccomp:" /proc/self/status; grep -c " /sys rw" /proc/self/mountinfo; [ -c /dev/loop-control ] && echo devices; [ -f /proc/interrupts ] && echo unmasked'
	[ "${lines[0]}" = "CapEff:	$bnd" ]
	[ "${lines[1]}" = "Seccomp:	0" ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = devices ]
	[ "${lines[4]}" = unmasked ]
	# and without it: docker's defaults
	run b run --rm busybox sh -c 'grep Seccomp: /proc/self/status; [ -e /dev/loop-control ] || echo none; grep -c " /sys ro" /proc/self/mountinfo; [ -c /proc/interrupts ] && echo masked'
	[ "$output" = "$(printf 'Seccomp:\t2\nnone\n1\nmasked')" ]
	run b run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
	[ "$output" = "Seccomp:	0" ]
	# docker's profile format: archMap, errnoRet, rules included only with a capability
	cat > "$TESTDIR/profile.json" <<-'EOF'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
	             {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
	              {"names": ["mknod", "mknodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
	               "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
	EOF
	run b run --rm --security-opt seccomp="$TESTDIR/profile.json" busybox sh -c 'mkdir /x; mknod /p p && echo mknod'
	# stderr and stdout are two pipes: their lines may come in either order
	[ "$(printf '%s\n' "$output" | sort)" = "$(printf "mkdir: can't create directory '/x': Operation not permitted\nmknod")" ] || { echo "got: $output"; false; }
	run b run --rm --cap-add SYS_ADMIN --security-opt seccomp="$TESTDIR/profile.json" busybox mknod /p p
	[ "$output" = "mknod: /p: Permission denied" ]
	b run -d --name ex --security-opt seccomp=unconfined busybox sleep 100 > /dev/null
	[ "$(b inspect ex | jq -c '.[0].HostConfig | [.Privileged, .SecurityOpt]')" = '[false,["seccomp=unconfined"]]' ]
	[ "$(b exec ex grep CapEff /proc/self/status)" = "CapEff:	00000000a80425fb" ]
	[ "$(b exec --privileged ex grep CapEff /proc/self/status)" = "CapEff:	$bnd" ]
}

@test "run: --env-file, --label, --stop-signal and --stop-timeout" {
	printf 'A=1\n# a comment\n\nB=two words\nFROM_HOST\n' > "$TESTDIR/env"
	FROM_HOST=yes run b run --rm --env-file "$TESTDIR/env" busybox sh -c 'echo "$A|$B|$FROM_HOST"'
	[ "$output" = "1|two words|yes" ]
	b run -d --name lab -l tier=web -l empty busybox true > /dev/null
	[ "$(b inspect lab | jq -c '.[0].Config.Labels')" = '{"empty":"","tier":"web"}' ]
	b run -d --name usr1 --stop-signal USR1 busybox sh -c 'trap "exit 11" USR1; while :; do sleep 0.1; done' > /dev/null
	sleep 0.5
	b stop usr1
	[ "$(b inspect usr1 | jq -r '.[0].State.ExitCode')" = 11 ]
	b run -d --name quick --stop-timeout 1 busybox sleep 100 > /dev/null
	start=$(date +%s)
	b stop quick
	[ $(( $(date +%s) - start )) -le 3 ]
	[ "$(b inspect quick | jq -r '.[0].State.ExitCode')" = 137 ]
}

@test "run: bad resource and security values: one line, exit 125, nothing left" {
	run -125 b run --rm -m 1k busybox true
	[[ "$output" == *"minimum memory limit is 6MB"* ]]
	run -125 b run --rm -m lots busybox true
	[[ "$output" == *"invalid size"* ]]
	run -125 b run --rm --memory-swap 1g busybox true
	run -125 b run --rm -m 64m --memory-swap 32m busybox true
	run -125 b run --rm --cpus abc busybox true
	run -125 b run --rm --cpus 100000 busybox true
	run -125 b run --rm --cpu-shares 1 busybox true
	run -125 b run --rm --cpuset-cpus x busybox true
	run -125 b run --rm --pids-limit -5 busybox true
	run -125 b run --rm --cap-add BOGUS busybox true
	[[ "$output" == *'unknown capability "BOGUS"'* ]]
	run -125 b run --rm --security-opt apparmor=someprofile busybox true
	[[ "$output" == *"--security-opt apparmor=someprofile: not supported"* ]]
	run -125 b run --rm --security-opt seccomp=/nonexistent busybox true
	[[ "$output" == *"/nonexistent"* ]]
	echo '{"syscalls": []}' > "$TESTDIR/nodefault.json"
	run -125 b run --rm --security-opt seccomp="$TESTDIR/nodefault.json" busybox true
	[[ "$output" == *"defaultAction: missing"* ]]
	run -125 b run --rm --env-file /nonexistent busybox true
	run -125 b run --rm --stop-signal NOPE busybox true
	[ -z "$(b ps -aq)" ]
	[ -z "$(ls "$STORE/containers" | grep -v '^\.lock$')" ]
	! grep -q "$STORE" /proc/self/mountinfo
}

@test "create, then start; start again after it exits; restart; the log keeps every run" {
	id=$(b create --name later -v vol:/v busybox sh -c 'echo run; echo x >> /v/runs; sleep 30')
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	[[ "$(b ps -a)" == *"Created"*later* ]]
	[ -z "$(b ps -q)" ]
	run -1 grep -q "$STORE/containers" /proc/self/mountinfo
	run b start later
	[ "$status" -eq 0 ]
	[ "$output" = later ]
	[ "$(b inspect later | jq -r '.[0].State.Status')" = running ]
	# start of a running container changes nothing
	pid=$(b inspect later | jq -r '.[0].State.Pid')
	b start later
	[ "$(b inspect later | jq -r '.[0].State.Pid')" = "$pid" ]
	run b restart -t 0 later
	[ "$output" = later ]
	[ "$(b inspect later | jq -r '.[0].State.Pid')" != "$pid" ]
	[ "$(b exec later cat /v/runs | wc -l)" -eq 2 ]
	b stop -t 0 later
	b start later
	for i in $(seq 50); do [ "$(b logs later | wc -l)" -ge 3 ] && break; sleep 0.05; done
	[ "$(b logs later)" = "$(printf 'run\nrun\nrun')" ]
	b rm -f later
	# a foreground container that exited can be started again, detached; both runs logged
	b run --name fg busybox sh -c 'echo once' > /dev/null
	b start fg
	[ "$(b wait fg)" = 0 ]
	[ "$(b logs fg)" = "$(printf 'once\nonce')" ]
}

@test "create and start: bad input changes nothing" {
	run -125 b create -d busybox true
	run -125 b create --name bad/name busybox true
	run -1 b start nosuch
	[[ "$output" == *"no such container: nosuch"* ]]
	run -1 b start -a nosuch
	[[ "$output" == *"no such container: nosuch"* ]]
	[ -z "$(b ps -aq)" ]
	# a created container whose command does not exist: start fails (1, as docker) and it stays
	b create --name broken busybox nosuchcommand > /dev/null
	run -1 b start broken
	[[ "$output" == *"executable file not found"* ]]
	[ "$(b ps -aq | wc -l)" -eq 1 ]
	run -1 grep -q "$STORE/containers" /proc/self/mountinfo
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
}

@test "pause and unpause: a paused container does not run; stop and rm -f still work" {
	b run -d --name frozen busybox sh -c 'trap "exit 5" TERM; i=0; while :; do i=$((i+1)); echo $i > /tmp/t; sleep 0.05; done' > /dev/null
	sleep 0.3
	run b pause frozen
	[ "$output" = frozen ]
	[[ "$(b ps)" == *"(Paused)"*frozen* ]]
	[ "$(b inspect frozen | jq -r '.[0].State.Paused')" = true ]
	# its counter (read through its layer, on the host) stands still
	up="$STORE/containers/$(b inspect frozen | jq -r '.[0].Id')/upper/tmp/t"
	c1=$(cat "$up")
	sleep 0.3
	[ "$(cat "$up")" = "$c1" ]
	run -1 b pause frozen
	[[ "$output" == *"already paused"* ]]
	run -125 b exec frozen true
	[[ "$output" == *"paused"* ]]
	b unpause frozen
	t1=$(b exec frozen cat /tmp/t)
	sleep 0.3
	[ "$(b exec frozen cat /tmp/t)" != "$t1" ]
	run -1 b unpause frozen
	[[ "$output" == *"not paused"* ]]
	# stop of a paused container: the signal, then a thaw so it can act on it
	b pause frozen
	b stop frozen
	[ "$(b inspect frozen | jq -c '.[0].State | [.Status, .Paused, .ExitCode]')" = '["exited",false,5]' ]
	id2=$(b run -d --name frozen2 busybox sleep 100)
	b pause frozen2
	b rm -f frozen2
	run ! ls -d /sys/fs/cgroup/*/berth/"$id2" /sys/fs/cgroup/berth/"$id2"
	run -1 b pause frozen
	[[ "$output" == *"not running"* ]]
}

@test "rename, ps -n/-l, container prune" {
	b run -d --name old busybox sleep 30 > /dev/null
	b rename old new
	[ "$(b ps --format json | jq -r .Names)" = new ]
	run -1 b inspect old
	b run --name done1 busybox true
	b create --name made busybox true > /dev/null
	run -125 b rename new made
	[[ "$output" == *"already in use"* ]]
	run -125 b rename new 'x/y'
	[ "$(b ps -n 2 --format json | jq -r .Names | tr '\n' ' ')" = "made done1 " ]
	[ "$(b ps -l --format json | jq -r .Names)" = made ]
	run -125 b container prune
	[[ "$output" == *"-f"* ]]
	run b container prune -f
	[ "${lines[0]}" = "Deleted Containers:" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(b ps -a --format json | jq -r .Names)" = new ]
}

@test "--restart: on-failure:N, always until stopped, and the policy's bad input" {
	b run -d --name flaky --restart on-failure:2 busybox sh -c 'echo try; exit 2' > /dev/null
	for i in $(seq 100); do [ "$(b inspect flaky | jq -r '.[0].State.Status')" = exited ] && [ "$(b logs flaky | wc -l)" -eq 3 ] && break; sleep 0.05; done
	[ "$(b logs flaky | wc -l)" -eq 3 ]
	[ "$(b inspect flaky | jq -c '.[0].State | [.Status, .ExitCode, .RestartCount]')" = '["exited",2,2]' ]
	[ "$(b inspect flaky | jq -c '.[0].HostConfig.RestartPolicy')" = '{"MaximumRetryCount":2,"Name":"on-failure"}' ]
	# on-failure does not restart a success
	b run -d --name ok --restart on-failure busybox true > /dev/null
	sleep 0.5
	[ "$(b inspect ok | jq -r '.[0].State.RestartCount')" = 0 ]
	# always: again and again, until the user stops it
	b run -d --name loop --restart always busybox sh -c 'echo up; sleep 0.2' > /dev/null
	for i in $(seq 100); do [ "$(b logs loop | wc -l)" -ge 3 ] && break; sleep 0.05; done
	[ "$(b logs loop | wc -l)" -ge 3 ]
	[ -n "$(b ps -q)" ]
	b stop loop
	sleep 1
	n=$(b logs loop | wc -l)
	sleep 1
	[ "$(b logs loop | wc -l)" -eq "$n" ]
	[ "$(b inspect loop | jq -r '.[0].State.Status')" = exited ]
	# unless-stopped: the same, while there is no daemon to restart
	b run -d --name us --restart unless-stopped busybox sh -c 'echo up; sleep 0.2' > /dev/null
	for i in $(seq 100); do [ "$(b logs us | wc -l)" -ge 2 ] && break; sleep 0.05; done
	[ "$(b logs us | wc -l)" -ge 2 ]
	[ "$(b inspect us | jq -r '.[0].HostConfig.RestartPolicy.Name')" = unless-stopped ]
	b stop us
	run -125 b run -d --rm --restart always busybox true
	[[ "$output" == *"conflict"* ]]
	run -125 b run -d --restart sometimes busybox true
	run -125 b run -d --restart on-failure:x busybox true
}

@test "run: --ulimit sets the container's limits; --device brings a host device in" {
	run b run --rm --ulimit nofile=1024:2048 --ulimit core=0 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
	[ "$output" = "$(printf '1024\n2048\n0')" ]
	run -125 b run --rm --ulimit bogus=1 busybox true
	[[ "$output" == *'unknown limit "bogus"'* ]]
	run -125 b run --rm --ulimit nofile=10:5 busybox true
	run -125 b run --rm --ulimit core=-1 busybox true
	[[ "$output" == *"not supported yet"* ]]
	run b run --rm --device /dev/loop-control:/dev/lc busybox ls -l /dev/lc
	[[ "$output" == c*" 10, "*237*/dev/lc ]]
	# without it, the device cgroup refuses the node even if one is made
	run b run --rm busybox sh -c 'mknod /tmp/lc c 10 237 && cat /tmp/lc'
	[[ "$output" == *"Operation not permitted"* ]]
	run -125 b run --rm --device /etc/passwd busybox true
	[[ "$output" == *"not a device"* ]]
	run -125 b run --rm --device /dev/loop-control:r busybox true
	[ -z "$(b ps -aq)" ]
}

@test "logs --since/--until, top, stats (--no-stream)" {
	b run -d --name times busybox sh -c 'echo early; sleep 2; echo late; sleep 60' > /dev/null
	for i in $(seq 60); do [ "$(b logs times | wc -l)" -eq 2 ] && break; sleep 0.1; done
	[ "$(b logs --since 1s times)" = late ]
	[ "$(b logs --since 1h times | wc -l)" -eq 2 ]
	[ "$(b logs --until 1s times)" = early ]
	first=$(jq -r .time "$STORE/containers/$(b inspect times | jq -r '.[0].Id')/json.log" | head -1)
	[ "$(b logs --until "$first" times)" = early ]
	run -125 b logs --since yesterday times
	run b top times
	[[ "${lines[0]}" == UID*PID*PPID*CMD ]]
	[[ "$output" == *"sleep 60"* ]]
	run b top times -o pid,comm
	[[ "${lines[1]}" =~ ^\ *[0-9]+\ sleep$ ]]
	run -1 b top nosuch
	b run -d --name spin -m 64m busybox sh -c 'while :; do :; done' > /dev/null
	run b stats --no-stream spin times
	[[ "${lines[0]}" == "CONTAINER ID"*"NAME"*"CPU %"*"MEM USAGE / LIMIT"*"PIDS" ]]
	spin=$(echo "$output" | awk '$2 == "spin"')
	cpu=$(echo "$spin" | awk '{print $3}' | tr -d %)
	[ "${cpu%.*}" -ge 30 ]
	[[ "$spin" == *" / 64MiB "* ]]
	run b stats --no-stream --format '{{.Name}} {{.PIDs}}' spin
	[ "$output" = "spin 1" ]
	run b stats --no-stream --format 'table {{.Name}}\t{{.MemUsage}}' spin
	[[ "${lines[0]}" == "NAME"*"MEM USAGE / LIMIT" ]]
	[[ "${lines[1]}" == "spin "*" / 64MiB" ]]
	[ "$(b stats --no-stream --no-trunc --format '{{.ID}}' spin)" = "$(b inspect -f '{{.Id}}' spin)" ]
	run -125 b stats --no-stream --format '{{.Nope' spin
	# streaming: a table a second until interrupted
	run -124 timeout 2.6 "$BERTH" --root "$STORE" --runroot "$RUNROOT" stats spin
	[ "$(echo "$output" | grep -c '^CONTAINER ID')" -ge 2 ]
	run -1 b stats nosuch
	run -125 b stats --bogus
	b rm -f spin times
}

@test "export: a container's file system as a tarball, stopped or running; import takes it back" {
	b run --name changed busybox sh -c 'echo hello > /greeting; rm /bin/ls'
	b export changed > "$TESTDIR/out.tar"
	tar -tf "$TESTDIR/out.tar" > "$TESTDIR/list"
	grep -qx greeting "$TESTDIR/list"
	grep -qx bin/cat "$TESTDIR/list"
	run -1 grep -qx bin/ls "$TESTDIR/list"
	# nothing of the export stays mounted
	run -1 grep -q "$STORE/containers" /proc/self/mountinfo
	b export -o "$TESTDIR/o.tar" changed
	cmp "$TESTDIR/out.tar" "$TESTDIR/o.tar"
	b import "$TESTDIR/o.tar" exported > /dev/null
	[ "$(b run --rm exported cat /greeting)" = hello ]
	# running: its files, without its /proc or volumes
	b run -d --name live -v vol:/data busybox sh -c 'echo now > /live; echo v > /data/v; sleep 30' > /dev/null
	sleep 0.5
	[ "$(b export live | tar -xOf - live)" = now ]
	[ -z "$(b export live | tar -tf - | grep -E '^(proc|data)/.')" ]
	run -1 b export nosuch
	[[ "$output" == *"no such container"* ]]
	run -125 b export
	run -1 b export -o /nonexistent-dir/x.tar changed
	[ ! -e "/nonexistent-dir" ]
}

@test "50 run -d at once from separate processes: all start, distinct names, a consistent state" {
	for i in $(seq 50); do
		"$BERTH" --root "$STORE" --runroot "$RUNROOT" run -d busybox sleep 60 > "$TESTDIR/out.$i" 2>&1 &
	done
	wait
	[ "$(cat "$TESTDIR"/out.* | grep -c '^[0-9a-f]\{64\}$')" -eq 50 ]
	[ "$(b ps -q | wc -l)" -eq 50 ]
	[ -z "$(b ps --format json | jq -r .Names | sort | uniq -d)" ]
	b rm -f $(b ps -aq) > /dev/null
	[ -z "$(b ps -aq)" ]
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
}

@test "run --init: berth is PID 1, passes signals on, reaps orphans, returns the command's code" {
	run -7 b run --rm --init busybox sh -c 'cat /proc/1/comm; exit 7'
	[ "$output" = init ]
	run -127 b run --rm --init busybox nosuchcommand
	# a sleep as the command ignores nothing now: SIGTERM from stop reaches it at once
	b run -d --name ini --init busybox sleep 100 > /dev/null
	start=$(date +%s)
	b stop ini
	[ $(( $(date +%s) - start )) -le 2 ]
	[ "$(b inspect ini | jq -c '[.[0].State.ExitCode, .[0].HostConfig.Init]')" = '[143,true]' ]
	# an orphan is reaped: no zombie stays
	run b run --rm --init busybox sh -c 'sh -c "true &"; sleep 0.3; ps -o stat | grep -c Z'
	[ "${lines[-1]}" = 0 ]
	# the binary is read-only in the container
	run b run --rm --init busybox sh -c 'echo x > /dev/init'
	[[ "$output" == *"Read-only file system"* ]]
}

@test "attach: a foreground run goes through the monitor: logged, -i input, -dit, killed CLI" {
	run b run --name fg busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$(b logs fg 2>/dev/null)" = out ]
	[ "$(b logs fg 2>&1 >/dev/null)" = err ]
	[ "$(echo hello | b run --rm -i busybox cat)" = hello ]
	# without -i the container's stdin is empty, as with docker
	[ -z "$(echo hello | b run --rm busybox cat)" ]
	# a lot of output, in order, nothing lost
	[ "$(b run --rm busybox sh -c 'seq 1 20000' | md5sum)" = "$(seq 1 20000 | md5sum)" ]
	# input the container does not read does not block its output
	[ "$(yes | head -c 1000000 | b run --rm -i busybox sh -c 'seq 1 5')" = "$(seq 1 5)" ]
	# -dit: a shell kept alive on a terminal no one types into
	b run -dit --name bg busybox sh > /dev/null
	sleep 0.5
	[ "$(b inspect bg | jq -r '.[0].State.Status')" = running ]
	b rm -f bg > /dev/null
	# the CLI killed: the container goes on under its monitor, which records how it ended
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --name k9 busybox sh -c 'sleep 1; exit 4' &
	pid=$!
	for i in $(seq 50); do [ "$(b inspect k9 2>/dev/null | jq -r '.[0].State.Status')" = running ] && break; sleep 0.05; done
	kill -9 "$pid"
	wait "$pid" || [ $? -eq 137 ]
	[ "$(b inspect k9 | jq -r '.[0].State.Status')" = running ]
	[ "$(b wait k9)" = 4 ]
	[ "$(b inspect k9 | jq -r '.[0].State.Status')" = exited ]
	# --restart in the foreground: the first run's code comes back, the policy goes on
	run -3 b run --name rs --restart on-failure:2 busybox sh -c 'echo ran; exit 3'
	for i in $(seq 100); do [ "$(b logs rs | wc -l)" -eq 3 ] && [ "$(b inspect rs | jq -r '.[0].State.Status')" = exited ] && break; sleep 0.1; done
	[ "$(b inspect rs | jq -r '.[0].RestartCount // .[0].State.RestartCount')" = 2 ]
}

@test "attach: --sig-proxy=false: a signal to berth run is its own, the container runs on" {
	# (signals passed on, the default, are tested in 13-run.bats)
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" run --name np --sig-proxy=false busybox sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done' &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || status=$?
	# berth itself died of it; the container runs on
	[ "$status" -eq 143 ]
	[ "$(b inspect np | jq -r '.[0].State.Status')" = running ]
	run -125 b run --rm --sig-proxy=maybe busybox true
}

@test "attach: -it detaches with ctrl-p ctrl-q (or --detach-keys); the container runs on" {
	(sleep 1; printf 'echo hi\r'; sleep 0.5; printf '\020\021'; sleep 1) |
		timeout 20 script -qec "$BERTH --root $STORE --runroot $RUNROOT run -it --name d1 busybox sh" /dev/null
	[ "$(b inspect d1 | jq -r '.[0].State.Status')" = running ]
	b logs d1 | grep -q '^hi'
	# a sequence broken half way reaches the container: ctrl-a then b
	(sleep 1; printf 'a\001b\r'; sleep 0.5; printf '\001x'; sleep 1) |
		timeout 20 script -qec "$BERTH --root $STORE --runroot $RUNROOT run -it --detach-keys ctrl-a,x --name d2 busybox cat -v" /dev/null
	[ "$(b inspect d2 | jq -r '.[0].State.Status')" = running ]
	b logs d2 | grep -q '^a^Ab'
	# exit instead: the code comes back
	run bash -c "(sleep 1; printf 'exit 7\r'; sleep 2) | timeout 20 script -qec '$BERTH --root $STORE --runroot $RUNROOT run -it --rm busybox sh' /dev/null"
	[[ "$output" == *"COMMAND_EXIT_CODE=\"7\""* ]] || [ "$status" -eq 7 ]
	run -125 b run --rm -it --detach-keys ctrl-, busybox true
	[[ "$output" == *"invalid detach keys"* ]]
}

@test "start -a, start -ai: the output here, the container's code as ours" {
	b create --name sa busybox sh -c 'echo a; echo b >&2; exit 6' > /dev/null
	run -6 b start -a sa
	[ "$output" = "$(printf 'a\nb')" ]
	b create -i --name cin busybox sh -c 'cat; exit 2' > /dev/null
	[ "$(echo in | b start -ai cin)" = in ]
	[ "$(b inspect cin | jq -r '.[0].State.ExitCode')" = 2 ]
	# start -a of a running container attaches to it
	b run -d --name running busybox sh -c 'sleep 1; echo late; exit 5' > /dev/null
	run -5 b start -a running
	[ "$output" = late ]
	run -125 b start -a sa cin
	[[ "$output" == *"cannot start and attach multiple containers"* ]]
}

@test "kill -9 of berth run -d at any moment leaves nothing ps, rm -f or the next run cannot clear" {
	for d in 0.005 0.01 0.02 0.03 0.05 0.08 0.12; do
		"$BERTH" --root "$STORE" --runroot "$RUNROOT" run -d busybox sleep 100 > /dev/null &
		pid=$!
		sleep "$d"
		kill -9 "$pid" 2>/dev/null || true # ignore: it may have ended already
		wait "$pid" || [ $? -eq 137 ]
	done
	b ps -a > /dev/null
	ids=$(b ps -aq)
	[ -z "$ids" ] || b rm -f $ids > /dev/null
	# a --rm container's files a monitor killed while removing them left (its PID is gone)
	mkdir -p "$STORE/containers/.removing-$(printf '%064d' 1)/upper/x"
	echo "999999999 1" > "$STORE/containers/.removing-$(printf '%064d' 1)/owner"
	# what a kill left half made goes with the next run
	b run --rm busybox true
	[ -z "$(b ps -aq)" ]
	sleep 0.2
	[ -z "$(ls -A "$STORE/containers" | grep -v -e '^\.lock$' -e '^\.names$' -e '^\.creating$')" ]
	[ -z "$(ls -A "$STORE/containers/.creating")" ]
	run -1 grep -q "$STORE" /proc/self/mountinfo
	[ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ]
}

@test "attach: to a running container's output and input; detach; several clients" {
	b run -d --name ticks busybox sh -c 'sleep 1; echo tick; exit 9' > /dev/null
	run -9 b attach ticks
	[ "$output" = tick ]
	run -1 b attach ticks
	[[ "$output" == *"cannot attach to a stopped container"* ]]
	b run -dit --name sh1 busybox sh > /dev/null
	(sleep 0.5; printf 'echo via-attach\r'; sleep 0.5; printf '\020\021') |
		timeout 20 script -qec "$BERTH --root $STORE --runroot $RUNROOT attach sh1" /dev/null
	b logs sh1 | grep -q '^via-attach'
	[ "$(b inspect sh1 | jq -r '.[0].State.Status')" = running ]
	# -i without -t: input from a pipe; its end is the container's
	b run -di --name cat1 busybox sh -c 'cat; echo done' > /dev/null
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" attach cat1 > "$TESTDIR/first" < <(sleep 2; echo typed) &
	first=$!
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" attach --no-stdin cat1 > "$TESTDIR/second" &
	second=$!
	# a third comes and goes: the others and the input stay
	run -137 timeout -s KILL 0.5 "$BERTH" --root "$STORE" --runroot "$RUNROOT" attach --no-stdin cat1
	wait "$first"
	wait "$second"
	[ "$(cat "$TESTDIR/first")" = "$(printf 'typed\ndone')" ]
	[ "$(cat "$TESTDIR/second")" = "$(printf 'typed\ndone')" ]
	run -125 b attach
	run -1 b attach nosuch
}

@test "monitor: the loop that stays is small (under 1 MiB resident), and logs what is not UTF-8" {
	b run -d --name small busybox sh -c 'printf "ok \377\n"; sleep 100' > /dev/null
	pid=$(b inspect small | jq -r '.[0].State.MonitorPid')
	[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -d' ' -f1)" = berth-monitor ]
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	echo "monitor RSS: $rss kB"
	[ "$rss" -lt 1024 ]
	for i in $(seq 50); do [ -n "$(b logs small)" ] && break; sleep 0.05; done
	[ "$(b logs small)" = "ok $(printf '\357\277\275')" ]
	# berth-monitor by hand (a link of that name) does nothing
	ln -s "$BERTH" "$TESTDIR/berth-monitor"
	run -125 "$TESTDIR/berth-monitor" root="$STORE" rtroot="$RUNROOT/runtime" id=x sfd=0 code=0
	[[ "$output" == *"started by a container's monitor only"* ]]
	# the exit is recorded by berth, exec'd again by the loop
	b stop -t 0 small
	[ "$(b inspect small | jq -r '.[0].State.ExitCode')" = 137 ]
}

@test "port: nothing is published without a bridge network; run -p says so" {
	b run -d --name pt busybox sleep 100 > /dev/null
	run -0 b port pt
	[ -z "$output" ]
	run -1 b port pt 80/tcp
	[[ "$output" == *"no public port '80/tcp' published for pt"* ]]
	run -125 b port pt 80/xyz
	run -1 b port nosuch
	run -125 b run -d -p 8080:80 busybox true
	[[ "$output" == *"publishing ports needs bridge networking"* ]]
	[ "$(b ps -aq | wc -l)" -eq 1 ]
}

@test "run --network none: only loopback; --network host: the host's interfaces" {
	run b run --rm --network none busybox ls /sys/class/net
	[ "$output" = lo ]
	[ "$(b run --rm --network host busybox ls /sys/class/net | sort)" = "$(ls /sys/class/net | sort)" ]
	# the network is the host's, and so is the name, as docker gives it (-h still names it)
	[ "$(b run --rm --network host busybox hostname)" = "$(hostname)" ]
	[ "$(b run --rm --network host -h other busybox hostname)" = other ]
	run -125 b run --rm --network bridge busybox true
	[[ "$output" == *"only none and host"* ]]
}

@test "run -it: the container's terminal has the size of ours, and follows it (SIGWINCH)" {
	run script -qec "stty cols 123 rows 45; $BERTH --root $STORE --runroot $RUNROOT run --rm -it busybox stty size" /dev/null
	[[ "$output" == *"45 123"* ]]
	# a resize while it runs: the new size reaches the container
	cat > "$TESTDIR/resize.sh" <<-EOF
	stty cols 80 rows 24
	$BERTH --root $STORE --runroot $RUNROOT run --rm -it busybox sh -c 'sleep 1.5; stty size' &
	pid=\$!
	sleep 0.8
	stty cols 100 rows 30
	kill -WINCH \$pid
	wait \$pid
	EOF
	run script -qec "sh $TESTDIR/resize.sh" /dev/null
	[[ "$output" == *"30 100"* ]]
	# our terminal is raw while attached, and as it was after
	run script -qec "stty -a | grep -o -w -e -icanon -e icanon; $BERTH --root $STORE --runroot $RUNROOT run --rm -it busybox true; stty -a | grep -o -w -e -icanon -e icanon" /dev/null
	[ "$(echo "$output" | grep -c 'icanon')" -eq 2 ]
	! echo "$output" | grep -q -- '-icanon'
}

@test "names: an index finds them; a removed, renamed or half-made container frees its name" {
	b run -d --name keep busybox sleep 100 > /dev/null
	id=$(b inspect keep | jq -r '.[0].Id')
	[ "$(readlink "$STORE/containers/.names/keep")" = "$id" ]
	b rename keep kept
	[ ! -e "$STORE/containers/.names/keep" ]
	[ "$(b inspect kept | jq -r '.[0].Id')" = "$id" ]
	b run -d --name keep busybox true > /dev/null
	run -125 b run -d --name kept busybox true
	[[ "$output" == *'"kept" is already in use by container '"${id:0:12}"* ]]
	run -125 b rename keep kept
	b rm -f kept keep > /dev/null
	[ -z "$(ls "$STORE/containers/.names")" ]
	# a link whose container is gone (a killed removal) does not hold the name
	ln -s "$(printf '%064d' 7)" "$STORE/containers/.names/stale"
	b run --rm --name stale busybox true
	# --rm, a failed run -d, a generated name: no link stays behind
	b run --rm busybox true
	run -127 b run -d --name broken busybox nosuchcommand
	run -125 b run --rm --name bad -m 1k busybox true
	[ -z "$(ls "$STORE/containers/.names")" ]
	# a store from before the index: the index is built from the records
	b run -d --name old busybox sleep 100 > /dev/null
	rm -rf "$STORE/containers/.names"
	run -125 b run -d --name old busybox true
	[ "$(b inspect old | jq -r '.[0].Name')" = old ]
}
