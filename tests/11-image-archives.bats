#!/usr/bin/env bats
# Image archives: save and load round trips, hostile archives, concurrent writers

load helpers

# Archives crafted by hand (python3's tarfile): a docker save archive or an OCI layout made
# of given layers, with hooks to break them in one precise way.
write_arch_py() {
	cat > "$BATS_FILE_TMPDIR/arch.py" <<-'PY'
	import gzip, hashlib, io, json, tarfile

	def sha(b):
	    return hashlib.sha256(b).hexdigest()

	def add(t, name, data=b""):
	    info = tarfile.TarInfo(name)
	    info.size = len(data)
	    info.mode = 0o644
	    t.addfile(info, io.BytesIO(data))

	def link(t, name, target, hard=False):
	    info = tarfile.TarInfo(name)
	    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
	    info.linkname = target
	    t.addfile(info)

	def layer(files):
	    """a layer tar: {path: bytes}"""
	    bio = io.BytesIO()
	    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
	        for p, d in files.items():
	            add(t, p, d)
	    return bio.getvalue()

	def config(diff_ids):
	    return json.dumps({"architecture": "amd64", "os": "linux",
	                       "config": {"Cmd": ["sh"]},
	                       "rootfs": {"type": "layers", "diff_ids": diff_ids}},
	                      sort_keys=True).encode()

	def docker(out, layers, tags=("hostile:latest",), diff_ids=None, fix=None, extra=None,
	           blob=None):
	    """docker save: layers (plain or gzip'd tars) as <n>/layer.tar; blob(t, name, data)
	    writes a layer instead of the default; fix(manifest) -> manifest; extra(t) adds"""
	    if diff_ids is None:
	        diff_ids = ["sha256:" + sha(gzip.decompress(l) if l[:2] == b"\x1f\x8b" else l)
	                    for l in layers]
	    cfg = config(diff_ids)
	    names = ["%d/layer.tar" % i for i in range(len(layers))]
	    m = [{"Config": sha(cfg) + ".json", "RepoTags": list(tags), "Layers": names}]
	    if fix:
	        m = fix(m)
	    with tarfile.open(out, "w") as t:
	        if extra:
	            extra(t)
	        add(t, sha(cfg) + ".json", cfg)
	        for n, l in zip(names, layers):
	            (blob or add)(t, n, l)
	        add(t, "manifest.json", json.dumps(m).encode())

	def oci(out, layers, fix_manifest_blob=None, blob=None):
	    """an OCI layout: fix_manifest_blob(bytes) -> bytes changes the manifest blob after
	    its digest was taken; blob(t, name, data) writes a layer instead of the default"""
	    cfg = config(["sha256:" + sha(l) for l in layers])
	    man = json.dumps({"schemaVersion": 2,
	                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
	                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
	                                 "digest": "sha256:" + sha(cfg), "size": len(cfg)},
	                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
	                                  "digest": "sha256:" + sha(l), "size": len(l)}
	                                 for l in layers]}).encode()
	    index = json.dumps({"schemaVersion": 2, "manifests": [
	        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
	         "digest": "sha256:" + sha(man), "size": len(man),
	         "annotations": {"org.opencontainers.image.ref.name": "hostile:oci"}}]}).encode()
	    with tarfile.open(out, "w") as t:
	        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
	        add(t, "index.json", index)
	        add(t, "blobs/sha256/" + sha(cfg), cfg)
	        add(t, "blobs/sha256/" + sha(man), fix_manifest_blob(man) if fix_manifest_blob else man)
	        for l in layers:
	            (blob or add)(t, "blobs/sha256/" + sha(l), l)
	PY
}

setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	write_arch_py
}

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

# broot ROOT ARGS...: berth against another root
broot() {
	local r=$1
	shift
	"$BERTH" --root "$r" "$@"
}

# py ARGS... < SCRIPT: python3 with arch.py importable
py() {
	PYTHONPATH="$BATS_FILE_TMPDIR" python3 - "$@"
}

# a second image, different from busybox: the rootfs plus one file
make_other() {
	cp -a "$ROOTFS" "$TESTDIR/other"
	echo other > "$TESTDIR/other/etc/other"
	tar -C "$TESTDIR/other" -cf "$TESTDIR/other.tar" .
}

