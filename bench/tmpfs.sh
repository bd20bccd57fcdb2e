# tmpfs.sh - sourced by the benchmarks: their state roots under /run/berth-bench, on a tmpfs as
# /run is on most hosts (where runtimes keep their state). Where /run is on a disk (this
# machine's is ext4: a new inode costs ~0.3 ms, an fsync a journal commit), a tmpfs is mounted
# there for the run and unmounted after, so that the numbers measure the tools, not the disk.
bench_tmpfs() {
	mkdir -p /run/berth-bench
	bench_mounted=
	if [ "$(stat -f -c %T /run/berth-bench)" != tmpfs ]; then
		mount -t tmpfs -o size=4g,mode=0700 berth-bench /run/berth-bench && bench_mounted=1
	fi
}

bench_tmpfs_done() {
	if [ -n "${bench_mounted:-}" ]; then
		umount /run/berth-bench 2> /dev/null || umount -l /run/berth-bench
	fi
	rmdir /run/berth-bench 2> /dev/null
}
