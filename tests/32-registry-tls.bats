#!/usr/bin/env bats
# The registry client's TLS and configuration: per-registry CAs and client certificates in
# docker's certs.d layout (the directory named by berth.json's "certs-dir"), registry
# mirrors, docker's credential helpers, and `push NAME DEST`. Every server is Debian's
# docker-registry on 127.0.0.1, started by the test and killed by its PID in teardown; short
# names go to BERTH_DEFAULT_REGISTRY, never to docker.io.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	REGPIDS=()
	export DOCKER_CONFIG="$TESTDIR/docker"
	export BERTH_DEFAULT_REGISTRY=127.0.0.1:1
	STORE2="$TESTDIR/root2"
	RUNROOT2="$TESTDIR/run2"
	CERTS="$TESTDIR/certs.d"
	PKI="$TESTDIR/pki"
	mkdir -p "$CERTS" "$PKI"
	export BERTH_CONFIG="$TESTDIR/berth.json"
	echo "{\"certs-dir\": \"$CERTS\"}" > "$BERTH_CONFIG"
}

teardown() {
	local p
	for p in "${REGPIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for id in $(b2 ps -aq --no-trunc 2>/dev/null); do
		b2 rm -f "$id" > /dev/null 2>&1 || true
	done
	engine_teardown
}

r1() { "$BERTH" --root "$STORE" --runroot "$RUNROOT" "$@"; }
r2() { "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" "$@"; }
b2() { "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" "$@"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# make_ca NAME: a self-signed CA, $PKI/NAME.crt and $PKI/NAME.key
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth test $1" \
		-keyout "$PKI/$1.key" -out "$PKI/$1.crt" 2> /dev/null
}

# make_cert CA NAME EXT: a certificate for NAME signed by CA, with the extensions EXT
make_cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$PKI/$2.key" \
		-out "$PKI/$2.csr" 2> /dev/null
	printf '%b\n' "$3" > "$PKI/$2.ext"
	openssl x509 -req -in "$PKI/$2.csr" -CA "$PKI/$1.crt" -CAkey "$PKI/$1.key" \
		-CAcreateserial -days 2 -extfile "$PKI/$2.ext" -out "$PKI/$2.crt" 2> /dev/null
}

# start_tls_registry [clientcas]: docker-registry over TLS (a server certificate for
# 127.0.0.1 signed by $PKI/ca) with htpasswd Basic auth (alice, s3cret) on 127.0.0.1:$PORT;
# with an argument, it asks for a client certificate signed by that CA
start_tls_registry() {
	[ -f "$PKI/ca.crt" ] || make_ca ca
	[ -f "$PKI/server.crt" ] || make_cert ca server 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'
	[ -f "$TESTDIR/htpasswd" ] || htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	PORT=$(free_port)
	REG="127.0.0.1:$PORT"
	local tls="certificate: $PKI/server.crt, key: $PKI/server.key"
	[ -n "${1:-}" ] && tls="$tls, clientcas: [$1]"
	{
		echo "version: 0.1"
		echo "log: {level: error}"
		echo "storage: {filesystem: {rootdirectory: $TESTDIR/registry-$PORT}}"
		echo "http: {addr: \"$REG\", tls: {$tls}}"
		echo "auth: {htpasswd: {realm: berth-test, path: $TESTDIR/htpasswd}}"
	} > "$TESTDIR/registry-$PORT.yml"
	/usr/bin/docker-registry serve "$TESTDIR/registry-$PORT.yml" > "$TESTDIR/registry-$PORT.log" 2>&1 &
	REGPIDS+=($!)
	local k
	for k in $(seq 100); do
		# anything but "could not connect" (7): the server is up
		curl -sk -o /dev/null "https://$REG/v2/" && return 0
		[ $? -ne 7 ] && return 0
		sleep 0.1
	done
	cat "$TESTDIR/registry-$PORT.log" >&2
	return 1
}

# start_plain_registry [htpasswd-file]: docker-registry over plain HTTP on 127.0.0.1:$PORT
start_plain_registry() {
	PORT=$(free_port)
	REG="127.0.0.1:$PORT"
	{
		echo "version: 0.1"
		echo "log: {level: error}"
		echo "storage: {filesystem: {rootdirectory: $TESTDIR/registry-$PORT}}"
		echo "http: {addr: \"$REG\"}"
		[ -z "${1:-}" ] || echo "auth: {htpasswd: {realm: berth-test, path: $1}}"
	} > "$TESTDIR/registry-$PORT.yml"
	/usr/bin/docker-registry serve "$TESTDIR/registry-$PORT.yml" > "$TESTDIR/registry-$PORT.log" 2>&1 &
	REGPIDS+=($!)
	local k
	for k in $(seq 100); do
		curl -s -o /dev/null "http://$REG/v2/" && return 0
		sleep 0.1
	done
	cat "$TESTDIR/registry-$PORT.log" >&2
	return 1
}

