#!/bin/sh
# tests/vm/cgroup-v2.sh - TEST_SCRIPT for tests/vm/run-vm.sh (busybox sh): berth-runtime's
# cgroup v2 support on a pure cgroup2 host, for real. Prints TAP; exits non-zero when any
# check fails.
#   tests/vm/run-vm.sh build/berth tests/vm/cgroup-v2.sh
#
# Every container runs the busybox rootfs at /bundle/rootfs with a config.json written here
# by hand (mkcfg); its cgroup is /sys/fs/cgroup/berth/<id>. Scripts the containers run are
# put into the rootfs under /t, so that no shell code has to be quoted inside JSON.

# shellcheck shell=dash
# (busybox ash, like dash, has `local`)
R=/run/t # the runtime's state root
CG=/sys/fs/cgroup
RT=berth-runtime
W=/tmp/cgv2 # bundles and outputs
ROOTFS=/bundle/rootfs

. /extra/lib.sh

# cgf ID FILE: a file of the container's cgroup (empty when missing)
cgf() { cat "$CG/berth/$1/$2" 2>/dev/null; }
# keyed ID FILE KEY: the value of KEY in a flat keyed file (memory.events, cgroup.events)
keyed() { awk -v k="$3" '$1 == k {print $2}' "$CG/berth/$1/$2" 2>/dev/null; }
# wait_gone PATH [TENTHS]: poll until PATH does not exist
wait_gone() {
	local i=0
	while [ $i -lt "${2:-50}" ]; do
		[ -e "$1" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# delete_check ID: delete it and check that its cgroup went with it
delete_check() {
	out=$(rt delete --force "$1" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && wait_gone "$CG/berth/$1"; then
		ok "$1: delete removes $CG/berth/$1"
	else
		not_ok "$1: delete removes $CG/berth/$1" "delete exit $rc: $out" \
			"left: $(ls -d "$CG/berth/$1" 2>&1), procs: $(cat "$CG/berth/$1/cgroup.procs" 2>/dev/null | tr '\n' ' ')"
	fi
}

# mkcfg ID ARGS_JSON RESOURCES_JSON [LINUX_EXTRA_JSON] [NAMESPACES_JSON] [MOUNTS_EXTRA_JSON]
# writes $W/ID/config.json. ARGS_JSON e.g. ["sh","/t/x.sh"]; LINUX_EXTRA_JSON: more members
# of "linux"; MOUNTS_EXTRA_JSON: more entries of "mounts".
DEFAULT_NS='{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}'

SLEEP='["sleep","300"]'
mkdir -p "$W" "$R"
echo "# kernel $(uname -r), $(nproc) cpus, berth: $($RT --version 2>&1 | head -1)"
T0=$(date +%s)

# ---------------------------------------------------------------- 0. the host is pure v2
fstype=$(stat -f -c %t $CG 2>/dev/null)
v1=$(awk '$3 == "cgroup" {print $2}' /proc/mounts)
if [ "$fstype" = 63677270 ] && [ -z "$v1" ]; then
	ok "host: pure cgroup v2 hierarchy at $CG (controllers: $(cat $CG/cgroup.subtree_control))"
else
	not_ok "host: pure cgroup v2 hierarchy at $CG" "f_type 0x$fstype, v1 mounts: '$v1'"
fi

# ---------------------------------------------------------------- 1. memory
ID=mem
mkcfg $ID "$SLEEP" '{
	"memory": {"limit": 67108864, "reservation": 16777216, "swap": 134217728},
	"unified": {"memory.high": "50000000"}
}'
create $ID
rc=$?
# when create failed the checks below fail too, with the same names, and say why
why="create exit $rc: $out"
check "$ID: create with memory limits" "$why" [ $rc -eq 0 ]
check_eq "$ID: memory.limit -> memory.max" 67108864 "$(cgf $ID memory.max)" "$why"
check_eq "$ID: memory.reservation -> memory.low" 16777216 "$(cgf $ID memory.low)" "$why"
if [ $rc -ne 0 ] || [ -e $CG/berth/$ID/memory.swap.max ]; then
	# OCI's swap is memory+swap (v1): v2's memory.swap.max is swap alone
	check_eq "$ID: memory.swap (mem+swap 128M) -> memory.swap.max = swap - limit" \
		67108864 "$(cgf $ID memory.swap.max)" "$why"
else
	skip "$ID: memory.swap: no memory.swap.max in this kernel"
fi
# the kernel rounds memory.high down to a whole page
pg=$(getconf PAGESIZE 2>/dev/null || echo 4096)
check_eq "$ID: unified memory.high 50000000 -> memory.high (page-rounded)" \
	$((50000000 / pg * pg)) "$(cgf $ID memory.high)" "$why"
delete_check $ID

# ---------------------------------------------------------------- 2. cpu, cpuset
ID=cpu
SHARES=512
WEIGHT=$((1 + ((SHARES - 2) * 9999) / 262142))
mkcfg $ID "$SLEEP" '{
	"cpu": {"shares": '$SHARES', "quota": 50000, "period": 200000, "cpus": "0", "mems": "0"}
}'
create $ID
rc=$?
why="create exit $rc: $out"
check "$ID: create with cpu limits" "$why" [ $rc -eq 0 ]
check_eq "$ID: cpu.shares $SHARES -> cpu.weight $WEIGHT" $WEIGHT "$(cgf $ID cpu.weight)" "$why"
check_eq "$ID: cpu.quota/period -> cpu.max" "50000 200000" "$(cgf $ID cpu.max)" "$why"
check_eq "$ID: cpu.cpus -> cpuset.cpus" 0 "$(cgf $ID cpuset.cpus)" "$why"
check_eq "$ID: cpu.mems -> cpuset.mems" 0 "$(cgf $ID cpuset.mems)" "$why"
delete_check $ID

# ---------------------------------------------------------------- 3. blockIO weight
ID=blkio
probe=$CG/cgv2-probe.$$
mkdir $probe 2>/dev/null
if [ -e $probe/io.bfq.weight ]; then
	wfile=io.bfq.weight want="default 500"
elif [ -e $probe/io.weight ]; then
	# blkio.weight 10..1000 to io.weight 1..10000
	wfile=io.weight want="default $((1 + ((500 - 10) * 9999) / 990))"
else
	wfile=
fi
rmdir $probe 2>/dev/null
if [ -z "$wfile" ]; then
	skip "$ID: neither io.weight nor io.bfq.weight in this kernel"
else
	mkcfg $ID "$SLEEP" '{"blockIO": {"weight": 500}}'
	create $ID
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$ID: blockIO.weight 500 -> $wfile" "create exit $rc: $out"
	else
		check_eq "$ID: blockIO.weight 500 -> $wfile" "$want" "$(cgf $ID $wfile | head -1)"
	fi
	cleanup $ID
fi

# ---------------------------------------------------------------- 4. pids
ID=pids
# A child shell starts 20 background sleeps under pids.max 8: a failed fork ends that
# shell (ash gives up on "can't fork"), pid 1 goes on and reports how many it started.
script pids.sh <<'EOF'
sh -c 'i=0; while [ $i -lt 20 ]; do sleep 60 & i=$((i + 1)); echo $i >/tmp/n; done'
echo "forked=$(cat /tmp/n) started"
exec sleep 300
EOF
mkcfg $ID '["sh","/t/pids.sh"]' '{"pids": {"limit": 8}}'
create $ID
rc=$?
if [ $rc -ne 0 ]; then
	not_ok "$ID: pids.limit -> pids.max" "create exit $rc: $out"
	not_ok "$ID: fork beyond pids.limit fails in the container" "create exit $rc: $out"
else
	check_eq "$ID: pids.limit -> pids.max" 8 "$(cgf $ID pids.max)"
	out=$(rt start $ID 2>&1)
	i=0
	while ! grep -q started $W/$ID.out && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	ev=$(keyed $ID pids.events max)
	cur=$(cgf $ID pids.current)
	forked=$(sed -n 's/^forked=\([0-9]*\).*/\1/p' $W/$ID.out)
	if grep -q "can't fork" $W/$ID.out && is_gt "$ev" 0 && [ -n "$forked" ] &&
		[ "$forked" -lt 20 ] && [ -n "$cur" ] && [ "$cur" -le 8 ] && [ "$cur" -gt 1 ]; then
		ok "$ID: fork beyond pids.limit fails in the container ($forked started, pids.events max=$ev, pids.current=$cur)"
	else
		not_ok "$ID: fork beyond pids.limit fails in the container" "start: $out" \
			"pids.events max='$ev', pids.current='$cur', started '$forked', output:" \
			"$(head -5 $W/$ID.out)"
	fi
fi
cleanup $ID

# ---------------------------------------------------------------- 5. devices (eBPF)
# Rules: deny all, allow the default devices (what runc allows), deny c 1:11 (/dev/kmsg).
# The node is the VM's /dev/kmsg bound into the container: a node that linux.devices
# creates is allowed on top of the spec's rules (as runc does, see dev-spec below).
# kmsg is opened for writing: opening it for reading would need CAP_SYSLOG as well.
DEFAULT_ALLOW='{"allow": false, "access": "rwm"},
	{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
	{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
	{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
	{"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
	{"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
	{"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
	{"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
	{"allow": true, "type": "c", "major": 136, "access": "rwm"}'
KMSG_BIND='{"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]}'
KMSG_DEV='"devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]'
script dev.sh <<'EOF'
if echo hello >/dev/null; then echo null=ok; else echo null=fail; fi
echo zero=$(head -c 3 /dev/zero | wc -c)
echo kmsgtype=$(stat -c %F:%t:%T /dev/kmsg 2>&1)
if (echo berth-cgv2-test >/dev/kmsg) 2>/tmp/err; then echo kmsg=ok; else echo kmsg=fail; fi
echo "kmsgerr=$(cat /tmp/err)"
EOF

ID=dev
dev_run $ID '{"devices": ['"$DEFAULT_ALLOW"',
	{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rwm"}]}' "" "$KMSG_BIND"
check "$ID: writing /dev/null (allowed c 1:3) works" "$diag" eval 'has null=ok && has zero=3'
check "$ID: opening /dev/kmsg (denied c 1:11) fails with EPERM" "$diag" \
	eval 'has kmsgtype=character && has kmsg=fail && has "kmsgerr=.*Operation not permitted"'
# control: the same node, allowed by a rule, opens (so the EPERM above is the device program's)
ID=dev-allow
dev_run $ID '{"devices": ['"$DEFAULT_ALLOW"',
	{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}' "" "$KMSG_BIND"
check "$ID: control: /dev/kmsg allowed by a rule opens" "$diag" eval 'has kmsg=ok'
# only "deny all": the runtime's default devices stay usable (as in runc), kmsg does not
ID=dev-deny
dev_run $ID '{"devices": [{"allow": false, "access": "rwm"}]}' "" "$KMSG_BIND"
check "$ID: deny all alone: /dev/null (a default device) is still writable" "$diag" \
	eval 'has null=ok && has zero=3'
check "$ID: deny all alone: /dev/kmsg cannot be opened (EPERM)" "$diag" \
	eval 'has kmsg=fail && has "kmsgerr=.*Operation not permitted"'
# a node created from linux.devices is allowed after the spec's rules (runc semantics)
ID=dev-spec
dev_run $ID '{"devices": ['"$DEFAULT_ALLOW"',
	{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rwm"}]}' "$KMSG_DEV"
check "$ID: /dev/kmsg made from linux.devices is created and usable (runc semantics)" "$diag" \
	eval 'has kmsgtype=character && has kmsg=ok'

# ---------------------------------------------------------------- 6. the container's own cgroup
ID=self
script self.sh <<'EOF'
echo "cgroup=$(cat /proc/self/cgroup | tr '\n' ' ')"
echo "fstype=$(stat -f -c %t /sys/fs/cgroup)"
echo "mtype=$(awk '$2 == "/sys/fs/cgroup" {print $3}' /proc/mounts)"
echo "memmax=$(cat /sys/fs/cgroup/memory.max)"
EOF
mkcfg $ID '["sh","/t/self.sh"]' '{"memory": {"limit": 104857600}}'
out=$(rt run --bundle "$W/$ID" $ID 2>&1 </dev/null)
rc=$?
got=$(echo "$out" | sed -n 's/^cgroup=//p')
check_eq "$ID: /proc/self/cgroup inside is 0::/ (cgroup namespace)" "0::/ " "$got" "run exit $rc: $out"
got="$(echo "$out" | sed -n 's/^mtype=//p') $(echo "$out" | sed -n 's/^fstype=//p')"
check_eq "$ID: /sys/fs/cgroup inside is a cgroup2 mount" "cgroup2 63677270" "$got" "run exit $rc: $out"
check_eq "$ID: /sys/fs/cgroup/memory.max inside is the container's limit" 104857600 \
	"$(echo "$out" | sed -n 's/^memmax=//p')" "run exit $rc: $out"
cleanup $ID

# ---------------------------------------------------------------- 7. pause, resume, update
ID=pause
mkcfg $ID "$SLEEP" '{"memory": {"limit": 67108864}, "pids": {"limit": 30}}'
create $ID && out=$(rt start $ID 2>&1)
rc=$?
if [ $rc -ne 0 ] || ! wait_status $ID running; then
	not_ok "$ID: create + start" "exit $rc: $out, status '$(status $ID)'"
else
	ok "$ID: create + start"
fi
out=$(rt pause $ID 2>&1)
rc=$?
got="$(status $ID) freeze=$(cgf $ID cgroup.freeze) frozen=$(keyed $ID cgroup.events frozen)"
check_eq "$ID: pause: state paused, cgroup.freeze 1, cgroup.events frozen 1" \
	"paused freeze=1 frozen=1" "$got" "pause exit $rc: $out"
out=$(rt resume $ID 2>&1)
rc=$?
got="$(status $ID) freeze=$(cgf $ID cgroup.freeze) frozen=$(keyed $ID cgroup.events frozen)"
check_eq "$ID: resume: state running, cgroup.freeze 0, cgroup.events frozen 0" \
	"running freeze=0 frozen=0" "$got" "resume exit $rc: $out"

cat >$W/update.json <<'EOF'
{"memory": {"limit": 100663296}, "pids": {"limit": 50}}
EOF
out=$(rt update --resources $W/update.json $ID 2>&1)
rc=$?
got="memory.max=$(cgf $ID memory.max) pids.max=$(cgf $ID pids.max)"
check_eq "$ID: update --resources changes memory.max and pids.max" \
	"memory.max=100663296 pids.max=50" "$got" "update exit $rc: $out"
check_eq "$ID: still running after update" running "$(status $ID)"
delete_check $ID

# ---------------------------------------------------------------- 8. kill --all
# No pid namespace here: with one, killing init alone would take the rest with it.
ID=killall
script killall.sh <<'EOF'
sleep 301 &
sleep 302 &
exec sleep 300
EOF
mkcfg $ID '["sh","/t/killall.sh"]' '{}' "" \
	'{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}'
create $ID && out=$(rt start $ID 2>&1)
rc=$?
i=0
while [ "$(wc -l <$CG/berth/$ID/cgroup.procs 2>/dev/null)" != 3 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
pids=$(cat $CG/berth/$ID/cgroup.procs 2>/dev/null | tr '\n' ' ')
npids=$(echo $pids | wc -w)
if [ "$npids" != 3 ]; then
	not_ok "$ID: container has init + 2 background children" "start exit $rc: $out, procs: '$pids'"
else
	ok "$ID: container has init + 2 background children ($pids)"
fi
out=$(rt kill --all $ID KILL 2>&1)
rc=$?
wait_status $ID stopped
i=0
while [ -n "$(cat $CG/berth/$ID/cgroup.procs 2>/dev/null)" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
alive=
for p in $pids; do [ -d /proc/$p ] && alive="$alive $p($(cat /proc/$p/comm 2>/dev/null))"; done
left=$(cat $CG/berth/$ID/cgroup.procs 2>/dev/null | tr '\n' ' ')
if [ $rc -eq 0 ] && [ -z "$alive" ] && [ -z "$left" ] && [ "$(status $ID)" = stopped ]; then
	ok "$ID: kill --all KILL kills every process"
else
	not_ok "$ID: kill --all KILL kills every process" "kill exit $rc: $out" \
		"still alive:$alive; cgroup.procs: '$left'; status '$(status $ID)'"
fi
delete_check $ID

# ---------------------------------------------------------------- 9. OOM
# tail -c buffers its whole input: 100 MiB of zeros against a 32 MiB limit
script oom.sh <<'EOF'
head -c 104857600 /dev/zero | tail -c 104857600 >/dev/null
EOF
ID=oom-run
mkcfg $ID '["sh","-c","exec sh /t/oom.sh"]' '{"memory": {"limit": 33554432}}'
out=$(rt run --bundle "$W/$ID" $ID 2>&1 </dev/null)
rc=$?
# the pipeline's status is tail's: 128 + SIGKILL
check_eq "$ID: run of a container over memory.limit exits 137 (OOM kill)" 137 "$rc" "output: $out"
cleanup $ID
ID=oom
mkcfg $ID '["sh","-c","head -c 104857600 /dev/zero | tail -c 104857600 >/dev/null"]' \
	'{"memory": {"limit": 33554432}}'
create $ID && out=$(rt start $ID 2>&1)
rc=$?
if wait_status $ID stopped 300; then
	ev=$(keyed $ID memory.events oom_kill)
	if is_gt "$ev" 0; then
		ok "$ID: memory.events oom_kill > 0 after the container stopped (oom_kill=$ev)"
	else
		not_ok "$ID: memory.events oom_kill > 0" "memory.events: $(cgf $ID memory.events | tr '\n' ' ')"
	fi
else
	not_ok "$ID: memory.events oom_kill > 0" "create/start exit $rc: $out; status '$(status $ID)'"
fi
delete_check $ID

# ---------------------------------------------------------------- 10. kernel memory limits
# deprecated, and not in cgroup v2: ignored with a warning (as runc does), while the rest of
# the memory settings apply
ID=kmem
mkcfg $ID "$SLEEP" '{"memory": {"limit": 67108864, "kernel": 33554432, "kernelTCP": 33554432}}'
create $ID
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "warning: linux.resources.memory.kernel: ignored" &&
	echo "$out" | grep -q "warning: linux.resources.memory.kernelTCP: ignored"; then
	ok "$ID: memory.kernel and kernelTCP are ignored with a warning (exit $rc: $out)"
else
	not_ok "$ID: memory.kernel and kernelTCP are ignored with a warning" "exit $rc: $out"
fi
check_eq "$ID: memory.max still applies" 67108864 "$(cgf $ID memory.max)"
delete_check $ID

# ---------------------------------------------------------------- 11. berth run's limits on v2
E=/tmp/engine
B="berth --root $E/root --runroot $E/run"
mkdir -p $E
tar -C $ROOTFS -cf $E/rootfs.tar .
$B import $E/rootfs.tar busybox > /dev/null 2>&1
out=$($B run -d --name lim -m 64m --cpus 0.5 --pids-limit 50 busybox sleep 60 2>&1)
rc=$?
check "run -d with -m --cpus --pids-limit" "exit $rc: $out" [ $rc -eq 0 ]
check_eq "run -m 64m -> memory.max" 67108864 "$(cgf $out memory.max)"
check_eq "run --cpus 0.5 -> cpu.max" "50000 100000" "$(cgf $out cpu.max)"
check_eq "run --pids-limit 50 -> pids.max" 50 "$(cgf $out pids.max)"
$B rm -f lim > /dev/null 2>&1
$B run -d --name hog -m 8m --memory-swap 8m busybox dd if=/dev/zero of=/dev/null bs=64M count=1 > /dev/null 2>&1
check_eq "an OOM-killed container exits 137" 137 "$($B wait hog 2>&1)"
check_eq "... and inspect says OOMKilled" true \
	"$($B inspect hog 2>&1 | grep -o '"OOMKilled": [a-z]*' | cut -d' ' -f2)"
$B rm -f hog > /dev/null 2>&1

# ---------------------------------------------------------------- 12. nothing left over
left=
for d in $CG/berth/*/; do [ -d "$d" ] && left="$left $(basename $d)"; done
check_eq "no cgroup left under $CG/berth" "" "$left"
check_eq "no container left (list -q empty)" "" "$(rt list -q 2>&1)"

echo "1..$N"
echo "# $(($(date +%s) - T0)) s"
echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
