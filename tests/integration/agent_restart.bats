#!/usr/bin/env bats
# What a restarted agent does with what its predecessor left (routing
# kernel): a lease deleted from etcd while the agent was down takes its
# neighbour, FDB entry and on-link route on flannel.100 with it when the
# agent comes back; the other workers' entries stay and keep forwarding.

load helpers

VX=flannel.100

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) ARSIM=${ARSIM:-kt-ar-$$}
	cat > "$TMPD/topo.yaml" <<YAML
name: $ARSIM
underlay: {subnet: 10.0.0.0/24}
clusters:
  - name: A
    workers: [Aw1, Aw2, Aw3]
    etcd: [Ae1]
    network:
      Network: 11.0.0.0/8
      SubnetLen: 20
      SubnetMin: 11.10.0.0
      SubnetMax: 11.99.0.0
      Backend: {Type: vxlan, VNI: 100, Port: 8472}
    datapath: {routing: kernel, proxy: nft}
YAML
	"$KNETSIM" up -t "$TMPD/topo.yaml" -q
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$ARSIM" -q || true
	rm -rf "$TMPD"
}

setup() {
	require_root
}

# Field $2 (subnet, address, pid, log) of worker $1.
worker() {
	local q
	case $2 in
	subnet)  q='.agent.subnet' ;;
	address) q='.address' ;;
	pid)     q='.processes[] | select(.role=="agent" and .alive) | .pid' ;;
	log)     q='.processes[] | select(.role=="agent") | .log' ;;
	esac
	ks status --name "$ARSIM" -j |
		jq -r ".simulations[0].nodes[] | select(.name==\"$1\") | $q" | head -n 1
}

etcdctl_a() {
	ks exec --name "$ARSIM" Ae1 -- env ETCDCTL_API=3 etcdctl \
		--endpoints http://127.0.0.1:2379 "$@"
}

# Whether worker $1 holds the three entries of the lease $2 at $3 on
# flannel.100: "route neigh fdb" with each word present or "-".
entries() {
	local w=$1 subnet=$2 addr=$3 net=${2%/*} r=- n=- f=-
	ks exec --name "$ARSIM" "$w" -- ip -o route show dev $VX |
		grep -q "^$subnet via $net .*onlink" && r=route
	ks exec --name "$ARSIM" "$w" -- ip -o neigh show dev $VX |
		grep -q "^$net lladdr .* PERMANENT" && n=neigh
	ks exec --name "$ARSIM" "$w" -- bridge fdb show dev $VX |
		grep -q " dst $addr self permanent" && f=fdb
	echo "$r $n $f"
}

# Stops worker $1's agent by its PID and waits until it is gone.
stop_agent() {
	local pid
	pid=$(worker "$1" pid)
	[ -n "$pid" ]
	kill -TERM "$pid"
	for _ in $(seq 100); do
		[ -d "/proc/$pid" ] && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ] || return 0
		sleep 0.1
	done
	echo "agent $pid of $1 did not stop" >&2
	return 1
}

@test "kernel routing: a lease deleted while the agent was down is swept at its restart" {
	local s2 s3 a2 a3 net3
	s2=$(worker Aw2 subnet) s3=$(worker Aw3 subnet)
	a2=$(worker Aw2 address) a3=$(worker Aw3 address)
	echo "Aw2 $s2 at $a2, Aw3 $s3 at $a3"
	[ -n "$s2" ] && [ -n "$s3" ]
	[ "$(entries Aw1 "$s2" "$a2")" = "route neigh fdb" ]
	[ "$(entries Aw1 "$s3" "$a3")" = "route neigh fdb" ]

	stop_agent Aw1
	run etcdctl_a del "/coreos.com/network/subnets/${s2/\//-}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	# with no agent running, Aw1 still holds Aw2's entries
	[ "$(entries Aw1 "$s2" "$a2")" = "route neigh fdb" ]

	ks agent restart --name "$ARSIM" Aw1 -q
	[ "$(entries Aw1 "$s2" "$a2")" = "- - -" ]
	[ "$(entries Aw1 "$s3" "$a3")" = "route neigh fdb" ]
	grep -q "removed stale route $s2 dev $VX" "$(worker Aw1 log)"
	# the live lease still forwards: Aw3's flannel.100 answers over it
	net3=${s3%/*}
	ks exec --name "$ARSIM" Aw1 -- ping -c 2 -W 2 -q "$net3"
	# Aw3's agent, running all along, followed the deletion live
	[ "$(entries Aw3 "$s2" "$a2")" = "- - -" ]
}

@test "kernel routing: a restart with nothing stale keeps every entry" {
	local before after
	before=$(ks exec --name "$ARSIM" Aw3 -- sh -c \
		"ip -o route show dev $VX; ip -o neigh show dev $VX; bridge fdb show dev $VX" | sort)
	[ -n "$before" ]
	ks agent restart --name "$ARSIM" Aw3 -q
	after=$(ks exec --name "$ARSIM" Aw3 -- sh -c \
		"ip -o route show dev $VX; ip -o neigh show dev $VX; bridge fdb show dev $VX" | sort)
	echo "before: $before"
	echo "after: $after"
	[ "$before" = "$after" ]
	! grep -q "removed stale" "$(worker Aw3 log)"
}
