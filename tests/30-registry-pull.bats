#!/usr/bin/env bats
# berth pull, push, login, logout: the registry client against Debian's docker-registry (the
# CNCF distribution server) and a small misbehaving server, every one on 127.0.0.1 and
# started by the test, killed by its PID in teardown. Short names go to BERTH_DEFAULT_REGISTRY,
# never to docker.io.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	REGPID=
	BADPID=
	export DOCKER_CONFIG="$TESTDIR/docker"
	# nothing in this file may reach out: short names go to a port where nothing listens
	export BERTH_DEFAULT_REGISTRY=127.0.0.1:1
	STORE2="$TESTDIR/root2"
	RUNROOT2="$TESTDIR/run2"
}

teardown() {
	[ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null || true
	[ -n "$BADPID" ] && kill "$BADPID" 2>/dev/null || true
	for id in $(b2 ps -aq --no-trunc 2>/dev/null); do
		b2 rm -f "$id" > /dev/null 2>&1 || true
	done
	engine_teardown
}

# The client's verbs, through berth (which execs berth-registry)
regverb() {
	(regexec "$@")
}
# the same in this process, replaced (so that `regexec ... &` gives the client's own PID)
regexec() {
	local store=$1 runroot=$2
	shift 2
	exec "$BERTH" --root "$store" --runroot "$runroot" "$@"
}
r1() { regverb "$STORE" "$RUNROOT" "$@"; }
r2() { regverb "$STORE2" "$RUNROOT2" "$@"; }
b2() { "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" "$@"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry [htpasswd-file]: docker-registry on 127.0.0.1:$PORT, storage in the test's dir
start_registry() {
	PORT=$(free_port)
	REG="127.0.0.1:$PORT"
	{
		echo "version: 0.1"
		echo "log: {level: ${REGLOG:-error}}"
		echo "storage: {filesystem: {rootdirectory: $TESTDIR/registry}, delete: {enabled: true}}"
		if [ -n "${REGTLS:-}" ]; then
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
				-addext subjectAltName=IP:127.0.0.1 -keyout "$TESTDIR/tls.key" \
				-out "$TESTDIR/tls.crt" 2> /dev/null
			echo "http: {addr: \"$REG\", tls: {certificate: $TESTDIR/tls.crt, key: $TESTDIR/tls.key}}"
		else
			echo "http: {addr: \"$REG\"}"
		fi
		if [ -n "${1:-}" ]; then
			echo "auth: {htpasswd: {realm: berth-test, path: $1}}"
		fi
	} > "$TESTDIR/registry.yml"
	/usr/bin/docker-registry serve "$TESTDIR/registry.yml" > "$TESTDIR/registry.log" 2>&1 &
	REGPID=$!
	local k
	for k in $(seq 100); do
		curl -sk -o /dev/null "http${REGTLS:+s}://$REG/v2/" && return 0
		sleep 0.1
	done
	cat "$TESTDIR/registry.log" >&2
	return 1
}

start_bad_server() {
	python3 "$BATS_TEST_DIRNAME/registry-bad-server.py" > "$TESTDIR/bad.port" &
	BADPID=$!
	local k
	for k in $(seq 50); do
		[ -s "$TESTDIR/bad.port" ] && break
		sleep 0.1
	done
	BAD="127.0.0.1:$(cat "$TESTDIR/bad.port")"
}

# no blob, layer or staging file left in a store
store_empty() {
	[ -z "$(ls "$1/image/blobs/sha256" 2>/dev/null)" ]
	[ -z "$(ls "$1/image/tmp" 2>/dev/null)" ]
	[ -z "$(ls "$1/image/images" 2>/dev/null)" ]
}

@test "registry: push to docker-registry, pull into an empty store, run the pulled image" {
	start_registry
	b tag busybox "$REG/app:v1"
	run r1 push "$REG/app:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/app]" ]
	echo "$output" | grep -E '^[0-9a-f]{12}: Pushed$'
	echo "$output" | grep -E "^v1: digest: sha256:[0-9a-f]{64} size: [0-9]+$"
	digest=$(echo "$output" | sed -n 's/^v1: digest: \(sha256:[0-9a-f]*\) size.*/\1/p')
	# a second push finds every layer there
	run r1 push "$REG/app:v1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^[0-9a-f]{12}: Layer already exists$'

	run r2 pull "$REG/app:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "v1: Pulling from app" ]
	echo "$output" | grep -E '^[0-9a-f]{12}: Pull complete$'
	echo "$output" | grep -Fx "Digest: $digest"
	echo "$output" | grep -Fx "Status: Downloaded newer image for $REG/app:v1"
	[ "${lines[-1]}" = "$REG/app:v1" ]
	[ "$(b2 inspect -f '{{.Id}}' "$REG/app:v1")" = "$(b inspect -f '{{.Id}}' busybox)" ]
	run b2 run --rm "$REG/app:v1" echo pulled-and-ran
	[ "$status" -eq 0 ]
	[ "$output" = "pulled-and-ran" ]

	# again: nothing to fetch
	run r2 pull "$REG/app:v1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^[0-9a-f]{12}: Already exists$'
	echo "$output" | grep -Fx "Status: Image is up to date for $REG/app:v1"
	# -q: the name only
	run r2 pull -q "$REG/app:v1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/app:v1" ]
}

