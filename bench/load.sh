#!/bin/bash
# load.sh - how fast images come in: `berth load` of a 200 MiB, 4-layer docker-archive of
# incompressible data (gzip'd layers) and `berth import` of a 200 MiB rootfs tarball, side by
# side with podman, and with the machine's own limit for the same bytes measured by the same
# script (sha256sum of the compressed layer, gunzip, sha256sum of the tar, write).
#
# usage: bench/load.sh [BERTH]     (as root; needs hyperfine podman python3 jq gzip)
#        RUNS=10 bench/load.sh      (default 5 runs per command, 1 warm-up)
#        BENCH_DIR=/some/fs         (where the archive and the stores go; default /var/tmp)
#
# Every run loads into a fresh root: hyperfine's --prepare removes the previous one, --cleanup
# the last. podman gets its own temporary --root/--runroot/--tmpdir and the vfs storage driver
# (no mounts to undo; note that vfs copies the parent layer's tree to make each next layer).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
berth=${1:-$here/../build/berth}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
base=${BENCH_DIR:-/var/tmp}

die() { echo "load.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine podman python3 jq gzip gunzip sha256sum tee; do
	command -v "$t" > /dev/null || die "$t not found (make bench-deps; apt-get install podman)"
done
[ -x "$berth" ] || die "$berth: not executable (make build, or pass berth's path)"
berth=$(cd "$(dirname "$berth")" && pwd)/$(basename "$berth")

tmp=$(mktemp -d "$base/berth-bench-load.XXXXXX")
cleanup() {
	set +e
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

podman_cmd() { # the podman invocation for a root under $tmp
	echo "podman --root $tmp/$1/root --runroot $tmp/$1/run --tmpdir $tmp/$1/tmp" \
		"--storage-driver vfs --cgroup-manager cgroupfs --events-backend none"
}

# ---- the inputs: made once, same bytes for every tool ----
# image.tar: a docker-archive (manifest.json, config, 4 gzip'd layers of 50 MiB each: 5 files
# of 10 MiB from /dev/urandom per layer); layers/: the same layer blobs as files, for the
# limit; rootfs.tar: a 200 MiB plain tarball (20 files of 10 MiB) for import.
echo "making a 200 MiB 4-layer image and a 200 MiB rootfs tarball in $tmp ..."
python3 - "$tmp" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile

tmp = sys.argv[1]
MiB = 1 << 20
os.makedirs(tmp + "/layers")

def tar_of(files):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            t.addfile(info, io.BytesIO(data))
    return bio.getvalue()

with open("/dev/urandom", "rb") as ur:
    diff_ids, blobs = [], []
    for i in range(4):
        plain = tar_of([("data/l%d/f%d" % (i, j), ur.read(10 * MiB)) for j in range(5)])
        gz = gzip.compress(plain, compresslevel=6, mtime=0)
        diff_ids.append("sha256:" + hashlib.sha256(plain).hexdigest())
        hexd = hashlib.sha256(gz).hexdigest()
        with open("%s/layers/%d.tar.gz" % (tmp, i), "wb") as f:
            f.write(gz)
        blobs.append((hexd, gz))
    rootfs = tar_of([("data/f%02d" % j, ur.read(10 * MiB)) for j in range(20)])
with open(tmp + "/rootfs.tar", "wb") as f:
    f.write(rootfs)

cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                  "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids},
                  "history": [{"created": "2024-01-01T00:00:00Z",
                               "created_by": "bench layer %d" % i} for i in range(4)]},
                 sort_keys=True).encode()
chex = hashlib.sha256(cfg).hexdigest()
manifest = [{"Config": "blobs/sha256/" + chex, "RepoTags": ["bench/load:latest"],
             "Layers": ["blobs/sha256/" + h for h, _ in blobs]}]
with tarfile.open(tmp + "/image.tar", "w") as t:
    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        t.addfile(info, io.BytesIO(data))
    add("blobs/sha256/" + chex, cfg)
    for h, gz in blobs:
        add("blobs/sha256/" + h, gz)
    add("manifest.json", json.dumps(manifest).encode())
