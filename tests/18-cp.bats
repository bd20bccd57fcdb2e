#!/usr/bin/env bats
# berth cp: files between containers (running, exited, created) and the host, both ways, with
# docker cp's rules; and a container's symlinks never reaching the host's files.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

# the image: busybox, plus what the tests copy
setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	echo hello > "$ROOTFS/f"
	chmod 640 "$ROOTFS/f"
	mkdir -p "$ROOTFS/d/sub"
	echo top > "$ROOTFS/d/top"
	echo deep > "$ROOTFS/d/sub/deep"
	ln -s /f "$ROOTFS/flink"
	ln -s d "$ROOTFS/dlink"
}

setup() {
	engine_setup
	HOSTDIR="$TESTDIR/host"
	mkdir "$HOSTDIR"
}

teardown() {
	engine_teardown
}

# running NAME [SCRIPT [RUN-OPTIONS...]]: a container that ran SCRIPT and keeps running
running() {
	local name=$1 script=${2:-true} i
	shift 2 || shift
	b run -d --name "$name" "$@" busybox sh -c "$script; touch /tmp/.ready; exec sleep 600" > /dev/null
	for i in $(seq 100); do
		b exec "$name" test -e /tmp/.ready 2> /dev/null && return 0
		sleep 0.05
	done
	return 1
}

# exited NAME [SCRIPT [RUN-OPTIONS...]]: a container that ran SCRIPT and exited
exited() {
	local name=$1 script=${2:-true}
	shift 2 || shift
	b run -d --name "$name" "$@" busybox sh -c "$script" > /dev/null
	[ "$(b wait "$name")" = 0 ]
}

# nothing of ours stays mounted on the host, whatever happened
no_mounts() {
	! grep -q "$TESTDIR" /proc/self/mountinfo
}

@test "cp out: a file to a new file, into a directory, over a file; - gives a tar named after it" {
	running ct
	b cp ct:/f "$HOSTDIR/new"
	[ "$(cat "$HOSTDIR/new")" = hello ]
	[ "$(stat -c %a "$HOSTDIR/new")" = 640 ]
	mkdir "$HOSTDIR/dir"
	b cp ct:/f "$HOSTDIR/dir"
	[ "$(cat "$HOSTDIR/dir/f")" = hello ]
	echo old-and-longer > "$HOSTDIR/old"
	b cp ct:f "$HOSTDIR/old"
	[ "$(cat "$HOSTDIR/old")" = hello ]
	# relative host paths are from the current directory; the container path from its /
	(cd "$HOSTDIR" && b cp ct:/d/top rel)
	[ "$(cat "$HOSTDIR/rel")" = top ]
	run b cp ct:/f -
	[ "$status" -eq 0 ]
	b cp ct:/f - > "$TESTDIR/f.tar"
	[ "$(tar -tf "$TESTDIR/f.tar")" = f ]
	[ "$(tar -xOf "$TESTDIR/f.tar" f)" = hello ]
	no_mounts
}

@test "cp out: a directory to a new one, into an existing one, its contents with dir/." {
	running ct
	b cp ct:/d "$HOSTDIR/copy"
	[ "$(cat "$HOSTDIR/copy/top")" = top ]
	[ "$(cat "$HOSTDIR/copy/sub/deep")" = deep ]
	mkdir "$HOSTDIR/into"
	b cp ct:/d "$HOSTDIR/into"
	[ "$(cat "$HOSTDIR/into/d/sub/deep")" = deep ]
	# a trailing / on the source changes nothing; /. copies what is in it
	mkdir "$HOSTDIR/slash"
	b cp ct:/d/ "$HOSTDIR/slash"
	[ -f "$HOSTDIR/slash/d/top" ]
	mkdir "$HOSTDIR/contents"
	b cp ct:/d/. "$HOSTDIR/contents"
	[ "$(cat "$HOSTDIR/contents/top")" = top ]
	[ ! -e "$HOSTDIR/contents/d" ]
	b cp ct:/d/. "$HOSTDIR/made"
	[ "$(cat "$HOSTDIR/made/sub/deep")" = deep ]
	# a destination ending in / is made if the source is a directory
	b cp ct:/d "$HOSTDIR/newdir/"
	[ -f "$HOSTDIR/newdir/top" ]
	# the tar stream: the directory's name on top, or ./ for its contents
	[ "$(b cp ct:/d - | tar -t | sort | tr '\n' ' ')" = "d/ d/sub/ d/sub/deep d/top " ]
	[ "$(b cp ct:/d/. - | tar -t | sort | tr '\n' ' ')" = "./ ./sub/ ./sub/deep ./top " ]
}

