#!/usr/bin/env bats
# containerd's ctr runs busybox with berth-runtime as the runc of its runc v2 shim: a private
# containerd (own root, state and socket), an OCI image made here (there is no registry)

load helpers
bats_require_minimum_version 1.5.0

# setup_file: the busybox rootfs, a private containerd, and the image imported into it.
# When containerd cannot start, every test skips saying why.
setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	# short paths: unix sockets live here
	export CTRD=$(mktemp -d /tmp/berth-ctrd.XXXXXX)
	export NS="berthtest-$$"
	export RUNC_ROOT="$CTRD/runc"
	export IMAGE=docker.io/library/busybox:berth
	export SKIP_REASON="$CTRD/skip"
	if ! command -v containerd > /dev/null || ! command -v ctr > /dev/null; then
		echo "containerd or ctr is not installed (apt-get install containerd)" > "$SKIP_REASON"
		return 0
	fi
	cat > "$CTRD/config.toml" <<-EOF
	version = 2
	root = "$CTRD/root"
	state = "$CTRD/state"
	# nothing that needs a network or a kernel feature we do not use
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
	  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
	  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
	  "io.containerd.internal.v1.tracing"]
	[grpc]
	  address = "$CTRD/containerd.sock"
	[ttrpc]
	  address = "$CTRD/containerd.sock.ttrpc"
	[debug]
	  address = ""
	[metrics]
	  address = ""
	EOF
	containerd --config "$CTRD/config.toml" > "$CTRD/containerd.log" 2>&1 3>&- &
	echo $! > "$CTRD/containerd.pid"
	local i
	for i in $(seq 100); do
		[ -S "$CTRD/containerd.sock" ] && ctr_ version > /dev/null 2>&1 && break
		sleep 0.1
	done
	if ! ctr_ version > /dev/null 2>&1; then
		echo "containerd did not start: $(tail -n 3 "$CTRD/containerd.log" | tr '\n' ' ')" > "$SKIP_REASON"
		return 0
	fi
	make_image "$CTRD/busybox-oci.tar"
	ctr_ image import "$CTRD/busybox-oci.tar"
}

