# helpers.bash - shared by the integration tests: a busybox bundle per test, temporary roots,
# and a teardown that removes whatever a test made, even when it failed.

BERTH_BUILD=${BERTH_BUILD:-$(cd "$BATS_TEST_DIRNAME/../build" && pwd)}
BERTH="$BERTH_BUILD/berth"
RUNTIME="$BERTH_BUILD/berth-runtime"

# `run` and `create` pull a missing image, and a short name means docker.io: in the suite a
# short name goes to a loopback port where nothing listens, so that no test ever asks a
# resolver for docker.io or reaches out (tests that pull start their own registry and say so)
export BERTH_DEFAULT_REGISTRY=127.0.0.1:1

# A busybox rootfs, made once per test file (read-only for the containers by default).
make_rootfs() {
	local dir=$1
	mkdir -p "$dir"/bin "$dir"/proc "$dir"/sys "$dir"/dev "$dir"/etc "$dir"/tmp "$dir"/root
	cp /bin/busybox "$dir"/bin/busybox
	local a
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$dir"/etc/passwd
	printf 'root:x:0:\nnobody:x:65534:\n' > "$dir"/etc/group
}

setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
}

# Each test: its own state root and bundle; a container ID unique on this machine, so that
# cgroups (/berth/<id>) never collide between tests running at once.
setup() {
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	ROOT="$TESTDIR/state"
	BUNDLE="$TESTDIR/bundle"
	ID="bt-$$-${BATS_TEST_NUMBER}"
	mkdir -p "$BUNDLE"
	"$RUNTIME" spec --bundle "$BUNDLE"
	config '.root.path = env.ROOTFS | .process.terminal = false | .process.args = ["true"]'
}

teardown() {
	local id
	for id in $("$RUNTIME" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	# a cgroup a failed test may have left (only ours: /berth/bt-<pid>-*)
	local d
	for d in /sys/fs/cgroup/*/berth/bt-$$-* /sys/fs/cgroup/berth/bt-$$-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	rm -rf "$TESTDIR"
}

# rt ARGS...: the runtime against this test's root
rt() {
	"$RUNTIME" --root "$ROOT" "$@"
}

# config JQ-EXPR: edits the bundle's config.json
config() {
	local tmp="$BUNDLE/config.json.tmp"
	jq "$1" "$BUNDLE/config.json" > "$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# args CMD...: sets process.args
args() {
	local json
	json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	config ".process.args = $json"
}

# run_ctr: runs the bundle in the foreground and captures output/status
run_ctr() {
	run "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
}

# wait_status ID STATUS: polls `state` until it reports STATUS (2 s at most)
wait_status() {
	local i
	for i in $(seq 1 100); do
		[ "$(rt state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.02
	done
	echo "container $1 never became $2 (now: $(rt state "$1" 2>&1))" >&2
	return 1
}

# cgroup_dir CONTROLLER: the container's cgroup dir for a v1 controller, or the v2 one
cgroup_dir() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup/berth/$ID"
	else
		echo "/sys/fs/cgroup/$1/berth/$ID"
	fi
}