# the load in $status/$output failed as it should: exit 125, one line, and nothing of it in
# the store (no image, no name, no blob, no layer, no DiffID, nothing staged)
failed_cleanly() {
	echo "status=$status output=$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "berth: "* ]]
	[ -z "$(b images -q)" ]
	[ -z "$(ls "$STORE/image/tmp")" ]
	[ -z "$(ls "$STORE/image/images")" ]
	[ -z "$(ls "$STORE/image/layers")" ]
	[ -z "$(ls "$STORE/image/blobs/sha256")" ]
	[ -z "$(ls "$STORE/image/diffids")" ]
	[ "$(jq -c '.names // {}' "$STORE/image/repositories.json" 2>/dev/null || echo '{}')" = '{}' ]
}

# ---- round trips ----

@test "save then load into a fresh root: same ID, same names, same config" {
	id=$(b import -c 'CMD ["sh"]' -c 'ENV A=1' "$TESTDIR/rootfs.tar" busybox)
	b tag busybox example.com/x/y:v2
	b save -o "$TESTDIR/bb.tar" busybox example.com/x/y:v2
	tar -tf "$TESTDIR/bb.tar" | grep -qx manifest.json
	run broot "$TESTDIR/r2" load -i "$TESTDIR/bb.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: busybox:latest"* ]]
	[[ "$output" == *"Loaded image: example.com/x/y:v2"* ]]
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc)" = "$id" ]
	run broot "$TESTDIR/r2" images
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *busybox*latest*"${id:7:12}"* ]]
	[[ "$output" == *example.com/x/y*v2*"${id:7:12}"* ]]
	[ "$(b image inspect busybox | jq -c '.[0] | [.Id, .Config, .RootFS]')" = \
		"$(broot "$TESTDIR/r2" image inspect busybox | jq -c '.[0] | [.Id, .Config, .RootFS]')" ]
	[ -x "$TESTDIR"/r2/image/layers/*/diff/bin/busybox ]
	# loading it again changes nothing
	broot "$TESTDIR/r2" load -i "$TESTDIR/bb.tar"
	[ "$(broot "$TESTDIR/r2" images -q | wc -l)" -eq 1 ]
	[ "$(ls "$TESTDIR/r2/image/layers" | wc -l)" -eq 1 ]
	[ -z "$(ls "$TESTDIR/r2/image/tmp")" ]
}

@test "save --format oci-archive: an OCI layout that loads back to the same image" {
	id=$(b import "$TESTDIR/rootfs.tar" busybox:1.36)
	b save --format oci-archive -o "$TESTDIR/oci.tar" busybox:1.36
	run tar -tf "$TESTDIR/oci.tar"
	[[ "$output" == *oci-layout* && "$output" == *index.json* ]]
	[[ "$output" != *manifest.json* ]]
	tar -xOf "$TESTDIR/oci.tar" index.json |
		jq -e '.manifests[0].annotations["io.containerd.image.name"] == "docker.io/library/busybox:1.36"'
	run broot "$TESTDIR/r2" load -i "$TESTDIR/oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:1.36" ]
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc)" = "$id" ]
	[ "$(broot "$TESTDIR/r2" image inspect busybox:1.36 | jq -r '.[0].RepoTags[0]')" = busybox:1.36 ]
	# the manifest and layer blob are kept as they were: same digests on both sides
	[ "$(b images --digests --format json | jq -r .Digest)" = \
		"$(broot "$TESTDIR/r2" images --format json | jq -r .Digest)" ]
}

@test "save is reproducible: the same image saves to the same bytes, in both formats" {
	b import "$TESTDIR/rootfs.tar" busybox
	b save -o "$TESTDIR/a.tar" busybox
	sleep 1.1
	b save -o "$TESTDIR/b.tar" busybox
	cmp "$TESTDIR/a.tar" "$TESTDIR/b.tar"
	b save busybox > "$TESTDIR/c.tar"
	cmp "$TESTDIR/a.tar" "$TESTDIR/c.tar"
	b save --format oci-archive -o "$TESTDIR/a-oci.tar" busybox
	b save --format oci-archive -o "$TESTDIR/b-oci.tar" busybox
	cmp "$TESTDIR/a-oci.tar" "$TESTDIR/b-oci.tar"
	# and the same image loaded elsewhere saves to the same bytes again
	broot "$TESTDIR/r2" load -i "$TESTDIR/a.tar"
	broot "$TESTDIR/r2" save -o "$TESTDIR/d.tar" busybox
	cmp "$TESTDIR/a.tar" "$TESTDIR/d.tar"
	# no staging file is left next to the output
	[ "$(ls "$TESTDIR" | grep -c berth-tmp)" -eq 0 ]
}

@test "save of two images in one archive loads both, sharing nothing they do not share" {
	make_other
	id1=$(b import "$TESTDIR/rootfs.tar" one:1)
	id2=$(b import "$TESTDIR/other.tar" two:2)
	[ "$id1" != "$id2" ]
	b save -o "$TESTDIR/both.tar" one:1 two:2
	[ "$(tar -xOf "$TESTDIR/both.tar" manifest.json | jq length)" -eq 2 ]
	run broot "$TESTDIR/r2" load -i "$TESTDIR/both.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: one:1"* && "$output" == *"Loaded image: two:2"* ]]
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc | sort)" = "$(printf '%s\n' "$id1" "$id2" | sort)" ]
	[ "$(broot "$TESTDIR/r2" image inspect two:2 | jq -r '.[0].Id')" = "$id2" ]
	[ "$(ls "$TESTDIR/r2/image/layers" | wc -l)" -eq 2 ]
	[ -f "$TESTDIR"/r2/image/layers/"$(broot "$TESTDIR/r2" image inspect two:2 |
		jq -r '.[0].RootFS.Layers[0][7:]')"/diff/etc/other ]
	# the same image twice in one save is written once
	b save -o "$TESTDIR/twice.tar" one:1 "${id1:7:12}"
	[ "$(tar -tf "$TESTDIR/twice.tar" | sort | uniq -d | wc -l)" -eq 0 ]
}

@test "save by ID records no name; load says Loaded image ID" {
	id=$(b import "$TESTDIR/rootfs.tar" busybox)
	b save -o "$TESTDIR/byid.tar" "${id:7:12}"
	tar -xOf "$TESTDIR/byid.tar" manifest.json | jq -e '.[0].RepoTags == []'
	run broot "$TESTDIR/r2" load -i "$TESTDIR/byid.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image ID: $id" ]
	run broot "$TESTDIR/r2" images
	[[ "${lines[1]}" == "<none>"*"<none>"*"${id:7:12}"* ]]
	# the OCI form too
	b save --format oci-archive -o "$TESTDIR/byid-oci.tar" "$id"
	run broot "$TESTDIR/r3" load -i "$TESTDIR/byid-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image ID: $id" ]
	# -q says nothing
	run broot "$TESTDIR/r4" load -q -i "$TESTDIR/byid.tar"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "load of a compressed archive (docker save | gzip, zstd)" {
	id=$(b import "$TESTDIR/rootfs.tar" busybox)
	b save busybox | gzip > "$TESTDIR/bb.tar.gz"
	run broot "$TESTDIR/r2" load -i "$TESTDIR/bb.tar.gz"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc)" = "$id" ]
	broot "$TESTDIR/r3" load < "$TESTDIR/bb.tar.gz"
	[ "$(broot "$TESTDIR/r3" images -q --no-trunc)" = "$id" ]
	if command -v zstd > /dev/null; then
		b save --format oci-archive busybox | zstd -q > "$TESTDIR/bb.tar.zst"
		broot "$TESTDIR/r4" load -i "$TESTDIR/bb.tar.zst"
		[ "$(broot "$TESTDIR/r4" images -q --no-trunc)" = "$id" ]
	fi
}

@test "berth save IMG | berth load through a pipe" {
	id=$(b import "$TESTDIR/rootfs.tar" busybox)
	run sh -c '"$1" --root "$2" save busybox | "$1" --root "$3" load' sh "$BERTH" "$STORE" "$TESTDIR/r2"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc)" = "$id" ]
	run sh -c '"$1" --root "$2" save --format oci-archive busybox | gzip | "$1" --root "$3" load' \
		sh "$BERTH" "$STORE" "$TESTDIR/r3"
	[ "$status" -eq 0 ]
	[ "$(broot "$TESTDIR/r3" images -q --no-trunc)" = "$id" ]
}

@test "a multi-layer image with a whiteout and gzip'd layers round-trips" {
	py "$TESTDIR/ml.tar" <<-'PY'
	import gzip, sys
	from arch import *
	l1 = layer({"a/keep": b"1\n", "a/gone": b"2\n", "b": b"3\n"})
	l2 = gzip.compress(layer({"a/.wh.gone": b"", "c": b"4\n"}), mtime=0)
	l3 = layer({"d": b"5\n"})
	docker(sys.argv[1], [l1, l2, l3], tags=("ml:1",))
	PY
	run b load -i "$TESTDIR/ml.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: ml:1" ]
	id=$(b images -q --no-trunc)
	[ "$(ls "$STORE/image/layers" | wc -l)" -eq 3 ]
	top=$(jq -r '.layers[1][7:]' "$STORE/image/images/${id:7}.json")
	# the whiteout is an overlay one: a 0/0 character device
	[ -c "$STORE/image/layers/$top/diff/a/gone" ]
	[ -f "$STORE/image/layers/$top/diff/c" ]
	b save -o "$TESTDIR/ml2.tar" ml:1
	broot "$TESTDIR/r2" load -i "$TESTDIR/ml2.tar"
	[ "$(broot "$TESTDIR/r2" images -q --no-trunc)" = "$id" ]
	[ "$(broot "$TESTDIR/r2" image inspect ml:1 | jq -c .[0].RootFS)" = "$(b image inspect ml:1 | jq -c .[0].RootFS)" ]
	# docker save layers are plain tars whose digests are the DiffIDs
	tar -C "$TESTDIR" -xf "$TESTDIR/ml2.tar"
	for f in $(jq -r '.[0].Layers[]' "$TESTDIR/manifest.json"); do
		[ "sha256:$(sha256sum < "$TESTDIR/$f" | cut -d' ' -f1)" = "sha256:${f##*/}" ]
	done
	b save --format oci-archive -o "$TESTDIR/ml-oci.tar" ml:1
	broot "$TESTDIR/r3" load -i "$TESTDIR/ml-oci.tar"
	[ "$(broot "$TESTDIR/r3" images -q --no-trunc)" = "$id" ]
}

