#!/usr/bin/env bats
# Defaults at least as tight as docker's, and input checked before it is used: user and group
# IDs, /dev's size, the default pids limit and berth.json, IDs and names that must not become
# paths outside the store, --tmpfs options, state file modes under any umask, environment
# text, and named-volume copy-up.

load helpers
bats_require_minimum_version 1.5.0

load engine-helpers

setup() {
	engine_setup
	# no berth.json of the host's (or of the caller's environment) in these tests
	unset BERTH_CONFIG
	if [ -e /etc/berth/berth.json ]; then
		skip "/etc/berth/berth.json exists on this host"
	fi
}

teardown() {
	engine_teardown
}

# cg_pids ID: pids.max of a container's cgroup (v1 pids controller, or v2)
cg_pids() {
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		cat "/sys/fs/cgroup/berth/$1/pids.max"
	else
		cat "/sys/fs/cgroup/pids/berth/$1/pids.max"
	fi
}

# image NAME DIR [CHANGE...]: an image of the rootfs in DIR
image() {
	local name=$1 dir=$2
	shift 2
	local args=() c
	for c in "$@"; do args+=(-c "$c"); done
	tar -C "$dir" -cf "$TESTDIR/$name.tar" .
	b import -c 'CMD ["sh"]' "${args[@]}" "$TESTDIR/$name.tar" "$name" > /dev/null
}

@test "user and group IDs past 2^32-2 are refused, never wrapped to root" {
	for u in 4294967296 4294967295 18446744073709551616 65534:4294967296 0:4294967295 \
		nobody:4294967296 4294967296:0; do
		run -125 b run --rm -u "$u" busybox id -u
		[[ "$output" == *"0 to 4294967294"* ]]
	done
	# the largest is fine
	[ "$(b run --rm -u 4294967294:4294967294 busybox sh -c 'id -u; id -g')" = "$(printf '4294967294\n4294967294')" ]
	# an image's User
	image bigu "$ROOTFS" 'USER 4294967296'
	run -125 b run --rm bigu id -u
	[[ "$output" == *"0 to 4294967294"* ]]
	# an image's /etc/passwd
	cp -a "$ROOTFS" "$TESTDIR/pw"
	printf 'root:x:0:0:root:/root:/bin/sh\nbig:x:4294967296:0::/:/bin/sh\n' > "$TESTDIR/pw/etc/passwd"
	image bigpw "$TESTDIR/pw" 'USER big'
	run -125 b run --rm bigpw id -u
	[[ "$output" == *"0 to 4294967294"* ]]
	# exec -u into a running container
	b run -d --name live busybox sleep 60 > /dev/null
	for u in 4294967296 0:4294967296 65534:4294967295; do
		run b exec -u "$u" live id -u
		[ "$status" -ne 0 ]
		[[ "$output" == *"0 to 4294967294"* ]]
	done
	[ "$(b exec -u 65534 live id -u)" = 65534 ]
}

@test "the runtime refuses process.user IDs past 2^32-2 in config.json and in exec --user" {
	mkdir -p "$TESTDIR/bundle"
	"$RUNTIME" spec --bundle "$TESTDIR/bundle"
	local cfg="$TESTDIR/bundle/config.json"
	local rt=("$RUNTIME" --root "$TESTDIR/rt")
	for user in '{"uid":4294967296,"gid":0}' '{"uid":0,"gid":4294967296}' \
		'{"uid":0,"gid":0,"additionalGids":[4294967296]}' '{"uid":4294967295,"gid":0}'; do
		jq --argjson u "$user" '.root.path = env.ROOTFS | .process.terminal = false | .process.args = ["id","-u"] | .process.user = $u' \
			"$cfg" > "$cfg.new"
		mv "$cfg.new" "$cfg"
		run "${rt[@]}" run --bundle "$TESTDIR/bundle" "bt-$$-uid"
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.user."* ]]
		"${rt[@]}" delete --force "bt-$$-uid" > /dev/null 2>&1 || true # cleanup
	done
	jq '.root.path = env.ROOTFS | .process.terminal = false | .process.args = ["sleep","60"] | .process.user = {"uid":0,"gid":0}' \
		"$cfg" > "$cfg.new"
	mv "$cfg.new" "$cfg"
	"${rt[@]}" run -d --bundle "$TESTDIR/bundle" "bt-$$-uid" > /dev/null 2>&1 < /dev/null
	run "${rt[@]}" exec --user 4294967296 "bt-$$-uid" id -u
	[ "$status" -ne 0 ]
	[[ "$output" == *"4294967294"* ]]
	run "${rt[@]}" exec --user 0:4294967296 "bt-$$-uid" id -u
	[ "$status" -ne 0 ]
	run "${rt[@]}" exec --additional-gids 4294967296 "bt-$$-uid" id -u
	[ "$status" -ne 0 ]
	[ "$("${rt[@]}" exec --user 65534 "bt-$$-uid" id -u)" = 65534 ]
	"${rt[@]}" delete --force "bt-$$-uid"
}

