#!/usr/bin/env bats
# The image store: import, images, tag, rmi, image inspect, history

load helpers

setup() {
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	STORE="$TESTDIR/root"
	tar -C "$ROOTFS" -cf "$TESTDIR/rootfs.tar" .
}

teardown() {
	# image mounts a failed test left (never follow rm -rf into one)
	local m
	for m in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" || true
	done
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

# a 2-layer docker save archive: layer 2 deletes /etc/passwd (whiteout), replaces /opt
# with an opaque directory and adds /new
make_two_layer_archive() {
	python3 - "$TESTDIR" "$ROOTFS" <<-'PY'
	import hashlib, io, json, os, sys, tarfile
	d, rootfs = sys.argv[1], sys.argv[2]
	def tar_of(add):
	    buf = io.BytesIO()
	    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
	        add(t)
	    return buf.getvalue()
	def file(t, name, data=b"x\n", mode=0o644):
	    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; t.addfile(i, io.BytesIO(data))
	def dir_(t, name):
	    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
	def l1(t):
	    t.add(rootfs, arcname=".")
	    dir_(t, "opt"); file(t, "opt/old")
	def l2(t):
	    file(t, "etc/.wh.passwd", b"")
	    dir_(t, "opt"); file(t, "opt/.wh..wh..opq", b""); file(t, "opt/fresh")
	    file(t, "new", b"from layer 2\n")
	layers = [tar_of(l1), tar_of(l2)]
	ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
	    "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": ids},
	    "history": [{"created_by": "layer one"}, {"created_by": "layer two"}]}).encode()
	cid = hashlib.sha256(cfg).hexdigest()
	mf = json.dumps([{"Config": cid + ".json", "RepoTags": ["two:layers"],
	    "Layers": [i[7:] + "/layer.tar" for i in ids]}]).encode()
	with tarfile.open(os.path.join(d, "two.tar"), "w") as t:
	    def add(name, data):
	        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
	    add(cid + ".json", cfg)
	    for i, l in zip(ids, layers):
	        add(i[7:] + "/layer.tar", l)
	    add("manifest.json", mf)
	PY
}

@test "load: a multi-layer docker save archive; the layers stack with whiteouts and opaque dirs" {
	make_two_layer_archive
	run b load -i "$TESTDIR/two.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: two:layers" ]
	[ "$(ls "$STORE/image/layers" | wc -l)" -eq 2 ]
	run b history two:layers
	[[ "${lines[1]}" == *"layer two"* ]]
	[[ "${lines[2]}" == *"layer one"* ]]
	m=$(b image mount two:layers)
	[ -x "$m/bin/busybox" ]
	[ "$(cat "$m/new")" = "from layer 2" ]
	[ ! -e "$m/etc/passwd" ]
	[ -e "$m/etc/group" ]
	[ -e "$m/opt/fresh" ]
	[ ! -e "$m/opt/old" ]
	run b rmi two:layers
	[ "$status" -ne 0 ]
	[[ "$output" == *"is mounted"* ]]
	b image unmount two:layers
	[ ! -d "$m" ]
	b rmi two:layers
	[ -z "$(ls "$STORE/image/layers")" ]
	[ -z "$(ls "$STORE/image/l")" ]
}

@test "save: the same image twice is byte-identical; load brings it back with its name" {
	b import "$TESTDIR/rootfs.tar" me/app:1 > /dev/null
	b save -o "$TESTDIR/a.tar" me/app:1
	b save -o "$TESTDIR/b.tar" me/app:1
	cmp "$TESTDIR/a.tar" "$TESTDIR/b.tar"
	b save --format oci-archive -o "$TESTDIR/o.tar" me/app:1
	id=$(b images -q --no-trunc)
	STORE="$TESTDIR/other"
	run b load -i "$TESTDIR/a.tar"
	[ "$output" = "Loaded image: me/app:1" ]
	[ "$(b images -q --no-trunc)" = "$id" ]
	b rmi me/app:1
	run b load < "$TESTDIR/o.tar"
	[ "$output" = "Loaded image: me/app:1" ]
	[ "$(b images -q --no-trunc)" = "$id" ]
}

@test "image prune removes dangling images, -a every image" {
	b import "$TESTDIR/rootfs.tar" > /dev/null
	b import -c 'CMD ["true"]' "$TESTDIR/rootfs.tar" keep > /dev/null
	run b image prune -f
	[[ "$output" == *"deleted: sha256:"* ]]
	[ "$(b images -q | wc -l)" -eq 1 ]
	run b image prune -a -f
	[[ "$output" == *"untagged: keep:latest"* ]]
	[ -z "$(b images -q)" ]
	[ -z "$(ls "$STORE/image/blobs/sha256")" ]
}
