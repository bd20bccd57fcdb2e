#!/usr/bin/env bash
# registry-conformance.sh - runs the OCI distribution-spec conformance suite (the test
# binary built from opencontainers/distribution-spec's conformance/, see
# docs/registry-conformance.md) against a registry that is already listening, and prints
# a summary: how many tests passed, failed and were skipped, and each failing test with
# the suite's reason. It never fetches anything.
#
#   tools/registry-conformance.sh [CONFORMANCE_BIN] URL [-- SUITE_ARGS...]
#   tools/registry-conformance.sh build OUT SPEC_GIT GINKGO_GIT GOMEGA_GIT REGGIE_GIT
#
# The first form: CONFORMANCE_BIN (or $CONFORMANCE_BIN) is the built conformance.test,
# URL the registry's root (http://127.0.0.1:5000). All four workflows run (pull, push,
# content discovery, content management). What the suite reads may be set beforehand:
# OCI_NAMESPACE (default conformance/test), OCI_CROSSMOUNT_NAMESPACE (conformance/other),
# OCI_USERNAME/OCI_PASSWORD, OCI_DEBUG=1 (every request and response in the log),
# OCI_TEST_*=0 to leave a workflow out, OCI_DELETE_MANIFEST_BEFORE_BLOBS, and so on.
# CONFORMANCE_REPORT_DIR keeps junit.xml, report.html and the suite's output (output.log)
# there (default: a temporary directory, removed afterwards unless a test failed).
# SUITE_ARGS go to the test binary: -ginkgo.focus=REGEX runs only the tests it matches.
# Exit status: 0 when no test failed, 1 when one did, 2 when the suite could not run.
#
# The second form builds the binary OUT from local git directories (those the fetch tool
# mirrors; nothing is downloaded) with Debian's Go 1.19 and golang-*-dev packages, in
# GOPATH mode: distribution-spec v1.1.1, ginkgo v2.11.0, gomega v1.27.8, reggie v0.6.1,
# the versions conformance/go.mod names.
set -euo pipefail

prog=registry-conformance
die() {
	echo "$prog: $*" >&2
	exit 2
}

SPEC_TAG=v1.1.1
GINKGO_TAG=v2.11.0
GOMEGA_TAG=v1.27.8
REGGIE_TAG=v0.6.1
# Debian 12 packages the suite's other imports come from
GO_DEBS="golang-go golang-github-go-resty-resty-dev golang-github-google-uuid-dev
golang-github-opencontainers-go-digest-dev golang-github-asaskevich-govalidator-dev
golang-github-mitchellh-mapstructure-dev golang-github-go-logr-logr-dev
golang-github-google-pprof-dev golang-github-google-go-cmp-dev golang-golang-x-net-dev
golang-golang-x-sys-dev golang-golang-x-text-dev golang-golang-x-tools-dev
golang-gopkg-yaml.v3-dev"

