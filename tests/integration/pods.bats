#!/usr/bin/env bats
# Pod networking in both routing modes: pods on the same worker and across
# workers, worker <-> pod, pod -> another worker's underlay address, VXLAN
# on the wire, flannel leases in etcd, the BPF maps, agent restarts and pod
# deletion.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d)
	export PODSIM=kt-pod-$$
	for mode in bpf kernel; do
		cat > "$TMPD/$mode.yaml" <<YAML
name: $PODSIM-$mode
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
    datapath: {routing: $mode, proxy: nft}
YAML
		"$KNETSIM" up -t "$TMPD/$mode.yaml" -q
		for p in "Aw1 p1" "Aw1 p2" "Aw2 p3"; do
			"$KNETSIM" pod add --name "$PODSIM-$mode" $p -q
		done
	done
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	for mode in bpf kernel; do
		"$KNETSIM" down --name "$PODSIM-$mode" -q || true
	done
	rm -rf "$TMPD"
}

setup() {
	require_root
}

pod_ip() {
	ks pod list --name "$1" -j | jq -r ".pods[] | select(.metadata.name==\"$2\") | .status.podIP"
}

check_mode() {
	local sim=$PODSIM-$1 p1 p2 p3
	p1=$(pod_ip "$sim" p1)
	p2=$(pod_ip "$sim" p2)
	p3=$(pod_ip "$sim" p3)
	echo "pods: $p1 $p2 $p3"
	# same worker, across workers, worker -> pod, pod -> other worker
	ks exec --name "$sim" A.p1 -- ping -c 2 -W 2 -q "$p2"
	ks exec --name "$sim" A.p1 -- ping -c 2 -W 2 -q "$p3"
	ks exec --name "$sim" Aw1 -- ping -c 2 -W 2 -q "$p3"
	ks exec --name "$sim" Aw2 -- ping -c 2 -W 2 -q "$p1"
	ks exec --name "$sim" A.p1 -- ping -c 2 -W 2 -q 10.0.0.2
	# TCP across workers and on one worker
	ks exec --name "$sim" A.p3 -- sh -c "timeout 5 nc -l -p 7777" > "$TMPD/got-$1" 3>&- &
	local srv=$!
	sleep 0.3
	echo "hello over tcp" | ks exec --name "$sim" A.p1 -- nc -w 2 -q 1 "$p3" 7777
	wait "$srv"
	grep -q "hello over tcp" "$TMPD/got-$1"
	ks exec --name "$sim" A.p2 -- sh -c "timeout 5 nc -l -p 7778" > "$TMPD/got2-$1" 3>&- &
	srv=$!
	sleep 0.3
	echo "same worker" | ks exec --name "$sim" A.p1 -- nc -w 2 -q 1 "$p2" 7778
	wait "$srv"
	grep -q "same worker" "$TMPD/got2-$1"
}

@test "bpf routing: pods reach pods, workers and the underlay (ping, TCP)" {
	check_mode bpf
}

@test "kernel routing: pods reach pods, workers and the underlay (ping, TCP)" {
	check_mode kernel
}

@test "one flannel-format lease per worker in etcd" {
	for mode in bpf kernel; do
		run ks exec --name "$PODSIM-$mode" Ae1 -- etcdctl --endpoints http://127.0.0.1:2379 \
			get --prefix /coreos.com/network/subnets
		[ "$status" -eq 0 ]
		echo "$output"
		[ "$(grep -c '^/coreos.com/network/subnets/11\.[0-9]*\.[0-9]*\.0-20$' <<<"$output")" -eq 2 ]
		[ "$(grep '"BackendType":"vxlan"' <<<"$output" | jq -r '.BackendData.VNI' | sort -u)" = 100 ]
		[ "$(grep '"BackendType":"vxlan"' <<<"$output" | jq -r .PublicIP | sort | tr '\n' ' ')" = "10.0.0.1 10.0.0.2 " ]
	done
}

@test "pods are Kubernetes-shaped objects in etcd" {
	run ks exec --name "$PODSIM-bpf" Ae1 -- etcdctl --endpoints http://127.0.0.1:2379 \
		get --print-value-only /knetsim/pods/default/p3
	[ "$(jq -r .kind <<<"$output")" = Pod ]
	[ "$(jq -r .spec.nodeName <<<"$output")" = Aw2 ]
	[ "$(jq -r .metadata.namespace <<<"$output")" = default ]
}

