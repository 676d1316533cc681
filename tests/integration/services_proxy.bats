#!/usr/bin/env bats
# Services through both proxies on both routing modes: the course's ping
# to a VIP, TCP and UDP spread over backends, backends following pods,
# services with no backends rejected at once, traffic from the worker, a
# backend on the client's own worker, hairpin, ICMP errors from backends.

load helpers

RESPONDER=${RESPONDER:-$BATS_TEST_DIRNAME/../../build/tools/responder}
COMBOS="bpf-bpf bpf-nft kernel-bpf kernel-nft"
# Pods' own service traffic, in every combination (routing kernel with
# proxy bpf: tc programs on the pods' bridge ports, lb_from_pod/lb_to_pod).
POD_COMBOS="$COMBOS"
# Hairpin in every combination; with routing kernel and proxy nft it
# needs the bridge ports in hairpin mode (br_netfilter DNATs the frame on
# the bridge, which then sends it back out of the port it came in by).
HAIRPIN_COMBOS="$COMBOS"

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) SVCSIM=${SVCSIM_PREFIX:-kt-svc}-$$
	for combo in $COMBOS; do
		routing=${combo%-*} proxy=${combo#*-}
		cat > "$TMPD/$combo.yaml" <<YAML
name: $SVCSIM-$combo
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
    datapath: {routing: $routing, proxy: $proxy}
    pods:
      - {name: c1, worker: Aw1}
      - {name: c2, worker: Aw2}
      - {name: c3, worker: Aw3}
      - {name: c4, worker: Aw1}
    services:
      - {name: kp-vip-1, vip: 100.64.10.1, pods: [c2, c3]}
YAML
		"$KNETSIM" up -t "$TMPD/$combo.yaml" -q
		for p in c2 c3 c4; do
			"$KNETSIM" exec --name "$SVCSIM-$combo" "A.$p" -- \
				"$RESPONDER" --tcp 8080 --udp 8081 --text "$p" >/dev/null 2>&1 3>&- &
		done
		# port 82: nothing listens on the backends' 9999
		"$KNETSIM" service add --name "$SVCSIM-$combo" web --vip 100.64.20.1 \
			--port 80:8080/tcp --port 81:8081/udp --port 82:9999/udp \
			--pods c2,c3 -q
		# c4 is on c1's worker (Aw1)
		"$KNETSIM" service add --name "$SVCSIM-$combo" near --vip 100.64.40.1 \
			--port 80:8080/tcp --port 81:8081/udp --pods c4 -q
		"$KNETSIM" service add --name "$SVCSIM-$combo" empty --vip 100.64.30.1 \
			--port 80:8080/tcp --selector app=none -q
	done
	sleep 0.5
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	for combo in $COMBOS; do
		"$KNETSIM" down --name "$SVCSIM-$combo" -q || true
	done
	rm -rf "$TMPD"
}

setup() {
	require_root
}

# Which backends answered n TCP connections from $2 to the web VIP.
spread() {
	local sim=$1 from=$2 n=${3:-12}
	for i in $(seq "$n"); do
		ks exec --name "$sim" "$from" -- nc -w 2 100.64.20.1 80
	done | sort -u | tr '\n' ' '
}

@test "ping 100.64.10.1 from c1 is answered" {
	for combo in $POD_COMBOS; do
		echo "== $combo"
		ks exec --name "$SVCSIM-$combo" A.c1 -- ping -c 2 -W 2 -q 100.64.10.1
	done
}

@test "repeated TCP requests to a VIP from a pod reach both backends" {
	for combo in $POD_COMBOS; do
		got=$(spread "$SVCSIM-$combo" A.c1)
		echo "$combo: $got"
		[ "$got" = "c2 c3 " ]
	done
}

@test "a UDP service answers from the VIP" {
	for combo in $POD_COMBOS; do
		got=$(echo hi | ks exec --name "$SVCSIM-$combo" A.c1 -- nc -u -w 1 100.64.20.1 81)
		echo "$combo: $got"
		[[ "$got" == c2 || "$got" == c3 ]]
	done
}

@test "the worker's own connections to a VIP are balanced too" {
	for combo in $COMBOS; do
		got=$(spread "$SVCSIM-$combo" Aw1)
		echo "$combo: $got"
		[ "$got" = "c2 c3 " ]
	done
}

@test "a service with no backends is rejected at once" {
	for combo in $POD_COMBOS; do
		start=$(date +%s%N)
		run ks exec --name "$SVCSIM-$combo" A.c1 -- nc -w 5 100.64.30.1 80
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		echo "$combo: status $status after $ms ms: $output"
		[ "$status" -ne 0 ]
		[ "$ms" -lt 3000 ]    # refused, not a 5 s timeout
	done
}

