#!/usr/bin/env bats
# The default topology, brought up once for the file: reachability across
# workers and clusters, etcd health, status, exec and shell.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export SIM=kt-lab-$$
	"$KNETSIM" up -t "$DEFAULT_TOPO" --name "$SIM" -q
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$SIM" -q || true
}

setup() {
	require_root
}

workers() {
	ks status --name "$SIM" -j |
		jq -r '.simulations[0].nodes[] | select(.kind=="worker") | "\(.name) \(.address)"'
}

@test "the default lab has six workers and six etcd members, all present" {
	run ks status --name "$SIM" -j
	[ "$status" -eq 0 ]
	[ "$(jq '.simulations[0].nodes | map(select(.kind=="worker")) | length' <<<"$output")" -eq 6 ]
	[ "$(jq '.simulations[0].nodes | map(select(.kind=="etcd")) | length' <<<"$output")" -eq 6 ]
	[ "$(jq '[.simulations[0].nodes[] | select(.present|not)] | length' <<<"$output")" -eq 0 ]
	[ "$(jq -r '.simulations[0].state' <<<"$output")" = up ]
}

@test "every worker pings every other worker, across clusters too" {
	local failed="" pairs=0
	while read -r a _; do
		while read -r b addr; do
			[ "$a" = "$b" ] && continue
			pairs=$((pairs + 1))
			ks exec --name "$SIM" "$a" -- ping -c 1 -W 2 -q "$addr" >/dev/null ||
				failed="$failed $a->$b"
		done < <(workers)
	done < <(workers)
	echo "pairs: $pairs failed:$failed"
	[ "$pairs" -eq 30 ]
	[ -z "$failed" ]
}

@test "etcdctl endpoint health is healthy for every member" {
	local eps
	while read -r name addr; do
		run ks exec --name "$SIM" "$name" -- env ETCDCTL_API=3 etcdctl \
			--endpoints "http://$addr:2379" endpoint health
		echo "$name: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"is healthy"* ]]
	done < <(ks status --name "$SIM" -j |
		jq -r '.simulations[0].nodes[] | select(.kind=="etcd") | "\(.name) \(.address)"')
	run ks status --name "$SIM" -j
	[ "$(jq '[.simulations[0].clusters[] | select(.etcd_healthy)] | length' <<<"$output")" -eq 2 ]
}

@test "each cluster's etcd holds its flannel network config" {
	local addr
	addr=$(ks status --name "$SIM" -j | jq -r '.simulations[0].nodes[] | select(.name=="C1e2") | .address')
	run ks exec --name "$SIM" C1e2 -- env ETCDCTL_API=3 etcdctl \
		--endpoints "http://$addr:2379" get --print-value-only /coreos.com/network/config
	[ "$status" -eq 0 ]
	[ "$(jq -r .Network <<<"$output")" = 11.0.0.0/8 ]
	[ "$(jq -r .SubnetLen <<<"$output")" = 20 ]
	[ "$(jq -r .SubnetMin <<<"$output")" = 11.10.0.0 ]
	[ "$(jq -r .SubnetMax <<<"$output")" = 11.99.0.0 ]
	[ "$(jq -r .Backend.Type <<<"$output")" = vxlan ]
	[ "$(jq -r .Backend.VNI <<<"$output")" = 100 ]
	[ "$(jq -r .Backend.Port <<<"$output")" = 8472 ]
}

@test "status shows every etcd process alive" {
	run ks status --name "$SIM" -j
	[ "$(jq '[.simulations[0].nodes[].processes[] | select(.role=="etcd" and .alive)] | length' <<<"$output")" -eq 6 ]
	[ "$(jq '[.simulations[0].nodes[].processes[] | select(.role=="agent" and .alive)] | length' <<<"$output")" -eq 6 ]
	run ks status --name "$SIM"
	[ "$status" -eq 0 ]
	[[ "$output" == *"C0e1"*"etcd("*") alive"* ]]
	[[ "$output" == *"healthy (3/3 members healthy)"* ]]
}

@test "the simulation is not connected to the host's namespace" {
	# No interface of ours in the host, and the nodes have no route out.
	run ip -o link show
	[[ "$output" != *"C0w1"* ]]
	[[ "$output" != *"t0-"* ]]
	run ks exec --name "$SIM" C0w1 -- ip -4 route show default
	[ -z "$output" ]
}

@test "exec passes the command's exit status through" {
	run ks exec --name "$SIM" C0w2 -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run ks exec --name "$SIM" C0w2 -- ip -4 -o addr show dev eth0
	[[ "$output" == *"10.0.0.2/16"* ]]
}

@test "exec on an unknown node fails clearly" {
	run ks exec --name "$SIM" C9w9 -- true
	[ "$status" -eq 1 ]
	[[ "$output" == *"C9w9: no such node"* ]]
}

@test "shell opens in the node with a prompt that names it" {
	run bash -c "echo 'ip -4 -o addr show dev eth0; exit 3' | '$KNETSIM' shell --name '$SIM' C1w1 2>&1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"[$SIM:C1w1]"* ]]
	[[ "$output" == *"10.0.0.7/16"* ]]
}

@test "a second up of the same simulation is refused and changes nothing" {
	run ks up -t "$DEFAULT_TOPO" --name "$SIM" -q
	[ "$status" -eq 1 ]
	[[ "$output" == *"already"* ]]
	run ks status --name "$SIM" -j
	[ "$(jq -r '.simulations[0].state' <<<"$output")" = up ]
}

@test "the course's pods reach every other pod of their cluster" {
	local failed="" pairs=0
	run ks pod list --name "$SIM" -j
	[ "$(jq '.pods | length' <<<"$output")" -eq 11 ]
	local pods=$output
	for c in C0 C1; do
		while read -r a; do
			while read -r b ip; do
				[ "$a" = "$b" ] && continue
				pairs=$((pairs + 1))
				ks exec --name "$SIM" "$c.$a" -- ping -c 1 -W 2 -q "$ip" >/dev/null ||
					failed="$failed $c.$a->$b"
			done < <(jq -r ".pods[] | select(.cluster==\"$c\") | \"\(.metadata.name) \(.status.podIP)\"" <<<"$pods")
		done < <(jq -r ".pods[] | select(.cluster==\"$c\") | .metadata.name" <<<"$pods")
	done
	echo "pairs: $pairs failed:$failed"
	[ "$pairs" -eq 62 ]    # 8*7 in C0 (c1-c4, ic0-ic3), 3*2 in C1
	[ -z "$failed" ]
	# exec by WORKER/POD too
	ks exec --name "$SIM" C0w3/c4 -- true
}
