#!/usr/bin/env bats
# Services through both proxies on both routing modes: the course's ping
# to a VIP, TCP and UDP spread over backends, backends following pods,
# services with no backends rejected at once, traffic from the worker.

load helpers

RESPONDER=${RESPONDER:-$BATS_TEST_DIRNAME/../../build/tools/responder}
COMBOS="bpf-bpf bpf-nft kernel-bpf kernel-nft"
# Pods' own service traffic: routing kernel + proxy bpf has no tc program
# on the pods' bridge ports yet (see the last test), so it is left out.
POD_COMBOS="bpf-bpf bpf-nft kernel-nft"

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) SVCSIM=kt-svc-$$
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
    services:
      - {name: kp-vip-1, vip: 100.64.10.1, pods: [c2, c3]}
YAML
		"$KNETSIM" up -t "$TMPD/$combo.yaml" -q
		for p in c2 c3; do
			"$KNETSIM" exec --name "$SVCSIM-$combo" "A.$p" -- \
				"$RESPONDER" --tcp 8080 --udp 8081 --text "$p" >/dev/null 2>&1 3>&- &
		done
		"$KNETSIM" service add --name "$SVCSIM-$combo" web --vip 100.64.20.1 \
			--port 80:8080/tcp --port 81:8081/udp --pods c2,c3 -q
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

@test "routing kernel with proxy bpf: pods' service traffic" {
	skip "not implemented: routing kernel has no tc program on the pods' bridge ports to balance and reverse-NAT their service traffic (the worker's own traffic is balanced, see above)"
}