# ---- hostile archives ----

@test "hostile: entries with .. are refused, nothing lands outside the store" {
	mkdir -p "$TESTDIR/deep/er"
	py "$TESTDIR/dotdot.tar" "$TESTDIR" <<-'PY'
	import sys
	from arch import *
	out, top = sys.argv[1], sys.argv[2]
	def extra(t):
	    add(t, "../canary-dotdot", b"pwned\n")
	    add(t, "../" * 20 + top.lstrip("/") + "/canary-deep", b"pwned\n")
	    add(t, "blobs/../../canary-mid", b"pwned\n")
	docker(out, [layer({"x": b"1"})], extra=extra)
	PY
	run b load -i "$TESTDIR/dotdot.tar"
	failed_cleanly
	[[ "$output" == *"leaves the archive"* ]]
	[ -z "$(find "$TESTDIR" -name 'canary-*')" ]
	[ ! -e "$STORE/canary-dotdot" ]
	# a layer that climbs out with .. is refused as well
	py "$TESTDIR/dotdot-layer.tar" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [layer({"../../../../canary-layer": b"pwned\n"})])
	PY
	run b load -i "$TESTDIR/dotdot-layer.tar"
	failed_cleanly
	[ -z "$(find "$TESTDIR" -name 'canary-*')" ]
}