@test "registry: pull by digest; a short name goes to the default registry, by its Hub path" {
	start_registry
	b tag busybox "$REG/library/busybox:latest"
	r1 push "$REG/library/busybox:latest" > "$TESTDIR/push.out"
	digest=$(sed -n 's/^latest: digest: \(sha256:[0-9a-f]*\) size.*/\1/p' "$TESTDIR/push.out")
	run r2 pull "$REG/library/busybox@$digest"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$digest: Pulling from library/busybox" ]
	[ "${lines[-1]}" = "$REG/library/busybox@$digest" ]
	[ "$(b2 images -q --no-trunc)" = "$(b inspect -f '{{.Id}}' busybox)" ]
	run r2 pull "$REG/library/busybox@$digest"
	echo "$output" | grep -Fx "Status: Image is up to date for $REG/library/busybox@$digest"
	# a digest that is not there
	run r2 pull "$REG/library/busybox@sha256:$(printf '0%.0s' $(seq 64))"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]

	BERTH_DEFAULT_REGISTRY=$REG run r2 pull busybox
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Using default tag: latest" ]
	[ "${lines[1]}" = "latest: Pulling from library/busybox" ]
	[ "${lines[-1]}" = "docker.io/library/busybox:latest" ]
	run b2 run --rm busybox echo short-name
	[ "$output" = "short-name" ]
	# the same from berth's configuration file, with the environment's override empty
	b2 rmi busybox > /dev/null
	printf '{"default-registry": "%s"}' "$REG" > "$TESTDIR/berth.json"
	BERTH_DEFAULT_REGISTRY= BERTH_CONFIG="$TESTDIR/berth.json" run r2 pull -q busybox
	[ "$status" -eq 0 ]
	[ "$output" = "docker.io/library/busybox:latest" ]
}

@test "registry: a short name with the default registry on a closed port fails fast, nothing stored" {
	start=$(date +%s%N)
	run r2 pull alpine
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == "berth: pull alpine: GET http://127.0.0.1:1/v2/library/alpine/manifests/latest: "* ]]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]
	store_empty "$STORE2"
}