@test "/dev is a tmpfs of docker's size (64 MiB) and mode 755, in run and in the runtime's default spec" {
	run -0 b run --rm busybox sh -c 'grep " /dev tmpfs " /proc/mounts; stat -c %a /dev'
	[[ "$output" == *"size=65536k"* ]]
	[[ "$output" == *"mode=755"* ]]
	[ "${lines[1]}" = 755 ]
	# 70 MiB do not fit
	run b run --rm busybox dd if=/dev/zero of=/dev/big bs=1M count=70
	[ "$status" -ne 0 ]
	[[ "$output" == *"No space left"* ]]
	mkdir "$TESTDIR/spec"
	"$RUNTIME" spec --bundle "$TESTDIR/spec"
	[ "$(jq -c '.mounts[] | select(.destination == "/dev") | .options | (index("size=65536k") != null) and (index("mode=755") != null)' "$TESTDIR/spec/config.json")" = true ]
}

@test "a container has a pids limit of 2048 by default; --pids-limit 0 and -1 mean none" {
	id=$(b run -d busybox sleep 60)
	[ "$(cg_pids "$id")" = 2048 ]
	[ "$(b inspect -f '{{.HostConfig.PidsLimit}}' "$id")" = 2048 ]
	for n in 0 -1; do
		id=$(b run -d --pids-limit "$n" busybox sleep 60)
		[ "$(cg_pids "$id")" = max ]
	done
	id=$(b run -d --pids-limit 77 busybox sleep 60)
	[ "$(cg_pids "$id")" = 77 ]
	# create, then start: the same default
	id=$(b create busybox sleep 60)
	b start "$id" > /dev/null
	[ "$(cg_pids "$id")" = 2048 ]
}

@test "berth.json: default-pids-limit from --config and BERTH_CONFIG; flags override; bad files are clear errors" {
	echo '{"default-pids-limit": 100}' > "$TESTDIR/berth.json"
	id=$(b --config "$TESTDIR/berth.json" run -d busybox sleep 60)
	[ "$(cg_pids "$id")" = 100 ]
	id=$(BERTH_CONFIG="$TESTDIR/berth.json" b run -d busybox sleep 60)
	[ "$(cg_pids "$id")" = 100 ]
	id=$(b --config="$TESTDIR/berth.json" run -d --pids-limit 50 busybox sleep 60)
	[ "$(cg_pids "$id")" = 50 ]
	id=$(b --config "$TESTDIR/berth.json" create busybox sleep 60)
	b start "$id" > /dev/null
	[ "$(cg_pids "$id")" = 100 ]
	echo '{"default-pids-limit": 0}' > "$TESTDIR/none.json"
	id=$(b --config "$TESTDIR/none.json" run -d busybox sleep 60)
	[ "$(cg_pids "$id")" = max ]
	# errors: one line naming the file, exit 125, nothing made
	echo '{"default-pids-limit": 100' > "$TESTDIR/bad.json"
	run -125 b --config "$TESTDIR/bad.json" run --rm busybox true
	[[ "$output" == "berth: run: config $TESTDIR/bad.json: line "* ]]
	echo '{"default-pid-limit": 100}' > "$TESTDIR/typo.json"
	run -125 b --config "$TESTDIR/typo.json" run --rm busybox true
	[[ "$output" == *'unknown setting "default-pid-limit"'* ]]
	echo '{"default-pids-limit": "many"}' > "$TESTDIR/type.json"
	run -125 b --config "$TESTDIR/type.json" create busybox true
	[[ "$output" == *'"default-pids-limit" must be a number'* ]]
	run -125 b --config "$TESTDIR/missing.json" run --rm busybox true
	[[ "$output" == *"$TESTDIR/missing.json"* ]]
	[ "$(b ps -aq | wc -l)" -eq 5 ]
}