@test "hostile: absolute entry names are refused or kept inside the archive" {
	py "$TESTDIR/abs.tar" "$TESTDIR/canary-abs" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [layer({"x": b"1"})],
	       extra=lambda t: add(t, sys.argv[2], b"pwned\n"))
	PY
	run b load -i "$TESTDIR/abs.tar"
	echo "$output"
	[ ! -e "$TESTDIR/canary-abs" ]
	if [ "$status" -eq 0 ]; then
		# contained: the entry was an archive file like any other, and it is not kept
		[ "$output" = "Loaded image: hostile:latest" ]
		[ -z "$(ls "$STORE/image/tmp")" ]
		[ -z "$(grep -rl pwned "$STORE/image" || true)" ]
	else
		failed_cleanly
	fi
	# a layer entry with an absolute name lands inside the layer
	py "$TESTDIR/abs-layer.tar" "$TESTDIR/canary-abs-layer" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [layer({sys.argv[2]: b"pwned\n"})], tags=("abs:layer",))
	PY
	run b load -i "$TESTDIR/abs-layer.tar"
	[ ! -e "$TESTDIR/canary-abs-layer" ]
	if [ "$status" -eq 0 ]; then
		[ -f "$STORE"/image/layers/*/diff"$TESTDIR/canary-abs-layer" ]
	else
		[ "$status" -eq 125 ]
	fi
}

@test "hostile: manifest.json pointing at a missing layer" {
	py "$TESTDIR/missing.tar" <<-'PY'
	import sys
	from arch import *
	def fix(m):
	    m[0]["Layers"].append("nosuch/layer.tar")
	    return m
	docker(sys.argv[1], [layer({"x": b"1"})], diff_ids=["sha256:" + "0" * 64] * 2, fix=fix)
	PY
	run b load -i "$TESTDIR/missing.tar"
	failed_cleanly
	[[ "$output" == *'"nosuch/layer.tar" is not in the archive'* ]]
	# and a missing config
	py "$TESTDIR/nocfg.tar" <<-'PY'
	import sys
	from arch import *
	def fix(m):
	    m[0]["Config"] = "nosuch.json"
	    return m
	docker(sys.argv[1], [layer({"x": b"1"})], fix=fix)
	PY
	run b load -i "$TESTDIR/nocfg.tar"
	failed_cleanly
	[[ "$output" == *'"nosuch.json" is not in the archive'* ]]
}

@test "hostile: manifest.json that is not an array, or not JSON" {
	py "$TESTDIR/notarray.tar" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [layer({"x": b"1"})], fix=lambda m: m[0])
	PY
	run b load -i "$TESTDIR/notarray.tar"
	failed_cleanly
	[[ "$output" == *"manifest.json"*"array"* ]]
	py "$TESTDIR/notjson.tar" <<-'PY'
	import sys
	from arch import *
	with tarfile.open(sys.argv[1], "w") as t:
	    add(t, "manifest.json", b"[{\"Config\": ")
	PY
	run b load -i "$TESTDIR/notjson.tar"
	failed_cleanly
	[[ "$output" == *"manifest.json"*"invalid JSON"* ]]
	py "$TESTDIR/empty.tar" <<-'PY'
	import sys
	from arch import *
	with tarfile.open(sys.argv[1], "w") as t:
	    add(t, "manifest.json", b"[]")
	PY
	run b load -i "$TESTDIR/empty.tar"
	failed_cleanly
}

@test "hostile: OCI index.json naming a manifest whose blob does not match its digest" {
	py "$TESTDIR/baddigest.tar" <<-'PY'
	import sys
	from arch import *
	oci(sys.argv[1], [layer({"x": b"1"})], fix_manifest_blob=lambda m: m + b" ")
	PY
	run b load -i "$TESTDIR/baddigest.tar"
	failed_cleanly
	[[ "$output" == *"does not match its digest"* ]]
	# the same for a layer blob
	py "$TESTDIR/badlayer.tar" <<-'PY'
	import sys
	from arch import *
	def blob(t, name, data):
	    add(t, name, layer({"y": b"2"}))
	oci(sys.argv[1], [layer({"x": b"1"})], blob=blob)
	PY
	run b load -i "$TESTDIR/badlayer.tar"
	failed_cleanly
	[[ "$output" == *"does not match its digest"* ]]
	# a well-made one loads, so the two above failed for their flaw only
	py "$TESTDIR/good-oci.tar" <<-'PY'
	import sys
	from arch import *
	oci(sys.argv[1], [layer({"x": b"1"})])
	PY
	run b load -i "$TESTDIR/good-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: hostile:oci" ]
}

@test "hostile: a layer whose content is not what the config's diff_ids say" {
	py "$TESTDIR/diffid.tar" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [layer({"x": b"1"})], diff_ids=["sha256:" + sha(layer({"y": b"2"}))])
	PY
	run b load -i "$TESTDIR/diffid.tar"
	failed_cleanly
	[[ "$output" == *"is not what the config says"* ]]
	# gzip'd: the DiffID is of the uncompressed tar, the blob digest of the gzip
	py "$TESTDIR/diffid-gz.tar" <<-'PY'
	import gzip, sys
	from arch import *
	l = gzip.compress(layer({"x": b"1"}), mtime=0)
	docker(sys.argv[1], [l], diff_ids=["sha256:" + sha(l)])
	PY
	run b load -i "$TESTDIR/diffid-gz.tar"
	failed_cleanly
	[[ "$output" == *"is not what the config says"* ]]
}

@test "hostile: a failed load leaves an image that shares its layer as it was" {
	b import "$TESTDIR/rootfs.tar" busybox
	before=$(cd "$STORE/image" && find . -path ./lock -prune -o -print | sort)
	sums=$(cd "$STORE/image" && find blobs images -type f | sort | xargs sha256sum)
	# the archive's layer is busybox's, but its config claims another DiffID
	py "$TESTDIR/shared.tar" "$TESTDIR/rootfs.tar" <<-'PY'
	import sys
	from arch import *
	docker(sys.argv[1], [open(sys.argv[2], "rb").read()], diff_ids=["sha256:" + "1" * 64])
	PY
	run b load -i "$TESTDIR/shared.tar"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"is not what the config says"* ]]
	[ "$(cd "$STORE/image" && find . -path ./lock -prune -o -print | sort)" = "$before" ]
	[ "$(cd "$STORE/image" && find blobs images -type f | sort | xargs sha256sum)" = "$sums" ]
	[ -x "$STORE"/image/layers/*/diff/bin/busybox ]
	b save busybox > /dev/null
}