@test "cp out: docker's errors, exit 1" {
	running ct
	run b cp ct:/nope "$HOSTDIR/x"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: could not find the file /nope in container ct" ]
	run b cp ct:/d/nope/deeper -
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: could not find the file /d/nope/deeper in container ct" ]
	run b cp nosuch:/f "$HOSTDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: nosuch"* ]]
	# a directory onto a file
	touch "$HOSTDIR/file"
	run b cp ct:/d "$HOSTDIR/file"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot copy a directory to the file $HOSTDIR/file"* ]]
	[ -f "$HOSTDIR/file" ]
	# a file to a directory that does not exist
	run b cp ct:/f "$HOSTDIR/nodir/"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such directory"* ]]
	[ ! -e "$HOSTDIR/nodir" ]
	run b cp ct:/f "$HOSTDIR/a/b"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: invalid output path: directory \"$HOSTDIR/a\" does not exist" ]
	# a destination written as a directory that is a file
	touch "$HOSTDIR/plain"
	run b cp ct:/f "$HOSTDIR/plain/"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$HOSTDIR/plain/: not a directory"* ]]
	[ ! -s "$HOSTDIR/plain" ]
	run b cp ct:/f /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be a directory or a regular file"* ]]
	# a file where a directory is, or the other way round: never replaced
	mkdir -p "$HOSTDIR/d/top" "$HOSTDIR/e"
	touch "$HOSTDIR/e/sub"
	run b cp ct:/d "$HOSTDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot overwrite directory"* ]]
	[ -d "$HOSTDIR/d/top" ]
	run b cp ct:/d/. "$HOSTDIR/e"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot overwrite non-directory"* ]]
	[ -f "$HOSTDIR/e/sub" ]
	no_mounts
}

@test "cp in: a file to a new file, into a directory, over a file; directories; dir/." {
	running ct
	echo one > "$HOSTDIR/one"
	chmod 604 "$HOSTDIR/one"
	mkdir -p "$HOSTDIR/tree/sub"
	echo leaf > "$HOSTDIR/tree/sub/leaf"
	b cp "$HOSTDIR/one" ct:/new
	[ "$(b exec ct cat /new)" = one ]
	[ "$(b exec ct stat -c %a /new)" = 604 ]
	b cp "$HOSTDIR/one" ct:/d
	[ "$(b exec ct cat /d/one)" = one ]
	b cp "$HOSTDIR/one" ct:/f
	[ "$(b exec ct cat /f)" = one ]
	b cp "$HOSTDIR/tree" ct:/tmp/tree2
	[ "$(b exec ct cat /tmp/tree2/sub/leaf)" = leaf ]
	b cp "$HOSTDIR/tree" ct:/tmp
	[ "$(b exec ct cat /tmp/tree/sub/leaf)" = leaf ]
	b exec ct mkdir /into
	b cp "$HOSTDIR/tree/." ct:/into
	[ "$(b exec ct cat /into/sub/leaf)" = leaf ]
	b exec ct test ! -e /into/tree
	# relative local paths, and the container path without its leading /
	(cd "$HOSTDIR" && b cp one ct:tmp/rel)
	[ "$(b exec ct cat /tmp/rel)" = one ]
	# container cp is the same command
	b container cp "$HOSTDIR/one" ct:/tmp/alias
	[ "$(b exec ct cat /tmp/alias)" = one ]
	no_mounts
}