# evil64: a 64-character relative path from the store's containers directory to the canary
# ($TESTDIR/canary): what `berth rm` once took for a container ID
evil64() {
	local p="../../" n
	for n in $(seq 26); do p+="./"; done
	printf '%scanary' "$p"
}

@test "container IDs and names from a user never become paths outside the store" {
	# a canary outside the store that looks like a container's directory
	mkdir -p "$TESTDIR/canary"
	echo '{"Id":"x","Name":"canary","Config":{},"HostConfig":{}}' > "$TESTDIR/canary/container.json"
	echo '{"log":"canary-log\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}' > "$TESTDIR/canary/json.log"
	echo '{"Status":"running","Pid":1,"PidStart":0}' > "$TESTDIR/canary/state.json"
	b run -d --name real busybox sleep 60 > /dev/null
	local evil
	evil=$(evil64)
	[ "${#evil}" -eq 64 ]
	[ -f "$STORE/containers/$evil/container.json" ]
	local hex65
	hex65=$(printf 'a%.0s' $(seq 65))
	local bad=("$evil" ../canary "../../canary" "$TESTDIR/canary" /tmp a/b . .. "" "$hex65"
		"$(printf 'na\001me')" "$(printf 'x\033[2Jy')" "$(printf '\377\376')" "real/" "/real" "-")
	local v verb
	for v in "${bad[@]}"; do
		for verb in rm "rm -f" inspect start stop kill logs wait "exec" port top restart pause; do
			if [ "$verb" = exec ]; then
				run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" exec -- "$v" true
			else
				# shellcheck disable=SC2086
				run timeout 20 "$BERTH" --root "$STORE" --runroot "$RUNROOT" $verb -- "$v"
			fi
			[ "$status" -ne 0 ]
			[ "$status" -ne 124 ]
			[[ "$output" != *canary-log* ]]
			# a hostile name reaches the terminal escaped, never as raw control bytes
			[[ "$output" != *$'\033'* ]]
			[[ "$output" != *$'\001'* ]]
			[ -f "$TESTDIR/canary/container.json" ]
		done
		run b cp "$v:/etc/passwd" "$TESTDIR/out"
		[ "$status" -ne 0 ]
		[ ! -e "$TESTDIR/out" ]
		run b cp "$TESTDIR/canary/json.log" "$v:/tmp/x"
		[ "$status" -ne 0 ]
	done
	run b rm -- "$evil"
	[[ "$output" == *"no such container"* ]]
	run b inspect -- "$evil"
	[[ "$output" == *"no such object"* ]]
	# the escaped form of an odd name
	run b rm "$(printf 'x\033[2Jy')"
	[[ "$output" == *'"x\x1b[2Jy"'* ]]
	[ -d "$TESTDIR/canary" ]
	[ -f "$TESTDIR/canary/json.log" ]
	[ -f "$TESTDIR/canary/state.json" ]
	# the real one is still found by name, ID and prefix
	id=$(b inspect -f '{{.Id}}' real)
	[ "$(b inspect -f '{{.Name}}' "${id:0:5}")" = real ] || [ "$(b inspect -f '{{.Name}}' "${id:0:5}")" = /real ]
	b rm -f "$id" > /dev/null
	[ -d "$TESTDIR/canary" ]
	# a --name that is not a name is refused before anything is made
	for v in ../x a/b . .. "" "-x" "$(printf 'a\033b')"; do
		run -125 b run --name "$v" busybox true
		[[ "$output" != *$'\033'* ]]
	done
	[ -z "$(b ps -aq)" ]
}