@test "hostile: a truncated gzip archive" {
	b import "$TESTDIR/rootfs.tar" busybox
	b save busybox | gzip > "$TESTDIR/full.tar.gz"
	b rmi busybox
	size=$(stat -c %s "$TESTDIR/full.tar.gz")
	head -c $((size / 2)) "$TESTDIR/full.tar.gz" > "$TESTDIR/cut.tar.gz"
	run b load -i "$TESTDIR/cut.tar.gz"
	failed_cleanly
	# cut just before the gzip trailer: all the tar, but the stream never ends properly
	head -c $((size - 4)) "$TESTDIR/full.tar.gz" > "$TESTDIR/cut2.tar.gz"
	run b load -i "$TESTDIR/cut2.tar.gz"
	failed_cleanly
	# an uncompressed archive cut in the middle of a layer
	b import "$TESTDIR/rootfs.tar" busybox
	b save -o "$TESTDIR/full.tar" busybox
	b rmi busybox
	head -c 100000 "$TESTDIR/full.tar" > "$TESTDIR/cut.tar"
	run b load -i "$TESTDIR/cut.tar"
	failed_cleanly
}

@test "hostile: an archive with neither manifest.json nor index.json" {
	py "$TESTDIR/neither.tar" <<-'PY'
	import sys
	from arch import *
	with tarfile.open(sys.argv[1], "w") as t:
	    add(t, "hello.txt", b"hi\n")
	    add(t, "blobs/sha256/" + "a" * 64, b"x")
	PY
	run b load -i "$TESTDIR/neither.tar"
	failed_cleanly
	[[ "$output" == *"not an image archive"* ]]
	# not a tar at all
	head -c 4096 /dev/urandom > "$TESTDIR/noise"
	run b load -i "$TESTDIR/noise"
	failed_cleanly
	# nothing at all
	run b load < /dev/null
	failed_cleanly
}

