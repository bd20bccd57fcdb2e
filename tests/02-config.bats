#!/usr/bin/env bats
# config.json honoured field by field: process, mounts, /dev, namespaces, hooks, seccomp

load helpers

@test "process: env, cwd, args reach the process" {
	config '.process.env = ["A=1", "PATH=/bin"] | .process.cwd = "/tmp"'
	args sh -c 'echo $A; pwd'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = /tmp ]
}

@test "process: a missing cwd is created" {
	config '.root.readonly = false | .process.cwd = "/work/here"'
	cp -a "$ROOTFS" "$TESTDIR/rw"
	config ".root.path = \"$TESTDIR/rw\""
	args pwd
	run_ctr
	[ "$output" = /work/here ]
}

@test "process.user: uid, gid, additionalGids and umask" {
	config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 63}'
	args sh -c 'id -u; id -g; cat /proc/self/status | grep ^Groups; umask'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1001 ]
	[[ "${lines[2]}" == *"5 7"* ]]
	[ "${lines[3]}" = 0077 ]
}

@test "process.capabilities: the five sets, for root and for another user" {
	config '.process.capabilities = {"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"],"permitted":["CAP_KILL","CAP_CHOWN"],"inheritable":["CAP_CHOWN"],"ambient":["CAP_CHOWN"]}'
	args sh -c 'grep ^Cap /proc/self/status'
	run_ctr
	[ "$status" -eq 0 ]
	# CAP_CHOWN = bit 0, CAP_KILL = bit 5; ambient raised caps become effective after execve
	[[ "$output" == *"CapBnd:	0000000000000021"* ]]
	[[ "$output" == *"CapAmb:	0000000000000001"* ]]
	[[ "$output" == *"CapInh:	0000000000000001"* ]]
	config '.process.user = {"uid": 1000, "gid": 1000}'
	run_ctr
	[[ "$output" == *"CapEff:	0000000000000001"* ]]
	[[ "$output" == *"CapAmb:	0000000000000001"* ]]
}

@test "process.noNewPrivileges and oomScoreAdj" {
	config '.process.noNewPrivileges = true | .process.oomScoreAdj = 500'
	args sh -c 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj'
	run_ctr
	[[ "${lines[0]}" == *"1" ]]
	[ "${lines[1]}" = 500 ]
}

@test "process.rlimits are set; one above the hard limit is refused by name" {
	config '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":100,"hard":200},{"type":"RLIMIT_CORE","soft":0,"hard":0}]'
	args sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	[ "${lines[2]}" = 0 ]
	hard=$(ulimit -Hn)
	config ".process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":$((hard * 4))}]"
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *RLIMIT_NOFILE* ]]
	[[ "$output" == *CAP_SYS_RESOURCE* ]]
	[ ! -d "$ROOT/$ID" ]
}

@test "hostname and domainname in a new uts namespace" {
	config '.hostname = "box1" | .domainname = "example.test"'
	args sh -c 'hostname; cat /proc/sys/kernel/domainname'
	run_ctr
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = example.test ]
	[ "$(hostname)" != box1 ]
}

@test "root.readonly: the root filesystem cannot be written, tmpfs mounts can" {
	config '.mounts += [{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=1777"]}]'
	args sh -c 'touch /x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-ok'
	run_ctr
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"tmp-ok"* ]]
}