@test "tls: a certs.d CA verifies a TLS registry: login, push, pull, run; a wrong CA fails" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	start_tls_registry
	mkdir "$CERTS/$REG"
	cp "$PKI/ca.crt" "$CERTS/$REG/ca.crt"
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	b tag busybox "$REG/tls/app:v1"
	run r1 push "$REG/tls/app:v1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^[0-9a-f]{12}: Pushed$'
	run r2 pull "$REG/tls/app:v1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Fx "Status: Downloaded newer image for $REG/tls/app:v1"
	run b2 run --rm "$REG/tls/app:v1" echo verified-tls
	[ "$status" -eq 0 ]
	[ "$output" = "verified-tls" ]

	# another CA in certs.d: the loopback registry is no longer insecure, so its
	# certificate is checked, and fails
	make_ca other
	cp "$PKI/other.crt" "$CERTS/$REG/ca.crt"
	run r2 pull "$REG/tls/app:v1"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "berth: pull $REG/tls/app:v1: "*"TLS certificate verification failed"* ]]
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 1 ]
	[[ "$output" == *"TLS certificate verification failed"* ]]

	# no certs.d directory for it: a loopback registry is insecure (docker's default), TLS
	# without checking the certificate
	rm -r "${CERTS:?}/$REG"
	run r2 pull -q "$REG/tls/app:v1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/tls/app:v1" ]
}

@test "tls: each .crt of certs.d adds a CA; a CA file that is not PEM is refused" {
	start_tls_registry
	mkdir "$CERTS/$REG"
	# a CA file with other CAs before it: each .crt adds to the list
	make_ca other
	cp "$PKI/other.crt" "$CERTS/$REG/a-other.crt"
	cp "$PKI/ca.crt" "$CERTS/$REG/b-ca.crt"
	run r2 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	echo "not a certificate" > "$CERTS/$REG/c-bad.crt"
	run r2 pull "$REG/x:1"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "berth: pull $REG/x:1: $REG: certs.d CA $CERTS/$REG/c-bad.crt: no PEM certificate in it" ]
}

@test "tls: client certificates from certs.d for a registry that requires them" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	make_ca ca
	make_ca clientca
	make_cert clientca client 'extendedKeyUsage=clientAuth'
	start_tls_registry "$PKI/clientca.crt"
	mkdir "$CERTS/$REG"
	cp "$PKI/ca.crt" "$CERTS/$REG/ca.crt"
	cp "$PKI/client.crt" "$CERTS/$REG/client.cert"
	cp "$PKI/client.key" "$CERTS/$REG/client.key"
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	b tag busybox "$REG/mtls:1"
	run r1 push "$REG/mtls:1"
	[ "$status" -eq 0 ]
	run r2 pull -q "$REG/mtls:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/mtls:1" ]
	# no CA: the loopback registry is insecure again, and still gets the client certificate
	mv "$CERTS/$REG/ca.crt" "$PKI/saved.crt"
	run r2 pull -q "$REG/mtls:1"
	[ "$status" -eq 0 ]
	mv "$PKI/saved.crt" "$CERTS/$REG/ca.crt"

	# a .cert without its .key, and a .key without its .cert: docker's errors
	mv "$CERTS/$REG/client.key" "$PKI/saved.key"
	run r2 pull "$REG/mtls:1"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "berth: pull $REG/mtls:1: $REG: missing key $CERTS/$REG/client.key for client certificate $CERTS/$REG/client.cert" ]
	mv "$PKI/saved.key" "$CERTS/$REG/client.key"
	mv "$CERTS/$REG/client.cert" "$PKI/saved.cert"
	run r2 pull "$REG/mtls:1"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "berth: pull $REG/mtls:1: $REG: missing client certificate $CERTS/$REG/client.cert for key $CERTS/$REG/client.key" ]

	# without a client certificate: the handshake is refused (the server's alert or its
	# reset, whichever reaches curl first: the words vary)
	rm "$CERTS/$REG/client.key"
	run r2 pull "$REG/mtls:1"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "berth: pull $REG/mtls:1: GET https://$REG/v2/mtls/manifests/1: "* ]]
}

