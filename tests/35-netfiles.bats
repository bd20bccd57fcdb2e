#!/usr/bin/env bats
# Every container, whatever its network: lo up with 127.0.0.1 and ::1, and /etc/hosts,
# /etc/hostname and /etc/resolv.conf as docker writes them (--dns, --dns-search,
# --dns-option, --add-host; the host's with --network host), bound from the container's
# directory, read-only with --read-only.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

@test "network none: lo is up with 127.0.0.1 and ::1; a server and its client in one container talk" {
	run b run --rm --network none busybox ip addr show lo
	[[ "$output" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
	[[ "$output" == *"inet 127.0.0.1/8"* ]]
	[[ "$output" == *"inet6 ::1/128"* ]] || [ ! -e /proc/sys/net/ipv6 ]
	run b run --rm busybox sh -c 'echo pong > /tmp/i; httpd -p 127.0.0.1:8080 -h /tmp; wget -qO- http://localhost:8080/i'
	[ "$status" -eq 0 ]
	[ "$output" = pong ]
}

@test "/etc/hosts, /etc/hostname: docker's defaults, -h, --add-host; the files are the container's" {
	id=$(b run -d --add-host db:10.1.2.3 --add-host v6:fd00::1 busybox sleep 60)
	run b exec "$id" cat /etc/hosts
	[ "${lines[0]}" = "$(printf '127.0.0.1\tlocalhost')" ]
	[ "${lines[1]}" = "$(printf '::1\tlocalhost ip6-localhost ip6-loopback')" ]
	[[ "$output" == *"$(printf '10.1.2.3\tdb')"* ]]
	[[ "$output" == *"$(printf 'fd00::1\tv6')"* ]]
	[ "$(b exec "$id" cat /etc/hostname)" = "${id:0:12}" ]
	[ "$(b exec "$id" hostname)" = "${id:0:12}" ]
	# where inspect says, in the container's directory
	hosts=$(b inspect -f '{{.HostsPath}}' "$id")
	[ "$hosts" = "$STORE/containers/$id/hosts" ]
	[ -f "$(b inspect -f '{{.ResolvConfPath}}' "$id")" ]
	[ -f "$(b inspect -f '{{.HostnamePath}}' "$id")" ]
	[ "$(b inspect -f '{{json .HostConfig.ExtraHosts}}' "$id")" = '["db:10.1.2.3","v6:fd00::1"]' ]
	# the container may edit its own (as in docker); the image's /etc is untouched
	b exec "$id" sh -c 'echo "10.9.9.9 added" >> /etc/hosts'
	grep -q added "$hosts"
	b rm -f "$id" > /dev/null
	[ "$(b run --rm -h web busybox cat /etc/hostname)" = web ]
	# an image without /etc gets them too
	mkdir -p "$TESTDIR/noetc/bin"
	cp /bin/busybox "$TESTDIR/noetc/bin/"
	tar -C "$TESTDIR/noetc" -cf "$TESTDIR/noetc.tar" .
	b import "$TESTDIR/noetc.tar" noetc > /dev/null
	run b run --rm noetc /bin/busybox cat /etc/hostname
	[ "$status" -eq 0 ]
}

@test "/etc/resolv.conf: the host's without loopback nameservers, --dns/--dns-search/--dns-option replace its lines" {
	conf=$(b run --rm busybox cat /etc/resolv.conf)
	run ! grep -E '^nameserver (127\.|::1)' <<< "$conf"
	grep -q '^nameserver ' <<< "$conf"
	run b run --rm --dns 10.0.0.1 --dns 10.0.0.2 --dns-search a.example --dns-search b.example \
		--dns-option ndots:2 busybox cat /etc/resolv.conf
	[[ "$output" == *"nameserver 10.0.0.1"$'\n'"nameserver 10.0.0.2"* ]]
	[[ "$output" == *"search a.example b.example"* ]]
	[[ "$output" == *"options ndots:2"* ]]
	[ "$(grep -c '^nameserver' <<< "$output")" = 2 ]
	[ "$(b run --rm --dns-search . busybox grep -c '^search' /etc/resolv.conf || true)" = 0 ]
	# with --read-only they are read-only too
	run b run --rm --read-only busybox sh -c 'echo x >> /etc/resolv.conf'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "--network host: the host's name, hosts and resolv.conf" {
	[ "$(b run --rm --network host busybox cat /etc/hostname)" = "$(hostname)" ]
	[ "$(b run --rm --network host busybox cat /etc/hosts)" = "$(cat /etc/hosts)" ]
	[ "$(b run --rm --network host busybox cat /etc/resolv.conf)" = "$(cat /etc/resolv.conf)" ]
}

@test "a volume over /etc/hosts wins; bad --dns, --dns-search, --add-host: one line, exit 125, nothing made" {
	printf '1.2.3.4 mine\n' > "$TESTDIR/myhosts"
	[ "$(b run --rm -v "$TESTDIR/myhosts:/etc/hosts:ro" busybox cat /etc/hosts)" = "1.2.3.4 mine" ]
	run -125 b run --rm --dns 300.1.1.1 busybox true
	[[ "$output" == *"--dns 300.1.1.1: not an IP address"* ]]
	run -125 b run --rm --dns-search 'bad domain' busybox true
	[[ "$output" == *"not a domain name"* ]]
	run -125 b run --rm --add-host nocolon busybox true
	[[ "$output" == *"--add-host nocolon: use HOST:IP"* ]]
	run -125 b run --rm --add-host h:notanip busybox true
	[[ "$output" == *"invalid IP address"* ]]
	run -125 b create --add-host h:host-gateway busybox true
	[[ "$output" == *"host-gateway needs bridge networking"* ]]
	[ -z "$(ls "$STORE/containers")" ]
}