@test "hostile: symlinks and hardlinks out of the archive never read host files" {
	# a valid layer on the host, outside the archive: if berth followed a link to it, the
	# load would succeed and its blob would be in the store
	py "$TESTDIR/outside.tar" <<-'PY'
	import sys
	from arch import *
	open(sys.argv[1], "wb").write(layer({"secret": b"host file\n"}))
	PY
	hex=$(sha256sum < "$TESTDIR/outside.tar" | cut -d' ' -f1)
	for how in abs rel hard; do
		py "$TESTDIR/link-$how.tar" "$TESTDIR/outside.tar" "$how" <<-'PY'
		import sys
		from arch import *
		out, target, how = sys.argv[1:]
		data = open(target, "rb").read()
		def blob(t, name, _):
		    if how == "abs":
		        link(t, name, target)
		    elif how == "rel":
		        link(t, name, "../" * 30 + target.lstrip("/"))
		    else:
		        link(t, name, target, hard=True)
		docker(out, [data], blob=blob)
		PY
		run b load -i "$TESTDIR/link-$how.tar"
		failed_cleanly
		[ ! -e "$STORE/image/blobs/sha256/$hex" ]
	done
	# the same through the OCI layout: blobs/sha256/<hex> -> the host file, whose digest
	# is right
	py "$TESTDIR/link-oci.tar" "$TESTDIR/outside.tar" <<-'PY'
	import sys
	from arch import *
	out, target = sys.argv[1:]
	oci(out, [open(target, "rb").read()], blob=lambda t, name, _: link(t, name, target))
	PY
	run b load -i "$TESTDIR/link-oci.tar"
	failed_cleanly
	[ ! -e "$STORE/image/blobs/sha256/$hex" ]
	# the config as a link to /etc/passwd
	py "$TESTDIR/link-cfg.tar" <<-'PY'
	import sys
	from arch import *
	def fix(m):
	    m[0]["Config"] = "passwd.json"
	    return m
	docker(sys.argv[1], [layer({"x": b"1"})], fix=fix,
	       extra=lambda t: link(t, "passwd.json", "/etc/passwd"))
	PY
	run b load -i "$TESTDIR/link-cfg.tar"
	failed_cleanly
	[ -z "$(grep -rls "root:x:0:0" "$STORE/image" || true)" ]
}