@test "cp in: docker's errors, exit 1" {
	running ct
	echo one > "$HOSTDIR/one"
	mkdir "$HOSTDIR/tree"
	run b cp "$HOSTDIR/nope" ct:/x
	[ "$status" -eq 1 ]
	[[ "$output" == *"$HOSTDIR/nope: No such file or directory"* ]]
	run b cp "$HOSTDIR/one" ct:/nodir/x
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: could not find the file /nodir in container ct" ]
	run b cp "$HOSTDIR/one" ct:/newdir/
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such directory"* ]]
	run b cp "$HOSTDIR/one" ct:/f/
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: ct:/f/: not a directory" ]
	run b cp "$HOSTDIR/tree" ct:/f
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot copy a directory to the file ct:/f"* ]]
	[ "$(b exec ct cat /f)" = hello ]
	# a directory is never replaced by a file, nor a file by a directory
	mkdir "$HOSTDIR/d"
	run b cp "$HOSTDIR/d" ct:/f/
	[ "$status" -eq 1 ]
	touch "$HOSTDIR/sub"
	run b cp "$HOSTDIR/sub" ct:/d
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot overwrite directory"* ]]
	b exec ct test -d /d/sub
	run b cp "$HOSTDIR/one" other:/x
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: other"* ]]
	# one side must be a container, not both
	run b cp ct:/f ct:/g
	[ "$status" -eq 1 ]
	[[ "$output" == *"copying between containers is not supported"* ]]
	run b cp "$HOSTDIR/one" "$HOSTDIR/two"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must specify at least one container source"* ]]
	# ./name:with:colons is a local path
	echo colon > "$HOSTDIR/a:b"
	(cd "$HOSTDIR" && b cp ./a:b ct:/tmp/)
	[ "$(b exec ct cat /tmp/a:b)" = colon ]
	run b cp ct:/f
	[ "$status" -eq 1 ]
}

@test "hardlinks stay hardlinks, both ways; . and an empty container path" {
	running ct 'mkdir /h; echo same > /h/a; ln /h/a /h/b'
	b cp ct:/h "$HOSTDIR/h"
	[ "$(stat -c %i "$HOSTDIR/h/a")" = "$(stat -c %i "$HOSTDIR/h/b")" ]
	b cp "$HOSTDIR/h" ct:/tmp/h2
	[ "$(b exec ct stat -c %i /tmp/h2/a)" = "$(b exec ct stat -c %i /tmp/h2/b)" ]
	# renamed on the way: the link follows the new name
	b cp ct:/h "$HOSTDIR/renamed"
	[ "$(stat -c %h "$HOSTDIR/renamed/b")" = 2 ]
	# "." is the current directory's contents; "ct:" the container's root
	(cd "$HOSTDIR/h" && b cp . ct:/tmp)
	[ "$(b exec ct cat /tmp/a)" = same ]
	[ "$(b cp ct: - | tar -t | grep -cx './f')" = 1 ]
	mkdir "$HOSTDIR/here"
	(cd "$HOSTDIR/here" && b cp ct:/f .)
	[ "$(cat "$HOSTDIR/here/f")" = hello ]
}

