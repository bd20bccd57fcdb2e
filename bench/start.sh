#!/bin/sh
# start.sh - how long a container takes from nothing to gone: `run` (create, start, wait,
# delete) of a busybox /bin/true bundle, berth-runtime against crun and runc, with the
# kernel's own floor (unshare of the same namespaces) for scale.
#
# usage: bench/start.sh [BERTH_RUNTIME]     (as root; needs hyperfine crun runc busybox jq)
#
# Every command runs as `unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec ...'`:
# crun refuses this hybrid cgroup host unless the cgroup2 mount is hidden, so all four are
# wrapped the same way and pay the same extra cost. (Hiding it under a tmpfs instead, as
# crun's docs suggest, makes berth take the tmpfs for cgroup2 and fail; see README.md.)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
berth=${1:-$here/../build/berth-runtime}
runs=${RUNS:-30}
warmup=${WARMUP:-3}

die() { echo "start.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine crun runc jq unshare busybox; do
	command -v "$t" > /dev/null || die "$t not found (make bench-deps installs it)"
done
[ -x "$berth" ] || die "$berth: not executable (make build, or pass the runtime's path)"
berth=$(cd "$(dirname "$berth")" && pwd)/$(basename "$berth")

# state roots on tmpfs, where runtimes keep them (/run/runc, /run/crun, /run/berth-runtime):
# bench/tmpfs.sh mounts one where /run is on a disk
. "$(dirname "$0")/tmpfs.sh"
bench_tmpfs
tmp=$(mktemp -d /run/berth-bench/run.XXXXXX)
cg=berth/bench-$$
cleanup() {
	set +e
	"$berth" --root "$tmp/root-berth" delete --force bench-berth > /dev/null 2>&1
	crun --root "$tmp/root-crun" delete --force bench-crun > /dev/null 2>&1
	runc --root "$tmp/root-runc" delete --force bench-runc > /dev/null 2>&1
	for d in /sys/fs/cgroup/*/"$cg"; do
		[ -d "$d/ctr" ] && rmdir "$d/ctr"
		[ -d "$d" ] && rmdir "$d"
	done
	rm -rf "$tmp"
	bench_tmpfs_done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the bundle: busybox, and runc's default config, non-terminal, running /bin/true, in a
# cgroup of its own under the berth parent (absolute, so runc and crun put it there too).
# Its ambient capabilities go: runc spec lists them without inheritable ones, so runc and
# crun fail to raise them and carry on, while berth refuses the config.
bundle=$tmp/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev" \
	"$bundle/rootfs/tmp" "$bundle/rootfs/etc"
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
ln -s busybox "$bundle/rootfs/bin/sh"
runc spec --bundle "$bundle"
jq --arg cg "/$cg/ctr" '.process.terminal = false | .process.args = ["/bin/true"] |
	.linux.cgroupsPath = $cg | del(.process.capabilities.ambient)' "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

wrap() {
	printf "unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec %s'" "$1"
}
mkdir -p "$tmp/root-berth" "$tmp/root-crun" "$tmp/root-runc"

# each must work once before it is timed
for t in "$berth" crun runc; do
	n=$(basename "$t" | sed 's/-runtime$//')
	sh -c "$(wrap "$t --root $tmp/root-$n run --bundle $bundle bench-$n")" ||
		die "$t run failed on this bundle"
done

echo "create+start+wait+delete of busybox /bin/true: $runs runs each after $warmup warm-up"
echo "(each command inside unshare -m with /sys/fs/cgroup/unified unmounted, for crun)"
hyperfine -N --runs "$runs" --warmup "$warmup" --export-json "$tmp/start.json" --style basic \
	-n wrapper "$(wrap "/bin/true")" \
	-n floor "$(wrap "unshare -m -u -i -n -p -f /bin/true")" \
	-n berth "$(wrap "$berth --root $tmp/root-berth run --bundle $bundle bench-berth")" \
	-n crun "$(wrap "crun --root $tmp/root-crun run --bundle $bundle bench-crun")" \
	-n runc "$(wrap "runc --root $tmp/root-runc run --bundle $bundle bench-runc")"

echo
# "net": minus the wrapper (unshare -m, sh, umount, exec /bin/true), which only crun needs on
# a hybrid host but every command here pays
jq -r '(.results[] | select(.command == "wrapper") | .median) as $w |
	(.results[] | select(.command == "crun") | .median) as $crun |
	["tool", "median ms", "mean ms", "stddev ms", "x crun", "net ms", "net x crun"],
	(.results[] | [.command, (.median * 1000 * 100 | round / 100), (.mean * 1000 * 100 | round / 100),
		(.stddev * 1000 * 100 | round / 100), (.median / $crun * 100 | round / 100),
		((.median - $w) * 1000 * 100 | round / 100),
		((.median - $w) / ($crun - $w) * 100 | round / 100)]) | @tsv' \
	"$tmp/start.json" | column -t -s "$(printf '\t')"
ratio=$(jq -r '(.results[] | select(.command == "crun") | .median) as $c |
	.results[] | select(.command == "berth") | .median / $c * 100 | round / 100' "$tmp/start.json")
net=$(jq -r '(.results[] | select(.command == "wrapper") | .median) as $w |
	(.results[] | select(.command == "crun") | .median) as $c |
	.results[] | select(.command == "berth") | (.median - $w) / ($c - $w) * 100 | round / 100' "$tmp/start.json")
echo
echo "berth/crun = $ratio with the wrapper, $net net of it (target: <= 0.8)"