@test "mirrors: a Hub name comes from the first mirror that answers; push never uses them" {
	start_plain_registry
	MIRROR=$REG
	b tag busybox "$MIRROR/library/x:latest"
	r1 push "$MIRROR/library/x:latest" > /dev/null
	# the first mirror is down (nothing listens there), the second has library/x
	DOWN=127.0.0.1:$(free_port)
	echo "{\"certs-dir\": \"$CERTS\", \"registry-mirrors\": [\"http://$DOWN\", \"http://$MIRROR/\"]}" > "$BERTH_CONFIG"
	run r2 pull x
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "latest: Pulling from library/x" ]
	echo "$output" | grep -Fx "Status: Downloaded newer image for x:latest"
	[ "${lines[-1]}" = "docker.io/library/x:latest" ]
	run b2 run --rm x echo from-the-mirror
	[ "$status" -eq 0 ]
	[ "$output" = "from-the-mirror" ]

	# push goes to the default registry (127.0.0.1:1, refused), never to a mirror
	b tag busybox x:pushed
	run r1 push x:pushed
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "berth: push x:pushed: "*"127.0.0.1:1"* ]]
	run curl -s "http://$MIRROR/v2/library/x/tags/list"
	[ "$output" = '{"name":"library/x","tags":["latest"]}' ]

	# a name that is not Docker Hub's never goes to a mirror
	run r2 pull "127.0.0.1:1/library/x"
	[ "$status" -eq 1 ]
}

@test "mirrors: a mirror without the image passes to the default registry" {
	start_plain_registry
	MIRROR=$REG
	start_plain_registry
	DEFAULT=$REG
	b tag busybox "$DEFAULT/library/y:1"
	r1 push "$DEFAULT/library/y:1" > /dev/null
	echo "{\"registry-mirrors\": [\"http://$MIRROR\"]}" > "$BERTH_CONFIG"
	run env BERTH_DEFAULT_REGISTRY="$DEFAULT" "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" pull -q y:1
	[ "$status" -eq 0 ]
	[ "$output" = "docker.io/library/y:1" ]
	# the mirror was asked first (a 404 in its access log)
	grep -q 'GET /v2/library/y/manifests/1' "$TESTDIR/registry-${MIRROR#*:}.log"
	# neither has it: the default registry's answer
	run env BERTH_DEFAULT_REGISTRY="$DEFAULT" "$BERTH" --root "$STORE2" --runroot "$RUNROOT2" pull nosuch:1
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "berth: pull nosuch:1: manifest for 1 not found"* ]]
}

# a credential helper, docker-credential-test, that keeps each server's JSON in a file of
# $TESTDIR/creds and logs its calls; and docker-credential-broken, that always fails
make_helpers() {
	mkdir -p "$TESTDIR/bin" "$TESTDIR/creds"
	cat > "$TESTDIR/bin/docker-credential-test" <<-EOF
	#!/bin/sh
	dir=$TESTDIR/creds
	in=\$(cat)
	echo "\$1 \$in" >> "\$dir/calls"
	case "\$1" in
	get|erase) f="\$dir/\$(printf %s "\$in" | tr '/:' '__')" ;;
	store) f="\$dir/\$(printf %s "\$in" | jq -r .ServerURL | tr '/:' '__')" ;;
	*) echo "unknown action \$1"; exit 1 ;;
	esac
	if [ "\$1" != store ] && [ ! -f "\$f" ]; then
		echo "credentials not found in native keychain"
		exit 1
	fi
	case "\$1" in
	get) cat "\$f" ;;
	store) printf %s "\$in" > "\$f" ;;
	erase) rm "\$f" ;;
	esac
	EOF
	printf '#!/bin/sh\necho "vault is sealed"\nexit 3\n' > "$TESTDIR/bin/docker-credential-broken"
	chmod +x "$TESTDIR/bin/docker-credential-test" "$TESTDIR/bin/docker-credential-broken"
	export PATH="$TESTDIR/bin:$PATH"
	mkdir -p "$DOCKER_CONFIG"
}