@test "a cp killed midway leaves nothing mounted, and the container usable" {
	exited ct
	mkfifo "$TESTDIR/fifo"
	sleep 30 > "$TESTDIR/fifo" &
	writer=$!
	"$BERTH" --root "$STORE" --runroot "$RUNROOT" cp - ct:/tmp < "$TESTDIR/fifo" &
	pid=$!
	# its child has the container mounted, in a namespace of its own, and waits for stdin
	for i in $(seq 100); do
		child=$(pgrep -P "$pid" || true)
		[ -n "$child" ] && [ "$(readlink "/proc/$child/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.05
	done
	[ -n "$child" ]
	kill -9 "$pid"
	# gone with it, though its stdin is still open
	for i in $(seq 100); do [ -e "/proc/$child" ] || break; sleep 0.05; done
	kill "$writer"
	[ ! -e "/proc/$child" ]
	no_mounts
	# nothing holds the lock or the mount: it copies, starts and is removed
	b cp ct:/f - > /dev/null
	b start ct > /dev/null
	b rm -f ct > /dev/null
}

@test "cp works on exited and created containers, which start and see the files afterwards" {
	exited gone 'echo made > /tmp/made'
	echo in > "$HOSTDIR/in"
	run b cp "$HOSTDIR/in" gone:/tmp/
	[ "$status" -eq 0 ] || { echo "cp failed ($status): $output"; false; }
	b cp gone:/tmp/made "$HOSTDIR/made"
	[ "$(cat "$HOSTDIR/made")" = made ]
	[ "$(b cp gone:/tmp/in - | tar -xO)" = in ]
	no_mounts
	b create --name fresh busybox cat /tmp/in > /dev/null
	b cp "$HOSTDIR/in" fresh:/tmp/in
	b cp fresh:/d/top "$HOSTDIR/top"
	[ "$(cat "$HOSTDIR/top")" = top ]
	no_mounts
	b start fresh > /dev/null
	[ "$(b wait fresh)" = 0 ]
	[ "$(b logs fresh)" = in ]
	b start gone > /dev/null
	[ "$(b wait gone)" = 0 ]
	[ "$(b inspect gone | jq -r '.[0].State.Status')" = exited ]
}

@test "cp - CONTAINER:DIR unpacks a tar from stdin into a directory, which must exist" {
	running ct
	mkdir -p "$TESTDIR/t/x"
	echo a > "$TESTDIR/t/x/a"
	tar -C "$TESTDIR/t" -cf - x | b cp - ct:/tmp
	[ "$(b exec ct cat /tmp/x/a)" = a ]
	# compressed too, and through a symlink to a directory
	tar -C "$TESTDIR/t" -czf - x | b cp - ct:/dlink
	[ "$(b exec ct cat /d/x/a)" = a ]
	run b cp - ct:/f < "$TESTDIR/t/x/a"
	[ "$status" -eq 1 ]
	[ "$output" = 'berth: cp: destination "ct:/f" must be a directory' ]
	run b cp - ct:/nowhere < "$TESTDIR/t/x/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *'must be a directory'* ]]
	# a whiteout is a name like any other here, not a deletion
	touch "$TESTDIR/t/.wh.f"
	tar -C "$TESTDIR/t" -cf - .wh.f | b cp - ct:/
	[ "$(b exec ct cat /f)" = hello ]
	b exec ct test -f /.wh.f
	[ "$(b cp ct:/.wh.f - | tar -t)" = .wh.f ]
}

@test "ownership: copied in, root's without -a, the source's with -a; copied out, ours unless -a" {
	running ct 'adduser -D -u 4321 app 2>/dev/null || echo app:x:4321:4321::/:/bin/sh >> /etc/passwd; echo o > /tmp/owned; chown 4321:4322 /tmp/owned; cp /bin/busybox /tmp/suid; chown 4321 /tmp/suid; chmod 4755 /tmp/suid'
	echo in > "$HOSTDIR/in"
	chown 1234:5678 "$HOSTDIR/in"
	b cp "$HOSTDIR/in" ct:/tmp/plain
	[ "$(b exec ct stat -c %u:%g /tmp/plain)" = 0:0 ]
	b cp -a "$HOSTDIR/in" ct:/tmp/kept
	[ "$(b exec ct stat -c %u:%g /tmp/kept)" = 1234:5678 ]
	mkdir "$TESTDIR/t"
	echo s > "$TESTDIR/t/s"
	chown 77:88 "$TESTDIR/t/s"
	tar -C "$TESTDIR/t" -cf - s | b cp - ct:/tmp
	[ "$(b exec ct stat -c %u:%g /tmp/s)" = 0:0 ]
	tar -C "$TESTDIR/t" -cf - s | b cp -a - ct:/tmp
	[ "$(b exec ct stat -c %u:%g /tmp/s)" = 77:88 ]
	b cp ct:/tmp/owned "$HOSTDIR/out"
	[ "$(stat -c %u:%g "$HOSTDIR/out")" = "$(id -u):$(id -g)" ]
	b cp -a ct:/tmp/owned "$HOSTDIR/out-a"
	[ "$(stat -c %u:%g "$HOSTDIR/out-a")" = 4321:4322 ]
	# the tar stream says who owns it
	[ "$(b cp ct:/tmp/owned - | tar -tv | awk '{print $2}')" = 4321/4322 ]
	# a setuid file of the container does not become one of ours on the host
	b cp ct:/tmp/suid "$HOSTDIR/suid"
	[ "$(stat -c %a "$HOSTDIR/suid")" = 755 ]
	b cp -a ct:/tmp/suid "$HOSTDIR/suid-a"
	[ "$(stat -c %a:%u "$HOSTDIR/suid-a")" = 4755:4321 ]
}

@test "-L follows a symlink that is the source; without it the link itself is copied" {
	running ct
	b cp ct:/flink "$HOSTDIR/"
	[ "$(readlink "$HOSTDIR/flink")" = /f ]
	b cp -L ct:/flink "$HOSTDIR/"
	[ ! -L "$HOSTDIR/flink" ]
	[ "$(cat "$HOSTDIR/flink")" = hello ]
	[ "$(b cp -L ct:/flink - | tar -t)" = flink ]
	# a symlink to a directory: copied as a link, or what it points to with -L or a trailing /
	b cp ct:/dlink "$HOSTDIR/l1"
	[ "$(readlink "$HOSTDIR/l1")" = d ]
	b cp -L ct:/dlink "$HOSTDIR/l2"
	[ "$(cat "$HOSTDIR/l2/top")" = top ]
	b cp ct:/dlink/ "$HOSTDIR/l3"
	[ "$(cat "$HOSTDIR/l3/top")" = top ]
	# the host side the same way
	echo target > "$HOSTDIR/target"
	ln -s target "$HOSTDIR/hlink"
	b cp "$HOSTDIR/hlink" ct:/tmp/
	[ "$(b exec ct readlink /tmp/hlink)" = target ]
	b cp -L "$HOSTDIR/hlink" ct:/tmp/followed
	[ "$(b exec ct cat /tmp/followed)" = target ]
	# a destination that is a symlink is followed: its target gets the copy
	b cp "$HOSTDIR/target" ct:/flink
	b exec ct test -L /flink
	[ "$(b exec ct cat /f)" = target ]
}

@test "volumes and binds of running and stopped containers are copied to and from; :ro is refused" {
	mkdir "$TESTDIR/bind" "$TESTDIR/robind"
	echo b > "$TESTDIR/bind/b"
	echo r > "$TESTDIR/robind/r"
	echo in > "$HOSTDIR/in"
	running ct 'echo v > /vol/v' -v vol:/vol -v "$TESTDIR/bind:/mnt/bind" -v "$TESTDIR/robind:/ro:ro"
	[ "$(b cp ct:/vol/v - | tar -xO)" = v ]
	[ "$(b cp ct:/mnt/bind/b - | tar -xO)" = b ]
	[ "$(b cp ct:/ro/r - | tar -xO)" = r ]
	b cp "$HOSTDIR/in" ct:/vol/
	b cp "$HOSTDIR/in" ct:/mnt/bind/
	[ "$(cat "$STORE/volumes/vol/_data/in")" = in ]
	[ "$(cat "$TESTDIR/bind/in")" = in ]
	[ "$(b exec ct cat /vol/in)" = in ]
	run b cp "$HOSTDIR/in" ct:/ro/
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: mounted volume is marked read-only" ]
	[ ! -e "$TESTDIR/robind/in" ]
	# the copy of a directory holding a volume has the volume's files
	[ "$(b cp ct:/mnt - | tar -t | sort | tr '\n' ' ')" = "mnt/ mnt/bind/ mnt/bind/b mnt/bind/in " ]
	# the container's own mounts are as they were: we mounted nothing in its namespaces
	pid=$(b inspect ct | jq -r .[0].State.Pid)
	[ "$(grep -c . /proc/$pid/mountinfo)" = "$(b exec ct cat /proc/self/mountinfo | grep -c .)" ]
	b stop -t 0 ct > /dev/null
	echo again > "$HOSTDIR/again"
	b cp "$HOSTDIR/again" ct:/vol/
	b cp "$HOSTDIR/again" ct:/mnt/bind/
	[ "$(cat "$STORE/volumes/vol/_data/again")" = again ]
	[ "$(cat "$TESTDIR/bind/again")" = again ]
	[ "$(b cp ct:/ro/r - | tar -xO)" = r ]
	run b cp "$HOSTDIR/in" ct:/ro/
	[ "$status" -eq 1 ]
	[[ "$output" == *"read-only"* ]]
	no_mounts
}

@test "a --read-only container is not written to; copying out of it works" {
	running ct true --read-only --tmpfs /tmp
	echo in > "$HOSTDIR/in"
	run b cp "$HOSTDIR/in" ct:/tmp/
	[ "$status" -eq 1 ]
	[ "$output" = "berth: cp: container rootfs is marked read-only" ]
	b cp ct:/f "$HOSTDIR/f"
	[ "$(cat "$HOSTDIR/f")" = hello ]
}

@test "copying out never makes a device node on the host; the tar stream keeps it" {
	running ct 'mkdir /devs; mknod /devs/mem c 1 1; chmod 666 /devs/mem; echo ok > /devs/file'
	run --separate-stderr b cp ct:/devs "$HOSTDIR/devs"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"1 device node(s) not made on the host"* ]]
	[ ! -e "$HOSTDIR/devs/mem" ]
	[ "$(cat "$HOSTDIR/devs/file")" = ok ]
	[[ "$(b cp ct:/devs - | tar -tv)" == *"crw-rw-rw- 0/0"*" 1,1 "*"devs/mem"* ]]
}

