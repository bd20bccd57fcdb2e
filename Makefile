# berth — friendly entry points over meson/ninja. `make demo` and `make check` set up
# everything they need on a fresh Debian 12 machine when run as root.

PREFIX ?= /usr/local
BUILD ?= build
BATS_JOBS ?= 1
MESON_OPTS ?=

# Debian packages: to build, to test, to benchmark
BUILD_DEPS = meson ninja-build pkg-config gcc libseccomp-dev libcap-dev libjansson-dev \
	libarchive-dev libzstd-dev liblz4-dev libacl1-dev libbz2-dev liblzma-dev zlib1g-dev \
	libxml2-dev nettle-dev musl-tools libmicrohttpd-dev libcrypt-dev libcurl4-openssl-dev \
	libssl-dev
TEST_DEPS = libcmocka-dev bats busybox-static jq iproute2 procps util-linux containerd clang-format \
	curl skopeo docker-registry apache2-utils openssl strace podman
BENCH_DEPS = hyperfine crun runc

.PHONY: all build deps test-deps bench-deps demo check check-unit check-bats check-v2 \
        lint-tests install bench fuzz format format-check err-check clean

all: build

# Installs the Debian packages that are missing (as root); says what to do otherwise.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "berth: missing packages:$$missing (run as root, or apt-get install them)"; exit 1; fi; \
		echo "installing:$$missing"; \
		if [ ! -f $(BUILD)/.apt-updated ]; then apt-get update -qq && mkdir -p $(BUILD) && touch $(BUILD)/.apt-updated; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_DEPS))

test-deps: deps
	$(call apt_install,$(TEST_DEPS))

bench-deps: test-deps
	$(call apt_install,$(BENCH_DEPS))

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS)

# unit tests also run under AddressSanitizer and UBSan, in a build of their own
$(BUILD)-asan/build.ninja:
	meson setup $(BUILD)-asan -Db_sanitize=address,undefined -Db_lundef=false -Dstatic=false $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	ln -sf berth $(BUILD)/berth-runtime

demo: test-deps build
	@sh tests/demo.sh $(BUILD)/berth

check: test-deps build format-check err-check lint-tests check-unit check-bats

# the berth parent cgroups the unit tests' containers make go afterwards when empty (ones that
# were here before stay), as tests/run-bats.sh does for the integration tests
check-unit: build $(BUILD)-asan/build.ninja
	@before=$$(ls -d /sys/fs/cgroup/berth /sys/fs/cgroup/*/berth 2>/dev/null); \
	meson test -C $(BUILD) --print-errorlogs && meson test -C $(BUILD)-asan --print-errorlogs; \
	rc=$$?; \
	for d in /sys/fs/cgroup/berth /sys/fs/cgroup/*/berth; do \
		[ -d "$$d" ] || continue; \
		echo "$$before" | grep -qx "$$d" || rmdir "$$d" 2>/dev/null || true; \
	done; \
	exit $$rc

# bats lines that can never fail (`! cmd` before a test's end, `|| true` in an assertion) are
# refused; the checker first proves itself on its fixtures (tests/lint)
lint-tests:
	tools/check-bats.py --fixtures tests/lint/*.bats
	@! tools/check-bats.py tests/lint/bad.bats > /dev/null
	tools/check-bats.py tests/lint/good.bats
	tools/check-bats.py tests/*.bats tests/*.bash

check-bats: build
	BATS_JOBS=$(BATS_JOBS) tests/run-bats.sh tests/

# cgroup v2 for real: a small VM with a pure cgroup2 hierarchy (qemu, software emulation);
# check-bats runs it too, through tests/06-cgroup-v2.bats
check-v2: build
	tests/vm/run-vm.sh $(BUILD)/berth tests/vm/cgroup-v2.sh tests/vm/lib.sh

install: build
	meson install -C $(BUILD)

bench: bench-deps build
	bench/start.sh $(BUILD)/berth-runtime

# libFuzzer targets for the parsers of untrusted input (config.json, references, layers)
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: test-deps
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# err is never NULL (src/base/error.h): no fallible function gets a literal NULL for it
err-check:
	python3 tools/check-err-null.py src tests/unit

clean:
	rm -rf $(BUILD) $(BUILD)-asan
