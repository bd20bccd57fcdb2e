#!/usr/bin/env bats
# Interop with Debian's podman and skopeo: their archives load into berth, berth's into podman.
#
# podman runs with a root, run root and tmp dir of its own under the test's temp dir (vfs
# driver: no mounts to undo), cgroupfs, no events, no network, and its containers' cgroups
# under /berth/podman-test-<pid> (removed in teardown). On a hybrid cgroup host crun refuses
# to run, so runc is the runtime there. podman run needs explicit ulimits: CAP_SYS_RESOURCE
# is not in the bounding set here, so podman cannot raise its defaults.

load helpers

# one parent for the whole file: made in setup_file, inherited by every test
: "${CGPARENT:=/berth/podman-test-$$}"

# podman_at DIR ARGS...: podman with its state under DIR
podman_at() {
	local d=$1
	shift
	podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none --runtime "$PODMAN_RUNTIME" "$@"
}

# pm ARGS...: podman with this test's state
pm() {
	podman_at "$TESTDIR/podman" "$@"
}

# podman run with what this host needs
pm_run() {
	pm run --rm --network none --cgroup-parent "$CGPARENT" \
		--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$@"
}

install_tools() {
	local missing="" t
	for t in podman skopeo; do command -v "$t" > /dev/null || missing="$missing $t"; done
	# crun refuses hybrid cgroup hosts: runc runs the containers there
	if ! [ -f /sys/fs/cgroup/cgroup.controllers ] && ! command -v runc > /dev/null; then
		missing="$missing runc"
	fi
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing:$missing (not root: cannot install)"
		return 1
	fi
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing > /dev/null 2>&1; then
		apt-get update -qq > /dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing > /dev/null 2>&1 ||
			{ echo "apt-get install$missing failed"; return 1; }
	fi
}

setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	tar -C "$ROOTFS" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	export CGPARENT SKIP_REASON="" RUN_SKIP_REASON=""
	if ! SKIP_REASON=$(install_tools); then
		echo "# skipping podman/skopeo interop: $SKIP_REASON" >&3
		export SKIP_REASON
		return 0
	fi
	SKIP_REASON=""
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		export PODMAN_RUNTIME=crun
	else
		export PODMAN_RUNTIME=runc
	fi
	# the busybox image podman knows, made once: podman import of the rootfs tarball
	export PODSRC="$BATS_FILE_TMPDIR/podsrc"
	local out
	if ! out=$(podman_at "$PODSRC" import -q -c 'CMD ["/bin/sh", "-c", "echo hi"]' \
		-c 'ENV FOO=bar' -c 'WORKDIR /tmp' "$BATS_FILE_TMPDIR/rootfs.tar" \
		localhost/pbox:v1 2>&1); then
		export SKIP_REASON="podman cannot import here: $out"
		echo "# skipping podman/skopeo interop: $SKIP_REASON" >&3
		return 0
	fi
	# can podman run anything at all here (its own image)?
	if ! out=$(podman_at "$PODSRC" run --rm --network none --cgroup-parent "$CGPARENT" \
		--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 localhost/pbox:v1 \
		echo smoke 2>&1) || [ "$out" != smoke ]; then
		export RUN_SKIP_REASON="podman run fails on this host: $out"
		echo "# $RUN_SKIP_REASON" >&3
	fi
	remove_cgroups
}

# podman's cgroups (the containers' and conmon's) under our parent, deepest first
remove_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
		[ -d "$d" ] || continue
		find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
		rmdir "$d" 2>/dev/null || true
	done
}

# unmount whatever podman may have left mounted under a dir, deepest first
umount_under() {
	local m
	for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

teardown_file() {
	[ -n "${PODSRC:-}" ] && umount_under "$PODSRC"
	remove_cgroups
}

setup() {
	[ -z "$SKIP_REASON" ] || skip "$SKIP_REASON"
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	STORE="$TESTDIR/root"
}

teardown() {
	[ -n "${TESTDIR:-}" ] || return 0
	umount_under "$TESTDIR"
	remove_cgroups
	rm -rf "$TESTDIR"
}

b() {
	"$BERTH" --root "$STORE" "$@"
}

# the image's config as berth and podman show it, for comparison
cfg_of() {
	jq -c '.[0] | {Id: ("sha256:" + (.Id | ltrimstr("sha256:"))), Config, RootFS}'
}

@test "podman save --format docker-archive: berth loads it with the same config" {
	podman_at "$PODSRC" save -q --format docker-archive -o "$TESTDIR/p.tar" localhost/pbox:v1
	run b load -i "$TESTDIR/p.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/pbox:v1" ]
	want=$(podman_at "$PODSRC" image inspect localhost/pbox:v1 | cfg_of)
	[ "$(b image inspect localhost/pbox:v1 | cfg_of)" = "$want" ]
	b image inspect localhost/pbox:v1 | jq -e '.[0].Config.Cmd == ["/bin/sh", "-c", "echo hi"]'
	# its one layer is unpacked in the store: busybox is there
	[ -x "$STORE"/image/layers/*/diff/bin/busybox ]
	[ -L "$STORE"/image/layers/*/diff/bin/sh ]
	[ -z "$(ls "$STORE/image/tmp")" ]
}