teardown_file() {
	local pid p d
	if [ -f "$CTRD/containerd.pid" ]; then
		pid=$(cat "$CTRD/containerd.pid")
		kill "$pid" 2>/dev/null || true
		for p in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# snapshots and task rootfs a failed test may have left mounted, deepest first
	for p in $(awk -v d="$CTRD" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$p" 2>/dev/null || true
	done
	# ctr_run puts tasks in /berth/<namespace>/<id> of every hierarchy
	for d in /sys/fs/cgroup/*/berth/"$NS" /sys/fs/cgroup/berth/"$NS"; do
		[ -d "$d" ] || continue
		rmdir "$d"/* 2>/dev/null || true
		rmdir "$d" 2>/dev/null || true
	done
	rm -rf "$CTRD"
}

setup() {
	if [ -s "$SKIP_REASON" ]; then
		skip "$(cat "$SKIP_REASON")"
	fi
}

# every container of our namespace goes, whatever state the test left it in
teardown() {
	[ -s "$SKIP_REASON" ] && return 0
	local c
	for c in $(ctr_ container list -q 2>/dev/null); do
		ctr_ task kill -s SIGKILL "$c" > /dev/null 2>&1 || true
		ctr_ task delete --force "$c" > /dev/null 2>&1 || true
		ctr_ container delete "$c" > /dev/null 2>&1 || true
	done
}

# ctr_ ARGS...: ctr against our containerd and namespace
ctr_() {
	timeout 60 ctr --address "$CTRD/containerd.sock" --namespace "$NS" "$@"
}

# ctr_run ARGS...: ctr run with berth-runtime as the shim's runc
# Its cgroup goes under the berth parent (containerd's default would be /<namespace>/<id>).
ctr_run() {
	local a id="" prev=""
	for a in "$@"; do
		[ "$prev" = "$IMAGE" ] && id=$a
		prev=$a
	done
	ctr_ run --runtime io.containerd.runc.v2 --runc-binary "$RUNTIME" --runc-root "$RUNC_ROOT" \
		--cgroup "/berth/$NS/$id" "$@"
}

# blob FILE: moves FILE into the layout's blobs, prints its digest
blob() {
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$CTRD/oci/blobs/sha256/$d"
	echo "sha256:$d"
}

# make_image TARBALL: an OCI image layout of $ROOTFS (one uncompressed layer), as a tarball
make_image() {
	local oci="$CTRD/oci" layer config manifest lsize csize msize
	mkdir -p "$oci/blobs/sha256"
	tar -C "$ROOTFS" --numeric-owner -cf "$CTRD/layer.tar" .
	lsize=$(stat -c %s "$CTRD/layer.tar")
	layer=$(blob "$CTRD/layer.tar")
	jq -nc --arg l "$layer" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$l]}}' > "$CTRD/config.json"
	csize=$(stat -c %s "$CTRD/config.json")
	config=$(blob "$CTRD/config.json")
	jq -nc --arg c "$config" --argjson cs "$csize" --arg l "$layer" --argjson ls "$lsize" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' > "$CTRD/manifest.json"
	msize=$(stat -c %s "$CTRD/manifest.json")
	manifest=$(blob "$CTRD/manifest.json")
	jq -nc --arg m "$manifest" --argjson ms "$msize" --arg name "$IMAGE" '{schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			platform: {architecture: "amd64", os: "linux"},
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": "berth"}}]}' > "$oci/index.json"
	echo '{"imageLayoutVersion": "1.0.0"}' > "$oci/oci-layout"
	tar -C "$oci" -cf "$1" .
}

# task_status ID: the task's status as ctr reports it (RUNNING, STOPPED, ...)
task_status() {
	ctr_ task list | awk -v id="$1" '$1 == id { print $3 }'
}

@test "ctr imports the image made here" {
	run ctr_ image list -q
	[ "$status" -eq 0 ]
	[[ "$output" == *"$IMAGE"* ]]
}

@test "ctr run: berth-runtime runs the task, its output and exit code come back" {
	run ctr_run --rm "$IMAGE" run1 sh -c 'echo hello from $(cat /proc/1/comm); exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = "hello from sh" ]
	# --rm: nothing of it is left, in containerd or in berth's root
	[ -z "$(ctr_ container list -q)" ]
	[ ! -e "$RUNC_ROOT/$NS/run1" ]
}

@test "ctr run -d: the task is a berth container" {
	ctr_run -d "$IMAGE" run2 sleep 100
	[ "$(task_status run2)" = RUNNING ]
	pid=$(ctr_ task list | awk '$1 == "run2" { print $2 }')
	"$RUNTIME" --root "$RUNC_ROOT/$NS" state run2
	[ "$("$RUNTIME" --root "$RUNC_ROOT/$NS" state run2 | jq -r .status)" = running ]
	[ "$("$RUNTIME" --root "$RUNC_ROOT/$NS" state run2 | jq -r .pid)" = "$pid" ]
	[ "$(cat /proc/$pid/comm)" = sleep ]
	grep -q "/berth/$NS/run2" /proc/$pid/cgroup
}

@test "ctr task exec runs a process in the task and returns its exit code" {
	ctr_run -d "$IMAGE" exec1 sleep 100
	run ctr_ task exec --exec-id x1 exec1 sh -c 'echo in-exec; cat /proc/1/comm; exit 5'
	echo "$status: $output"
	[ "$status" -eq 5 ]
	[ "${lines[0]}" = in-exec ]
	[ "${lines[1]}" = sleep ]
	run ctr_ task exec --exec-id x2 --cwd /tmp --user 65534 exec1 sh -c 'pwd; id -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = 65534 ]
}

@test "ctr task kill stops the task, delete removes it everywhere" {
	ctr_run -d "$IMAGE" kill1 sleep 100
	pid=$(ctr_ task list | awk '$1 == "kill1" { print $2 }')
	ctr_ task kill -s SIGKILL kill1
	for i in $(seq 100); do [ "$(task_status kill1)" = STOPPED ] && break; sleep 0.05; done
	[ "$(task_status kill1)" = STOPPED ]
	run ! kill -0 "$pid"
	ctr_ task delete kill1
	ctr_ container delete kill1
	[ -z "$(ctr_ container list -q)" ]
	run "$RUNTIME" --root "$RUNC_ROOT/$NS" state kill1
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	local d
	for d in /sys/fs/cgroup/*/berth/"$NS"/kill1; do
		[ ! -e "$d" ] || { echo "cgroup left: $d" >&2; return 1; }
	done
	! grep -q "$CTRD/state/.*/kill1/rootfs" /proc/self/mountinfo
}

@test "ctr task kill sends SIGTERM by default" {
	ctr_run -d "$IMAGE" kill2 sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done'
	sleep 0.3
	ctr_ task kill kill2
	for i in $(seq 100); do [ "$(task_status kill2)" = STOPPED ] && break; sleep 0.05; done
	[ "$(task_status kill2)" = STOPPED ]
	run ctr_ task delete kill2
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 42"* ]]
}