@test "volume names from a user never become paths outside the store" {
	mkdir -p "$TESTDIR/canary/_data" "$STORE/volumes"
	echo '{"Name":"canary","Driver":"local","Mountpoint":"x"}' > "$TESTDIR/canary/volume.json"
	local evil="../../canary"
	local v
	for v in "$evil" ../canary "$TESTDIR/canary" a/b . .. "" "$(printf 'x\033y')" "$(printf 'a%.0s' $(seq 300))"; do
		run b volume rm "$v"
		[ "$status" -ne 0 ]
		run b volume rm -f "$v"
		[ "$status" -ne 0 ]
		run b volume inspect "$v"
		[ "$status" -ne 0 ]
		[[ "$output" != *canary* ]] || [[ "$output" == *"invalid volume name"* ]]
		[[ "$output" != *$'\033'* ]]
		run b volume create "$v"
		[ "$status" -ne 0 ]
		if [ "${v:0:1}" != / ]; then # an absolute path is a bind mount, rightly
			run b run --rm -v "$v:/data" busybox true
			[ "$status" -ne 0 ]
		fi
		run b run --rm --mount "type=volume,source=$v,target=/data" busybox true
		[ "$status" -ne 0 ]
		[ -f "$TESTDIR/canary/volume.json" ]
	done
	[ -z "$(ls "$STORE/volumes")" ]
}

@test "--tmpfs and --mount type=tmpfs take tmpfs options and mount flags only" {
	local o
	for o in bind rbind size=1m,bind rbind,ro private rshared foo=bar nosuchflag tmpcopyup \
		notmpcopyup remount "size=1m;x" size= size=abc mode=999 mode=07777x uid=4294967296 \
		gid=-1 huge=sometimes "mpol=bind:0,1"; do
		run -125 b run --rm --tmpfs "/x:$o" busybox true
		[[ "$output" == *"tmpfs option"* ]]
	done
	for o in bind-propagation=rshared volume-nocopy "tmpfs-size=1m,bind-propagation=private"; do
		run -125 b run --rm --mount "type=tmpfs,target=/x,$o" busybox true
		[[ "$output" == *"not an option of type=tmpfs"* ]]
	done
	run -125 b run --rm --mount "type=tmpfs,target=/x,tmpfs-size=1x" busybox true
	run -125 b run --rm --mount "type=tmpfs,target=/x,tmpfs-mode=rwx" busybox true
	mkdir "$TESTDIR/h"
	run -125 b run --rm --mount "type=bind,source=$TESTDIR/h,target=/x,tmpfs-size=1m" busybox true
	[[ "$output" == *"not an option of type=bind"* ]]
	# what tmpfs takes still works
	run -0 b run --rm --tmpfs /x:size=1m,mode=700,uid=5,gid=6,nr_inodes=100,noexec,nosuid,nodev,noatime,huge=never \
		busybox sh -c 'grep " /x " /proc/mounts; stat -c "%a %u %g" /x'
	[[ "${lines[0]}" == *"tmpfs /x tmpfs "*"noexec"*"size=1024k"*"mode=700"*"uid=5"*"gid=6"* ]]
	[ "${lines[1]}" = "700 5 6" ]
	run -0 b run --rm --mount type=tmpfs,target=/y,tmpfs-size=2m,tmpfs-mode=711,readonly busybox grep " /y " /proc/mounts
	[[ "$output" == *"ro,"*"size=2048k"*"mode=711"* ]]
	[ -z "$(b ps -aq)" ]
}

