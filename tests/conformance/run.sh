#!/bin/sh
# SPDX-License-Identifier: MIT
# CNI conformance of knetsim-cni through the reference library libcni:
# builds the Go driver (Debian's golang-go and golang-github-appc-cni-dev,
# GOPATH mode, offline), makes a worker-like namespace and three pod
# namespaces, runs the driver inside the worker (as a kubelet runs its
# plugins on its node) and removes everything again, whatever happens.
# Prints "N passed, N failed"; exits non-zero on any failure.
#
#   KNETSIM_CNI   the plugin binary (default: build/knetsim-cni)
#
# Needs root. Namespaces: kth-w-<pid>, kth-p{1,2,3}-<pid>.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
plugin=${KNETSIM_CNI:-$top/build/knetsim-cni}

fail() {
	echo "run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (it creates network namespaces)"
[ -x "$plugin" ] || fail "$plugin: no such program (build it: make build/knetsim-cni)"
[ -x /usr/lib/cni/host-local ] ||
	fail "/usr/lib/cni/host-local missing (apt-get install containernetworking-plugins)"
command -v go >/dev/null || fail "go missing (apt-get install golang-go)"
[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ] ||
	fail "libcni missing (apt-get install golang-github-appc-cni-dev)"

worker=kth-w-$$
pods="kth-p1-$$ kth-p2-$$ kth-p3-$$"
tmp=$(mktemp -d /tmp/kth-cni-conformance.XXXXXX)
made="" # only namespaces this run created are removed

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for ns in $made; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The plugin must be found by its type, "knetsim-cni", in a directory.
mkdir -p "$tmp/bin"
ln -s "$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")" "$tmp/bin/knetsim-cni"

[ -n "${HOME:-}" ] || export GOCACHE="$tmp/gocache"
GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS='' \
	go build -o "$tmp/cni_conformance" "$here/cni_conformance.go" ||
	fail "building the driver failed"

for ns in $worker $pods; do
	ip netns add "$ns" || fail "cannot create namespace $ns"
	made="$ns $made"
done

# nsenter --net only: the driver shares our mount namespace, so the pod
# namespaces it deletes and re-creates under /run/netns are the real ones.
set +e
nsenter --net="/run/netns/$worker" "$tmp/cni_conformance" \
	-plugin-dir "$tmp/bin" -tmp "$tmp" -pods "$(echo "$pods" | tr ' ' ,)"
status=$?
set -e
exit $status