@test "registry: berth pulls what skopeo pushed (docker-archive, oci-archive) and an index" {
	command -v skopeo > /dev/null || skip "skopeo is not installed"
	start_registry
	b save -o "$TESTDIR/bb.tar" busybox
	b save --format oci-archive -o "$TESTDIR/bb-oci.tar" busybox
	skopeo copy -q --dest-tls-verify=false "docker-archive:$TESTDIR/bb.tar" "docker://$REG/sk/docker:1"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$TESTDIR/bb-oci.tar" "docker://$REG/sk/oci:1"
	# the same image as a Docker schema2 manifest in the same repository, for the index below
	skopeo copy -q --dest-tls-verify=false "docker-archive:$TESTDIR/bb.tar" "docker://$REG/sk/oci:other"
	run r2 pull "$REG/sk/docker:1"
	[ "$status" -eq 0 ]
	run r2 pull "$REG/sk/oci:1"
	[ "$status" -eq 0 ]
	run b2 run --rm "$REG/sk/docker:1" echo from-skopeo
	[ "$output" = "from-skopeo" ]

	# an index over the manifest skopeo pushed: this host's platform and one other
	m=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' -D "$TESTDIR/h" "http://$REG/v2/sk/oci/manifests/1")
	mt=$(echo "$m" | jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"')
	md="sha256:$(printf '%s' "$m" | sha256sum | cut -d' ' -f1)"
	ms=$(printf '%s' "$m" | wc -c)
	o=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/sk/oci/manifests/other")
	od="sha256:$(printf '%s' "$o" | sha256sum | cut -d' ' -f1)"
	os=$(printf '%s' "$o" | wc -c)
	arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
	jq -cn --arg mt "$mt" --arg d "$md" --argjson s "$ms" --arg a "$arch" --arg od "$od" --argjson os "$os" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
		{mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $od, size: $os, platform: {os: "linux", architecture: "s390x"}},
		{mediaType: $mt, digest: $d, size: $s, platform: {os: "linux", architecture: $a}}]}' > "$TESTDIR/index.json"
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$TESTDIR/index.json" "http://$REG/v2/sk/oci/manifests/multi"
	idx="sha256:$(sha256sum < "$TESTDIR/index.json" | cut -d' ' -f1)"
	run r2 pull "$REG/sk/oci:multi"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Fx "Digest: $idx"
	[ "$(b2 inspect -f '{{.Id}}' "$REG/sk/oci:multi")" = "$(b inspect -f '{{.Id}}' busybox)" ]
	[ "$(jq -r .manifest "$STORE2"/image/images/*.json | sort -u | grep -c "$md")" -ge 1 ]
	# another platform: the index's entry for it
	b2 rmi "$REG/sk/oci:multi" > /dev/null
	run r2 pull --platform linux/s390x "$REG/sk/oci:multi"
	[ "$status" -eq 0 ]
	grep -l "$od" "$STORE2"/image/images/*.json
	run r2 pull --platform linux/mips64 "$REG/sk/oci:multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no matching manifest for linux/mips64"* ]]
	run r2 pull --platform linux "$REG/sk/oci:multi"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid platform"* ]]
}

@test "registry: a wrong digest, a truncated blob, a huge manifest, a redirect loop: one line, exit 1, nothing stored" {
	start_bad_server
	run r2 pull -q "$BAD/wrongdigest"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: pull $BAD/wrongdigest: blob sha256:"*": its content has digest sha256:"* ]]
	store_empty "$STORE2"
	run r2 pull -q "$BAD/truncated"
	[ "$status" -eq 1 ]
	[[ "$output" == *"truncated"* ]]
	store_empty "$STORE2"
	run r2 pull -q "$BAD/big"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: pull $BAD/big: manifest latest: larger than 4 MiB" ]
	store_empty "$STORE2"
	run r2 pull -q "$BAD/loop"
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than 10 redirects"* ]]
	store_empty "$STORE2"
	# a manifest that is not what its digest says: asked by digest, or told by the registry
	zero="sha256:$(printf '0%.0s' $(seq 64))"
	run r2 pull -q "$BAD/any@$zero"
	[ "$status" -eq 1 ]
	[[ "$output" == "berth: pull $BAD/any@$zero: manifest $zero: its content has digest sha256:"* ]]
	run r2 pull -q "$BAD/liar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the registry says digest $zero, its content has sha256:"* ]]
	store_empty "$STORE2"
	# 503 (Retry-After: 1), 429, then an answer: retried, the first time after a second
	start=$(date +%s%N)
	run r2 pull -q "$BAD/flaky"
	[ "$status" -eq 0 ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 1000 ]
	run b2 inspect -f '{{json .Config.Cmd}}' "$BAD/flaky"
	[ "$output" = '["/hello"]' ]
}

@test "registry: a pull killed midway resumes without fetching its finished layers again" {
	start_bad_server
	regexec "$STORE2" "$RUNROOT2" pull "$BAD/stall" > "$TESTDIR/pull1.out" 2>&1 &
	local pid=$! k
	# the first layer lands in the store while the second hangs
	for k in $(seq 100); do
		grep -q 'Download complete' "$TESTDIR/pull1.out" && break
		sleep 0.1
	done
	grep -q 'Download complete' "$TESTDIR/pull1.out"
	kill -9 "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	start=$(date +%s%N)
	run r2 pull "$BAD/stall"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Already exists$')" -eq 1 ]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 1 ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 10000 ]
	# both layers, their DiffIDs checked by the store
	[ "$(b2 inspect -f '{{len .RootFS.Layers}}' "$BAD/stall")" = 2 ]
}

@test "registry: Bearer tokens from the WWW-Authenticate challenge; a failing token endpoint" {
	start_bad_server
	# anonymous: the token endpoint gives a token the registry refuses
	run r2 pull -q "$BAD/tokened"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized"* ]]
	store_empty "$STORE2"
	mkdir -p "$DOCKER_CONFIG"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$BAD" "$(printf alice:pw | base64)" > "$DOCKER_CONFIG/config.json"
	run r2 pull "$BAD/tokened"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$BAD/tokened:latest" ]
	run r2 pull -q "$BAD/tokenfail"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"token from http://$BAD/tokenfail: HTTP 500"* ]]
}

@test "registry: layers in common are sent and fetched once, mounted across repositories; several at once" {
	start_registry
	b run --name c1 busybox sh -c 'echo one > /one'
	b commit c1 "$REG/multi:1" > /dev/null
	b run --name c2 "$REG/multi:1" sh -c 'echo two > /two'
	b commit c2 "$REG/multi:2" > /dev/null
	r1 push "$REG/multi:1" > /dev/null
	run r1 push "$REG/multi:2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Layer already exists$')" -eq 2 ]
	[ "$(echo "$output" | grep -c ': Pushed$')" -eq 1 ]
	# another repository of the registry: mounted from the one that has the layers
	b tag "$REG/multi:2" "$REG/other/copy:2"
	run r1 push "$REG/other/copy:2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Mounted from multi$')" -eq 3 ]
	[ "$(curl -s "http://$REG/v2/other/copy/manifests/2" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | jq -r .config.digest)" = "$(b inspect -f '{{.Id}}' "$REG/multi:2")" ]
	run r2 pull "$REG/multi:1"
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 2 ]
	run r2 pull "$REG/multi:2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Already exists$')" -eq 2 ]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 1 ]
	run b2 run --rm "$REG/multi:2" cat /one /two
	[ "$output" = "$(printf 'one\ntwo')" ]
	# a third, empty store: three layers at once
	run regverb "$TESTDIR/root3" "$TESTDIR/run3" pull "$REG/multi:2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Download complete$')" -eq 3 ]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 3 ]
}

@test "registry: pull -a pulls every tag, along the tag list's pages" {
	start_registry
	b tag busybox "$REG/tags:a"
	b tag busybox "$REG/tags:b"
	r1 push -q "$REG/tags:a" > /dev/null
	r1 push -q "$REG/tags:b" > /dev/null
	run r2 pull -a "$REG/tags"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Fx "a: Pulling from tags"
	echo "$output" | grep -Fx "b: Pulling from tags"
	[ "${lines[-2]}" = "Status: Downloaded newer image for $REG/tags" ]
	[ "${lines[-1]}" = "$REG/tags" ]
	[ "$(b2 inspect -f '{{.Id}}' "$REG/tags:a")" = "$(b2 inspect -f '{{.Id}}' "$REG/tags:b")" ]
	run r2 pull -a "$REG/tags"
	[ "${lines[-2]}" = "Status: Image is up to date for $REG/tags" ]
	run r2 pull -a -q "$REG/tags"
	[ "$output" = "$REG/tags" ]

	start_bad_server
	run r2 pull -a "$BAD/paged"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Fx "one: Pulling from paged"
	echo "$output" | grep -Fx "two: Pulling from paged"
	b2 inspect "$BAD/paged:one" "$BAD/paged:two" > /dev/null
}

@test "registry: a layer over 64 MiB is pushed in chunks (POST, PATCH, PATCH, PUT)" {
	REGLOG=info start_registry
	mkdir "$TESTDIR/bigroot"
	head -c $((70 << 20)) /dev/urandom > "$TESTDIR/bigroot/big"
	tar -C "$TESTDIR/bigroot" -cf "$TESTDIR/big.tar" big
	rm -rf "$TESTDIR/bigroot"
	b import "$TESTDIR/big.tar" "$REG/big:1" > /dev/null
	rm "$TESTDIR/big.tar"
	run r1 push "$REG/big:1"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'http.request.method=PATCH' "$TESTDIR/registry.log")" -eq 2 ]
	run r2 pull -q "$REG/big:1"
	[ "$status" -eq 0 ]
	[ "$(b2 inspect -f '{{.Id}}' "$REG/big:1")" = "$(b inspect -f '{{.Id}}' "$REG/big:1")" ]
}

@test "registry: login and logout with htpasswd on docker-registry; pull and push need them" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	start_registry "$TESTDIR/htpasswd"
	b tag busybox "$REG/priv:1"
	run r1 push "$REG/priv:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized"* ]]
	run r1 login -u alice --password-stdin "$REG" <<< "wrong"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized: incorrect username or password"* ]]
	[ ! -e "$DOCKER_CONFIG/config.json" ]
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
	[ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$DOCKER_CONFIG/config.json" | base64 -d)" = "alice:s3cret" ]
	run r1 push "$REG/priv:1"
	[ "$status" -eq 0 ]
	run r2 pull "$REG/priv:1"
	[ "$status" -eq 0 ]
	run r1 logout "$REG"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $REG" ]
	[ "$(jq -r --arg r "$REG" '.auths[$r]' "$DOCKER_CONFIG/config.json")" = null ]
	run r1 logout "$REG"
	[ "$output" = "Not logged in to $REG" ]
	run r2 pull "$REG/priv:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized"* ]]
}

@test "registry: TLS on a loopback registry (self-signed, as docker treats insecure ones) with htpasswd" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	REGTLS=1 start_registry "$TESTDIR/htpasswd"
	# the registry answers only TLS
	run curl -s "http://$REG/v2/"
	[[ "$output" == *"HTTPS"* ]]
	r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	b tag busybox "$REG/tls:1"
	run r1 push "$REG/tls:1"
	[ "$status" -eq 0 ]
	run r2 pull -q "$REG/tls:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/tls:1" ]
}

@test "registry: bad usage is refused" {
	run r2 pull
	[ "$status" -eq 125 ]
	run r2 pull -a busybox:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"tag can't be used with --all-tags/-a"* ]]
	run r2 pull 'UPPER/Case'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid reference format"* ]]
	run r1 push nosuch:tag
	[ "$status" -eq 1 ]
	[[ "$output" == *"an image does not exist locally with the tag: nosuch"* ]]
	run r1 login -u bob 127.0.0.1:1 < /dev/null
	[ "$status" -eq 125 ]
}