@test "credential helpers: credsStore keeps login's secret; pull and push get it; logout erases it" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	start_plain_registry "$TESTDIR/htpasswd"
	make_helpers
	echo '{"credsStore": "test"}' > "$DOCKER_CONFIG/config.json"
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	# the secret is the helper's; config.json keeps an empty entry, as docker's does
	[ "$(jq -c .auths "$DOCKER_CONFIG/config.json")" = "{\"$REG\":{}}" ]
	[ "$(jq -r .credsStore "$DOCKER_CONFIG/config.json")" = "test" ]
	run grep -c s3cret "$DOCKER_CONFIG/config.json"
	[ "$output" = "0" ]
	[ "$(cat "$TESTDIR/creds/$(echo "$REG" | tr ':' '_')")" = "{\"ServerURL\":\"$REG\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}" ]

	b tag busybox "$REG/helped:1"
	run r1 push "$REG/helped:1"
	[ "$status" -eq 0 ]
	run r2 pull -q "$REG/helped:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/helped:1" ]
	grep -Fx "get $REG" "$TESTDIR/creds/calls"

	run r1 logout "$REG"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $REG" ]
	grep -Fx "erase $REG" "$TESTDIR/creds/calls"
	[ ! -e "$TESTDIR/creds/$(echo "$REG" | tr ':' '_')" ]
	[ "$(jq -c .auths "$DOCKER_CONFIG/config.json")" = "{}" ]
	run r1 logout "$REG"
	[ "$output" = "Not logged in to $REG" ]
	# the helper has nothing: anonymous, refused by the registry
	run r2 pull "$REG/helped:1"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"unauthorized"* ]]
}

@test "credential helpers: credHelpers per registry; a missing or failing helper is a one-line error" {
	command -v htpasswd > /dev/null || skip "htpasswd is not installed"
	htpasswd -Bbn alice s3cret > "$TESTDIR/htpasswd"
	start_plain_registry "$TESTDIR/htpasswd"
	make_helpers
	echo "{\"credHelpers\": {\"$REG\": \"test\"}, \"credsStore\": \"nosuch\"}" > "$DOCKER_CONFIG/config.json"
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 0 ]
	b tag busybox "$REG/per-host:1"
	run r1 push "$REG/per-host:1"
	[ "$status" -eq 0 ]
	grep -Fx "get $REG" "$TESTDIR/creds/calls"

	# other registries: credsStore, a helper that is not on $PATH
	b tag busybox 127.0.0.1:1/other:1
	run r1 push 127.0.0.1:1/other:1
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "berth: push 127.0.0.1:1/other:1: credential helper docker-credential-nosuch: executable file not found in \$PATH" ]

	# a helper that fails: its message and status
	echo "{\"credHelpers\": {\"$REG\": \"broken\"}}" > "$DOCKER_CONFIG/config.json"
	run r2 pull "$REG/per-host:1"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "berth: pull $REG/per-host:1: credential helper docker-credential-broken get: vault is sealed: exit status 3" ]
	run r1 login -u alice --password-stdin "$REG" <<< "s3cret"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: login $REG: credential helper docker-credential-broken store: vault is sealed: exit status 3" ]
	run r1 logout "$REG"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: logout $REG: credential helper docker-credential-broken erase: vault is sealed: exit status 3" ]
}

@test "push NAME DEST: a local image pushed under another name, not tagged locally; pulled back" {
	start_plain_registry
	b tag busybox app:local
	run r1 push app:local "$REG/other/name:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/other/name]" ]
	echo "$output" | grep -E "^v1: digest: sha256:[0-9a-f]{64} size: [0-9]+$"
	# no local name was made for the destination
	run b inspect "$REG/other/name:v1"
	[ "$status" -ne 0 ]
	run r2 pull -q "$REG/other/name:v1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/other/name:v1" ]
	[ "$(b2 inspect -f '{{.Id}}' "$REG/other/name:v1")" = "$(b inspect -f '{{.Id}}' app:local)" ]
	run b2 run --rm "$REG/other/name:v1" echo pushed-elsewhere
	[ "$status" -eq 0 ]
	[ "$output" = "pushed-elsewhere" ]

	# docker:// is the registry transport; no tag is latest; the local image by its ID
	id=$(b inspect -f '{{.Id}}' busybox)
	run r1 push -q "$id" "docker://$REG/by/id"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/by/id:latest" ]
	run r2 pull -q "$REG/by/id"
	[ "$status" -eq 0 ]

	# other transports are refused; a missing local image is docker's error
	run r1 push app:local "oci:$TESTDIR/layout"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: push app:local: destination oci:$TESTDIR/layout: transport \"oci\" is not supported (only a registry, as NAME or docker://NAME)" ]
	[ ! -e "$TESTDIR/layout" ]
	run r1 push app:local "docker-archive:$TESTDIR/x.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *'transport "docker-archive" is not supported'* ]]
	run r1 push app:local "oci-archive://$TESTDIR/x.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *'transport "oci-archive" is not supported'* ]]
	run r1 push nosuch:1 "$REG/x:1"
	[ "$status" -eq 1 ]
	[ "$output" = "berth: push nosuch:1: an image does not exist locally with the tag: nosuch:1" ]
	run r1 push app:local "$REG/x@sha256:$(printf '%064d' 0)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot push a digest reference"* ]]
	run r1 push a b c
	[ "$status" -eq 125 ]
}