@test "the underlay carries VXLAN with VNI 100 on port 8472" {
	command -v tshark >/dev/null || skip "tshark not installed"
	local sim=$PODSIM-bpf p3
	p3=$(pod_ip "$sim" p3)
	ks exec --name "$sim" Aw2 -- timeout 6 tshark -i eth0 -c 2 -f "udp port 8472" \
		-d udp.port==8472,vxlan -T fields -e vxlan.vni -e udp.dstport > "$TMPD/cap" 2>/dev/null 3>&- &
	local cap=$!
	sleep 2
	ks exec --name "$sim" A.p1 -- ping -c 3 -q "$p3"
	wait "$cap" || true
	cat "$TMPD/cap"
	grep -q "^100[[:space:]]8472" "$TMPD/cap"
}

@test "bpftool shows the BPF routes and endpoints with field names" {
	local sim=$PODSIM-bpf
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/routes"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"prefixlen": 20'* ]]
	[[ "$output" == *'"remote":'* ]]
	[[ "$output" == *'"vni": 100'* ]]
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/endpoints"
	[[ "$output" == *'"ifindex":'* ]]
	[ "$(grep -c '"ifindex"' <<<"$output")" -eq 2 ]
}

@test "restarting an agent loses no ping to a pod on its worker" {
	for mode in bpf kernel; do
		local sim=$PODSIM-$mode p3 pid
		p3=$(pod_ip "$sim" p3)
		ks exec --name "$sim" A.p1 -- ping -c 30 -i 0.1 -W 1 "$p3" > "$TMPD/ping-$mode" 3>&- &
		local ping=$!
		sleep 0.5
		pid=$(ks status --name "$sim" -j | jq -r '.simulations[0].nodes[] | select(.name=="Aw2") | .processes[] | select(.role=="agent" and .alive) | .pid')
		ks agent restart --name "$sim" Aw2
		[ "$(ks status --name "$sim" -j | jq -r '.simulations[0].nodes[] | select(.name=="Aw2") | .processes[] | select(.role=="agent" and .alive) | .pid')" != "$pid" ]
		wait "$ping"
		cat "$TMPD/ping-$mode"
		grep -q " 0% packet loss" "$TMPD/ping-$mode"
	done
}

@test "deleting a pod removes its veth, address and endpoint" {
	local sim=$PODSIM-bpf ip pid
	ks pod add --name "$sim" Aw1 gone -q
	ip=$(pod_ip "$sim" gone)
	[ -n "$ip" ]
	# a process in the pod goes with it
	ks exec --name "$sim" Aw1/gone -- sleep 300 >/dev/null 2>&1 3>&- &
	pid=$!
	sleep 0.3
	run ks pod del --name "$sim" Aw1/gone
	[ "$status" -eq 0 ]
	run ks exec --name "$sim" Aw1 -- ip -o route show "$ip"
	[ -z "$output" ]
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/endpoints"
	[ "$(grep -c '"ifindex"' <<<"$output")" -eq 2 ]
	run ks pod list --name "$sim" -j
	[ "$(jq '[.pods[] | select(.metadata.name=="gone")] | length' <<<"$output")" -eq 0 ]
	[ ! -e "/run/netns/$sim:A.gone" ]
	run wait "$pid"
	[ "$status" -eq 143 ]    # SIGTERM
	# the address went back to host-local's pool
	[ -e "/run/knetsim/$sim/ipam/Aw1/knetsim/$(pod_ip "$sim" p1)" ]
	[ ! -e "/run/knetsim/$sim/ipam/Aw1/knetsim/$ip" ]
}

@test "pod add rejects bad input and leaves nothing" {
	local sim=$PODSIM-bpf
	run ks pod add --name "$sim" Ae1 x
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a worker"* ]]
	run ks pod add --name "$sim" Aw2 p1
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	run ks pod add --name "$sim" Aw1 'bad.name'
	[ "$status" -eq 1 ]
	run ks pod del --name "$sim" nosuch
	[ "$status" -eq 1 ]
	[ ! -e "/run/netns/$sim:A.x" ]
}

@test "an agent restarted after a pod went away drops the pod's endpoint" {
	local sim=$PODSIM-bpf pid
	ks pod add --name "$sim" Aw1 brief -q
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/endpoints"
	local before
	before=$(grep -c '"ifindex"' <<<"$output")
	pid=$(ks status --name "$sim" -j | jq -r '.simulations[0].nodes[] | select(.name=="Aw1") | .processes[] | select(.role=="agent" and .alive) | .pid')
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ]; do sleep 0.05; done
	# the agent is down: the plugin's DEL cannot tell it
	ks pod del --name "$sim" Aw1/brief -q
	ks agent restart --name "$sim" Aw1
	run bpftool map dump pinned "/sys/fs/bpf/knetsim/$sim/Aw1/endpoints"
	[ "$(grep -c '"ifindex"' <<<"$output")" -eq $((before - 1)) ]
	run ks agent status --name "$sim" Aw1 -j
	[ "$(jq '[.endpoints[] | select(.pod=="brief")] | length' <<<"$output")" -eq 0 ]
}