@test "mounts: bind, read-only bind, file bind, options and propagation" {
	mkdir -p "$TESTDIR/src" && echo data > "$TESTDIR/src/f" && echo single > "$TESTDIR/one"
	config ".mounts += [
		{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TESTDIR/src\",\"options\":[\"rbind\",\"rw\"]},
		{\"destination\":\"/ro\",\"type\":\"none\",\"source\":\"$TESTDIR/src\",\"options\":[\"bind\",\"ro\",\"nosuid\",\"nodev\"]},
		{\"destination\":\"/etc/one\",\"type\":\"bind\",\"source\":\"$TESTDIR/one\",\"options\":[\"bind\",\"ro\",\"rprivate\"]},
		{\"destination\":\"/small\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=64k\",\"noexec\"]}]"
	args sh -c 'cat /data/f; echo new > /data/g; cat /etc/one; (echo x > /ro/h) 2>/dev/null || echo ro-refused; grep " /ro " /proc/self/mountinfo; grep " /small " /proc/self/mountinfo'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = data ]
	[ "${lines[1]}" = single ]
	[ "${lines[2]}" = ro-refused ]
	[[ "${lines[3]}" == *" ro,nosuid,nodev"* ]]
	[[ "${lines[4]}" == *"noexec"* && "${lines[4]}" == *"size=64k"* ]]
	[ "$(cat "$TESTDIR/src/g")" = new ]
	# nothing of it is left on the host
	! grep -q "$TESTDIR" /proc/self/mountinfo
}

@test "mounts: a destination under a symlink stays inside the rootfs" {
	cp -a "$ROOTFS" "$TESTDIR/rw"
	ln -s /../../../../tmp/escape-$ID "$TESTDIR/rw/evil"
	config ".root.path = \"$TESTDIR/rw\" | .mounts += [{\"destination\":\"/evil/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]"
	args true
	run_ctr
	# refused, because the link points nowhere inside; and nothing outside was made
	[ "$status" -ne 0 ]
	[[ "$output" == *"/evil is a symlink to a path that does not exist"* ]]
	[ ! -e "/tmp/escape-$ID" ]
	# once its target exists inside the rootfs, the mount lands there
	mkdir -p "$TESTDIR/rw/tmp/escape-$ID"
	args sh -c 'grep " /tmp/escape-[^ ]*/x " /proc/self/mountinfo'
	run_ctr
	[ "$status" -eq 0 ]
	[ -d "$TESTDIR/rw/tmp/escape-$ID/x" ]
	[ ! -e "/tmp/escape-$ID" ]
}

@test "/dev: default devices, symlinks, devpts and linux.devices" {
	config '.linux.devices = [{"path":"/dev/fuse-like","type":"c","major":1,"minor":3,"fileMode":384,"uid":0,"gid":0}]'
	args sh -c 'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/fuse-like; readlink /dev/fd; readlink /dev/ptmx; echo x > /dev/fuse-like && echo writable'
	run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"crw-------"*"1,   3"*"/dev/fuse-like"* ]]
	[[ "$output" == *"/proc/self/fd"* ]]
	[[ "$output" == *"pts/ptmx"* ]]
	[[ "$output" == *writable* ]]
}

@test "linux.maskedPaths and readonlyPaths" {
	args sh -c 'cat /proc/keys | wc -c; ls /sys/firmware | wc -l; (echo 1 > /proc/sys/kernel/shmmax) 2>/dev/null || echo ro'
	host_firmware=$(ls /sys/firmware 2>/dev/null | wc -l)
	run_ctr
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = ro ]
	# the host's are untouched
	[ "$(ls /sys/firmware 2>/dev/null | wc -l)" -eq "$host_firmware" ]
}

@test "linux.sysctl: namespaced keys are set, host-wide ones refused" {
	config '.linux.sysctl = {"kernel.shmmax": "12345678", "net.ipv4.ip_forward": "1"}'
	config '.linux.readonlyPaths = []'
	args sh -c 'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 12345678 ]
	[ "${lines[1]}" = 1 ]
	[ "$(cat /proc/sys/kernel/shmmax)" != 12345678 ]
	config '.linux.sysctl = {"vm.swappiness": "1"}'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"vm.swappiness"* ]]
}