build() {
	[ $# -eq 5 ] || die "usage: $0 build OUT SPEC_GIT GINKGO_GIT GOMEGA_GIT REGGIE_GIT"
	local out=$1 spec=$2 ginkgo=$3 gomega=$4 reggie=$5 p missing="" dir
	for p in $GO_DEBS; do
		dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] || die "missing Debian packages:$missing (apt-get install them)"
	dir=$(mktemp -d /tmp/conformance-build.XXXXXX)
	# shellcheck disable=SC2064 # expand now: the local goes out of scope
	trap "rm -rf '$dir'" EXIT
	local src=$dir/gopath/src/github.com
	mkdir -p "$src/onsi/ginkgo/v2" "$src/onsi/gomega" "$src/bloodorangeio/reggie" \
		"$src/opencontainers/distribution-spec"
	git -C "$spec" archive "$SPEC_TAG" conformance | tar -x -C "$src/opencontainers/distribution-spec" ||
		die "no $SPEC_TAG in $spec"
	git -C "$ginkgo" archive "$GINKGO_TAG" | tar -x -C "$src/onsi/ginkgo/v2" || die "no $GINKGO_TAG in $ginkgo"
	git -C "$gomega" archive "$GOMEGA_TAG" | tar -x -C "$src/onsi/gomega" || die "no $GOMEGA_TAG in $gomega"
	git -C "$reggie" archive "$REGGIE_TAG" | tar -x -C "$src/bloodorangeio/reggie" || die "no $REGGIE_TAG in $reggie"
	case $out in /*) ;; *) out=$PWD/$out ;; esac
	# GOPATH mode: our tree first (ginkgo v2, gomega 1.27, reggie), then Debian's
	(cd "$src/opencontainers/distribution-spec/conformance" &&
		GO111MODULE=off GOPROXY=off GOFLAGS='' GOPATH="$dir/gopath:/usr/share/gocode" \
			GOCACHE="$dir/cache" go test -c -o "$out" .) || die "go test -c failed"
	echo "$out"
}

if [ "${1:-}" = build ]; then
	shift
	build "$@"
	exit 0
fi

# what follows -- goes to the suite (e.g. -ginkgo.focus='Blob Upload Chunked')
pos=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	pos+=("$1")
	shift
done
[ $# -eq 0 ] || shift
case ${#pos[@]} in
1) bin=${CONFORMANCE_BIN:-} url=${pos[0]} ;;
2) bin=${pos[0]} url=${pos[1]} ;;
*) die "usage: $0 [CONFORMANCE_BIN] URL [-- SUITE_ARGS...] (or $0 build ...)" ;;
esac
[ -n "$bin" ] || die "no conformance binary: pass its path or set CONFORMANCE_BIN (docs/registry-conformance.md says how to build it)"
[ -x "$bin" ] || die "'$bin' is not an executable file"
case $url in
http://* | https://*) ;;
*) die "'$url' is not an http:// or https:// URL" ;;
esac
command -v python3 > /dev/null || die "python3 is needed to read the suite's junit.xml"
# a registry that does not answer at all is a setup error, not 75 failed tests
if command -v curl > /dev/null &&
	! curl -s -k -o /dev/null --max-time 10 "${url%/}/v2/"; then
	die "no registry answers at $url (GET ${url%/}/v2/ failed)"
fi

if [ -n "${CONFORMANCE_REPORT_DIR:-}" ]; then
	report=$CONFORMANCE_REPORT_DIR
	mkdir -p "$report"
	keep=1
else
	report=$(mktemp -d /tmp/conformance-report.XXXXXX)
	keep=0
fi
case $report in /*) ;; *) report=$PWD/$report ;; esac
rm -f "$report/junit.xml"

export OCI_ROOT_URL=${url%/}
export OCI_NAMESPACE=${OCI_NAMESPACE:-conformance/test}
export OCI_CROSSMOUNT_NAMESPACE=${OCI_CROSSMOUNT_NAMESPACE:-conformance/other}
export OCI_TEST_PULL=${OCI_TEST_PULL:-1}
export OCI_TEST_PUSH=${OCI_TEST_PUSH:-1}
export OCI_TEST_CONTENT_DISCOVERY=${OCI_TEST_CONTENT_DISCOVERY:-1}
export OCI_TEST_CONTENT_MANAGEMENT=${OCI_TEST_CONTENT_MANAGEMENT:-1}
export OCI_HIDE_SKIPPED_WORKFLOWS=${OCI_HIDE_SKIPPED_WORKFLOWS:-0}
export OCI_DEBUG=${OCI_DEBUG:-0}
export OCI_REPORT_DIR=$report

# the suite writes its reports into the working directory unless OCI_REPORT_DIR says
# otherwise; run it there so nothing lands where the caller stands
set +e
(cd "$report" && "$bin" -test.v -ginkgo.no-color "$@") > "$report/output.log" 2>&1
rc=$?
set -e
if [ ! -s "$report/junit.xml" ]; then
	echo "$prog: the suite wrote no junit.xml (exit $rc); its output:" >&2
	tail -n 30 "$report/output.log" >&2
	exit 2
fi

set +e
python3 - "$report/junit.xml" << 'EOF'
import re
import sys
import xml.etree.ElementTree as ET

GO_LINE = re.compile(r"([\w.-]+\.go:\d+)")
SUITE = "OCI Distribution Conformance Tests "
counts = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    name = tc.get("name", "")
    if not name.startswith(SUITE):
        continue  # the suite's own reporters, not tests
    status = tc.get("status", "")
    if status in ("failed", "panicked", "interrupted", "aborted", "timedout"):
        counts["failed"] += 1
        f = tc.find("failure")
        if f is None:
            f = tc.find("error")
        msg = (f.get("message", "") if f is not None else status) or status
        m = GO_LINE.search(f.text or "") if f is not None else None
        where = m.group(1) if m else ""
        failures.append((name[len(SUITE):], " ".join(msg.split()), where))
    elif status == "skipped" or status == "pending":
        counts["skipped"] += 1
    else:
        counts["passed"] += 1
for name, msg, where in failures:
    print("FAIL: %s" % name)
    print("      %s%s" % (msg[:400], " (%s)" % where if where else ""))
print("conformance: %d passed, %d failed, %d skipped" % (counts["passed"], counts["failed"], counts["skipped"]))
sys.exit(1 if counts["failed"] else 0)
EOF
status=$?
set -e
if [ "$keep" = 1 ]; then
	echo "reports: $report (junit.xml, report.html, output.log)"
elif [ "$status" -ne 0 ]; then
	echo "reports kept: $report (junit.xml, report.html, output.log; OCI_DEBUG=1 logs every request)"
else
	rm -rf "$report"
fi
[ "$status" -le 1 ] || exit 2
exit "$status"
