# Shared by the integration tests. Every test file uses simulation names of
# its own (kt-<file>-<pid>) and removes them in teardown, pass or fail.

KNETSIM=${KNETSIM:-$BATS_TEST_DIRNAME/../../build/knetsim}
TOPO=$BATS_TEST_DIRNAME/topologies
DEFAULT_TOPO=$BATS_TEST_DIRNAME/../../conf/default.yaml

ks() {
	"$KNETSIM" "$@"
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root (network namespaces)"
	fi
}

# PIDs of every process the simulation recorded.
sim_pids() {
	ks status --name "$1" -j | jq -r '.simulations[].nodes[].processes[].pid'
}

# Fails, saying what is left, when anything of simulation $1 remains.
assert_gone() {
	local sim=$1 left=""
	local ns mounts

	ns=$(ip netns list | awk '{print $1}' | grep -F "$sim:" || true)
	[ -z "$ns" ] || left="$left namespaces: $ns;"
	mounts=$(grep -F "/run/netns/$sim:" /proc/self/mountinfo || true)
	[ -z "$mounts" ] || left="$left mounts: $mounts;"
	[ ! -e "/run/knetsim/$sim" ] || left="$left state dir /run/knetsim/$sim;"
	[ ! -e "/sys/fs/bpf/knetsim/$sim" ] || left="$left bpf pins;"
	for pid in ${2:-}; do
		if [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ]; then
			left="$left process $pid ($(cat /proc/$pid/comm));"
		fi
	done
	if [ -n "$left" ]; then
		echo "left behind by $sim:$left" >&2
		return 1
	fi
}

# Writes a small topology (one cluster: two workers, one etcd member) with
# an optional extra YAML block appended.
small_topology() {
	local file=$1 name=$2 extra=${3:-}
	cat > "$file" <<YAML
name: $name
underlay:
  subnet: 10.0.0.0/24
clusters:
  - name: A
    workers: [Aw1, Aw2]
    etcd: [Ae1]
    network:
      Network: 11.0.0.0/8
      SubnetLen: 20
      SubnetMin: 11.10.0.0
      SubnetMax: 11.99.0.0
      Backend: {Type: vxlan, VNI: 100, Port: 8472}
$extra
YAML
}
