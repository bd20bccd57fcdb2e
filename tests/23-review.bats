#!/usr/bin/env bats
# What a code review found (issue 8): no overflow or silent truncation of paths and values,
# and results that change behaviour are checked.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	BUNDLE="$TESTDIR/bundle"
	ID="bt-$$-${BATS_TEST_NUMBER}"
	mkdir -p "$BUNDLE"
	"$RUNTIME" spec --bundle "$BUNDLE"
	config '.root.path = env.ROOTFS | .process.terminal = false | .process.args = ["true"]'
}

teardown() {
	# a container dir a test made immutable, whatever happened
	local d
	for d in "$STORE"/containers/*/; do
		[ -d "$d" ] && chattr -i "$d" 2> /dev/null
	done
	engine_teardown
}

# long_rel N: a relative path of N bytes made of "d/" components
long_rel() {
	local s
	s=$(printf 'd/%.0s' $(seq 1 $(($1 / 2))))
	printf '%s' "${s%/}"
}

@test "berth: a relative --root of 5,000 bytes is a clear error, not an overflow" {
	mkdir -p "$TESTDIR/cwd"
	cd "$TESTDIR/cwd"
	rel=$(long_rel 5000)
	run "$BERTH" --root "$rel" images
	[ "$status" -eq 125 ]
	[[ "$output" == *"--root"*"too long"* ]]
	run "$BERTH" --root="$rel" ps -a
	[ "$status" -eq 125 ]
	[[ "$output" == *"too long"* ]]
	# an absolute one, and BERTH_ROOT, the same
	run "$BERTH" --root "$TESTDIR/cwd/$rel" images
	[ "$status" -eq 125 ]
	[[ "$output" == *"too long"* ]]
	BERTH_ROOT="$TESTDIR/cwd/$rel" run "$BERTH" images
	[ "$status" -eq 125 ]
	[[ "$output" == *"too long"* ]]
	# nothing made under the cwd
	[ -z "$(ls -A "$TESTDIR/cwd")" ]
}

@test "berth: a --runroot too long is refused, not cut into another directory" {
	rel=$(long_rel 5000)
	run "$BERTH" --root "$STORE" --runroot "$TESTDIR/$rel" run --rm busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--runroot"*"too long"* ]]
	[ ! -e "$TESTDIR/d" ]
}

@test "berth-runtime: a --root too long is refused, nothing made in a cut path" {
	mkdir -p "$TESTDIR/cwd"
	cd "$TESTDIR/cwd"
	# cut at PATH_MAX the path would still name a directory under the cwd: one of these
	for n in 4100 4200 5000; do
		rel=$(long_rel $n)
		run "$RUNTIME" --root "$rel" run --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"--root"*"too long"* ]]
		run "$RUNTIME" --root "$rel" list
		[ "$status" -ne 0 ]
		[ ! -e "$TESTDIR/cwd/d" ]
	done
	# a long one that fits works, in the directory it names
	rel=$(long_rel 2000)
	run "$RUNTIME" --root "$rel" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$TESTDIR/cwd/$rel" ]
}

@test "import --change: long ENV, LABEL, EXPOSE and VOLUME values are whole" {
	long=$(head -c 5000 /dev/zero | tr '\0' x)
	b import -c "ENV BIG=$long" -c "ENV SPACED $long" -c "LABEL big=$long" -c "LABEL k$long=v" \
		-c "EXPOSE 8$long" -c "VOLUME /v$long" "$TESTDIR/rootfs.tar" long:1 > /dev/null
	run b image inspect long:1
	[ "$status" -eq 0 ]
	LONG=$long jq -e '.[0].Config.Env | index("BIG=" + env.LONG)' <<< "$output"
	LONG=$long jq -e '.[0].Config.Env | index("SPACED=" + env.LONG)' <<< "$output"
	LONG=$long jq -e '.[0].Config.Labels.big == env.LONG' <<< "$output"
	LONG=$long jq -e '.[0].Config.Labels["k" + env.LONG] == "v"' <<< "$output"
	LONG=$long jq -e '.[0].Config.ExposedPorts | has("8" + env.LONG + "/tcp")' <<< "$output"
	LONG=$long jq -e '.[0].Config.Volumes | has("/v" + env.LONG)' <<< "$output"
	# and the container sees the whole value
	run b run --rm long:1 sh -c 'echo ${#BIG}'
	[ "$status" -eq 0 ]
	[ "$output" = 5000 ]
}

@test "stop and kill fail loudly when the stop cannot be recorded: no restart behind the user's back" {
	id=$(b run -d --restart always busybox sleep 1000)
	dir="$STORE/containers/$id"
	chattr +i "$dir"
	# (a stop that did not record itself waits for a container that keeps coming back)
	run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" stop -t 1 "$id"
	run2_status=0
	out2=$(timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" kill "$id" 2>&1) || run2_status=$?
	chattr -i "$dir"
	[ "$status" -ne 0 ]
	[[ "$output" == *"record the stop"* ]]
	[ "$run2_status" -ne 0 ]
	[[ "$out2" == *"record the stop"* ]]
	# neither signalled it: the first run goes on, never restarted
	[ "$(b inspect "$id" | jq -r '.[0].State.Status')" = running ]
	[ "$(b inspect "$id" | jq -r '.[0].State.RestartCount')" = 0 ]
	# recorded, the stop holds
	b stop -t 1 "$id"
	sleep 0.5
	[ "$(b inspect "$id" | jq -r '.[0].State.Status')" = exited ]
}

@test "pause: a pause that cannot be recorded fails and is undone" {
	id=$(b run -d busybox sleep 1000)
	dir="$STORE/containers/$id"
	chattr +i "$dir"
	run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" pause "$id"
	chattr -i "$dir"
	[ "$status" -ne 0 ]
	[[ "$output" == *"state"* ]]
	# not frozen: it still runs a command, and berth says it is not paused
	[ "$(b inspect "$id" | jq -r '.[0].State.Paused')" = false ]
	run timeout 10 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec "$id" echo alive
	[ "$status" -eq 0 ]
	[ "$output" = alive ]
}

@test "logs: a rotation that cannot make its new file keeps logging in the old one, and rotates later" {
	# the store on a small tmpfs whose inodes the test can use up: the monitor then cannot
	# create the next json.log (the old code had renamed the old one away first, and logged
	# nothing more, for good)
	mkdir -p "$TESTDIR/small"
	mount -t tmpfs -o nr_inodes=4000,size=64m tmpfs "$TESTDIR/small"
	STORE="$TESTDIR/small/root"
	b import -c 'CMD ["sh"]' "$TESTDIR/rootfs.tar" busybox > /dev/null
	b run -d --name chatty --log-opt max-size=2k --log-opt max-file=2 busybox \
		sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.01; done' > /dev/null
	mkdir "$TESTDIR/small/fill"
	for i in $(seq 5000); do
		touch "$TESTDIR/small/fill/$i" 2> /dev/null || break
	done
	run touch "$TESTDIR/small/fill/one-more"
	[ "$status" -ne 0 ] # no inode left
	last() { b logs chatty | tail -1 | sed 's/^line//'; }
	sleep 1
	a=$(last)
	sleep 1
	b_=$(last)
	[ "$b_" -gt "$a" ] # still logging, with no file to rotate into
	[ "$(stat -c %s "$STORE"/containers/*/json.log)" -gt 2048 ]
	# inodes back: the next rotation works, the log goes on
	rm -rf "$TESTDIR/small/fill"
	sleep 1
	c=$(last)
	[ "$c" -gt "$b_" ]
	[ "$(stat -c %s "$STORE"/containers/*/json.log)" -lt 4096 ]
	b rm -f chatty > /dev/null
}

@test "run -i: input still coming when the container exits never kills the monitor (SIGPIPE)" {
	# the monitor writes the client's input into the container's stdin pipe; once the
	# container is gone that write is EPIPE: a SIGPIPE there killed the monitor, and the
	# run ended with "the container's monitor went away" and no exit code
	for i in $(seq 20); do
		run -0 sh -c "yes | head -c 1000000 | \"\$0\" --root \"\$1\" --runroot \"\$2\" run --rm -i busybox sh -c 'seq 1 3; exit 0'" \
			"$BERTH" "$STORE" "$RUNROOT"
		[ "$output" = "$(seq 1 3)" ] || { echo "run $i: $output"; false; }
	done
	[ -z "$(b ps -aq)" ]
}
