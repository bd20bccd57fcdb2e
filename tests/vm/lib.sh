# lib.sh - what tests/vm/cgroup-v1.sh and cgroup-v2.sh share: TAP output, checks, and
# running berth-runtime on configs written by hand. Sourced from /extra/lib.sh in the VM
# (run-vm.sh copies it there); the scripts set R, RT, W, CG and ROOTFS first.
# shellcheck shell=dash

N=0
PASSED=0
FAILED=0

ok() {
	N=$((N + 1))
	PASSED=$((PASSED + 1))
	echo "ok $N - $1"
}

not_ok() { # not_ok DESCRIPTION [DIAGNOSTIC...]
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}

skip() {
	N=$((N + 1))
	PASSED=$((PASSED + 1))
	echo "ok $N # SKIP $1"
}

# check_eq DESCRIPTION EXPECTED GOT [DIAGNOSTIC...]
check_eq() {
	local d=$1 want=$2 got=$3
	shift 3
	if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d" "expected '$want', got '$got'" "$@"; fi
}

# check DESCRIPTION DIAGNOSTIC COMMAND...
check() {
	local d=$1 diag=$2
	shift 2
	if "$@"; then ok "$d"; else not_ok "$d" "$diag"; fi
}

is_gt() { [ -n "$1" ] && [ "$1" -gt "$2" ] 2>/dev/null; }

rt() { "$RT" --root "$R" "$@"; }

# status ID: the container's status from `state` (no jq here)
status() { rt state "$1" 2>/dev/null | sed -n 's/^ *"status": *"\([a-z]*\)".*/\1/p'; }

# wait_status ID STATUS [TENTHS]: poll until the container has STATUS
wait_status() {
	local i=0
	while [ $i -lt "${3:-100}" ]; do
		[ "$(status "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_file PATH [TENTHS]: poll until PATH is a non-empty file
wait_file() {
	local i=0
	while [ $i -lt "${2:-100}" ]; do
		[ -s "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# create ID: create from $W/ID; the container's stdout and stderr (and create's) go to
# $W/ID.out, also in $out (not a pipe: the container would hold it open)
create() {
	rt create --bundle "$W/$1" "$1" </dev/null >"$W/$1.out" 2>&1
	rc=$?
	out=$(cat "$W/$1.out")
	return $rc
}

# cleanup ID: delete a container whatever state it is in (no check)
cleanup() { rt delete --force "$1" >/dev/null 2>&1; }

mkcfg() {
	mkdir -p "$W/$1"
	cat >"$W/$1/config.json" <<EOF
{
	"ociVersion": "1.2.0",
	"root": {"path": "$ROOTFS", "readonly": true},
	"hostname": "$1",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": $2,
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		"cwd": "/"
	},
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs",
		 "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}${6:+,
		$6}
	],
	"linux": {
		"namespaces": [${5:-$DEFAULT_NS}],
		${4:+$4,}
		"resources": $3
	}
}
EOF
}

# script NAME: stdin becomes /t/NAME in the rootfs
script() {
	mkdir -p "$ROOTFS/t"
	cat >"$ROOTFS/t/$1"
}

# dev_run ID RESOURCES [LINUX_EXTRA] [MOUNTS_EXTRA]: run dev.sh, output in $out
dev_run() {
	mkcfg $1 '["sh","/t/dev.sh"]' "$2" "$3" "" "$4"
	out=$(rt run --bundle "$W/$1" $1 2>&1 </dev/null)
	rc=$?
	diag="run exit $rc, output: $out"
	cleanup $1
}

has() { echo "$out" | grep -q "$1"; }
