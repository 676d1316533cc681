#!/usr/bin/env bats
# A service deleted while a worker's agent was down is gone from that
# worker once a new agent has resynced (its prune), for every proxy (bpf,
# nft, nft-linear); the services that still exist keep working throughout.
# Also: the agent's status reports its services and their timings.

load helpers

RESPONDER=${RESPONDER:-$BATS_TEST_DIRNAME/../../build/tools/responder}
PROXIES="bpf nft nft-linear"

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) PRSIM=${PRSIM_PREFIX:-kt-prune}-$$
	for proxy in $PROXIES; do
		cat > "$TMPD/$proxy.yaml" <<YAML
name: $PRSIM-$proxy
underlay: {subnet: 10.0.0.0/24}
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
    datapath: {routing: bpf, proxy: $proxy}
    pods:
      - {name: c1, worker: Aw1}
      - {name: c2, worker: Aw2}
    services:
      - {name: web, vip: 100.64.20.1, ports: [{port: 80, targetPort: 8080}], pods: [c2]}
      - {name: gone, vip: 100.64.20.2, ports: [{port: 80, targetPort: 8080}], pods: [c2]}
      - name: port-gone
        vip: 100.64.20.3
        ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]
        pods: [c2]
YAML
		"$KNETSIM" up -t "$TMPD/$proxy.yaml" -q
		"$KNETSIM" exec --name "$PRSIM-$proxy" A.c2 -- \
			"$RESPONDER" --tcp 8080 --text c2 >/dev/null 2>&1 3>&- &
	done
	sleep 0.5
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	for proxy in $PROXIES; do
		"$KNETSIM" down --name "$PRSIM-$proxy" -q || true
	done
	rm -rf "$TMPD"
}

setup() {
	require_root
}

# One TCP request from c1 to VIP $2 port $3 (default 80).
ask() {
	ks exec --name "$1" A.c1 -- nc -w 2 "$2" "${3:-80}" </dev/null
}

# What the worker's proxy holds: the nft table, or the number of entries
# of the services map.
installed() {
	local sim=$1 proxy=$2
	if [ "$proxy" = bpf ]; then
		bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/lb_services" -j |
			jq length
	else
		ks exec --name "$sim" Aw1 -- nft list table ip knetsim
	fi
}

agent_pid() {
	ks status --name "$1" -j | jq -r '.simulations[0].nodes[] |
		select(.name == "Aw1") | .processes[] |
		select(.role == "agent" and .alive) | .pid'
}

check_prune() {
	local proxy=$1 sim=$PRSIM-$1 pid out

	run ask "$sim" 100.64.20.2
	[ "$status" -eq 0 ] && [ "$output" = c2 ]
	run ask "$sim" 100.64.20.3 81
	[ "$status" -eq 0 ] && [ "$output" = c2 ]

	# the agent of Aw1 stops; meanwhile gone is deleted and port-gone
	# loses port 81
	pid=$(agent_pid "$sim")
	[ -n "$pid" ]
	kill -TERM "$pid"
	for _ in $(seq 50); do
		[ -d "/proc/$pid" ] && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ] || break
		sleep 0.1
	done
	ks service del gone --name "$sim" -q
	ks service del port-gone --name "$sim" -q
	ks service add port-gone --vip 100.64.20.3 --port 80:8080/tcp --pods c2 \
		--name "$sim" -q
	# with no agent, what it installed still translates
	run ask "$sim" 100.64.20.2
	[ "$status" -eq 0 ] && [ "$output" = c2 ]

	ks agent restart Aw1 --name "$sim" -q
	run ask "$sim" 100.64.20.1
	[ "$status" -eq 0 ] && [ "$output" = c2 ]
	run ask "$sim" 100.64.20.3
	[ "$status" -eq 0 ] && [ "$output" = c2 ]
	run ask "$sim" 100.64.20.2
	[ "$status" -ne 0 ]
	run ask "$sim" 100.64.20.3 81
	[ "$status" -ne 0 ]
	out=$(installed "$sim" "$proxy")
	if [ "$proxy" = bpf ]; then
		# web:80 and port-gone:80
		[ "$out" -eq 2 ]
	else
		! echo "$out" | grep -q 100.64.20.2
		! echo "$out" | grep -q '100.64.20.3 tcp dport 81\|100.64.20.3 . tcp . 81'
		echo "$out" | grep -q 100.64.20.1
	fi
	ks agent status Aw1 --name "$sim" -j |
		jq -e '.services.count == 2 and .services.errors == 0'
}

@test "bpf: services deleted while the agent was down are pruned" {
	check_prune bpf
}

@test "nft: services deleted while the agent was down are pruned" {
	check_prune nft
}

@test "nft-linear: services deleted while the agent was down are pruned" {
	check_prune nft-linear
}

@test "status: the agent reports its services and how long applying them took" {
	local sim=$PRSIM-nft
	# Aw2's agent never restarted: one resync at start, then events
	ks agent status Aw2 --name "$sim" -j | jq -e '.services |
		.proxy == "nft" and .count >= 2 and .resyncs == 1 and
		(.last_resync_us | type == "number") and .applied_total >= 1 and
		.last_apply_count >= 1 and .errors == 0'
	ks status --name "$sim" -j | jq -e '.simulations[0].nodes[] |
		select(.name == "Aw2") | .agent.services.count >= 2'
	[ "$(ks status --name "$PRSIM-nft-linear" -j |
		jq -r '.simulations[0].clusters[0].proxy')" = nft-linear ]
}