@test "deleting c3 sends every request to c2; re-creating it brings it back" {
	for combo in $POD_COMBOS; do
		sim=$SVCSIM-$combo
		ks pod del --name "$sim" A.c3 -q
		got=$(spread "$sim" A.c1 8)
		echo "$combo without c3: $got"
		[ "$got" = "c2 " ]
		ks pod add --name "$sim" Aw3 c3 -q
		ks exec --name "$sim" A.c3 -- "$RESPONDER" --tcp 8080 --udp 8081 --text c3 >/dev/null 2>&1 3>&- &
		sleep 0.5
		got=$(spread "$sim" A.c1 16)
		echo "$combo with c3 again: $got"
		[ "$got" = "c2 c3 " ]
	done
}

@test "a backend on the client's own worker answers from the VIP" {
	for combo in $POD_COMBOS; do
		got=$(ks exec --name "$SVCSIM-$combo" A.c1 -- nc -w 2 100.64.40.1 80)
		echo "$combo tcp: $got"
		[ "$got" = c4 ]
		got=$(echo hi | ks exec --name "$SVCSIM-$combo" A.c1 -- nc -u -w 1 100.64.40.1 81)
		echo "$combo udp: $got"
		[ "$got" = c4 ]
	done
}

@test "hairpin: a pod reaches itself through the VIP" {
	for combo in $HAIRPIN_COMBOS; do
		got=$(ks exec --name "$SVCSIM-$combo" A.c4 -- nc -w 2 100.64.40.1 80)
		echo "$combo tcp: $got"
		[ "$got" = c4 ]
		got=$(echo hi | ks exec --name "$SVCSIM-$combo" A.c4 -- nc -u -w 1 100.64.40.1 81)
		echo "$combo udp: $got"
		[ "$got" = c4 ]
	done
}

# The backend's port unreachable must reach the client as the VIP's, or
# its socket (connected to the VIP) never hears of it and nc waits for an
# answer until its timeout (3 s) instead of ending at once.
@test "a backend's ICMP error reaches the client as the VIP's" {
	for combo in $POD_COMBOS; do
		start=$(date +%s%N)
		run sh -c "echo hi | '$KNETSIM' exec --name '$SVCSIM-$combo' A.c1 -- nc -u -w 3 100.64.20.1 82"
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		echo "$combo: status $status after $ms ms: $output"
		[ "$ms" -lt 2000 ]
	done
}

@test "nft proxy: nft list ruleset in a worker shows the kube-proxy structure" {
	run ks exec --name "$SVCSIM-bpf-nft" Aw1 -- nft list table ip knetsim
	[ "$status" -eq 0 ]
	[[ "$output" == *"ip daddr . meta l4proto . th dport vmap @service-ports"* ]]
	[[ "$output" == *"numgen random mod 2"* ]]
	[[ "$output" == *"dnat to"* ]]
	[[ "$output" == *"counter packets"* ]]
}

@test "bpf proxy: bpftool shows the service maps with field names" {
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$SVCSIM-bpf-bpf/Aw1/lb_services"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"vip":'* ]]
	[[ "$output" == *'"count": 2'* ]]
}

# Which programs Aw1 has on the tc hooks of the first port of its cni0.
pod_veth_progs() {
	local sim=$1 dev
	dev=$(ks exec --name "$sim" Aw1 -- ip -o link show master cni0 |
		awk -F': ' 'NR == 1 { sub(/@.*/, "", $2); print $2 }')
	[ -n "$dev" ] || return 1
	for dir in ingress egress; do
		ks exec --name "$sim" Aw1 -- tc filter show dev "$dev" "$dir" |
			grep -o 'lb_[a-z_]*:\[[0-9]*\]'
	done | tr '\n' ' '
}

@test "kernel routing, bpf proxy: pods' veths carry the service programs, across an agent restart" {
	local sim=$SVCSIM-kernel-bpf before after
	before=$(pod_veth_progs "$sim")
	echo "before: $before"
	[[ "$before" == "lb_from_pod:["*"] lb_to_pod:["*"] " ]]
	ks agent restart Aw1 --name "$sim"
	after=$(pod_veth_progs "$sim")
	echo "after: $after"
	[[ "$after" == "lb_from_pod:["*"] lb_to_pod:["*"] " ]]
	[ "$after" != "$before" ]   # the new agent's programs
	got=$(spread "$sim" A.c1)
	echo "after the restart: $got"
	[ "$got" = "c2 c3 " ]
}