@test "state files are 0600 and dirs 0700 whatever the umask: config.json with -e secrets, state, logs, attach socket" {
	umask 000
	b run -d --name sec -e SECRET=hunter2 -v secvol:/data busybox sh -c 'echo out; sleep 60' > /dev/null
	id=$(b inspect -f '{{.Id}}' sec)
	b exec sec true
	local dir="$STORE/containers/$id"
	# every file that holds the container's settings, output or control: root's alone
	local f
	for f in config.json container.json state.json json.log attach image owner; do
		[ -e "$dir/$f" ]
		[ "$(( 0$(stat -c %a "$dir/$f") & 077 ))" -eq 0 ] || { echo "$f: $(stat -c %a "$dir/$f")"; false; }
	done
	grep -q hunter2 "$dir/config.json"
	[ "$(stat -c %a "$dir")" = 700 ]
	# the runtime's state, the store's records, the volume's record: nothing world-writable
	# (the container's own files, in upper/ and _data/, are the image's business)
	run find "$dir" "$RUNROOT" "$STORE/containers" "$STORE/volumes" \
		\( -path "$dir/upper/*" -o -path "$dir/rootfs/*" -o -path "$dir/work/*" -o -path "*/_data/*" \) -prune -o \
		! -type l -perm /o+w -print
	[ -z "$output" ] || { echo "world-writable: $output"; false; }
	# (the container's /etc/hosts, hostname and resolv.conf and their mount points are 0644
	# for its own users, as the image's would be; the 0700 directory keeps the host's out)
	run find "$dir" "$RUNROOT" \( -path "$dir/upper/*" -o -path "$dir/rootfs/*" -o -path "$dir/work/*" -o -path "$dir/init/*" \) -prune -o \
		-type f ! -path "$dir/hosts" ! -path "$dir/hostname" ! -path "$dir/resolv.conf" -perm /go+rw -print
	[ -z "$output" ] || { echo "readable by others: $output"; false; }
	for f in hosts hostname resolv.conf init/etc/hosts; do
		[ "$(stat -c %a "$dir/$f")" = 644 ]
	done
	[ "$(stat -c %a "$STORE/volumes/secvol")" = 700 ]
	[ "$(stat -c %a "$STORE/volumes/secvol/volume.json")" = 600 ]
	# the container's own umask is still docker's 0022, and its root directory 755
	[ "$(b exec sec sh -c 'umask')" = 0022 ]
	[ "$(b exec sec stat -c %a /)" = 755 ]
	# the other way round: a tight umask does not make the container's root unreadable
	umask 077
	[ "$(b run --rm busybox stat -c %a /)" = 755 ]
	[ "$(b run --rm -v tight:/data2 busybox stat -c %a /data2)" = 755 ]
}

@test "-e, --env-file and -l that are not UTF-8 are refused with the bytes escaped, not dropped" {
	run -125 b run --rm -e "$(printf 'A=\377x')" busybox env
	[[ "$output" == *'"A=\xffx"'*"not valid UTF-8"* ]]
	[[ "$output" != *$'\377'* ]]
	run -125 b run --rm -e "$(printf 'A=\xc0\xaf')" busybox env
	[[ "$output" == *"not valid UTF-8"* ]]
	printf 'OK=1\n# c\n\nBAD=\033[2J\377\n' > "$TESTDIR/env"
	run -125 b run --rm --env-file "$TESTDIR/env" busybox env
	[[ "$output" == *"$TESTDIR/env: line 4: "*'"BAD=\x1b[2J\xff"'* ]]
	[[ "$output" != *$'\033'* ]]
	[[ "$output" != *$'\377'* ]]
	printf '=nokey\033\n' > "$TESTDIR/env2"
	run -125 b run --rm --env-file "$TESTDIR/env2" busybox env
	[[ "$output" == *'line 1: "=nokey\x1b": no variable name'* ]]
	run -125 b run --rm -l "$(printf 'k=\377')" busybox true
	[[ "$output" == *"label"*'\xff'* ]]
	run -125 b run --rm -l "$(printf '\376=v')" busybox true
	# the command's arguments too (they were dropped from config.json, silently)
	run -125 b run --rm busybox echo a "$(printf 'x\377')" b
	[[ "$output" == *"argument"*'\xff'*"not valid UTF-8"* ]]
	# UTF-8 itself passes, byte for byte
	[ "$(b run --rm -e 'U=café €' busybox sh -c 'echo "$U"')" = 'café €' ]
	[ "$(b run --rm busybox echo a 'é€' b)" = 'a é€ b' ]
	[ -z "$(b ps -aq)" ]
}