@test "namespaces: pid, uts, ipc, net, mount and cgroup are the container's own" {
	args sh -c 'for n in pid uts ipc net mnt cgroup; do readlink /proc/self/ns/$n; done; echo $$; cat /proc/self/cgroup | head -1'
	run_ctr
	[ "$status" -eq 0 ]
	for n in pid uts ipc net mnt cgroup; do
		[[ "$output" != *"$(readlink /proc/self/ns/$n)"* ]]
	done
	[ "${lines[6]}" = 1 ]
	[[ "${lines[7]}" == *":/" ]]
}

@test "namespaces: joining an existing one by path" {
	unshare --net --uts sh -c 'hostname joined-uts; sleep 30' &
	upid=$!
	sleep 0.3
	child=$(pgrep -P $upid || echo $upid)
	config ".linux.namespaces = [{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\",\"path\":\"/proc/$child/ns/uts\"},{\"type\":\"network\",\"path\":\"/proc/$child/ns/net\"}] | del(.hostname)"
	args sh -c 'hostname; readlink /proc/self/ns/net'
	run_ctr
	kill $upid $child 2>/dev/null || true # cleanup
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = joined-uts ]
	[ "${lines[1]}" = "$(readlink /proc/$child/ns/net 2>/dev/null || echo "${lines[1]}")" ]
}

@test "namespaces: a user namespace with uid and gid mappings" {
	cp -a "$ROOTFS" "$TESTDIR/rw"
	chown -R 100000:100000 "$TESTDIR/rw"
	chmod 755 "$TESTDIR"
	config ".root.path = \"$TESTDIR/rw\" | .linux.namespaces += [{\"type\":\"user\"}] | .linux.uidMappings = [{\"containerID\":0,\"hostID\":100000,\"size\":65536}] | .linux.gidMappings = [{\"containerID\":0,\"hostID\":100000,\"size\":65536}]"
	config 'del(.linux.resources)'
	args sh -c 'id -u; cat /proc/self/uid_map; ls -ln / | grep bin'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *"0"*"100000"*"65536"* ]]
	[[ "${lines[2]}" == *" 0 "*" 0 "* ]]
}

@test "namespaces: a time namespace with offsets" {
	config '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"monotonic":{"secs":86400,"nanosecs":0},"boottime":{"secs":172800,"nanosecs":0}}'
	args cat /proc/uptime
	run_ctr
	[ "$status" -eq 0 ]
	up=${output%%.*}
	host=$(cut -d. -f1 /proc/uptime)
	[ "$up" -ge $((host + 172000)) ]
}

@test "hooks: all six run at their moment with the state on stdin" {
	log="$TESTDIR/hooks.log"
	for h in prestart createRuntime poststart poststop; do
		printf '#!/bin/sh\nread s; echo "%s $s" >> %s\n' "$h" "$log" > "$TESTDIR/$h.sh"
		chmod +x "$TESTDIR/$h.sh"
	done
	# createContainer runs in the container's namespaces before pivot_root (host paths);
	# startContainer runs in the container after start (container paths)
	printf '#!/bin/sh\nread s; echo "createContainer $(readlink /proc/self/ns/mnt) $s" >> %s\n' "$log" > "$TESTDIR/createContainer.sh"
	chmod +x "$TESTDIR/createContainer.sh"
	config ".hooks = {
		\"prestart\":[{\"path\":\"$TESTDIR/prestart.sh\"}],
		\"createRuntime\":[{\"path\":\"$TESTDIR/createRuntime.sh\"}],
		\"createContainer\":[{\"path\":\"$TESTDIR/createContainer.sh\"}],
		\"startContainer\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo started > /dev/shm/sc\"]}],
		\"poststart\":[{\"path\":\"$TESTDIR/poststart.sh\"}],
		\"poststop\":[{\"path\":\"$TESTDIR/poststop.sh\"}]}"
	args sh -c 'cat /dev/shm/sc'
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = started ]
	run cat "$log"
	[[ "${lines[0]}" == "prestart "*"\"status\":\"created\""* ]]
	[[ "${lines[1]}" == "createRuntime "*"\"id\":\"$ID\""* ]]
	[[ "${lines[2]}" == "createContainer mnt:"* ]]
	[[ "${lines[2]}" != "createContainer $(readlink /proc/self/ns/mnt) "* ]]
	[[ "${lines[3]}" == "poststart "*"\"status\":\"running\""* ]]
	[[ "${lines[4]}" == "poststop "*"\"status\":\"stopped\""* ]]
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	config '.hooks = {"createRuntime":[{"path":"/bin/false"}]}'
	args sleep 10
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createRuntime[0]"* ]]
	[ ! -d "$ROOT/$ID" ]
	[ ! -d "$(cgroup_dir memory)" ]
}