@test "hostile: a layer writing through its own symlink to a host path stays in the layer" {
	mkdir -p "$TESTDIR/hostdir"
	py "$TESTDIR/symlayer.tar" "$TESTDIR/hostdir" <<-'PY'
	import io, sys, tarfile
	from arch import *
	host = sys.argv[2]
	bio = io.BytesIO()
	with tarfile.open(fileobj=bio, mode="w") as t:
	    # the host path exists inside the layer too, so the link resolves there
	    d = tarfile.TarInfo(host.lstrip("/"))
	    d.type, d.mode = tarfile.DIRTYPE, 0o755
	    t.addfile(d)
	    link(t, "abs", host)
	    add(t, "abs/pwned-abs", b"pwned\n")
	    link(t, "rel", "../" * 30 + host.lstrip("/"))
	    add(t, "rel/pwned-rel", b"pwned\n")
	docker(sys.argv[1], [bio.getvalue()], tags=("sym:1",))
	PY
	run b load -i "$TESTDIR/symlayer.tar"
	echo "$output"
	[ -z "$(ls "$TESTDIR/hostdir")" ]
	if [ "$status" -eq 0 ]; then
		[ -f "$STORE"/image/layers/*/diff"$TESTDIR/hostdir/pwned-abs" ]
		[ -f "$STORE"/image/layers/*/diff"$TESTDIR/hostdir/pwned-rel" ]
	else
		failed_cleanly
	fi
}

@test "hostile: a name in RepoTags that is not a valid reference" {
	for tag in 'Bad:Name' "busybox@sha256:$(printf 'a%.0s' $(seq 64))"; do
		py "$TESTDIR/badname.tar" "$tag" <<-'PY'
		import sys
		from arch import *
		docker(sys.argv[1], [layer({"x": b"1"})], tags=("good:1", sys.argv[2]))
		PY
		run b load -i "$TESTDIR/badname.tar"
		if [ "$status" -eq 0 ]; then
			# loaded, the bad name left out
			[ "$(b images --format json | jq -r '.Repository + ":" + .Tag')" = good:1 ]
			b rmi good:1
		else
			# refused: then nothing of the image stays, not even unnamed
			failed_cleanly
		fi
	done
}

