#!/usr/bin/env bats
# berth registry serve: an OCI distribution-spec registry on 127.0.0.1, driven with curl and
# skopeo (blobs monolithic and chunked, manifests, tags, catalog, referrers, the spec's
# errors, Basic auth over TLS, read-only), and berth registry gc

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	SRVPID=
	DRPID=
	REGROOT="$TESTDIR/registry"
}

teardown() {
	# the server a test started, by its PID
	[ -n "$SRVPID" ] && kill "$SRVPID" 2>/dev/null && wait "$SRVPID" 2>/dev/null || true
	[ -n "$DRPID" ] && kill "$DRPID" 2>/dev/null && wait "$DRPID" 2>/dev/null || true
	engine_teardown
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# starts the server on a free loopback port with extra flags; U is its base URL
serve() {
	PORT=$(free_port)
	local scheme=http
	[[ " $* " == *" --tls-cert "* ]] && scheme=https
	U="$scheme://127.0.0.1:$PORT"
	# exec'd, so that SRVPID is the server itself (berth execs berth-registry in place), and
	# away from bats' fd 3, which bats waits on
	(exec "$BERTH" --root "$STORE" --runroot "$RUNROOT" registry serve --addr "127.0.0.1:$PORT" \
		--root "$REGROOT" "$@" 2> "$TESTDIR/serve.log" 3>&-) &
	SRVPID=$!
	local k
	for k in $(seq 100); do
		curl -sk -o /dev/null "$U/v2/" && return 0
		kill -0 "$SRVPID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$TESTDIR/serve.log" >&2
	return 1
}

sha() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# status code of a curl request
code() {
	curl -s -o "$TESTDIR/body" -w '%{http_code}' "$@"
}

# pushes file $2 as a blob of repository $1, monolithically
push_blob() {
	[ "$(code -X POST --data-binary @"$2" -H 'Content-Type: application/octet-stream' \
		"$U/v2/$1/blobs/uploads/?digest=$(sha "$2")")" = 201 ]
}

# an image manifest in $TESTDIR/m.json naming config $1 and layer $2 (files)
make_manifest() {
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
		"$(sha "$1")" "$(stat -c %s "$1")" "$(sha "$2")" "$(stat -c %s "$2")" > "$TESTDIR/m.json"
}

put_manifest() { # repo ref file
	code -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary @"$3" "$U/v2/$1/manifests/$2"
}

@test "registry serve: /v2/, blobs monolithic and chunked, HEAD, Range" {
	serve
	run curl -si "$U/v2/"
	[[ "$output" == *"200 OK"* ]]
	[[ "$output" == *"Docker-Distribution-API-Version: registry/2.0"* ]]

	head -c 100000 /dev/urandom > "$TESTDIR/blob"
	push_blob lib/x "$TESTDIR/blob"
	D=$(sha "$TESTDIR/blob")
	curl -sf "$U/v2/lib/x/blobs/$D" -o "$TESTDIR/got"
	cmp "$TESTDIR/blob" "$TESTDIR/got"
	run curl -sI "$U/v2/lib/x/blobs/$D"
	[[ "$output" == *"Content-Length: 100000"* ]]
	[[ "$output" == *"Docker-Content-Digest: $D"* ]]
	run curl -s -H 'Range: bytes=10-19' -w ' %{http_code}' "$U/v2/lib/x/blobs/$D"
	[ "${output##* }" = 206 ]
	[ "$(curl -s -H 'Range: bytes=10-19' "$U/v2/lib/x/blobs/$D" | od -An -tx1)" = "$(tail -c +11 "$TESTDIR/blob" | head -c 10 | od -An -tx1)" ]
	[ "$(code -H 'Range: bytes=200000-' "$U/v2/lib/x/blobs/$D")" = 416 ]

	# chunked: POST, PATCH, PATCH, status, PUT with the last chunk
	head -c 3000 "$TESTDIR/blob" > "$TESTDIR/c1"
	tail -c +3001 "$TESTDIR/blob" | head -c 5000 > "$TESTDIR/c2"
	tail -c +8001 "$TESTDIR/blob" > "$TESTDIR/c3"
	loc=$(curl -si -X POST "$U/v2/lib/y/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}')
	[ -n "$loc" ]
	run curl -si -X PATCH -H 'Content-Type: application/octet-stream' -H 'Content-Range: 0-2999' --data-binary @"$TESTDIR/c1" "$U$loc"
	[[ "$output" == *"202 Accepted"* ]]
	[[ "$output" == *"Range: 0-2999"* ]]
	run curl -si -X PATCH -H 'Content-Type: application/octet-stream' -H 'Content-Range: 3000-7999' --data-binary @"$TESTDIR/c2" "$U$loc"
	[[ "$output" == *"Range: 0-7999"* ]]
	run curl -si "$U$loc"
	[[ "$output" == *"204 No Content"* ]]
	[[ "$output" == *"Range: 0-7999"* ]]
	# no blob yet: the session is invisible until committed
	[ "$(code "$U/v2/lib/y/blobs/$D")" = 404 ]
	[ "$(code -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$TESTDIR/c3" "$U$loc?digest=$D")" = 201 ]
	curl -sf "$U/v2/lib/y/blobs/$D" | cmp - "$TESTDIR/blob"
	# the session is gone
	[ "$(code "$U$loc")" = 404 ]
	grep -q '"GET /v2/lib/y/blobs/' "$TESTDIR/serve.log"
}

@test "registry serve: manifests by tag and digest, tags pagination, catalog, delete" {
	serve
	echo '{"architecture":"amd64","os":"linux"}' > "$TESTDIR/cfg"
	echo layer > "$TESTDIR/layer"
	push_blob app "$TESTDIR/cfg"
	push_blob app "$TESTDIR/layer"
	make_manifest "$TESTDIR/cfg" "$TESTDIR/layer"
	MD=$(sha "$TESTDIR/m.json")
	[ "$(put_manifest app v1 "$TESTDIR/m.json")" = 201 ]
	run curl -si "$U/v2/app/manifests/v1"
	[[ "$output" == *"Content-Type: application/vnd.oci.image.manifest.v1+json"* ]]
	[[ "$output" == *"Docker-Content-Digest: $MD"* ]]
	curl -sf "$U/v2/app/manifests/$MD" | cmp - "$TESTDIR/m.json"
	run curl -sI "$U/v2/app/manifests/v1"
	[[ "$output" == *"Content-Length: $(stat -c %s "$TESTDIR/m.json")"* ]]
	for t in a b c d; do [ "$(put_manifest app $t "$TESTDIR/m.json")" = 201 ]; done
	[ "$(put_manifest app "$MD" "$TESTDIR/m.json")" = 201 ]

	run curl -si "$U/v2/app/tags/list?n=2"
	[[ "$output" == *'{"name":"app","tags":["a","b"]}'* ]]
	[[ "$output" == *'Link: </v2/app/tags/list?n=2&last=b>; rel="next"'* ]]
	[ "$(curl -s "$U/v2/app/tags/list?n=2&last=b")" = '{"name":"app","tags":["c","d"]}' ]
	run curl -si "$U/v2/app/tags/list?n=2&last=d"
	[[ "$output" == *'"tags":["v1"]'* ]]
	[[ "$output" != *"Link:"* ]]
	push_blob other/one "$TESTDIR/cfg"
	[ "$(curl -s "$U/v2/_catalog")" = '{"repositories":["app","other/one"]}' ]
	[ "$(curl -s "$U/v2/_catalog?n=1")" = '{"repositories":["app"]}' ]

	[ "$(code -X DELETE "$U/v2/app/manifests/a")" = 202 ]
	[ "$(code "$U/v2/app/manifests/a")" = 404 ]
	[ "$(code -X DELETE "$U/v2/app/manifests/$MD")" = 202 ]
	[ "$(code "$U/v2/app/manifests/v1")" = 404 ]
	grep -q MANIFEST_UNKNOWN "$TESTDIR/body"
	[ "$(curl -s "$U/v2/app/tags/list")" = '{"name":"app","tags":[]}' ]
	[ "$(code -X DELETE "$U/v2/app/blobs/$(sha "$TESTDIR/layer")")" = 202 ]
	[ "$(code "$U/v2/app/blobs/$(sha "$TESTDIR/layer")")" = 404 ]
	grep -q BLOB_UNKNOWN "$TESTDIR/body"
}

@test "registry serve: cross-repository mount and the referrers API" {
	serve
	echo '{"architecture":"amd64","os":"linux"}' > "$TESTDIR/cfg"
	echo layer > "$TESTDIR/layer"
	push_blob src "$TESTDIR/cfg"
	push_blob src "$TESTDIR/layer"
	LD=$(sha "$TESTDIR/layer")
	run curl -si -X POST "$U/v2/dst/blobs/uploads/?mount=$LD&from=src"
	[[ "$output" == *"201 Created"* ]]
	[[ "$output" == *"Location: /v2/dst/blobs/$LD"* ]]
	[ "$(code "$U/v2/dst/blobs/$LD")" = 200 ]
	# not in the source: a session instead
	run curl -si -X POST "$U/v2/dst/blobs/uploads/?mount=sha256:$(printf '%064d' 0)&from=src"
	[[ "$output" == *"202 Accepted"* ]]

	make_manifest "$TESTDIR/cfg" "$TESTDIR/layer"
	MD=$(sha "$TESTDIR/m.json")
	[ "$(put_manifest src v1 "$TESTDIR/m.json")" = 201 ]
	printf '{}' > "$TESTDIR/empty"
	push_blob src "$TESTDIR/empty"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-sig","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d},"annotations":{"k":"v"}}' \
		"$(sha "$TESTDIR/empty")" "$MD" "$(stat -c %s "$TESTDIR/m.json")" > "$TESTDIR/r.json"
	RD=$(sha "$TESTDIR/r.json")
	run curl -si -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$TESTDIR/r.json" "$U/v2/src/manifests/$RD"
	[[ "$output" == *"201 Created"* ]]
	[[ "$output" == *"OCI-Subject: $MD"* ]]
	run curl -si "$U/v2/src/referrers/$MD"
	[[ "$output" == *"Content-Type: application/vnd.oci.image.index.v1+json"* ]]
	[ "$(curl -s "$U/v2/src/referrers/$MD" | jq -r '.manifests[0].digest, .manifests[0].artifactType, .manifests[0].annotations.k')" = "$RD
application/x-sig
v" ]
	run curl -si "$U/v2/src/referrers/$MD?artifactType=application/x-other"
	[[ "$output" == *"OCI-Filters-Applied: artifactType"* ]]
	[[ "$output" == *'"manifests":[]'* ]]
	[ "$(curl -s "$U/v2/src/referrers/$LD" | jq '.manifests | length')" = 0 ]
}

@test "registry serve: bad names, bad digests, wrong content, missing blobs, chunks out of order" {
	serve
	echo hello > "$TESTDIR/blob"
	D=$(sha "$TESTDIR/blob")
	[ "$(code "$U/v2/UPPER/blobs/$D")" = 400 ]
	grep -q NAME_INVALID "$TESTDIR/body"
	[ "$(code --path-as-is "$U/v2/a/../b/blobs/$D")" = 400 ]
	[ "$(code --path-as-is "$U/v2/a/../../etc/blobs/$D")" = 400 ]
	[ "$(code "$U/v2/a_/blobs/$D")" = 400 ]
	[ "$(code "$U/v2/ok/blobs/sha256:xyz")" = 400 ]
	grep -q DIGEST_INVALID "$TESTDIR/body"
	[ "$(code "$U/v2/ok/blobs/md5:$(printf '%032d' 0)")" = 400 ]
	# a tag that cannot be: nothing to find (distribution's 404), nothing to push under
	[ "$(code "$U/v2/ok/manifests/.bad")" = 404 ]
	[ "$(code -X PUT --data-binary '{}' "$U/v2/ok/manifests/.bad")" = 400 ]
	grep -q TAG_INVALID "$TESTDIR/body"
	# content that is not the digest: refused, and nothing stored
	[ "$(code -X POST --data-binary 'other' "$U/v2/ok/blobs/uploads/?digest=$D")" = 400 ]
	grep -q DIGEST_INVALID "$TESTDIR/body"
	[ "$(code "$U/v2/ok/blobs/$D")" = 404 ]
	[ -z "$(ls "$REGROOT/blobs/sha256")" ]
	[ -z "$(ls "$REGROOT/uploads")" ]
	# a manifest whose blobs the registry lacks
	echo '{}' > "$TESTDIR/cfg"
	push_blob ok "$TESTDIR/cfg"
	make_manifest "$TESTDIR/cfg" "$TESTDIR/blob"
	[ "$(put_manifest ok v1 "$TESTDIR/m.json")" = 400 ]
	grep -q MANIFEST_BLOB_UNKNOWN "$TESTDIR/body"
	[ "$(code "$U/v2/ok/manifests/v1")" = 404 ]
	# not JSON; a digest reference that is not the content's
	echo 'nope' > "$TESTDIR/bad.json"
	[ "$(put_manifest ok v2 "$TESTDIR/bad.json")" = 400 ]
	grep -q MANIFEST_INVALID "$TESTDIR/body"
	push_blob ok "$TESTDIR/blob"
	[ "$(put_manifest ok "$D" "$TESTDIR/m.json")" = 400 ]
	grep -q DIGEST_INVALID "$TESTDIR/body"
	# over 4 MiB
	head -c $((4 * 1024 * 1024 + 1)) /dev/zero > "$TESTDIR/big.json"
	[ "$(put_manifest ok v3 "$TESTDIR/big.json")" = 413 ]
	# chunks out of order: 416, and the session keeps what it had
	loc=$(curl -si -X POST "$U/v2/ok/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}')
	[ "$(code -X PATCH -H 'Content-Range: 0-2' --data-binary abc "$U$loc")" = 202 ]
	[ "$(code -X PATCH -H 'Content-Range: 5-7' --data-binary def "$U$loc")" = 416 ]
	run curl -si "$U$loc"
	[[ "$output" == *"Range: 0-2"* ]]
	# unknown sessions, and another repository's
	[ "$(code "$U/v2/ok/blobs/uploads/$(printf '%032d' 0)")" = 404 ]
	grep -q BLOB_UPLOAD_UNKNOWN "$TESTDIR/body"
	[ "$(code "$U/v2/other/blobs/uploads/${loc##*/}")" = 404 ]
	[ "$(code -X DELETE "$U$loc")" = 204 ]
	[ "$(code "$U$loc")" = 404 ]
	# the server is still up
	[ "$(code "$U/v2/")" = 200 ]
}

@test "registry serve: Basic auth from htpasswd (bcrypt) over TLS, read-only" {
	htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTDIR/key.pem" -out "$TESTDIR/cert.pem" \
		-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2> /dev/null
	serve --htpasswd "$TESTDIR/htpasswd" --tls-cert "$TESTDIR/cert.pem" --tls-key "$TESTDIR/key.pem"
	run curl -si --cacert "$TESTDIR/cert.pem" "$U/v2/"
	[[ "$output" == *"401 Unauthorized"* ]]
	[[ "$output" == *'WWW-Authenticate: Basic realm="berth-registry"'* ]]
	[[ "$output" == *UNAUTHORIZED* ]]
	[ "$(code --cacert "$TESTDIR/cert.pem" -u alice:wrong "$U/v2/")" = 401 ]
	[ "$(code --cacert "$TESTDIR/cert.pem" -u alice:s3cret "$U/v2/")" = 200 ]
	echo x > "$TESTDIR/blob"
	[ "$(code --cacert "$TESTDIR/cert.pem" -u alice:s3cret -X POST --data-binary @"$TESTDIR/blob" "$U/v2/r/blobs/uploads/?digest=$(sha "$TESTDIR/blob")")" = 201 ]
	grep -q '127.0.0.1 alice .*"POST /v2/r/blobs/uploads/" 201' "$TESTDIR/serve.log"
	kill "$SRVPID"
	wait "$SRVPID" || true # cleanup: killed, its status is the signal

	serve --read-only
	[ "$(code -X POST "$U/v2/r/blobs/uploads/")" = 405 ]
	grep -q UNSUPPORTED "$TESTDIR/body"
	[ "$(code "$U/v2/r/blobs/$(sha "$TESTDIR/blob")")" = 200 ]
}

@test "registry serve: bad flags are refused with one line" {
	run -125 b registry serve --addr nohost:5000 --root "$REGROOT"
	[[ "$output" == *"numeric address"* ]]
	run -125 b registry serve --tls-cert /nonexistent --root "$REGROOT" --addr 127.0.0.1:1
	[[ "$output" == *"give both --tls-cert and --tls-key"* ]]
	echo 'bob:$apr1$xyz$abc' > "$TESTDIR/htpasswd"
	run -125 b registry serve --htpasswd "$TESTDIR/htpasswd" --addr 127.0.0.1:1 --root "$REGROOT"
	[[ "$output" == *"only bcrypt"* ]]
	run -125 b registry serve --bogus
	[[ "$output" == *"unknown argument --bogus"* ]]
}

@test "registry serve: skopeo copies an image in (OCI layout and docker archive) and out again" {
	command -v skopeo || skip "skopeo is not installed"
	serve
	b save --format oci-archive -o "$TESTDIR/oci.tar" busybox
	b save -o "$TESTDIR/docker.tar" busybox
	skopeo copy --quiet --dest-tls-verify=false "oci-archive:$TESTDIR/oci.tar" "docker://127.0.0.1:$PORT/lib/busybox:oci"
	skopeo copy --quiet --dest-tls-verify=false "docker-archive:$TESTDIR/docker.tar" "docker://127.0.0.1:$PORT/lib/busybox:docker"
	[ "$(curl -s "$U/v2/lib/busybox/tags/list")" = '{"name":"lib/busybox","tags":["docker","oci"]}' ]
	skopeo copy --quiet --src-tls-verify=false "docker://127.0.0.1:$PORT/lib/busybox:oci" "dir:$TESTDIR/out"
	skopeo copy --quiet --src-tls-verify=false "docker://127.0.0.1:$PORT/lib/busybox:docker" "oci:$TESTDIR/out-oci:x"
	# the layer came back byte for byte, verified by skopeo's digests
	layer=$(jq -r '.layers[0].digest' "$TESTDIR/out/manifest.json")
	[ -s "$TESTDIR/out/${layer#sha256:}" ]
	run skopeo inspect --tls-verify=false "docker://127.0.0.1:$PORT/lib/busybox:oci"
	[[ "$output" == *'"Architecture"'* ]]
	# and back into berth
	b load -i "$TESTDIR/docker.tar" > /dev/null
}

@test "registry gc: removes blobs nothing references, keeps the rest" {
	serve
	echo '{}' > "$TESTDIR/cfg"
	echo layer > "$TESTDIR/layer"
	echo orphan > "$TESTDIR/orphan"
	push_blob app "$TESTDIR/cfg"
	push_blob app "$TESTDIR/layer"
	push_blob app "$TESTDIR/orphan"
	make_manifest "$TESTDIR/cfg" "$TESTDIR/layer"
	[ "$(put_manifest app v1 "$TESTDIR/m.json")" = 201 ]
	[ "$(code -X DELETE "$U/v2/app/blobs/$(sha "$TESTDIR/orphan")")" = 202 ]
	run -0 b registry gc --root "$REGROOT"
	[ "$output" = "removed 1 blobs, $(stat -c %s "$TESTDIR/orphan") bytes" ]
	[ ! -e "$REGROOT/blobs/sha256/$(sha256sum "$TESTDIR/orphan" | cut -d' ' -f1)" ]
	curl -sf "$U/v2/app/manifests/v1" > /dev/null
	curl -sf "$U/v2/app/blobs/$(sha "$TESTDIR/layer")" | cmp - "$TESTDIR/layer"
}

@test "registry serve: a slow client does not stall others; 200 clients at once" {
	serve
	head -c 1000000 /dev/urandom > "$TESTDIR/blob"
	push_blob big "$TESTDIR/blob"
	# a client that opens a connection, sends half a request and waits
	exec 9<> "/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /v2/big/blobs/%s HTTP/1.1\r\nHost: x\r\n' "$(sha "$TESTDIR/blob")" >&9
	# an upload that stops half-way
	(printf 'POST /v2/big/blobs/uploads/?digest=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc' "$(sha "$TESTDIR/blob")"; sleep 30) > "/dev/tcp/127.0.0.1/$PORT" &
	local slow=$!
	# 200 clients at once, past the stalled ones: every one gets the whole blob
	for i in $(seq 200); do
		printf 'url = %s\noutput = %s\n' "$U/v2/big/blobs/$(sha "$TESTDIR/blob")" "$TESTDIR/got.$i"
	done > "$TESTDIR/urls"
	start=$(date +%s%N)
	run curl -s -Z --parallel-max 200 -K "$TESTDIR/urls" -w '%{http_code}\n'
	[ "$(echo "$output" | grep -c '^200$')" = 200 ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 20000 ]
	for i in 1 100 200; do cmp "$TESTDIR/blob" "$TESTDIR/got.$i"; done
	kill "$slow"
	exec 9>&-
	[ "$(code "$U/v2/")" = 200 ]
	# the half upload left nothing behind once it was cut
	sleep 0.3
	[ "$(ls "$REGROOT/blobs/sha256" | wc -l)" = 1 ]
}

@test "registry serve: skopeo gives berth's server and docker-registry the same image, byte for byte" {
	command -v skopeo || skip "skopeo is not installed"
	command -v docker-registry || skip "docker-registry is not installed"
	serve
	DRPORT=$(free_port)
	cat > "$TESTDIR/dr.yml" <<-EOF
	version: 0.1
	log:
	  level: error
	  accesslog:
	    disabled: true
	storage:
	  filesystem:
	    rootdirectory: $TESTDIR/dr
	http:
	  addr: 127.0.0.1:$DRPORT
	EOF
	docker-registry serve "$TESTDIR/dr.yml" 2> "$TESTDIR/dr.log" 3>&- &
	DRPID=$!
	for k in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$DRPORT/v2/" && break
		sleep 0.05
	done
	b save --format oci-archive -o "$TESTDIR/oci.tar" busybox
	skopeo copy --quiet --dest-tls-verify=false "oci-archive:$TESTDIR/oci.tar" "docker://127.0.0.1:$PORT/x:1"
	skopeo copy --quiet --dest-tls-verify=false "oci-archive:$TESTDIR/oci.tar" "docker://127.0.0.1:$DRPORT/x:1"
	# from one registry to the other, both ways
	skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://127.0.0.1:$PORT/x:1" "docker://127.0.0.1:$DRPORT/y:1"
	skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://127.0.0.1:$DRPORT/x:1" "docker://127.0.0.1:$PORT/y:1"
	accept='Accept: application/vnd.oci.image.manifest.v1+json'
	for r in x y; do
		a=$(curl -s -H "$accept" "$U/v2/$r/manifests/1" | sha256sum)
		d=$(curl -s -H "$accept" "http://127.0.0.1:$DRPORT/v2/$r/manifests/1" | sha256sum)
		[ "$a" = "$d" ]
	done
	h1=$(curl -sI "$U/v2/x/manifests/1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')
	h2=$(curl -sI -H "$accept" "http://127.0.0.1:$DRPORT/v2/x/manifests/1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')
	[ -n "$h1" ]
	[ "$h1" = "$h2" ]
}