# --- a hostile container: nothing it holds may lead cp to the host's files ---------------

@test "escape: symlinks to / and ../../.. in the container resolve inside it, copying in" {
	canary="berth-cp-canary-$$-$BATS_TEST_NUMBER"
	mkdir "$TESTDIR/victim"
	running ct "ln -s / /out; ln -s ../../../../../../../../tmp /up; ln -s $TESTDIR/victim /abs; ln -s ../../../../../../../..$TESTDIR/victim /rel; mkdir /tmp/d; ln -s /etc /tmp/d/etc"
	echo evil > "$HOSTDIR/$canary"
	b cp "$HOSTDIR/$canary" ct:/out/tmp/
	b exec ct test -f "/tmp/$canary"
	[ ! -e "/tmp/$canary" ]
	b cp "$HOSTDIR/$canary" "ct:/up/$canary-up"
	[ "$(b exec ct cat "/tmp/$canary-up")" = evil ]
	[ ! -e "/tmp/$canary-up" ]
	# symlinks to where the host has a directory: the container has none there
	run b cp "$HOSTDIR/$canary" ct:/abs/
	[ "$status" -eq 1 ]
	run b cp "$HOSTDIR/$canary" ct:/rel/
	[ "$status" -eq 1 ]
	run b cp "$HOSTDIR/$canary" ct:/abs
	[ "$status" -eq 1 ]
	run b cp "$HOSTDIR/$canary" ct:../../../..$TESTDIR/victim/
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$TESTDIR/victim")" ]
	# a tar stream with a symlink and a path through it
	mkdir "$TESTDIR/t"
	ln -s / "$TESTDIR/t/l"
	ln -s ../../../../../../../.. "$TESTDIR/t/u"
	tar -C "$TESTDIR/t" -cf "$TESTDIR/evil.tar" l u
	mkdir -p "$TESTDIR/t2/l/tmp" "$TESTDIR/t2/u/tmp"
	echo evil > "$TESTDIR/t2/l/tmp/$canary-l"
	echo evil > "$TESTDIR/t2/u/tmp/$canary-u"
	tar -C "$TESTDIR/t2" -rf "$TESTDIR/evil.tar" "l/tmp/$canary-l" "u/tmp/$canary-u"
	b cp - ct:/tmp/d < "$TESTDIR/evil.tar"
	b exec ct test -f "/tmp/$canary-l"
	b exec ct test -f "/tmp/$canary-u"
	[ ! -e "/tmp/$canary-l" ]
	[ ! -e "/tmp/$canary-u" ]
	# names that climb out are refused, hardlinks to outside too
	python3 - "$TESTDIR/climb.tar" "$canary" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    i = tarfile.TarInfo("../../../../../../tmp/" + sys.argv[2] + "-climbed")
		    i.size = 4
		    t.addfile(i, io.BytesIO(b"evil"))
	EOF
	run b cp - ct:/tmp < "$TESTDIR/climb.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"climbs above"* ]]
	[ ! -e "/tmp/$canary-climbed" ]
	b exec ct test ! -e "/tmp/$canary-climbed"
	python3 - "$TESTDIR/link.tar" <<-'EOF'
		import sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    i = tarfile.TarInfo("shadow")
		    i.type = tarfile.LNKTYPE
		    i.linkname = "../../../../etc/shadow"
		    t.addfile(i)
	EOF
	run b cp - ct:/tmp < "$TESTDIR/link.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"outside the archive"* ]]
	no_mounts
}