@test "links inside the archive resolve inside it" {
	# what docker's own archives do: a layer named twice, the second a symlink to the first
	py "$TESTDIR/inside.tar" <<-'PY'
	import sys
	from arch import *
	l = layer({"x": b"1"})
	def fix(m):
	    m[0]["Layers"] = ["blobs/sha256/" + sha(l)]
	    return m
	def extra(t):
	    add(t, "real/layer.tar", l)
	    link(t, "blobs/sha256/" + sha(l), "../../real/layer.tar")
	docker(sys.argv[1], [], diff_ids=["sha256:" + sha(l)], fix=fix, extra=extra)
	PY
	run b load -i "$TESTDIR/inside.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: hostile:latest" ]
	[ -f "$STORE"/image/layers/*/diff/x ]
	[ -z "$(ls "$STORE/image/tmp")" ]
}

# ---- concurrency ----

@test "concurrent load, import and rmi of the same and different images keep the store consistent" {
	make_other
	id1=$(broot "$TESTDIR/src" import "$TESTDIR/rootfs.tar" one)
	id2=$(broot "$TESTDIR/src" import "$TESTDIR/other.tar" two)
	broot "$TESTDIR/src" save -o "$TESTDIR/one.tar" one
	broot "$TESTDIR/src" save --format oci-archive -o "$TESTDIR/two.tar" two
	broot "$TESTDIR/src" save -o "$TESTDIR/both.tar" one two
	b import "$TESTDIR/rootfs.tar" victim1
	b import "$TESTDIR/other.tar" victim2
	b load -i "$TESTDIR/one.tar"
	pids=()
	for i in 1 2 3; do
		b load -q -i "$TESTDIR/one.tar" & pids+=($!)
		b load -q -i "$TESTDIR/two.tar" & pids+=($!)
		b import "$TESTDIR/rootfs.tar" "imp$i" > /dev/null & pids+=($!)
	done
	b load -q -i "$TESTDIR/both.tar" & pids+=($!)
	b rmi victim1 > /dev/null & pids+=($!)
	b rmi victim2 > /dev/null & pids+=($!)
	b rmi one > /dev/null & pids+=($!)
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]
	run b images
	[ "$status" -eq 0 ]
	# one and two were loaded (one maybe removed again by the rmi, depending on the order);
	# imp1..3 are there
	run b images --format json
	[ "$status" -eq 0 ]
	for i in 1 2 3; do [[ "$output" == *"\"imp$i\""* ]]; done
	[[ "$output" == *"\"two\""* ]]
	[[ "$output" != *victim* ]]
	# every image listed is whole: inspectable, its layers unpacked, its blobs saveable
	for id in $(b images -q --no-trunc); do
		b image inspect "$id" > /dev/null
		for l in $(jq -r '.layers[][7:]' "$STORE/image/images/${id:7}.json"); do
			[ -f "$STORE/image/layers/$l/layer.json" ]
			[ -x "$STORE/image/layers/$l/diff/bin/busybox" ]
		done
		b save "$id" > /dev/null
	done
	# one layer per distinct content: shared, not unpacked twice
	[ "$(ls "$STORE/image/layers" | wc -l)" -eq 2 ]
	[ -z "$(ls "$STORE/image/tmp")" ]
	# images, names and blobs agree: nothing names a missing image, no blob is unused
	jq -r '.names[]' "$STORE/image/repositories.json" | sort -u | while read -r id; do
		[ -f "$STORE/image/images/${id:7}.json" ]
	done
	b rmi -f $(b images -q) > /dev/null
	[ -z "$(b images -q)" ]
	[ -z "$(ls "$STORE/image/layers")" ]
	[ -z "$(ls "$STORE/image/blobs/sha256")" ]
}

@test "concurrent loads into one store while another store is read" {
	b import "$TESTDIR/rootfs.tar" busybox
	b save -o "$TESTDIR/bb.tar" busybox
	pids=()
	for i in 1 2 3 4; do
		broot "$TESTDIR/r$i" load -q -i "$TESTDIR/bb.tar" & pids+=($!)
		broot "$TESTDIR/shared" load -q -i "$TESTDIR/bb.tar" & pids+=($!)
		b save busybox > "$TESTDIR/out$i.tar" & pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for i in 1 2 3 4; do
		cmp "$TESTDIR/bb.tar" "$TESTDIR/out$i.tar"
		[ "$(broot "$TESTDIR/r$i" images -q | wc -l)" -eq 1 ]
	done
	[ "$(broot "$TESTDIR/shared" images -q | wc -l)" -eq 1 ]
	[ "$(ls "$TESTDIR/shared/image/layers" | wc -l)" -eq 1 ]
	[ -z "$(ls "$TESTDIR/shared/image/tmp")" ]
}
