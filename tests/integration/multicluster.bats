#!/usr/bin/env bats
# Multi-cluster: c4's web page in C0 reached from a pod of C1 through its
# router node's port 1028, across an encrypted link between the clusters.
# The nginx TLS gateway always runs; skupper-router runs when skrouterd is
# on PATH (otherwise its test is skipped, saying so).

load helpers

# Two clusters of two workers; C0w1 and C1w1 run the routers.
mc_topology() {
	local file=$1 name=$2 gateway=$3
	cat > "$file" <<YAML
name: $name
underlay: {subnet: 10.0.0.0/24}
clusters:
  - name: C0
    workers: [C0w1, C0w2]
    etcd: [C0e1]
    network: {Network: 11.0.0.0/8, SubnetLen: 20, SubnetMin: 11.10.0.0, SubnetMax: 11.99.0.0}
    pods:
      - {name: c4, worker: C0w2, command: [knetsim-responder, --http, --tcp, "80", --text, "hello from C0.c4"]}
  - name: C1
    workers: [C1w1, C1w2]
    etcd: [C1e1]
    network: {Network: 11.0.0.0/8, SubnetLen: 20, SubnetMin: 11.10.0.0, SubnetMax: 11.99.0.0}
    pods:
      - {name: c2, worker: C1w2}
multicluster:
  gateway: $gateway
  links: [{from: C1, to: C0}]
  exports:
    - {name: web, cluster: C0, target: c4, port: 80, listen: 1028}
YAML
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) MCSIM=${MCSIM:-kt-mc-$$}
	mc_topology "$TMPD/nginx.yaml" "$MCSIM" nginx
	"$KNETSIM" up -t "$TMPD/nginx.yaml" 2>"$TMPD/up.err" >/dev/null 3>&- ||
		cat "$TMPD/up.err" >&2
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$MCSIM" -q || true
	"$KNETSIM" down --name "$MCSIM-sk" -q || true
	rm -rf "$TMPD"
}

setup() {
	require_root
}

addr_of() {
	ks status --name "$1" -j |
		jq -r --arg n "$2" '.simulations[].nodes[] | select(.name == $n) | .address'
}

# The page from C1.c2 through C1w1:1028, retried while links come up.
fetch_page() {
	local sim=$1 tries=${2:-1} addr i
	addr=$(addr_of "$sim" C1w1)
	for i in $(seq "$tries"); do
		ks exec --name "$sim" C1.c2 -- wget -qO- -t 1 -T 3 "http://$addr:1028" && return 0
		sleep 1
	done
	return 1
}

# The recorded PID of role $3 on node $2: the router's supervisor.
router_pid() {
	ks status --name "$1" -j | jq -r --arg n "$2" --arg r "$3" \
		'.simulations[].nodes[] | select(.name == $n) | .processes[]
		| select(.role == $r) | .pid'
}

# The supervised router: the supervisor's (only) child.
router_child() {
	ps -o pid= --ppid "$1" | tr -d ' ' | head -n 1
}

# Kills the router under supervisor $2 with SIGKILL and waits (15 s at
# most) for another to run and for C1.c2 to get c4's page through it.
kill_and_recover() {
	local sim=$1 sup=$2 old new i
	old=$(router_child "$sup")
	[ -n "$old" ] || { echo "supervisor $sup has no child"; return 1; }
	kill -9 "$old"
	for i in $(seq 30); do
		sleep 0.5
		new=$(router_child "$sup")
		[ -n "$new" ] && [ "$new" != "$old" ] || continue
		if ks exec --name "$sim" C1.c2 -- wget -qO- -t 1 -T 1 \
			"http://$(addr_of "$sim" C1w1):1028" 2>/dev/null |
			grep -qx "hello from C0.c4"; then
			echo "router $old killed, $new serves after $i half-seconds"
			# The killed one is reaped, not left a zombie.
			if [ "$(awk '{print $3}' "/proc/$old/stat" 2>/dev/null)" = Z ]; then
				echo "$old left a zombie"
				return 1
			fi
			return 0
		fi
	done
	echo "no router serves 15 s after killing $old (now: ${new:-none})"
	return 1
}

@test "nginx gateway: up starts one per cluster and says which" {
	cat "$TMPD/up.err"
	grep -q "multicluster: 2 nginx TLS gateways (gateway: nginx)" "$TMPD/up.err"
	run ks status --name "$MCSIM" -j
	[ "$status" -eq 0 ]
	for n in C0w1 C1w1; do
		echo "$output" | jq -e --arg n "$n" '.simulations[].nodes[] | select(.name == $n)
			| .processes[] | select(.role == "mc-gateway") | .alive' >/dev/null
	done
	# The certificates: a CA, a key (0600) and certificate per router.
	[ -f "/run/knetsim/$MCSIM/mc/ca.crt" ]
	[ "$(stat -c %a "/run/knetsim/$MCSIM/mc/C1/router.key")" = 600 ]
	[ "$(stat -c %a "/run/knetsim/$MCSIM/mc/C0/router.key")" = 600 ]
}

