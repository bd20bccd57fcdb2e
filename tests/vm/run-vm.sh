#!/bin/bash
# tests/vm/run-vm.sh - boot a throw-away VM with a PURE cgroup v2 (or v1) hierarchy
# (Debian kernel + busybox initramfs, qemu) and run a test script inside it.
#
# usage: tests/vm/run-vm.sh [--keep] [--cgroup v1|v2] BERTH_BINARY TEST_SCRIPT [EXTRA_FILE...]
#
# Inside the VM:
#   /usr/bin/berth            BERTH_BINARY (+ its shared libraries, paths kept)
#   /usr/bin/berth-runtime -> berth
#   /bundle/rootfs            busybox rootfs for containers (no config.json)
#   /test.sh                  TEST_SCRIPT, run as `sh /test.sh` from /, as root,
#                             in the root cgroup, stdin /dev/null
#   /extra/<basename>         each EXTRA_FILE (directories are copied whole)
#   /sys/fs/cgroup            --cgroup v2 (the default): cgroup2 only (cgroup_no_v1=all),
#                             nsdelegate, controllers +cpu +cpuset +memory +pids +io enabled
#                             --cgroup v1: no cgroup2 anywhere; a tmpfs with one v1
#                             hierarchy per controller in /proc/cgroups (cpu,cpuacct and
#                             net_cls,net_prio co-mounted, with symlinks) and name=systemd,
#                             the layout of systemd's legacy mode
#   env BERTH_VM=1
# The VM has no network device (loopback only) and a tmpfs root (so that
# pivot_root works, unlike on the initramfs rootfs).
#
# Exit status: the test script's exit status, or 2 when the VM did not boot,
# crashed or timed out (the reason is printed).
#
# Environment:
#   BERTH_VM_CACHE    cache dir (default /var/cache/berth-vm): kernel, busybox,
#                     base initramfs. Delete it to start from scratch.
#   BERTH_VM_TIMEOUT  seconds before the VM is killed (default 300)
#   BERTH_VM_MEM      MiB of guest RAM (default 1024)
#   BERTH_VM_SMP      guest CPUs (default 2)
#   BERTH_VM_ACCEL    tcg (default) | kvm. /dev/kvm on the dev/CI machines is
#                     present but unusable (qemu aborts setting MSRs): tcg
#   BERTH_VM_KERNEL   kernel ABI to use, e.g. 6.1.0-56-amd64 (default: what
#                     Debian's linux-image-amd64 depends on now, else the newest
#                     cached one)
#   BERTH_VM_MODULES  extra kernel modules to load (space separated)
#   BERTH_VM_APPEND   extra kernel command line
#   BERTH_VM_VERBOSE  1: print the whole serial console, not only the test's
#                     output, and do not quieten the kernel
set -euo pipefail

PROG=run-vm
SELF=$(readlink -f "${BASH_SOURCE[0]}")
T_START=$(date +%s.%N)

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { say "error: $*"; exit 2; }
usage() {
	echo "usage: $0 [--keep] [--cgroup v1|v2] BERTH_BINARY TEST_SCRIPT [EXTRA_FILE...]" >&2
	exit 2
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

KEEP=0
CGROUP=v2
while [[ $# -gt 0 ]]; do
	case $1 in
	--keep) KEEP=1; shift ;;
	--cgroup)
		[[ ${2:-} = v1 || ${2:-} = v2 ]] || { say "--cgroup takes v1 or v2"; usage; }
		CGROUP=$2; shift 2 ;;
	--cgroup=v1 | --cgroup=v2) CGROUP=${1#--cgroup=}; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) say "unknown option $1"; usage ;;
	*) break ;;
	esac
