#!/usr/bin/env bats
# The image store: import, images, tag, rmi, image inspect, history

load helpers

setup() {
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	STORE="$TESTDIR/root"
	tar -C "$ROOTFS" -cf "$TESTDIR/rootfs.tar" .
}

teardown() {
	rm -rf "$TESTDIR"
}

b() {
	"$BERTH" --root "$STORE" "$@"
}

@test "import: a rootfs tarball becomes a one-layer image with a name" {
	run b import "$TESTDIR/rootfs.tar" busybox
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	run b images
	[[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
	[[ "${lines[1]}" == busybox*latest*"${id:7:12}"* ]]
	# the layer is unpacked once, under the store
	[ -x "$STORE"/image/layers/*/diff/bin/busybox ]
	[ "$(b images -q)" = "${id:7:12}" ]
}

@test "import: gzip and zstd tarballs and stdin; the same content is the same layer" {
	gzip -c "$TESTDIR/rootfs.tar" > "$TESTDIR/rootfs.tar.gz"
	b import "$TESTDIR/rootfs.tar.gz" gz:1
	if command -v zstd >/dev/null; then
		zstd -q "$TESTDIR/rootfs.tar" -o "$TESTDIR/rootfs.tar.zst"
		b import "$TESTDIR/rootfs.tar.zst" zst:1
	fi
	b import - fromstdin:1 < "$TESTDIR/rootfs.tar"
	# one unpacked tree: the DiffID (uncompressed content) is the same
	[ "$(ls "$STORE/image/layers" | wc -l)" -eq 1 ]
	run b images --format json
	[ "${#lines[@]}" -ge 2 ]
}

@test "import --change sets the config; inspect shows it docker-shaped" {
	b import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV FOO=bar' -c 'WORKDIR /tmp' -c 'EXPOSE 80' \
		-c 'LABEL org.example=1' -c 'USER nobody' -m "first" "$TESTDIR/rootfs.tar" app:v1
	run b image inspect app:v1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0].Config.Cmd == ["sh","-c","echo hi"]'
	echo "$output" | jq -e '.[0].Config.Env | index("FOO=bar")'
	echo "$output" | jq -e '.[0].Config.WorkingDir == "/tmp" and .[0].Config.User == "nobody"'
	echo "$output" | jq -e '.[0].Config.ExposedPorts["80/tcp"] and .[0].Config.Labels["org.example"] == "1"'
	echo "$output" | jq -e '.[0].RepoTags == ["app:v1"] and .[0].Os == "linux" and (.[0].RootFS.Layers | length) == 1'
	run b history app:v1
	[[ "${lines[1]}" == *"berth import"*first* ]]
	run b import -c 'ONBUILD RUN x' "$TESTDIR/rootfs.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"ONBUILD is not supported"* ]]
}

@test "tag and rmi: names come and go, the image with its last name" {
	id=$(b import "$TESTDIR/rootfs.tar" one)
	b tag one two:x
	b tag "${id:7:6}" host.example:5000/three
	run b images
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *"host.example:5000/three"* ]]
	run b rmi "${id:7:12}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"referenced in multiple repositories"* ]]
	run b rmi two:x
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: two:x"* ]]
	[[ "$output" != *Deleted* ]]
	run b rmi -f one
	[[ "$output" == *"Untagged: one:latest"* ]]
	run b rmi host.example:5000/three
	[[ "$output" == *"Deleted: $id"* ]]
	[ -z "$(b images -q)" ]
	# nothing of it is left: no layer, no blob
	[ -z "$(ls "$STORE/image/layers")" ]
	[ -z "$(ls "$STORE/image/blobs/sha256")" ]
}

@test "bad input: unknown image, bad names, a broken tarball: one line, nothing half-made" {
	run b rmi nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *'image "nosuch" not found'* ]]
	run b import "$TESTDIR/rootfs.tar" 'Bad:Name'
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid reference format"* ]]
	head -c 10000 "$TESTDIR/rootfs.tar" | gzip > "$TESTDIR/trunc.tar.gz"
	head -c 3000 "$TESTDIR/trunc.tar.gz" > "$TESTDIR/cut.tar.gz"
	run b import "$TESTDIR/cut.tar.gz" broken
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$(b images -q)" ]
	[ -z "$(ls "$STORE/image/layers")" ]
	[ -z "$(ls "$STORE/image/tmp")" ]
	run b import "$TESTDIR/nonexistent.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"No such file"* ]]
}

@test "hostile tarball: an entry climbing out with .. is refused, nothing lands outside" {
	mkdir -p "$TESTDIR/evil"
	python3 - "$TESTDIR/evil.tar" <<-'PY'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w") as t:
	    data = b"pwned\n"
	    info = tarfile.TarInfo("../../escaped-by-berth-test")
	    info.size = len(data)
	    t.addfile(info, io.BytesIO(data))
	PY
	run b import "$TESTDIR/evil.tar" evil
	[ "$status" -eq 125 ]
	[ ! -e "$STORE/escaped-by-berth-test" ]
	[ ! -e "$STORE/image/escaped-by-berth-test" ]
	[ ! -e "$STORE/image/layers/escaped-by-berth-test" ]
	[ -z "$(b images -q)" ]
}

@test "two imports and an rmi at once keep the store consistent" {
	b import "$TESTDIR/rootfs.tar" base
	for i in 1 2 3 4; do b import "$TESTDIR/rootfs.tar" "c$i" > /dev/null & done
	b rmi base > /dev/null &
	wait
	[ "$(b images --format json | wc -l)" -eq 4 ]
	[ "$(ls "$STORE/image/layers" | wc -l)" -eq 1 ]
	[ -z "$(ls "$STORE/image/tmp")" ]
}
