#!/usr/bin/env bats
# berth diff and berth commit: a container's changes read from its overlay upper dir as
# docker's A/C/D lines, and made into a new image that runs with them.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

# the image: busybox, plus files and directories the containers change and delete
setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	make_rootfs "$ROOTFS"
	echo old > "$ROOTFS/etc/del"
	mkdir -p "$ROOTFS/etc/sub/deep" "$ROOTFS/d/x"
	echo deep > "$ROOTFS/etc/sub/deep/f"
	echo x > "$ROOTFS/d/x/f"
	echo keep > "$ROOTFS/etc/keep"
}

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

# what every change test does: add, change, delete a file; delete a directory of the image;
# delete a directory and make it again (opaque) with a file in it
CHANGES='echo n > /new; echo c >> /etc/passwd; rm /etc/del; rm -rf /d; rm -rf /etc/sub; mkdir /etc/sub; echo z > /etc/sub/z'

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

@test "diff: added, changed and deleted files, a deleted directory, an opaque one, in docker's order" {
	b run --name ct busybox sh -c "$CHANGES"
	run -0 b diff ct
	[ "$output" = "D /d
C /etc
D /etc/del
C /etc/passwd
D /etc/sub
A /etc/sub/z
A /new" ]
	# container diff is the same verb
	run -0 b container diff ct
	[ "${lines[0]}" = "D /d" ]
}

@test "diff: a container that changed nothing shows nothing; a running one shows its changes" {
	b run --name quiet busybox true
	run -0 b diff quiet
	[ -z "$output" ]
	running live 'mkdir -p /a/b && echo v > /a/b/f'
	run -0 b diff live
	[ "$output" = "A /a
A /a/b
A /a/b/f
C /tmp
A /tmp/.ready" ]
}

@test "diff, commit: a missing container is 125 with no such container" {
	run -125 b diff nosuch
	[[ "$output" == *"no such container: nosuch"* ]]
	run -125 b commit nosuch img
	[[ "$output" == *"no such container: nosuch"* ]]
	[ "$(b images -q | wc -l)" = 1 ]
}

@test "commit: the image runs with the change and without the deleted files" {
	b run --name ct busybox sh -c "$CHANGES"
	run -0 b commit ct committed
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	[ "$(b images -q --no-trunc committed)" = "$id" ]
	run -0 b run --rm committed cat /new /etc/sub/z /etc/keep
	[ "$output" = "n
z
keep" ]
	run -0 b run --rm committed tail -n 1 /etc/passwd
	[ "$output" = c ]
	run -0 b run --rm committed sh -c 'ls -a /etc/sub; test -e /etc/del || echo no-del; test -e /d || echo no-d'
	[ "$output" = ".
..
z
no-del
no-d" ]
	# docker commits the container's command as the image's
	[ "$(b image inspect -f '{{json .Config.Cmd}}' committed)" = "[\"sh\",\"-c\",\"$CHANGES\"]" ]
}

@test "commit -c CMD: the image runs it by default; other changes land in its config" {
	b run --name ct busybox sh -c 'echo made > /f'
	b commit -c 'CMD ["cat","/f"]' --change 'ENV A=b' -c 'LABEL k=v' -c 'WORKDIR /etc' ct withcmd > /dev/null
	run -0 b run --rm withcmd
	[ "$output" = made ]
	run -0 b run --rm withcmd sh -c 'echo $A; pwd'
	[ "$output" = "b
/etc" ]
	[ "$(b image inspect -f '{{.Config.Labels.k}}' withcmd)" = v ]
}

@test "commit -m -a: the message and author in history and image inspect" {
	b run --name ct busybox sh -c 'echo 1 > /f'
	b commit -m 'first change' -a 'Ann <ann@example.com>' ct img > /dev/null
	run -0 b history img
	[[ "${lines[1]}" == *"first change"* ]]
	[[ "${lines[1]}" == *"sh -c echo 1 > /f"* ]]
	[ "${#lines[@]}" = 3 ]
	[ "$(b image inspect -f '{{.Author}}' img)" = 'Ann <ann@example.com>' ]
	[ "$(b image inspect -f '{{.Comment}}' img)" = 'first change' ]
}

@test "commit of a running container pauses it for the commit and leaves it running" {
	running live 'echo v > /v'
	run -0 b commit live fromlive
	[ "$(b inspect -f '{{.State.Status}} {{.State.Paused}}' live)" = "running false" ]
	b exec live true
	run -0 b run --rm fromlive cat /v
	[ "$output" = v ]
	# --pause=false commits without freezing it
	run -0 b commit --pause=false live nopause
	[ "$(b inspect -f '{{.State.Status}} {{.State.Paused}}' live)" = "running false" ]
	# a container the user paused stays paused
	b pause live
	b commit live frompaused > /dev/null
	[ "$(b inspect -f '{{.State.Paused}}' live)" = true ]
	b unpause live
}

@test "commit twice: an image of a committed image keeps both changes" {
	b run --name one busybox sh -c 'echo 1 > /one'
	b commit one img1 > /dev/null
	b run --name two img1 sh -c 'echo 2 > /two; rm /one'
	run -0 b diff two
	[ "$output" = "D /one
A /two" ]
	b commit -c 'CMD ["cat","/two"]' two img2 > /dev/null
	run -0 b run --rm img2
	[ "$output" = 2 ]
	run -1 b run --rm img2 cat /one
	run -0 b run --rm img1 cat /one
	[ "$output" = 1 ]
	[ "$(b history img2 | wc -l)" = 4 ]
}

@test "commit of a container that changed nothing: a history entry, no new layer" {
	b run --name ct busybox true
	b commit -m nothing ct same > /dev/null
	[ "$(b image inspect -f '{{len .RootFS.Layers}}' same)" = 1 ]
	[ "$(b history same | wc -l)" = 3 ]
	run -0 b run --rm same cat /etc/keep
	[ "$output" = keep ]
}

@test "commit with a bad change or name is a clear error and leaves no image" {
	b run --name ct busybox sh -c 'echo 1 > /f'
	before=$(ls "$STORE/image/images" | wc -l)
	run -125 b commit -c 'FROB x' ct bad
	[[ "$output" == *'--change "FROB x": FROB is not supported'* ]]
	run -125 b commit -c 'CMD [not json' ct bad
	[[ "$output" == *"not a JSON array"* ]]
	run -125 b commit ct 'Bad:Name:x'
	[ "$(ls "$STORE/image/images" | wc -l)" = "$before" ]
	run -1 b image inspect bad
	[ "$(b images -q | wc -l)" = 1 ]
	run -0 ls "$STORE/image/tmp"
	[ -z "$output" ]
}

@test "commit that fails while the container is frozen thaws it and leaves no image" {
	# a file named like a whiteout cannot go into a layer: layer_diff fails mid-commit
	running live 'touch /.wh.trap'
	before=$(ls "$STORE/image/images" | wc -l)
	run -125 b commit live trapped
	[[ "$output" == *".wh."* ]]
	[ "$(b inspect -f '{{.State.Status}} {{.State.Paused}}' live)" = "running false" ]
	run -0 timeout 10 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec live echo thawed
	[ "$output" = thawed ]
	[ "$(ls "$STORE/image/images" | wc -l)" = "$before" ]
	run -0 ls "$STORE/image/tmp"
	[ -z "$output" ]
}