done
[[ $# -ge 2 ]] || usage
BERTH_BIN=$1
TEST_SCRIPT=$2
shift 2
EXTRA=("$@")

[[ -f $BERTH_BIN && -x $BERTH_BIN ]] || die "BERTH_BINARY '$BERTH_BIN' is not an executable file"
[[ -f $TEST_SCRIPT ]] || die "TEST_SCRIPT '$TEST_SCRIPT' is not a file"
for f in "${EXTRA[@]}"; do [[ -e $f ]] || die "EXTRA_FILE '$f' does not exist"; done

CACHE=${BERTH_VM_CACHE:-/var/cache/berth-vm}
TIMEOUT=${BERTH_VM_TIMEOUT:-300}
MEM=${BERTH_VM_MEM:-1024}
SMP=${BERTH_VM_SMP:-2}
ACCEL=${BERTH_VM_ACCEL:-tcg}
VERBOSE=${BERTH_VM_VERBOSE:-0}

# Kernel modules loaded at boot (plus their dependencies). Only names that are
# modules in the kernel's config matter; built-in ones are skipped.
MODULES="overlay veth bridge br_netfilter dummy macvlan ipvlan tun loop squashfs fuse
nfnetlink nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_compat nft_fib_inet
nft_reject_inet nft_limit nf_conntrack nf_conntrack_netlink nf_nat
ip_tables iptable_filter iptable_nat ip6_tables ip6table_filter ip6table_nat
xt_MASQUERADE xt_conntrack xt_addrtype xt_comment xt_mark xt_nat xt_tcpudp
xt_multiport ipt_REJECT crc32c_generic ${BERTH_VM_MODULES:-}"

export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# ---------------------------------------------------------------- host tools
APT_UPDATED=0
apt_update() {
	[[ $APT_UPDATED = 1 ]] && return 0
	say "apt-get update"
	apt-get update -qq >&2 || say "warning: apt-get update failed"
	APT_UPDATED=1
}
apt_install() {
	[[ $(id -u) = 0 ]] || die "need root to install missing packages: $*"
	say "installing $*"
	local log
	log=$(mktemp)
	if ! apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1; then
		apt_update
		if ! apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1; then
			tail -n 30 "$log" >&2
			rm -f "$log"
			die "apt-get install $* failed"
		fi
	fi
	rm -f "$log"
}
is_static() { ! ldd "$1" >/dev/null 2>&1; }

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v gzip >/dev/null || need+=(gzip)
command -v flock >/dev/null || need+=(util-linux)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v ldd >/dev/null || need+=(libc-bin)
[[ ${#need[@]} -eq 0 ]] || apt_install "${need[@]}"

mkdir -p "$CACHE" || die "cannot create cache dir $CACHE (set BERTH_VM_CACHE)"
exec 9>"$CACHE/.lock"
flock 9 # one run at a time prepares the cache
rm -rf "$CACHE"/kernel.?????? "$CACHE"/base.?????? "$CACHE"/bb.?????? # left by killed runs

# ---------------------------------------------------------------- busybox
# A static busybox: the host's if it is static, else busybox-static's, taken
# from the .deb into the cache (installing it would replace a dynamic busybox).
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox "$CACHE/busybox/bin/busybox"; do
	if [[ -x $b ]] && is_static "$b" && "$b" --list-full >/dev/null 2>&1; then
		BUSYBOX=$b
		break
	fi
done
if [[ -z $BUSYBOX ]]; then
	say "fetching busybox-static"
	d=$(mktemp -d "$CACHE/bb.XXXXXX")
	(cd "$d" && apt-get download -o APT::Sandbox::User=root busybox-static >&2) ||
		{ apt_update; (cd "$d" && apt-get download -o APT::Sandbox::User=root busybox-static >&2); } ||
		die "apt-get download busybox-static failed"
	dpkg-deb -x "$d"/busybox-static_*.deb "$d/x"
	rm -rf "$CACHE/busybox"
	mkdir -p "$CACHE/busybox/bin"
	cp "$d/x/bin/busybox" "$CACHE/busybox/bin/busybox"
	rm -rf "$d"
	BUSYBOX=$CACHE/busybox/bin/busybox
	is_static "$BUSYBOX" || die "busybox-static is not static?"
fi

# ---------------------------------------------------------------- kernel
kernel_from_apt() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | sort -V | tail -1
}
KVER=${BERTH_VM_KERNEL:-}
if [[ -z $KVER ]]; then
	KVER=$(kernel_from_apt)
	if [[ -z $KVER ]]; then
		# no package lists: use a cached kernel if there is one
		KVER=$(ls "$CACHE/kernel" 2>/dev/null | sort -V | tail -1 || true)
		[[ -n $KVER && -f $CACHE/kernel/$KVER/.done ]] || KVER=
	fi
	if [[ -z $KVER ]]; then
		apt_update
		KVER=$(kernel_from_apt)
	fi
	[[ -n $KVER ]] || die "cannot find the kernel version (apt-cache depends linux-image-amd64)"
fi
download() { # $1 = package, $2 = dir
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2)
}
if [[ ! -f $CACHE/kernel/$KVER/.done ]]; then
	t=$(date +%s.%N)
	d=$(mktemp -d "$CACHE/kernel.XXXXXX")
	say "fetching kernel linux-image-$KVER"
	if ! download "linux-image-$KVER" "$d"; then
		# stale package lists can name a kernel the mirror no longer has
		apt_update
		[[ -n ${BERTH_VM_KERNEL:-} ]] || KVER=$(kernel_from_apt)
		[[ -n $KVER ]] || die "cannot find the kernel version (apt-cache depends linux-image-amd64)"
		say "fetching kernel linux-image-$KVER"
		download "linux-image-$KVER" "$d" || die "apt-get download linux-image-$KVER failed"
	fi
	mv "$d"/linux-image-*.deb "$d/linux-image.deb"
	x=$d/x
	dpkg-deb -x "$d/linux-image.deb" "$x"
	[[ -f $x/boot/vmlinuz-$KVER && -d $x/lib/modules/$KVER ]] || die "unexpected layout in linux-image-$KVER"
	cp "$x/boot/vmlinuz-$KVER" "$d/vmlinuz"
	cp "$x/boot/config-$KVER" "$d/config"
	"$BUSYBOX" depmod -b "$x" "$KVER" # the .deb has no modules.dep (its postinst makes it)
	cp "$x/lib/modules/$KVER/modules.dep" "$d/modules.dep.full"
	cp "$x/lib/modules/$KVER/modules.builtin" "$d/modules.builtin"
	rm -rf "$x"
	touch "$d/.done"
	mkdir -p "$CACHE/kernel"
	rm -rf "${CACHE:?}/kernel/$KVER"
	mv "$d" "$CACHE/kernel/$KVER"
	# older kernels are not needed any more (each .deb is 70 MB)
	for o in "$CACHE"/kernel/*; do
		[[ $o = "$CACHE/kernel/$KVER" ]] || rm -rf "$o"
	done
	say "kernel $KVER cached in $CACHE/kernel/$KVER ($(elapsed "$t")s)"
fi
KDIR=$CACHE/kernel/$KVER

# ---------------------------------------------------------------- base initramfs
# Everything that does not depend on the arguments: busybox, /init, modules,
# the container rootfs. Cached under a key of all its inputs.
modlist_key=$(echo $MODULES | tr ' ' '\n' | tr - _ | sort -u | tr '\n' ' ')
KEY=$( {
	echo "$KVER"
	echo "$modlist_key"
	sha256sum "$SELF" "$BUSYBOX" | cut -d' ' -f1
} | sha256sum | cut -c1-16)
BASE=$CACHE/base-$KVER-$KEY.cpio.gz

write_init() { # $1 = root
	cat >"$1/init" <<'EOF_INIT'
#!/bin/sh
# berth VM init (generated by tests/vm/run-vm.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb BERTH_VM=1

if [ "$1" != stage2 ]; then
	# pivot_root(2) refuses to work when / is the initramfs rootfs, and
	# container runtimes need it: move everything to a real tmpfs first.
	mount -t tmpfs -o mode=755 root /newroot || exec sh
	for f in /* /.[!.]*; do
		[ -e "$f" ] || continue
		[ "$f" = /newroot ] && continue
		cp -a "$f" /newroot/
	done
	exec switch_root /newroot /init stage2
	echo "init: switch_root failed"; exec sh
fi

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=755,nosuid devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/lock
if [ "$(cat /etc/berth-vm/cgroup 2>/dev/null)" = v1 ]; then
	# pure cgroup v1, laid out as systemd's legacy mode does it: a tmpfs, one hierarchy
	# per controller the kernel has (cpu,cpuacct and net_cls,net_prio co-mounted, with a
	# symlink for each name), and the named hierarchy name=systemd. No cgroup2 at all.
	mount -t tmpfs -o nosuid,nodev,noexec,mode=755 tmpfs /sys/fs/cgroup
	have() { awk -v c="$1" '$1 == c && $4 == 1 {f = 1} END {exit !f}' /proc/cgroups; }
	for g in cpu,cpuacct net_cls,net_prio $(awk '!/^#/ && $4 == 1 &&
		$1 !~ /^(cpu|cpuacct|net_cls|net_prio)$/ {print $1}' /proc/cgroups); do
		h= # the controllers of group g the kernel has
		for c in $(echo $g | tr , ' '); do have $c && h=$h${h:+,}$c; done
		[ -n "$h" ] || continue
		mkdir /sys/fs/cgroup/$h
		mount -t cgroup -o nosuid,nodev,noexec,$h cgroup /sys/fs/cgroup/$h ||
			echo "init: warning: cannot mount cgroup v1 hierarchy $h"
		case $h in *,*) for c in $(echo $h | tr , ' '); do ln -s $h /sys/fs/cgroup/$c; done ;; esac
	done
	mkdir -p /sys/fs/cgroup/systemd
	mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup /sys/fs/cgroup/systemd ||
		echo "init: warning: cannot mount cgroup v1 hierarchy name=systemd"
	mount -o remount,ro /sys/fs/cgroup # the tmpfs, as systemd leaves it
else
# pure cgroup v2, mounted as systemd does it
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
	mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
fi
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null

hostname berth-vm
ip link set lo up 2>/dev/null
[ "$(cat /etc/berth-vm/verbose 2>/dev/null)" = 1 ] || dmesg -n 1

for m in $(cat /etc/berth-vm/modules); do
	modprobe "$m" 2>/dev/null || echo "init: warning: modprobe $m failed"
done

for c in cpu cpuset memory pids io hugetlb rdma misc; do
	grep -qw "$c" /sys/fs/cgroup/cgroup.controllers 2>/dev/null || continue
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ||
		echo "init: warning: cannot enable cgroup controller $c"
done

echo "VM-TEST-BEGIN"
cd /
sh /test.sh </dev/null
rc=$?
echo
echo "VM-EXIT-STATUS=$rc"
sync
poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
EOF_INIT
	chmod 755 "$1/init"
}

make_busybox_tree() { # $1 = root: busybox + applet symlinks + a minimal /etc
	local r=$1 a
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,run,var/tmp,var/lib,home}
	chmod 1777 "$r/tmp" "$r/var/tmp"
	ln -sfn ../run "$r/var/run"
	cp "$BUSYBOX" "$r/bin/busybox"
	for a in $("$BUSYBOX" --list-full); do
		[[ -e $r/$a || -L $r/$a ]] || ln -s /bin/busybox "$r/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		tty:x:5:
		user:x:1000:
		nogroup:x:65534:
	EOF
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
	echo berth-vm >"$r/etc/hostname"
}

if [[ ! -f $BASE ]]; then
	say "building base initramfs ($KVER, key $KEY)"
	t=$(date +%s.%N)
	B=$(mktemp -d "$CACHE/base.XXXXXX")
	R=$B/root
	mkdir -p "$R"/{usr/lib,usr/lib64,newroot,bundle,extra,etc/berth-vm}
	ln -s usr/lib "$R/lib"
	ln -s usr/lib64 "$R/lib64"
	make_busybox_tree "$R"
	make_busybox_tree "$R/bundle/rootfs"
	write_init "$R"

	# modules: resolve names (and their deps) against the full modules.dep
	want=()
	for m in $MODULES; do
		n=${m//-/_}
		if grep -q "/${n}\.ko\$" "$KDIR/modules.builtin" ||
			{ [[ $n != "$m" ]] && grep -q "/${m}\.ko\$" "$KDIR/modules.builtin"; }; then
			continue # built in
		fi
		line=$(grep -E "/(${n}|${m})\.ko:" "$KDIR/modules.dep.full" | head -1 || true)
		if [[ -z $line ]]; then
			say "warning: module $m is neither built in nor a module in $KVER"
			continue
		fi
		echo "$m" >>"$R/etc/berth-vm/modules"
		read -ra deps <<<"${line#*:}"
		want+=("${line%%:*}" "${deps[@]}")
	done
	touch "$R/etc/berth-vm/modules"
	mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
	mdir=lib/modules/$KVER
	mkdir -p "$R/usr/$mdir"
	if [[ ${#want[@]} -gt 0 ]]; then
		dpkg-deb --fsys-tarfile "$KDIR/linux-image.deb" |
			tar -x -C "$B" "${want[@]/#/./$mdir/}"
		# merged /usr: the .deb has /lib/modules, the initramfs has /lib -> usr/lib
		cp -a "$B/$mdir/." "$R/usr/$mdir/"
		rm -rf "${B:?}/lib"
	fi
	cp "$KDIR/modules.builtin" "$R/usr/$mdir/"
	"$BUSYBOX" depmod -b "$R" "$KVER"

	(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
		gzip -6 >"$B/base.cpio.gz"
	nmod=$(wc -l <"$R/etc/berth-vm/modules")
	rm -f "$CACHE"/base-*.cpio.gz # old keys
	mv "$B/base.cpio.gz" "$BASE"
	rm -rf "$B"
	say "base initramfs: $(du -h "$BASE" | cut -f1), $nmod modules to load ($(elapsed "$t")s)"
fi
flock -u 9

# ---------------------------------------------------------------- per-run part
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm.XXXXXX")
cleanup() {
	local rc=$? pid
	# a killed run must not leave the VM running
	pid=$(cat "$WORK/qemu.pid" 2>/dev/null || true)
	if [[ -n $pid ]] && grep -q qemu-system "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	if [[ $KEEP = 1 ]]; then
		say "kept $WORK (initrd.img, console.log)"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

R=$WORK/run
mkdir -p "$R"/{usr/bin,extra,etc/berth-vm}
echo "$VERBOSE" >"$R/etc/berth-vm/verbose"
echo "$CGROUP" >"$R/etc/berth-vm/cgroup"
cp "$BERTH_BIN" "$R/usr/bin/berth"
chmod 755 "$R/usr/bin/berth"
ln -s berth "$R/usr/bin/berth-runtime"
cp "$TEST_SCRIPT" "$R/test.sh"
chmod 755 "$R/test.sh"
for f in "${EXTRA[@]}"; do
	cp -a "$f" "$R/extra/"
done

# shared libraries of BERTH_BINARY (and of executables among EXTRA_FILEs),
# at the paths ldd reports (/lib, /lib64 are symlinks into /usr here)
add_libs() { # $1 = ELF
	local out line p
	out=$(ldd "$1" 2>&1) || return 0 # static, or not an ELF
	while read -r line; do
		case $line in
		*"=> not found"*) die "$1: missing library: $line" ;;
		*"=> "/*) p=${line#*=> }; p=${p%% (*} ;;
		/*) p=${line%% (*} ;;
		*) continue ;; # linux-vdso
		esac
		case $p in /lib/* | /lib64/*) dst=$R/usr$p ;; *) dst=$R$p ;; esac
		[[ -e $dst ]] && continue
		mkdir -p "$(dirname "$dst")"
		cp -L "$p" "$dst"
	done <<<"$out"
}
add_libs "$BERTH_BIN"
for f in "${EXTRA[@]}"; do
	if [[ -f $f && -x $f ]]; then add_libs "$f"; fi
done
if [[ -d $R/usr/lib/x86_64-linux-gnu ]]; then
	# glibc dlopen()s libgcc_s for pthread_cancel and unwinding
	l=/lib/x86_64-linux-gnu/libgcc_s.so.1
	if [[ -e $l && ! -e $R/usr$l ]]; then cp -L "$l" "$R/usr$l"; fi
fi

(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1 >"$WORK/run.cpio.gz"
cat "$BASE" "$WORK/run.cpio.gz" >"$WORK/initrd.img"
rm -rf "$R" "$WORK/run.cpio.gz"

# ---------------------------------------------------------------- boot
case $ACCEL in
tcg) accel=(-accel tcg,thread=multi -cpu max) ;;
kvm) accel=(-accel kvm -cpu host) ;;
*) die "BERTH_VM_ACCEL must be tcg or kvm" ;;
esac

if [[ $CGROUP = v1 ]]; then
	# cgroup_no_v1= with nothing: every controller stays available to v1
	APPEND="console=ttyS0 panic=-1 oops=panic systemd.unified_cgroup_hierarchy=0 cgroup_no_v1="
else
	APPEND="console=ttyS0 panic=-1 oops=panic cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
fi
APPEND+=" rdinit=/init tsc=reliable no_timer_check"
[[ $VERBOSE = 1 ]] || APPEND+=" quiet loglevel=3"
APPEND+=" ${BERTH_VM_APPEND:-}"

LOG=$WORK/console.log
cg_note= # v2 is the default: not mentioned
[[ $CGROUP = v1 ]] && cg_note="cgroup v1, "
say "booting $KVER (${cg_note}$ACCEL, ${SMP} cpus, ${MEM} MiB, timeout ${TIMEOUT}s)"
T_BOOT=$(date +%s.%N)
set +e
# in the background + wait, so that INT/TERM traps run (and kill qemu) at once
{
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -pidfile "$WORK/qemu.pid" \
		"${accel[@]}" -m "$MEM" -smp "$SMP" \
		-nographic -no-reboot -nic none -nodefaults -serial stdio -monitor none \
		-kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd.img" -append "$APPEND" \
		</dev/null 2>"$WORK/qemu.err"
	echo $? >"$WORK/qemu.rc"
} |
	{
		# live: strip \r, log everything, show the test's output
		# (init echoes a newline before the marker: drop that blank line)
		show=$VERBOSE blank=0
		while IFS= read -r line || [[ -n $line ]]; do
			line=${line%$'\r'}
			printf '%s\n' "$line" >>"$LOG"
			if [[ $line =~ VM-EXIT-STATUS=[0-9]+$ ]]; then
				line=${line%VM-EXIT-STATUS=*}
				[[ $show = 1 && -n $line ]] && printf '%s\n' "$line"
				show=$VERBOSE blank=0
			elif [[ $line == *VM-TEST-BEGIN* ]]; then
				show=1
			elif [[ $show != 1 ]]; then
				# init's warnings (before the test) go to stderr
				[[ $line == "init: "* ]] && printf '%s\n' "$line" >&2
			elif [[ -z $line ]]; then
				[[ $blank = 1 ]] && echo
				blank=1
			else
				[[ $blank = 1 ]] && echo
				blank=0
				printf '%s\n' "$line"
			fi
		done
	} &
wait $!
rm -f "$WORK/qemu.pid" # qemu is gone: cleanup() must not kill that pid
qrc=$(cat "$WORK/qemu.rc" 2>/dev/null || echo 255)
set -e
touch "$LOG"
T_VM=$(elapsed "$T_BOOT")

status=$(grep -aoE 'VM-EXIT-STATUS=[0-9]+$' "$LOG" | tail -1 | cut -d= -f2 || true)
if [[ -n $status ]]; then
	say "VM-EXIT-STATUS=$status (vm ${T_VM}s, total $(elapsed "$T_START")s)"
	exit "$status"
fi

if [[ $qrc = 124 || $qrc = 137 ]]; then
	why="timed out (BERTH_VM_TIMEOUT=${TIMEOUT})"
elif grep -aq 'Kernel panic' "$LOG"; then
	why="kernel panic"
elif ! grep -aq VM-TEST-BEGIN "$LOG"; then
	why="the VM did not reach the test (qemu exit $qrc)"
else
	why="the VM stopped before the test finished (qemu exit $qrc)"
fi
say "FAILED: $why after ${T_VM}s; last console lines:"
tail -n 40 "$LOG" | sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' -e 's/^/  | /' >&2
[[ -s $WORK/qemu.err ]] && { say "qemu stderr:"; sed 's/^/  | /' "$WORK/qemu.err" >&2; }
exit 2
