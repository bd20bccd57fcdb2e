#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60).
# Not part of `make check`: fuzzing is open-ended. Usage: tests/fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=${FUZZ_DIR:-/tmp/berth-fuzz}
command -v clang >/dev/null || apt-get install -y -qq clang >/dev/null
mkdir -p "$out"
cflags="-std=gnu11 -D_GNU_SOURCE -iquote src -g -O1 -fsanitize=fuzzer,address,undefined"
clang $cflags src/base/error.c src/base/log.c src/base/xalloc.c src/oci/runtime-spec.c tests/fuzz/fuzz-spec.c \
	$(pkg-config --cflags --libs jansson libcap) -o "$out/fuzz-spec"
clang $cflags src/base/error.c src/base/log.c src/base/xalloc.c src/base/quote.c src/image/reference.c tests/fuzz/fuzz-reference.c \
	$(pkg-config --cflags --libs jansson) -o "$out/fuzz-reference"
clang $cflags src/base/error.c src/base/log.c src/base/xalloc.c src/base/fs.c src/base/digest.c src/image/layer.c tests/fuzz/fuzz-layer.c \
	$(pkg-config --cflags --libs libarchive nettle jansson) -o "$out/fuzz-layer"
clang $cflags src/base/error.c src/base/log.c src/base/xalloc.c src/base/fs.c src/registry/auth.c tests/fuzz/fuzz-auth.c \
	$(pkg-config --cflags --libs jansson libcrypto) -o "$out/fuzz-auth"
mkdir -p "$out/corpus-spec" "$out/corpus-reference" "$out/corpus-auth"
# seeds: a small config.json and a few references, so that the fuzzer starts past the JSON
[ -n "$(ls "$out/corpus-spec")" ] || printf '%s' '{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"cwd":"/","args":["sh"],"user":{"uid":0,"gid":0}},"mounts":[{"destination":"/proc","type":"proc"}],"linux":{"namespaces":[{"type":"pid"}],"resources":{"memory":{"limit":1}}}}' > "$out/corpus-spec/seed.json"
[ -n "$(ls "$out/corpus-reference")" ] || printf 'docker.io/library/busybox:latest' > "$out/corpus-reference/seed"
[ -n "$(ls "$out/corpus-auth")" ] || printf 'Bearer realm="https://a/token",service="r",scope="repository:x:pull"' > "$out/corpus-auth/seed"
for t in spec reference layer auth; do
	mkdir -p "$out/corpus-$t"
	echo "== fuzz-$t for ${secs}s"
	(cd "$out" && "./fuzz-$t" -max_total_time="$secs" "corpus-$t" 2>&1 | tail -2)
done
