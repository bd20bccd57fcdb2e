#!/usr/bin/env bats
# cgroups on this host (hybrid: v1 controllers + an empty cgroup2); pure v2 runs in a VM
# (06-cgroup-v2.bats). Paths: /berth/<id> in every hierarchy.

load helpers
bats_require_minimum_version 1.5.0

# cg_file CONTROLLER FILE: the container's cgroup file on this host
cg_file() {
	echo "$(cgroup_dir "$1")/$2"
}

@test "cgroups: the container's cgroup is /berth/<id> in every hierarchy, gone after delete" {
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq -r .pid)
	grep -q "/berth/$ID\$" /proc/$pid/cgroup
	run -1 grep -v "/berth/$ID\$" /proc/$pid/cgroup
	rt delete --force "$ID"
	for d in /sys/fs/cgroup/*/berth/"$ID" /sys/fs/cgroup/berth/"$ID"; do
		[ ! -e "$d" ]
	done
}

@test "cgroups: a relative cgroupsPath goes under the berth parent too" {
	config ".linux.cgroupsPath = \"sub-$ID/ctr\""
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq -r .pid)
	grep -q ":/berth/sub-$ID/ctr\$" /proc/$pid/cgroup
	rt delete --force "$ID"
	rmdir /sys/fs/cgroup/*/berth/sub-"$ID" 2>/dev/null || true # cleanup
}

@test "cgroups: memory, cpu, cpuset and pids limits are written" {
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory controller on this host"
	config '.linux.resources += {"memory":{"limit":67108864,"reservation":33554432},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"},"pids":{"limit":20}}'
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	[ "$(cat "$(cg_file memory memory.limit_in_bytes)")" = 67108864 ]
	[ "$(cat "$(cg_file memory memory.soft_limit_in_bytes)")" = 33554432 ]
	[ "$(cat "$(cg_file cpu cpu.shares)")" = 512 ]
	[ "$(cat "$(cg_file cpu cpu.cfs_quota_us)")" = 50000 ]
	[ "$(cat "$(cg_file cpuset cpuset.cpus)")" = 0 ]
	[ "$(cat "$(cg_file pids pids.max)")" = 20 ]
}

@test "cgroups: the pids limit stops a fork bomb" {
	config '.linux.resources += {"pids":{"limit":5}}'
	args sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; wait'
	run_ctr
	[[ "$output" == *"Resource temporarily unavailable"* || "$output" == *"can't fork"* ]]
}

@test "cgroups: device rules deny what the spec denies" {
	# deny all, then the runtime's defaults (null, zero, tty, ...) and the spec's devices
	config '.linux.resources.devices = [{"allow":false,"access":"rwm"}] | .linux.devices = [{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]'
	# /dev/kmsg opened for writing needs no capability: only the device rules decide
	args sh -c 'echo ok > /dev/null && echo null-ok; echo berth-test-allowed > /dev/kmsg && echo kmsg-ok; mknod /dev/mymem c 1 1 && head -c1 /dev/mymem'
	run_ctr
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *kmsg-ok* ]]
	[[ "$output" == *"/dev/mymem"*"Operation not permitted"* ]]
	config '.linux.devices = []'
	args sh -c 'mknod /dev/k c 1 11 && echo berth-test-denied > /dev/k'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "cgroups: update changes the limits of a running container" {
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory controller on this host"
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	echo '{"memory":{"limit":50331648},"pids":{"limit":42}}' | rt update --resources - "$ID"
	[ "$(cat "$(cg_file memory memory.limit_in_bytes)")" = 50331648 ]
	[ "$(cat "$(cg_file pids pids.max)")" = 42 ]
	run rt update --resources - "$ID" <<< '{"memory":{"limit":"x"}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"resources.memory.limit"* ]]
	[ "$(cat "$(cg_file pids pids.max)")" = 42 ]
}

@test "cgroups: kill --all reaches every process of the container" {
	args sh -c 'trap "" TERM; sleep 100 & sleep 100 & wait'
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	for i in $(seq 50); do [ "$(rt ps --format json "$ID" | jq length)" -eq 3 ] && break; sleep 0.05; done
	[ "$(rt ps --format json "$ID" | jq length)" -eq 3 ]
	rt kill --all "$ID" KILL
	wait_status "$ID" stopped
	for i in $(seq 50); do [ "$(rt ps --format json "$ID" | jq length)" -eq 0 ] && break; sleep 0.05; done
	[ "$(rt ps --format json "$ID" | jq length)" -eq 0 ]
}

@test "cgroups: an OOM kill is visible in events" {
	config '.linux.resources += {"memory":{"limit":33554432}}'
	args sh -c 'sleep 0.3; tail /dev/zero; sleep 100'
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	for i in $(seq 100); do
		[ "$(rt events --stats "$ID" | jq .data.oom_kill)" -gt 0 ] && break
		sleep 0.05
	done
	[ "$(rt events --stats "$ID" | jq .data.oom_kill)" -gt 0 ]
	[ "$(rt events --stats "$ID" | jq .data.memory.usage.limit)" = 33554432 ]
}

@test "cgroups: a controller this host does not have is refused naming the field" {
	[ ! -d /sys/fs/cgroup/net_cls ] || skip "net_cls is mounted here"
	config '.linux.resources += {"network":{"classID":1048577}}'
	args true
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.network"* ]]
	[ ! -d "$ROOT/$ID" ]
	for d in /sys/fs/cgroup/*/berth/"$ID"; do [ ! -e "$d" ]; done
}

@test "cgroups: delete leaves a cgroup that existed before the container" {
	for h in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ -f "$h/cgroup.procs" ] && { mkdir -p "$h/berth/pre-$ID"; break; }
	done
	config ".linux.cgroupsPath = \"pre-$ID\""
	args true
	run_ctr
	[ "$status" -eq 0 ]
	# the one that existed is still there; those create made are gone
	[ -d "$h/berth/pre-$ID" ]
	rmdir "$h/berth/pre-$ID"
	for d in /sys/fs/cgroup/*/berth/pre-"$ID"; do
		[ ! -e "$d" ]
	done
}