@test "escape: symlinks in the container resolve inside it, copying out" {
	mkdir "$TESTDIR/secret"
	echo host-secret > "$TESTDIR/secret/s"
	running ct "ln -s / /out; ln -s ../../../../../../../../etc /up; ln -s $TESTDIR/secret /abs; ln -s ../../../../../../../..$TESTDIR/secret/s /rel; mkdir /tree; ln -s /etc /tree/etc; ln -s $TESTDIR/secret/s /tree/s"
	# the container's /etc/passwd (two lines), not the host's
	[ "$(b cp ct:/out/etc/passwd - | tar -xO)" = "$(cat "$ROOTFS/etc/passwd")" ]
	[ "$(b cp ct:/up/passwd - | tar -xO)" = "$(cat "$ROOTFS/etc/passwd")" ]
	run b cp ct:/abs/s "$HOSTDIR/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"could not find the file /abs/s in container ct"* ]]
	run b cp -L ct:/rel "$HOSTDIR/s"
	[ "$status" -eq 1 ]
	run b cp ct:/abs/ "$HOSTDIR/s"
	[ "$status" -eq 1 ]
	[ ! -e "$HOSTDIR/s" ]
	# what is copied out keeps its symlinks as symlinks, never followed on the host
	b cp ct:/tree "$HOSTDIR"
	[ "$(readlink "$HOSTDIR/tree/etc")" = /etc ]
	[ "$(readlink "$HOSTDIR/tree/s")" = "$TESTDIR/secret/s" ]
	b cp ct:/rel "$HOSTDIR/rel"
	[ -L "$HOSTDIR/rel" ]
	[ "$(cat "$TESTDIR/secret/s")" = host-secret ]
	# the link copied out is a link; copying it back in and out again changes nothing
	b cp "$HOSTDIR/tree" ct:/tmp/
	[ "$(b exec ct readlink /tmp/tree/etc)" = /etc ]
	no_mounts
}

