#!/bin/sh
# tests/vm/selftest.sh - TEST_SCRIPT for tests/vm/run-vm.sh (busybox sh).
# Checks that the VM is a pure cgroup v2 host and that limits are enforced.
# Prints TAP; exits non-zero when any check fails.
#   tests/vm/run-vm.sh /bin/true tests/vm/selftest.sh

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

is_le() { [ -n "$1" ] && [ "$1" -le "$2" ]; }
is_gt() { [ -n "$1" ] && [ "$1" -gt "$2" ]; }

CG=/sys/fs/cgroup

echo "# kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

# 1. cgroup2 is mounted at /sys/fs/cgroup
# busybox stat knows no name for it: compare the magic, CGROUP2_SUPER_MAGIC
fstype=$(stat -f -c %t $CG 2>/dev/null)
check "stat -f $CG is cgroup2 (f_type 0x$fstype)" [ "$fstype" = 63677270 ]
mtype=$(awk '$2 == "/sys/fs/cgroup" {print $3}' /proc/mounts)
check "/proc/mounts has cgroup2 at $CG (got '$mtype')" [ "$mtype" = cgroup2 ]

# 2. no cgroup v1 hierarchy at all
v1=$(awk '$3 == "cgroup" {print $2}' /proc/mounts)
check "no cgroup v1 mounts${v1:+ (found: $v1)}" [ -z "$v1" ]
# with cgroup_no_v1=all, /proc/cgroups lists every v1 controller as disabled
# or as bound to hierarchy 0
v1h=$(awk '!/^#/ && $2 != 0 && $4 != 0 {print $1}' /proc/cgroups | tr '\n' ' ')
check "no controller bound to a v1 hierarchy${v1h:+ (found: $v1h)}" [ -z "$v1h" ]

# 3. /proc/self/cgroup is exactly one "0::" line
pc=$(cat /proc/self/cgroup)
lines=$(wc -l </proc/self/cgroup)
case $pc in 0::/*) one=yes ;; *) one=no ;; esac
check "/proc/self/cgroup is a single 0:: line (got '$(echo $pc)')" [ "$lines" = 1 -a $one = yes ]

# 4. controllers
ctrl=$(cat $CG/cgroup.controllers)
echo "# cgroup.controllers: $ctrl"
echo "# cgroup.subtree_control: $(cat $CG/cgroup.subtree_control)"
for c in memory pids cpu; do
	check "$c in cgroup.controllers" grep -qw $c $CG/cgroup.controllers
	check "$c enabled in root cgroup.subtree_control" grep -qw $c $CG/cgroup.subtree_control
done

# 5. a child cgroup with memory.max and pids.max
T=$CG/vm-selftest.$$
if mkdir $T; then ok "mkdir child cgroup $T"; else not_ok "mkdir child cgroup $T"; fi
echo 64M >$T/memory.max 2>/dev/null
check "memory.max set (got '$(cat $T/memory.max 2>/dev/null)')" [ "$(cat $T/memory.max 2>/dev/null)" = 67108864 ]
echo 5 >$T/pids.max 2>/dev/null
check "pids.max set (got '$(cat $T/pids.max 2>/dev/null)')" [ "$(cat $T/pids.max 2>/dev/null)" = 5 ]

# 6. put a process in it: it moves itself in, then starts 10 background
# sleeps. With pids.max=5 (the shell is one task) at most 4 can start.
OUT=/tmp/vm-selftest.out
sh -c 'echo $$ >'"$T"'/cgroup.procs || exit 1
	i=0
	while [ $i -lt 10 ]; do sleep 30 & i=$((i + 1)); done
	wait' >$OUT 2>&1 &
sleep 2
procs=$(wc -l <$T/cgroup.procs)
cur=$(cat $T/pids.current)
ev=$(awk '$1 == "max" {print $2}' $T/pids.events)
echo "# pids: cgroup.procs has $procs, pids.current=$cur, pids.events max=$ev"
sed 's/^/# inner: /' $OUT | head -3
check "process moved into the child cgroup ($procs tasks there)" is_gt "$procs" 0
check "pids.current stays within pids.max (pids.current=$cur)" is_le "$cur" 5
check "forks below pids.max were allowed (pids.current=$cur)" is_gt "$cur" 3
check "forks beyond pids.max were refused (pids.events max=$ev)" is_gt "$ev" 0
echo 1 >$T/cgroup.kill 2>/dev/null || for p in $(cat $T/cgroup.procs); do kill -9 $p; done
wait

# 7. memory.max is enforced: a process allocating more than 64M gets OOM-killed
# (tail buffers its whole input: feed it 100 MiB without newlines)
sh -c 'echo $$ >'"$T"'/cgroup.procs; exec sh -c "head -c 104857600 /dev/zero | tail -c 104857600 >/dev/null"' 2>/dev/null
ev=$(awk '$1 == "oom_kill" {print $2}' $T/memory.events 2>/dev/null)
check "memory.max enforced (oom_kill=$ev)" is_gt "$ev" 0

# clean up: wait for the cgroup to empty, then remove it
i=0
while [ -n "$(cat $T/cgroup.procs)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "rmdir child cgroup" rmdir $T

echo "1..$N"
if [ $FAILED -gt 0 ]; then
	echo "# $FAILED of $N failed"
	exit 1
fi
echo "# all $N passed"
exit 0
