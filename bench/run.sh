#!/bin/bash
# run.sh - `berth run` as a user meets it: `run --rm busybox true` against `podman run --rm`
# of the same image and `crun run` of a prepared bundle; then N detached `sleep` containers:
# the time to start them all, and the memory of their monitors against podman's conmons.
#
# usage: bench/run.sh [BERTH [BASE]]      (as root; needs hyperfine podman crun busybox jq)
#   RUNS=30 WARMUP=3 N=100 bench/run.sh
# BASE, another berth binary (an earlier build), is timed in the same runs as "berth (base)",
# with roots of its own: how a change moved `run --rm`, on the same noisy machine at once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
berth=${1:-$here/../build/berth}
runs=${RUNS:-30}
warmup=${WARMUP:-3}
n=${N:-100}

die() { echo "run.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine podman crun jq busybox; do
	command -v "$t" > /dev/null || die "$t not found (make bench-deps installs it)"
done
[ -x "$berth" ] || die "$berth: not executable (make build, or pass berth's path)"
berth=$(cd "$(dirname "$berth")" && pwd)/$(basename "$berth")
base=${2:-}
if [ -n "$base" ]; then
	[ -x "$base" ] || die "$base: not executable"
	base=$(cd "$(dirname "$base")" && pwd)/$(basename "$base")
fi

. "$(dirname "$0")/tmpfs.sh"
bench_tmpfs
tmp=$(mktemp -d /run/berth-bench/run.XXXXXX)
B="$berth --root $tmp/berth --runroot $tmp/berth-run"
BB="${base:-false} --root $tmp/base --runroot $tmp/base-run"
# podman on this host: no CAP_SYS_RESOURCE to raise hard rlimits, cgroupfs, no events journal
P="podman --root $tmp/podman --runroot $tmp/podman-run --storage-driver overlay --cgroup-manager cgroupfs --events-backend none"
PRUN="--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network none"
cleanup() {
	set +e
	for id in $($B ps -aq 2> /dev/null); do $B rm -f "$id" > /dev/null 2>&1; done
	[ -z "$base" ] || for id in $($BB ps -aq 2> /dev/null); do $BB rm -f "$id" > /dev/null 2>&1; done
	$P rm -f -a -t 0 > /dev/null 2>&1
	crun --root "$tmp/crun" delete --force bench-crun > /dev/null 2>&1
	$P system reset -f > /dev/null 2>&1
	umount -R "$tmp/podman" 2> /dev/null
	rm -rf "$tmp"
	bench_tmpfs_done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# one busybox root file system for all three
rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" "$rootfs/etc"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for a in true sh sleep; do ln -s busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
tar -C "$rootfs" -cf "$tmp/rootfs.tar" .
$B import "$tmp/rootfs.tar" busybox > /dev/null
[ -z "$base" ] || $BB import "$tmp/rootfs.tar" busybox > /dev/null
$P import -q "$tmp/rootfs.tar" localhost/busybox > /dev/null

# crun's bundle: runc's default config, /bin/true, its own cgroup under the berth parent
bundle=$tmp/bundle
mkdir -p "$bundle"
cp -a "$rootfs" "$bundle/rootfs"
crun spec --bundle "$bundle" 2> /dev/null || (cd "$bundle" && crun spec)
jq '.process.terminal = false | .process.args = ["/bin/true"] |
	.linux.cgroupsPath = "/berth/bench-crun"' "$bundle/config.json" > "$bundle/c.json"
mv "$bundle/c.json" "$bundle/config.json"

# crun refuses this hybrid host unless the cgroup2 mount is hidden: every command is run the
# same way, in a private mount namespace without it (bench/README.md, start.sh)
wrap() { printf "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec %s'" "$1"; }

for c in "$B run --rm busybox true" "$P run --rm $PRUN localhost/busybox true" \
	"crun --root $tmp/crun run --bundle $bundle bench-crun"; do
	sh -c "$(wrap "$c")" || die "this failed once, before timing: $c"
done

baseargs=()
[ -z "$base" ] || baseargs=(-n "berth (base) run --rm" "$(wrap "$BB run --rm busybox true")")

echo "== run --rm busybox true: $runs runs each after $warmup warm-up"
hyperfine -N --runs "$runs" --warmup "$warmup" --export-json "$tmp/run.json" --style basic \
	-n "wrapper" "$(wrap /bin/true)" \
	-n "berth run --rm" "$(wrap "$B run --rm busybox true")" \
	"${baseargs[@]}" \
	-n "crun run (bundle)" "$(wrap "crun --root $tmp/crun run --bundle $bundle bench-crun")" \
	-n "podman run --rm" "$(wrap "$P run --rm $PRUN localhost/busybox true")"
echo
table() {
	# "net": less the wrapper every command pays here (unshare, sh, umount), as start.sh does
	jq -r '(.results[] | select(.command == "wrapper") | .median) as $w |
	(.results[] | select(.command == "crun run (bundle)") | .median) as $c |
	(.results[] | select(.command == "podman run --rm") | .median) as $p |
	["tool", "median ms", "mean ms", "stddev ms", "x crun", "x podman", "net x crun", "net x podman"],
	(.results[] | [.command, (.median * 1000 * 100 | round / 100), (.mean * 1000 * 100 | round / 100),
		(.stddev * 1000 * 100 | round / 100), (.median / $c * 100 | round / 100),
		(.median / $p * 1000 | round / 1000), ((.median - $w) / ($c - $w) * 100 | round / 100),
		((.median - $w) / ($p - $w) * 1000 | round / 1000)]) | @tsv' "$1" |
		column -t -s "$(printf '\t')"
	[ -z "$base" ] || jq -r '(.results[] | select(.command == "wrapper") | .median) as $w |
		(.results[] | select(.command == "berth run --rm") | .median) as $n |
		(.results[] | select(.command == "berth (base) run --rm") | .median) as $b |
		"berth / berth (base): \($n / $b * 100 | round / 100)x, net of the wrapper \(($n - $w) / ($b - $w) * 100 | round / 100)x"' "$1"
}
table "$tmp/run.json"

# The same after a pause, as a user types commands: on cgroup v1 the kernel makes the first
# move of a process into a cgroup after a while wait for an RCU grace period, which
# back-to-back runs mostly escape
echo
echo "== run --rm busybox true after a 100 ms pause each: $runs runs each"
hyperfine -N --runs "$runs" --warmup "$warmup" --prepare "sleep 0.1" --export-json "$tmp/pause.json" \
	--style basic \
	-n "wrapper" "$(wrap /bin/true)" \
	-n "berth run --rm" "$(wrap "$B run --rm busybox true")" \
	"${baseargs[@]}" \
	-n "crun run (bundle)" "$(wrap "crun --root $tmp/crun run --bundle $bundle bench-crun")" \
	-n "podman run --rm" "$(wrap "$P run --rm $PRUN localhost/busybox true")" > /dev/null
table "$tmp/pause.json"

# PSS (proportional set size): a process's own pages plus its share of those it shares
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2> /dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }

echo
echo "== $n detached 'sleep 600' containers, started one after another"
s=$(date +%s%N)
printf 'for i in $(seq %s); do %s run -d busybox sleep 600 > /dev/null || exit 1; done\n' "$n" "$B" > "$tmp/berth-d.sh"
sh -c "$(wrap "sh $tmp/berth-d.sh")"
e=$(date +%s%N)
berth_ms=$(((e - s) / 1000000))
mons=$($B inspect $($B ps -q) | jq -r '.[].State.MonitorPid')
berth_pss=0 berth_rss=0
for p in $mons; do
	berth_pss=$((berth_pss + $(pss_kb "$p")))
	berth_rss=$((berth_rss + $(rss_kb "$p")))
done
for id in $($B ps -aq); do $B rm -f "$id" > /dev/null; done

s=$(date +%s%N)
printf 'for i in $(seq %s); do %s run -d %s localhost/busybox sleep 600 > /dev/null || exit 1; done\n' "$n" "$P" "$PRUN" > "$tmp/podman-d.sh"
sh -c "$(wrap "sh $tmp/podman-d.sh")"
e=$(date +%s%N)
podman_ms=$(((e - s) / 1000000))
podman_pss=0 podman_rss=0
for p in $($P ps -q | xargs $P inspect --format '{{.State.ConmonPid}}'); do
	podman_pss=$((podman_pss + $(pss_kb "$p")))
	podman_rss=$((podman_rss + $(rss_kb "$p")))
done
$P rm -f -a -t 0 > /dev/null

printf '%-8s %12s %14s %16s %16s\n' tool "total ms" "ms/container" "monitor PSS KiB" "monitor RSS KiB"
printf '%-8s %12s %14s %16s %16s\n' berth "$berth_ms" $((berth_ms / n)) $((berth_pss / n)) $((berth_rss / n))
printf '%-8s %12s %14s %16s %16s\n' podman "$podman_ms" $((podman_ms / n)) $((podman_pss / n)) $((podman_rss / n))
echo "(monitor: berth's per-container monitor; podman's is conmon. PSS counts shared pages once.)"