@test "nginx gateway: C1.c2 gets c4's page from C1w1:1028" {
	run fetch_page "$MCSIM" 3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from C0.c4" ]
}

@test "nginx gateway: the traffic between the clusters is TLS, never the page" {
	local c0 pcap=$TMPD/link.pcap cap i
	c0=$(addr_of "$MCSIM" C0w1)
	ip netns exec "$MCSIM:C1w1" tshark -q -i eth0 -f "host $c0 and tcp port 1028" \
		-w "$pcap" -a duration:20 >/dev/null 2>"$TMPD/tshark.err" 3>&- &
	cap=$!
	for i in $(seq 100); do
		grep -q "Capturing on" "$TMPD/tshark.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.3
	run fetch_page "$MCSIM" 3
	sleep 0.5
	kill -INT "$cap"
	wait "$cap" || true
	[ "$output" = "hello from C0.c4" ]
	# Seen on the wire: a TLS handshake, application data, no page.
	tshark -r "$pcap" -Y "tls.handshake.type == 1" | grep -q .
	tshark -r "$pcap" -Y "tls.app_data" | grep -q .
	! grep -aq "hello from" "$pcap"
	# And the gateway of C0 serves nothing over plain TCP.
	run ks exec --name "$MCSIM" C1.c2 -- wget -qO- -t 1 -T 3 "http://$c0:1028"
	[ "$status" -ne 0 ]
	[[ "$output" != *"hello from"* ]]
}

@test "nginx gateway: link status shows listeners and a TLS handshake with the peer" {
	run ks link status --name "$MCSIM" -j
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.gateway == "nginx"'
	echo "$output" | jq -e '[.routers[].listeners[] | select(.listening)] | length == 2'
	echo "$output" | jq -e '.routers[] | select(.cluster == "C1") | .peers[0]
		| .handshake == "ok" and .certificate == "C0w1"'
	run ks link status --name "$MCSIM"
	echo "$output"
	[[ "$output" == *"TLS handshake ok"* ]]
}

@test "nginx gateway: a gateway that dies is started again" {
	local sup log
	sup=$(router_pid "$MCSIM" C1w1 mc-gateway)
	[ -n "$sup" ]
	run kill_and_recover "$MCSIM" "$sup"
	echo "$output"
	[ "$status" -eq 0 ]
	# The same supervisor is recorded, alive; it logged why it restarted.
	[ "$(router_pid "$MCSIM" C1w1 mc-gateway)" = "$sup" ]
	ks status --name "$MCSIM" -j | jq -e '[.simulations[].nodes[].processes[]
		| select(.role == "mc-gateway") | .alive] | all and length == 2'
	log=$(ks status --name "$MCSIM" -j | jq -r '.simulations[].nodes[]
		| select(.name == "C1w1") | .processes[]
		| select(.role == "mc-gateway") | .log')
	grep -q "was killed by signal 9 (Killed) after .*; restarting in 0.5 s" "$log"
	# And the C0 side, which C1's gateway connects to.
	sup=$(router_pid "$MCSIM" C0w1 mc-gateway)
	run kill_and_recover "$MCSIM" "$sup"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "skupper-router: C1.c2 gets c4's page over an encrypted router link" {
	if ! command -v skrouterd >/dev/null; then
		skip "skupper-router (skrouterd) not installed: see README"
	fi
	local sim=$MCSIM-sk pids
	mc_topology "$TMPD/skupper.yaml" "$sim" skupper
	run ks up -t "$TMPD/skupper.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"multicluster: 2 skupper-routers"* ]]
	run fetch_page "$sim" 15
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from C0.c4" ]
	if command -v skmanage >/dev/null; then
		run ks link status --name "$sim" -j
		echo "$output"
		echo "$output" | jq -e '.gateway == "skupper"'
		echo "$output" | jq -e '.routers[] | select(.cluster == "C1") | .links[0]
			| .status == "up" and .encrypted and .authenticated'
		echo "$output" | jq -e '.routers[] | select(.cluster == "C1") | .services[0]
			| .service == "web" and .status == "up"'
	fi
	# A router that dies is started again by its supervisor: C0's, which
	# C1's router has to link to again, and C1's.
	run kill_and_recover "$sim" "$(router_pid "$sim" C0w1 skupper-router)"
	echo "$output"
	[ "$status" -eq 0 ]
	run kill_and_recover "$sim" "$(router_pid "$sim" C1w1 skupper-router)"
	echo "$output"
	[ "$status" -eq 0 ]
	pids=$(sim_pids "$sim")
	pids="$pids $(for p in $pids; do ps -o pid= --ppid "$p" || true; done)"
	run ks down --name "$sim"
	[ "$status" -eq 0 ]
	assert_gone "$sim" "$pids"
}

@test "nginx gateway: down leaves nothing" {
	local pids
	pids=$(sim_pids "$MCSIM")
	[ -n "$pids" ]
	# With the routers the supervisors run (and nginx's workers).
	pids="$pids $(for p in $pids; do ps -o pid= --ppid "$p" || true; done)"
	run ks down --name "$MCSIM"
	[ "$status" -eq 0 ]
	assert_gone "$MCSIM" "$pids"
}
