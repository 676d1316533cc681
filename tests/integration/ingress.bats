#!/usr/bin/env bats
# Ingress through nginx, for proxy bpf and nft: the course's checks (from
# the ingress worker and from a node with nothing programmed on it), path
# matching, an update under load that drops no request, bad input refused
# with nothing written, an agent restart that adopts nginx, nginx stopped
# with the last ingress and by down. Also the pods' own programs
# (pods[].command), which serve as the backends here.

load helpers

PROXIES="bpf nft"
W1=10.0.0.1            # Aw1, the ingress worker

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) INGSIM=kt-ing-$$
	for proxy in $PROXIES; do
		cat > "$TMPD/$proxy.yaml" <<YAML
name: $INGSIM-$proxy
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
    datapath: {routing: bpf, proxy: $proxy}
    pods:
      - {name: ic0, worker: Aw2, command: [knetsim-responder, --http, --tcp, "8000", --text, S1-W2]}
      - {name: ic1, worker: Aw3, command: [knetsim-responder, --http, --tcp, "8000", --text, S1-W3]}
      - {name: ic2, worker: Aw2, command: [knetsim-responder, --http, --tcp, "8000", --text, S2-W2]}
      - {name: ic3, worker: Aw3, command: [knetsim-responder, --http, --tcp, "8000", --text, S2-W3]}
    services:
      - {name: svc1, vip: 100.64.11.1, pods: [ic0, ic1]}
      - {name: svc2, vip: 100.64.11.2, pods: [ic2, ic3]}
    ingresses:
      - name: grp1
        worker: Aw1
        port: 8001
        paths:
          - {path: /svc1, service: 100.64.11.1, port: 8000}
          - {path: /svc2, service: 100.64.11.2, port: 8000}
YAML
		"$KNETSIM" up -t "$TMPD/$proxy.yaml" -q
	done
	for proxy in $PROXIES; do
		wait_http "$INGSIM-$proxy" Aw1 localhost:8001/svc1
	done
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	for proxy in $PROXIES; do
		"$KNETSIM" down --name "$INGSIM-$proxy" -q || true
	done
	rm -rf "$TMPD"
}

setup() {
	require_root
}

