#!/usr/bin/env bats
# run and create pull a missing image (--pull missing|always|never, --platform, -q) from
# `berth registry serve` on 127.0.0.1, as docker does; a short name with the suite's default
# registry fails fast and asks no resolver; podman pulls from berth's server.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	SRVPID=
	STORE2="$TESTDIR/root2"
	RUNROOT2="$TESTDIR/run2"
}

teardown() {
	[ -n "$SRVPID" ] && kill "$SRVPID" 2>/dev/null && wait "$SRVPID" 2>/dev/null || true
	local id
	for id in $(b2 ps -aq --no-trunc 2>/dev/null); do
		b2 rm -f "$id" > /dev/null 2>&1 || true
	done
	if [ -n "${PODROOT:-}" ]; then
		podman --root "$PODROOT" --runroot "$TESTDIR/podrun" --storage-driver vfs \
			rmi -af > /dev/null 2>&1 || true
	fi
	engine_teardown
}

b2() { "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" "$@"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# berth's registry on a free loopback port (REG), holding busybox as lib/bb:1 and, for short
# names, library/busybox:latest
serve_with_busybox() {
	PORT=$(free_port)
	REG="127.0.0.1:$PORT"
	(exec "$BERTH" --root "$STORE" --runroot "$RUNROOT" registry serve --addr "$REG" \
		--root "$TESTDIR/registry" 2> "$TESTDIR/serve.log" 3>&-) &
	SRVPID=$!
	local k
	for k in $(seq 100); do
		curl -s -o /dev/null "http://$REG/v2/" && break
		sleep 0.05
	done
	b tag busybox "$REG/lib/bb:1"
	b push -q "$REG/lib/bb:1" > /dev/null
	b tag busybox "$REG/library/busybox:latest"
	b push -q "$REG/library/busybox:latest" > /dev/null
}

# the requests the server logged (its access log is on stderr)
requests() {
	grep -c "$1" "$TESTDIR/serve.log" || true
}

@test "run: a missing image is pulled first, its progress on stderr, as docker does" {
	serve_with_busybox
	run --separate-stderr b2 run --rm "$REG/lib/bb:1" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[[ "${stderr_lines[0]}" == "Unable to find image '$REG/lib/bb:1' locally" ]]
	[[ "$stderr" == *"1: Pulling from lib/bb"* ]]
	[[ "$stderr" == *"Digest: sha256:"* ]]
	[[ "$stderr" == *"Status: Downloaded newer image for $REG/lib/bb:1"* ]]
	[[ "$stderr" != *"Using default tag"* ]]
	# the second time it is here: no pull, nothing asked of the registry
	n=$(requests "GET /v2/lib/bb/manifests/1")
	run --separate-stderr b2 run --rm "$REG/lib/bb:1" echo again
	[ "$output" = again ]
	[ -z "$stderr" ]
	[ "$(requests "GET /v2/lib/bb/manifests/1")" = "$n" ]
	# a short name goes to the default registry, by its Hub path
	BERTH_DEFAULT_REGISTRY=$REG run --separate-stderr b2 run --rm busybox echo short
	[ "$status" -eq 0 ]
	[ "$output" = short ]
	[[ "${stderr_lines[0]}" == "Unable to find image 'busybox:latest' locally" ]]
	[[ "$stderr" == *"latest: Pulling from library/busybox"* ]]
	b2 image inspect -f '{{.Id}}' busybox
}

@test "create pulls too: stdout is the container's ID alone; -q pulls without a word" {
	serve_with_busybox
	run --separate-stderr b2 create "$REG/lib/bb:1" true
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[[ "$stderr" == *"Unable to find image"* ]]
	b2 rm "$output" > /dev/null
	b2 rmi "$REG/lib/bb:1" > /dev/null
	run --separate-stderr b2 run --rm -q "$REG/lib/bb:1" echo quiet
	[ "$status" -eq 0 ]
	[ "$output" = quiet ]
	[ -z "$stderr" ]
}

@test "run --pull never refuses a missing image without a request; --pull always asks every time" {
	serve_with_busybox
	before=$(requests "GET /v2/lib/bb/manifests/1")
	run -125 b2 run --rm --pull never "$REG/lib/bb:1" true
	[[ "$output" == *"image \"$REG/lib/bb:1\" not found"* ]]
	[ "$(requests "GET /v2/lib/bb/manifests/1")" = "$before" ]
	b2 run --rm --pull always "$REG/lib/bb:1" true 2> "$TESTDIR/err"
	run --separate-stderr b2 run --rm --pull always "$REG/lib/bb:1" echo always
	[ "$output" = always ]
	[[ "$stderr" == *"Status: Image is up to date for $REG/lib/bb:1"* ]]
	[[ "$stderr" != *"Unable to find"* ]]
	[ "$(requests "GET /v2/lib/bb/manifests/1")" = $((before + 2)) ]
	run -125 b2 run --pull sometimes "$REG/lib/bb:1" true
	[[ "$output" == *"invalid pull option: 'sometimes'"* ]]
}

@test "run --platform: a local image of another platform is pulled for it, or refused with --pull never" {
	serve_with_busybox
	arch=$(b image inspect -f '{{.Architecture}}' busybox)
	other=arm64
	[ "$arch" != arm64 ] || other=amd64
	run -125 b run --rm --pull never --platform "linux/$other" busybox true
	[[ "$output" == *"image with reference busybox was found but does not match the specified platform: wanted linux/$other, actual: linux/$arch"* ]]
	b run --rm --pull never --platform "linux/$arch" busybox true
	# missing for that platform: pulled, and the registry has no such platform
	b tag busybox "$REG/lib/bb:1"
	run -125 b run --rm --platform "linux/$other" "$REG/lib/bb:1" true
	[[ "$output" == *"berth: run: image with reference $REG/lib/bb:1 was found but does not match the specified platform: wanted linux/$other, actual: linux/$arch"* ]]
	# not here at all: the same after its pull
	run -125 b2 create --platform "linux/$other" "$REG/lib/bb:1" true
	[[ "$output" == *"berth: create: image with reference"* ]]
	[ -z "$(ls "$STORE2/containers" 2>/dev/null)" ]
	run -125 b run --platform linux "$REG/lib/bb:1" true
	[[ "$output" == *"--platform linux: give OS/ARCH"* ]]
}

@test "run of a missing short name in the suite: fails fast, asks no resolver, stores nothing" {
	command -v strace > /dev/null || skip "strace is not installed"
	# the suite's default (helpers.bash): nothing listens there
	[ "$BERTH_DEFAULT_REGISTRY" = 127.0.0.1:1 ]
	start=$(date +%s%N)
	run -125 strace -f -qq -e trace=connect,sendto,sendmsg,sendmmsg,openat -o "$TESTDIR/trace" \
		"$BERTH" --root "$STORE2" --runroot "$RUNROOT2" run --rm alpine true
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]
	[[ "$output" == *"Unable to find image 'alpine:latest' locally"* ]]
	[[ "$output" == *"GET http://127.0.0.1:1/v2/library/alpine/manifests/latest"* ]]
	# it tried the loopback port and nothing else: no DNS (port 53), no resolver files
	grep -q 'connect(.*sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")' "$TESTDIR/trace"
	run ! grep -q 'htons(53)' "$TESTDIR/trace"
	run ! grep -qE 'resolv.conf|nsswitch.conf|/etc/hosts' "$TESTDIR/trace"
	[ -z "$(grep -E 'connect\(' "$TESTDIR/trace" | grep -v 'inet_addr("127.0.0.1")' | grep -v 'sa_family=AF_UNIX')" ]
	[ -z "$(ls "$STORE2/image/blobs/sha256" 2>/dev/null)" ]
	[ -z "$(ls "$STORE2/containers" 2>/dev/null)" ]
}

@test "podman pulls from berth's registry the image berth pushed, with the same ID" {
	command -v podman > /dev/null || skip "podman is not installed"
	serve_with_busybox
	PODROOT="$TESTDIR/podroot"
	run podman --root "$PODROOT" --runroot "$TESTDIR/podrun" --storage-driver vfs \
		pull --tls-verify=false "$REG/lib/bb:1"
	[ "$status" -eq 0 ]
	id=$(podman --root "$PODROOT" --runroot "$TESTDIR/podrun" --storage-driver vfs \
		image inspect -f '{{.Id}}' "$REG/lib/bb:1")
	# the same image: podman's ID is the config's digest, as berth's
	[ "sha256:$id" = "$(b image inspect -f '{{.Id}}' busybox)" ] || [ "$id" = "$(b image inspect -f '{{.Id}}' busybox)" ]
}