@test "podman save --format oci-archive: berth loads it" {
	podman_at "$PODSRC" save -q --format oci-archive -o "$TESTDIR/p-oci.tar" localhost/pbox:v1
	run b load -i "$TESTDIR/p-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/pbox:v1" ]
	want=$(podman_at "$PODSRC" image inspect localhost/pbox:v1 | cfg_of)
	[ "$(b image inspect localhost/pbox:v1 | cfg_of)" = "$want" ]
	# the manifest is kept as it came: the same digest as in the archive's index.json
	digest=$(tar -xOf "$TESTDIR/p-oci.tar" index.json | jq -r '.manifests[0].digest')
	[ "$(b images --format json | jq -r .Digest)" = "$digest" ]
	[ -x "$STORE"/image/layers/*/diff/bin/busybox ]
}

@test "skopeo copy to an OCI layout, tarred: berth loads it" {
	podman_at "$PODSRC" save -q --format docker-archive -o "$TESTDIR/p.tar" localhost/pbox:v1
	skopeo copy -q "docker-archive:$TESTDIR/p.tar" "oci:$TESTDIR/layout:latest"
	tar -C "$TESTDIR/layout" -cf "$TESTDIR/layout.tar" .
	id=$(podman_at "$PODSRC" image inspect localhost/pbox:v1 | jq -r '.[0].Id')
	run b load -i "$TESTDIR/layout.tar"
	[ "$status" -eq 0 ]
	# skopeo writes a bare tag ("latest") as the ref name: that names nothing
	[ "$output" = "Loaded image ID: sha256:${id#sha256:}" ]
	[ -x "$STORE"/image/layers/*/diff/bin/busybox ]
	# straight from podman's store too, with a full name this time
	skopeo copy -q "containers-storage:[vfs@$PODSRC/root+$PODSRC/run]localhost/pbox:v1" \
		"oci:$TESTDIR/layout2:localhost/pbox:v1"
	tar -C "$TESTDIR/layout2" -cf "$TESTDIR/layout2.tar" .
	run b load -i "$TESTDIR/layout2.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/pbox:v1" ]
	[ "$(b images -q --no-trunc)" = "sha256:${id#sha256:}" ]
	[ "$(b image inspect localhost/pbox:v1 | cfg_of)" = \
		"$(podman_at "$PODSRC" image inspect localhost/pbox:v1 | cfg_of)" ]
}

@test "berth save: podman loads it and runs it" {
	[ -z "$RUN_SKIP_REASON" ] || skip "$RUN_SKIP_REASON"
	id=$(b import -c 'CMD ["echo", "from-cmd"]' "$BATS_FILE_TMPDIR/rootfs.tar" bbox:1)
	b save -o "$TESTDIR/b.tar" bbox:1
	run pm load -q -i "$TESTDIR/b.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"docker.io/library/bbox:1"* ]]
	[ "$(pm image inspect bbox:1 | jq -r '.[0].Id')" = "${id#sha256:}" ]
	run pm_run bbox:1 echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run pm_run bbox:1
	[ "$output" = from-cmd ]
	# through a pipe as well
	pm rmi -a > /dev/null
	"$BERTH" --root "$STORE" save bbox:1 | pm load -q
	run pm_run docker.io/library/bbox:1 echo piped
	[ "$output" = piped ]
}

@test "berth save --format oci-archive: podman loads it and runs it" {
	[ -z "$RUN_SKIP_REASON" ] || skip "$RUN_SKIP_REASON"
	id=$(b import "$BATS_FILE_TMPDIR/rootfs.tar" bbox:oci)
	b save --format oci-archive -o "$TESTDIR/b-oci.tar" bbox:oci
	run pm load -q -i "$TESTDIR/b-oci.tar"
	[ "$status" -eq 0 ]
	[ "$(pm image inspect docker.io/library/bbox:oci | jq -r '.[0].Id')" = "${id#sha256:}" ]
	run pm_run docker.io/library/bbox:oci echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "a podman image round-trips: podman -> berth -> podman keeps its ID" {
	[ -z "$RUN_SKIP_REASON" ] || skip "$RUN_SKIP_REASON"
	podman_at "$PODSRC" save -q --format docker-archive -o "$TESTDIR/p.tar" localhost/pbox:v1
	b load -i "$TESTDIR/p.tar"
	b save -o "$TESTDIR/back.tar" localhost/pbox:v1
	pm load -q -i "$TESTDIR/back.tar"
	[ "$(pm image inspect localhost/pbox:v1 | cfg_of)" = \
		"$(podman_at "$PODSRC" image inspect localhost/pbox:v1 | cfg_of)" ]
	run pm_run localhost/pbox:v1
	[ "$output" = hi ]
	# skopeo reads berth's archives as well
	skopeo inspect "docker-archive:$TESTDIR/back.tar" | jq -e '.Layers | length == 1'
	b save --format oci-archive -o "$TESTDIR/back-oci.tar" localhost/pbox:v1
	mkdir "$TESTDIR/x"
	tar -C "$TESTDIR/x" -xf "$TESTDIR/back-oci.tar"
	skopeo inspect --raw "oci:$TESTDIR/x" | jq -e '.layers | length == 1'
}