@test "exec: -e and arguments that are not UTF-8 are refused, not dropped" {
	b run -d --name utf busybox sleep 100
	run -125 b exec -e "$(printf 'A=\377')" utf env
	[[ "$output" == *'"A=\xff"'*"not valid UTF-8"* ]]
	run -125 b exec utf echo a "$(printf '\376')" b
	[[ "$output" == *"argument"*'\xfe'*"not valid UTF-8"* ]]
	[ "$(b exec -e 'U=café' utf sh -c 'echo "$U"')" = 'café' ]
	[ "$(b exec utf echo a 'é€' b)" = 'a é€ b' ]
}

@test "--env-file: lines of any length, never split" {
	# a value of 100,000 bytes stays one variable (64 KiB lines were split into two)
	{ printf 'LONG='; head -c 100000 /dev/zero | tr '\0' x; printf '\nAFTER=1\n'; } > "$TESTDIR/long"
	run -0 b run --rm --env-file "$TESTDIR/long" busybox sh -c 'echo ${#LONG}; env | grep -c "^x"; echo $AFTER'
	[ "${lines[0]}" = 100000 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 1 ]
}

@test "--env-file: 200,000 lines in a few seconds (it was quadratic: minutes)" {
	# some names repeated: the last value wins, each name once
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "V%d=%d\n", i % 150000, i }' > "$TESTDIR/big"
	local start end
	start=$(date +%s)
	run -0 timeout 60 "$BERTH" --root "$STORE" --runroot "$RUNROOT" create --env-file "$TESTDIR/big" busybox true
	end=$(date +%s)
	[ $((end - start)) -lt 10 ]
	id=$output
	[ "$(jq '.process.env | length' "$STORE/containers/$id/config.json")" -eq 150002 ]
	[ "$(jq -r '.process.env[] | select(startswith("V5="))' "$STORE/containers/$id/config.json")" = V5=150005 ]
}

@test "volume copy-up copies no device nodes and never follows a link to a host file" {
	cp -a "$ROOTFS" "$TESTDIR/dev"
	mkdir -p "$TESTDIR/dev/data"
	echo kept > "$TESTDIR/dev/data/file"
	mknod -m 0666 "$TESTDIR/dev/data/disk" b 8 0
	mknod -m 0666 "$TESTDIR/dev/data/mem" c 1 1
	mkfifo -m 0666 "$TESTDIR/dev/data/fifo"
	echo secret > "$TESTDIR/hostfile"
	chmod 0600 "$TESTDIR/hostfile"
	ln -s "$TESTDIR/hostfile" "$TESTDIR/dev/data/link"
	image devimg "$TESTDIR/dev"
	b run --rm -v devvol:/data devimg true
	local d="$STORE/volumes/devvol/_data"
	[ "$(cat "$d/file")" = kept ]
	[ -z "$(find "$d" -type b -o -type c)" ]
	[ -L "$d/link" ]
	[ "$(readlink "$d/link")" = "$TESTDIR/hostfile" ]
	[ -p "$d/fifo" ]
	[ "$(stat -c %a "$TESTDIR/hostfile")" = 600 ]
	# a volume whose directory already holds links where the image has a device node and a
	# fifo (as another container of the volume could plant them during the copy): the host
	# files they point at keep their modes and owners
	mkdir -p "$STORE/volumes/planted/_data"
	echo one > "$TESTDIR/host1"
	echo two > "$TESTDIR/host2"
	chmod 0600 "$TESTDIR/host1" "$TESTDIR/host2"
	chown 0:0 "$TESTDIR/host1" "$TESTDIR/host2"
	ln -s "$TESTDIR/host1" "$STORE/volumes/planted/_data/disk"
	ln -s "$TESTDIR/host2" "$STORE/volumes/planted/_data/fifo"
	b run --rm -v planted:/data devimg true
	[ "$(stat -c '%a %u %g' "$TESTDIR/host1")" = "600 0 0" ]
	[ "$(stat -c '%a %u %g' "$TESTDIR/host2")" = "600 0 0" ]
	[ -z "$(find "$STORE/volumes/planted/_data" -type b -o -type c)" ]
}