@test "hooks: a hook that runs past its timeout is killed" {
	config '.hooks = {"prestart":[{"path":"/bin/sleep","args":["sleep","10"],"timeout":1}]}'
	SECONDS=0
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"timed out"* ]]
	[ "$SECONDS" -lt 5 ]
}

@test "seccomp: errno rules with argument conditions" {
	config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}'
	args sh -c 'mkdir /dev/shm/x 2>&1; echo rc=$?'
	run_ctr
	[[ "$output" == *"Permission denied"* ]]
	config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bogus_call"],"action":"SCMP_ACT_KILL"}, {"names":["getpid"],"action":"SCMP_ACT_BOGUS"}]}'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[1].action"* ]]
}

@test "terminal: run gives the process a pty as its stdio" {
	config '.process.terminal = true'
	args sh -c 'tty; test -t 0 && echo is-a-tty; readlink /proc/self/fd/1'
	run script -qec "$RUNTIME --root $ROOT run --bundle $BUNDLE $ID" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"is-a-tty"* ]]
}

@test "terminal: create without --console-socket is refused" {
	config '.process.terminal = true'
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket"* ]]
	[ ! -d "$ROOT/$ID" ]
}

@test "linux.personality LINUX32 changes uname -m" {
	config '.linux.personality = {"domain":"LINUX32"}'
	args uname -m
	run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == i686 || "$output" == i386 || "$output" == armv* ]]
}

@test "annotations appear in state" {
	config '.annotations = {"org.example.key": "value"}'
	args sleep 100
	rt create --bundle "$BUNDLE" "$ID"
	[ "$(rt state "$ID" | jq -r '.annotations["org.example.key"]')" = value ]
}

@test "create --no-pivot: chroot instead of pivot_root, same view inside" {
	args sh -c 'ls /; test -e /proc/1/root/bin/busybox && echo own-root'
	run rt run --no-pivot --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *bin* ]]
	[[ "$output" == *own-root* ]]
}

@test "terminal: /dev/console is the container's pty" {
	config '.process.terminal = true'
	args sh -c 'stat -c "%t:%T" /dev/console; stat -c "%t:%T" $(tty)'
	run script -qec "$RUNTIME --root $ROOT run --bundle $BUNDLE $ID" /dev/null
	[ "$status" -eq 0 ]
	echo "$output"
	first=$(echo "${lines[0]}" | tr -cd '[:alnum:]:')
	second=$(echo "${lines[1]}" | tr -cd '[:alnum:]:')
	[ "$first" = "$second" ]
	[[ "$first" == 88:* ]]
}

@test "seccomp: a profile without close_range (written for older kernels) still starts promptly" {
	config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["close_range"],"action":"SCMP_ACT_ERRNO"}]}'
	args sleep 3
	rt create --bundle "$BUNDLE" "$ID"
	SECONDS=0
	rt start "$ID"
	[ "$SECONDS" -lt 2 ]
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	# the program does not hold exec.fifo or any other runtime descriptor
	pid=$(rt state "$ID" | jq -r .pid)
	[ "$(ls /proc/$pid/fd | sort -n | tr '\n' ' ')" = "0 1 2 " ]
}