PY
data_bytes=$(( $(cat "$tmp"/layers/*.tar.gz | gunzip -c | wc -c) ))
archive_bytes=$(stat -c %s "$tmp/image.tar")
rootfs_bytes=$(stat -c %s "$tmp/rootfs.tar")
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "image.tar: $(mib "$archive_bytes") MiB (4 gzip'd layers, $(mib "$data_bytes") MiB of tar);" \
	"rootfs.tar: $(mib "$rootfs_bytes") MiB"

# ---- each must work once before it is timed ----
"$berth" --root "$tmp/check-berth" load -q -i "$tmp/image.tar" ||
	die "berth load failed on this archive"
[ "$("$berth" --root "$tmp/check-berth" image inspect bench/load | jq '.[0].RootFS.Layers | length')" = 4 ] ||
	die "berth loaded something other than 4 layers"
$(podman_cmd check-podman) load -q -i "$tmp/image.tar" > /dev/null ||
	die "podman load failed on this archive"
"$berth" --root "$tmp/check-berth" import "$tmp/rootfs.tar" bench/import > /dev/null ||
	die "berth import failed"
$(podman_cmd check-podman) import -q "$tmp/rootfs.tar" bench/import > /dev/null ||
	die "podman import failed"
rm -rf "$tmp/check-berth" "$tmp/check-podman"

# the limit: per layer, sha256sum of the blob as stored, then gunzip, sha256sum of the tar
# (the DiffID) and a write of the tar's bytes, as one pipeline
limit_load="for l in $tmp/layers/*.tar.gz; do sha256sum \$l > /dev/null &&"
limit_load="$limit_load gunzip -c \$l | tee >(sha256sum > /dev/null) > $tmp/limit/\${l##*/}.tar; done"
# the same with the four layers at once (what a loader that unpacks layers in parallel can reach)
limit_par="for l in $tmp/layers/*.tar.gz; do { sha256sum \$l > /dev/null &&"
limit_par="$limit_par gunzip -c \$l | tee >(sha256sum > /dev/null) > $tmp/limit/\${l##*/}.tar; } & done; wait"
limit_import="tee >(sha256sum > /dev/null) < $tmp/rootfs.tar > $tmp/limit/rootfs.tar"

hf() { # hyperfine NAME-OF-JSON, then its arguments
	local json=$1
	shift
	hyperfine --shell bash --runs "$runs" --warmup "$warmup" --style basic \
		--export-json "$tmp/$json" "$@"
}

echo
echo "load of the 4-layer image: $runs runs each after $warmup warm-up, a fresh root each run"
hf load.json \
	-n "berth load" --prepare "rm -rf $tmp/rb" \
	"$berth --root $tmp/rb load -q -i $tmp/image.tar" \
	-n "podman load" --prepare "rm -rf $tmp/rp" \
	"$(podman_cmd rp) load -q -i $tmp/image.tar" \
	-n "limit" --prepare "rm -rf $tmp/limit && mkdir $tmp/limit" \
	"$limit_load" \
	-n "limit-parallel" --prepare "rm -rf $tmp/limit && mkdir $tmp/limit" \
	"$limit_par" \
	--cleanup "rm -rf $tmp/rb $tmp/rp $tmp/limit"

echo
echo "import of the rootfs tarball: $runs runs each after $warmup warm-up, a fresh root each run"
hf import.json \
	-n "berth import" --prepare "rm -rf $tmp/rb" \
	"$berth --root $tmp/rb import $tmp/rootfs.tar bench/import" \
	-n "podman import" --prepare "rm -rf $tmp/rp" \
	"$(podman_cmd rp) import -q $tmp/rootfs.tar bench/import" \
	-n "limit" --prepare "rm -rf $tmp/limit && mkdir $tmp/limit" \
	"$limit_import" \
	--cleanup "rm -rf $tmp/rb $tmp/rp $tmp/limit"

# ---- summary: medians, MiB/s of image data, ratios ----
summary() { # JSON BYTES WHAT
	local json=$1 bytes=$2 what=$3
	echo
	echo "$what ($(mib "$bytes") MiB of data):"
	jq -r --argjson bytes "$bytes" '
		(.results[] | select(.command | startswith("berth")) | .median) as $b |
		(.results[] | select(.command | startswith("podman")) | .median) as $p |
		(.results[] | select(.command == "limit") | .median) as $l |
		(.results[] | "  \(.command | . + " " * (16 - length)) median \(.median * 1000 | round / 1000) s" +
			"  \($bytes / 1048576 / .median | round) MiB/s  (mean \(.mean * 1000 | round / 1000) s, sd \(.stddev * 1000 | round / 1000) s)"),
		"  berth/podman \($b / $p * 100 | round / 100)x   berth/limit \($b / $l * 100 | round / 100)x" +
		([.results[] | select(.command == "limit-parallel") | .median] |
			if length > 0 then "   berth/limit-parallel \($b / .[0] * 100 | round / 100)x" else "" end)
	' "$tmp/$json"
}
summary load.json "$data_bytes" "berth load vs podman load (vfs) vs limit"
summary import.json "$rootfs_bytes" "berth import vs podman import (vfs) vs limit"
echo
echo "target (the issue): berth faster than podman and within 2x of the limit"