# Waits (5 s at most) until URL answers 200 from node $2 of sim $1.
wait_http() {
	for _ in $(seq 50); do
		code=$("$KNETSIM" exec --name "$1" "$2" -- curl -s -o /dev/null -m 1 \
			-w '%{http_code}' "http://$3" 2>/dev/null || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	echo "http://$3 from $2 of $1: no answer" >&2
	return 1
}

# The distinct answers to n requests for URL from node $2.
answers() {
	local sim=$1 from=$2 url=$3 n=${4:-16}
	ks exec --name "$sim" "$from" -- sh -c \
		"for i in \$(seq $n); do curl -s -m 3 http://$url; done" | sort -u | tr '\n' ' '
}

nginx_pid() {
	cat "/run/knetsim/$1/ingress/Aw1/nginx.pid" 2>/dev/null || true
}

alive() {
	[ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]
}

ingress_keys() {
	ks exec --name "$1" Ae1 -- env ETCDCTL_API=3 etcdctl \
		--endpoints http://127.0.0.1:2379 get --prefix --keys-only /knetsim/ingresses/ |
		grep -v '^$' || true
}

@test "pods run their commands: status shows them alive, with their logs" {
	for proxy in $PROXIES; do
		run ks status --name "$INGSIM-$proxy" -j
		[ "$status" -eq 0 ]
		[ "$(jq '.simulations[0].pod_commands | length' <<<"$output")" -eq 4 ]
		[ "$(jq '[.simulations[0].pod_commands[] | select(.alive)] | length' <<<"$output")" -eq 4 ]
		[ "$(jq -r '.simulations[0].pod_commands[] | select(.name=="ic0") | .command' <<<"$output")" = \
		  "knetsim-responder --http --tcp 8000 --text S1-W2" ]
		[ -f "$(jq -r '.simulations[0].pod_commands[0].log' <<<"$output")" ]
		run ks status --name "$INGSIM-$proxy"
		[[ "$output" == *"A.ic3"*"Aw3"*"pod("*") alive"*"--text S2-W3"* ]]
		grep -q "^proc pod A.ic0 " "/run/knetsim/$INGSIM-$proxy/state"
	done
}

@test "curl localhost:8001/svc1 on the ingress worker reaches S1-W2 and S1-W3" {
	for proxy in $PROXIES; do
		got=$(answers "$INGSIM-$proxy" Aw1 localhost:8001/svc1)
		echo "$proxy: $got"
		[ "$got" = "S1-W2 S1-W3 " ]
	done
}

@test "from the etcd node (nothing programmed on it), <worker>:8001 works the same" {
	for proxy in $PROXIES; do
		got=$(answers "$INGSIM-$proxy" Ae1 $W1:8001/svc1)
		echo "$proxy /svc1: $got"
		[ "$got" = "S1-W2 S1-W3 " ]
		got=$(answers "$INGSIM-$proxy" Ae1 $W1:8001/svc2)
		echo "$proxy /svc2: $got"
		[ "$got" = "S2-W2 S2-W3 " ]
	done
}

@test "paths match by whole segments; others get 404" {
	sim=$INGSIM-bpf
	code() {
		ks exec --name "$sim" Ae1 -- curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$W1:8001$1"
	}
	[ "$(code /svc1/deeper/path)" = 200 ]
	[ "$(code /svc1/)" = 200 ]
	[ "$(code /svc1x)" = 404 ]
	[ "$(code /)" = 404 ]
	[ "$(code /nothing)" = 404 ]
}

@test "ingress list shows grp1 (table and JSON); etcd holds an Ingress object" {
	sim=$INGSIM-bpf
	run ks ingress list --name "$sim"
	[ "$status" -eq 0 ]
	[[ "$output" == *"grp1"*"Aw1"*"$W1:8001"*"/svc1"*"svc1"*"100.64.11.1:8000"* ]]
	run ks ingress list --name "$sim" -j
	[ "$(jq -r '.ingresses[0].paths | map(.path + "=" + .vip) | join(",")' <<<"$output")" = \
	  "/svc1=100.64.11.1,/svc2=100.64.11.2" ]
	run ks exec --name "$sim" Ae1 -- env ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:2379 \
		get --print-value-only /knetsim/ingresses/default/grp1
	[ "$(jq -r .kind <<<"$output")" = Ingress ]
	[ "$(jq -r .apiVersion <<<"$output")" = networking.k8s.io/v1 ]
	[ "$(jq -r .spec.nodeName <<<"$output")" = Aw1 ]
	[ "$(jq -r '.spec.rules[0].http.paths[0].backend.service.name' <<<"$output")" = svc1 ]
	# nginx's files stay under the simulation's directory.
	grep -q "pid \"/run/knetsim/$sim/ingress/Aw1/nginx.pid\"" "/run/knetsim/$sim/ingress/Aw1/nginx.conf"
	[ -z "$(grep '/var/\|/etc/' "/run/knetsim/$sim/ingress/Aw1/nginx.conf")" ]
}

@test "updating an ingress while requests run drops none" {
	for proxy in $PROXIES; do
		sim=$INGSIM-$proxy
		before=$(nginx_pid "$sim")
		out=$TMPD/loop-$proxy
		ks exec --name "$sim" Ae1 -- sh -c \
			"for i in \$(seq 400); do curl -s -o /dev/null -m 5 -w '%{http_code}\n' http://$W1:8001/svc1; done" \
			>"$out" 2>&1 3>&- &
		loop=$!
		sleep 0.3
		for extra in /both /more /both; do
			ks ingress replace grp1 --name "$sim" --worker Aw1 --port 8001 \
				--path /svc1=svc1:8000 --path /svc2=svc2:8000 \
				--exact "$extra=100.64.11.2:8000" -q
			sleep 0.3
		done
		wait "$loop"
		echo "$proxy: $(sort "$out" | uniq -c | tr '\n' ' ')"
		[ "$(wc -l <"$out")" -eq 400 ]
		[ "$(grep -vc '^200$' "$out")" -eq 0 ]
		# Reloaded, not restarted; the new path serves.
		[ "$(nginx_pid "$sim")" = "$before" ]
		[ "$(grep -c 'reloaded' "/run/knetsim/$sim/logs/agent-Aw1.log")" -ge 3 ]
		got=$(answers "$sim" Ae1 $W1:8001/both 8)
		[[ "$got" == S2-* ]]
	done
}

@test "bad ingresses are refused with a clear error and nothing is written" {
	sim=$INGSIM-bpf
	before=$(ingress_keys "$sim")
	try() {
		local want=$1
		shift
		run ks ingress add bad --name "$sim" "$@"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
	}
	try "does not start with '/'" --worker Aw1 --port 8002 --path svc1=svc1:8000
	try "duplicate path" --worker Aw1 --port 8002 --path /a=svc1:8000 --path /a/=svc2:8000
	try "no service named nosuch" --worker Aw1 --port 8002 --path /a=nosuch:8000
	try "no service with VIP 100.64.99.1" --worker Aw1 --port 8002 --path /a=100.64.99.1:8000
	try "not a worker" --worker Ae1 --port 8002 --path /a=svc1:8000
	try "no node named Zw9" --worker Zw9 --port 8002 --path /a=svc1:8000
	try "expected a port from 1 to 65535" --worker Aw1 --port 0 --path /a=svc1:8000
	try "expected a port from 1 to 65535" --worker Aw1 --port 65536 --path /a=svc1:8000
	try "port 8001 on Aw1 is already used by ingress default/grp1" \
		--worker Aw1 --port 8001 --path /a=svc1:8000
	run ks ingress add grp1 --name "$sim" --worker Aw2 --port 8005 --path /a=svc1:8000
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(ingress_keys "$sim")" = "$before" ]
}

@test "an agent restart adopts the running nginx" {
	sim=$INGSIM-nft
	before=$(nginx_pid "$sim")
	alive "$before"
	ks agent restart Aw1 --name "$sim" -q
	grep -q "adopted nginx $before" "/run/knetsim/$sim/logs/agent-Aw1.log"
	[ "$(nginx_pid "$sim")" = "$before" ]
	got=$(answers "$sim" Ae1 $W1:8001/svc2)
	[ "$got" = "S2-W2 S2-W3 " ]
}

@test "deleting the last ingress stops nginx; adding one starts it again" {
	sim=$INGSIM-bpf
	pid=$(nginx_pid "$sim")
	alive "$pid"
	ks ingress del grp1 --name "$sim" -q
	for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
	run alive "$pid"
	[ "$status" -ne 0 ]
	run ks exec --name "$sim" Ae1 -- curl -s -m 2 http://$W1:8001/svc1
	[ "$status" -ne 0 ]
	[ -z "$(ingress_keys "$sim")" ]
	ks ingress add grp1 --name "$sim" --worker Aw1 --port 8001 --path /svc1=svc1:8000 -q
	wait_http "$sim" Ae1 $W1:8001/svc1
	[ "$(nginx_pid "$sim")" != "$pid" ]
}

@test "pod del ends the pod's program; down leaves no nginx and nothing else" {
	sim=$INGSIM-nft
	run ks status --name "$sim" -j
	rpid=$(jq -r '.simulations[0].pod_commands[] | select(.name=="ic3") | .pid' <<<"$output")
	alive "$rpid"
	ks pod del --name "$sim" A.ic3 -q
	run alive "$rpid"
	[ "$status" -ne 0 ]
	run ks status --name "$sim" -j
	[ "$(jq '.simulations[0].pod_commands | length' <<<"$output")" -eq 3 ]
	npid=$(nginx_pid "$sim")
	workers=$(pgrep -P "$npid" | tr '\n' ' ')
	pids="$(sim_pids "$sim") $npid $workers $(jq -r '.simulations[0].pod_commands[].pid' <<<"$output")"
	alive "$npid"
	ks down --name "$sim" -q
	assert_gone "$sim" "$pids"
}
