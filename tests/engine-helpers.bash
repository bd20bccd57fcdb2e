# engine-helpers.bash - for the tests of berth's engine (run, containers, volumes): each test
# gets its own store and run root with a busybox image, and a teardown that removes every
# container, monitor, mount and cgroup a test left, even when it failed. Load after helpers.

engine_setup() {
	TESTDIR=$(mktemp -d /tmp/berth-test.XXXXXX)
	STORE="$TESTDIR/root"
	RUNROOT="$TESTDIR/run"
	tar -C "$ROOTFS" -cf "$TESTDIR/rootfs.tar" .
	b import -c 'CMD ["sh"]' "$TESTDIR/rootfs.tar" busybox > /dev/null
}

engine_teardown() {
	local id f pid start
	for id in $(b ps -aq --no-trunc 2>/dev/null); do
		b rm -f "$id" > /dev/null 2>&1 || true
	done
	# a monitor a failed test left: only ours, by the PID it recorded
	for f in "$STORE"/containers/*/owner; do
		[ -f "$f" ] || continue
		read -r pid start < "$f"
		[ "$(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null)" = "$start" ] && kill -9 "$pid" || true
	done
	local m
	for m in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" || true
	done
	for d in /sys/fs/cgroup/*/berth/*; do
		[ -d "$d" ] && [ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && [ -e "$RUNROOT/runtime/$(basename "$d")" ] && rmdir "$d"
	done
	rm -rf "$TESTDIR"
}

b() {
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" "$@"
}