@test "escape: a volume whose destination is a symlink out of the container lands inside it" {
	mkdir "$TESTDIR/vol" "$TESTDIR/victim" "$TESTDIR/t"
	# an image whose /m is a symlink to the host's victim directory, were it followed on the
	# host (which is also a directory in the image), and whose /n dangles there
	ln -s "../../../../../../../..$TESTDIR/victim" "$TESTDIR/t/m"
	ln -s "$TESTDIR/victim/n" "$TESTDIR/t/n"
	mkdir -p "$TESTDIR/t/$TESTDIR/victim"
	tar -C "$ROOTFS" -cf "$TESTDIR/evil.tar" .
	tar -C "$TESTDIR/t" -rf "$TESTDIR/evil.tar" m n "${TESTDIR#/}"
	b import "$TESTDIR/evil.tar" evil > /dev/null
	echo in > "$HOSTDIR/in"
	b create --name ct -v "$TESTDIR/vol:/m/data" evil true > /dev/null
	b cp "$HOSTDIR/in" ct:/m/data/
	[ "$(cat "$TESTDIR/vol/in")" = in ]
	[ "$(b cp ct:/m/data/in - | tar -xO)" = in ]
	b cp ct:$TESTDIR/victim - | tar -t | grep -qx "victim/data/in"
	b create --name dangling -v "$TESTDIR/vol:/n/data" evil true > /dev/null
	run b cp "$HOSTDIR/in" dangling:/n/data/
	[ "$status" -eq 1 ]
	[[ "$output" == *"/n is a symlink to a path that does not exist there"* ]]
	b run -d --name run -v "$TESTDIR/vol:/m/data" evil sleep 600 > /dev/null
	echo again > "$HOSTDIR/again"
	b cp "$HOSTDIR/again" run:/m/data/
	[ "$(cat "$TESTDIR/vol/again")" = again ]
	[ "$(b cp run:/m/data/in - | tar -xO)" = in ]
	[ -z "$(ls -A "$TESTDIR/victim")" ]
	no_mounts
}

@test "cp prints docker's summary on a terminal, not with -q or without one" {
	running ct
	run script -qec "$BERTH --root $STORE --runroot $RUNROOT cp ct:/f $HOSTDIR/t" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"Successfully copied 6B to $HOSTDIR/t"* ]]
	run script -qec "$BERTH --root $STORE --runroot $RUNROOT cp -q ct:/f $HOSTDIR/t" /dev/null
	[ -z "$output" ]
	run b cp ct:/f "$HOSTDIR/t"
	[ -z "$output" ]
	run b cp --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-" ]]
}
