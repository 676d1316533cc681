#!/usr/bin/env bats
# Services without a proxy: add/list/del, bad input rejected with nothing
# written to etcd, the default topology's kp-vip-1 in both clusters, and
# backends that follow the pods.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export SIM=ktn-svc-$$
	"$KNETSIM" up -t "$DEFAULT_TOPO" --name "$SIM" -q
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$SIM" -q || true
}

setup() {
	require_root
}

# The service keys of cluster $1 (C0 or C1).
svc_keys() {
	ks exec --name "$SIM" "$1e1" -- env ETCDCTL_API=3 etcdctl \
		--endpoints http://127.0.0.1:2379 get --prefix --keys-only /knetsim/services/ |
		grep -v '^$' || true
}

pod_ip() {
	ks pod list --name "$SIM" -j |
		jq -r ".pods[] | select(.cluster==\"$1\" and .metadata.name==\"$2\") | .status.podIP"
}

backends() {
	ks service list --name "$SIM" -j |
		jq -r ".services[] | select(.cluster==\"$1\" and .name==\"$2\") | .backends | join(\" \")"
}

@test "the default topology has kp-vip-1 -> c2,c3 in both clusters" {
	for c in C0 C1; do
		svc_keys $c | grep -qx /knetsim/services/default/kp-vip-1
		run ks service list --name "$SIM" -j
		[ "$status" -eq 0 ]
		kp=".services[] | select(.cluster==\"$c\" and .name==\"kp-vip-1\")"
		[ "$(jq -r "$kp | .vip" <<<"$output")" = 100.64.10.1 ]
		[ "$(jq -r "$kp | .pods | join(\",\")" <<<"$output")" = c2,c3 ]
		[ "$(jq -r "$kp | .ports | length" <<<"$output")" = 0 ]
		expected=$(printf '%s\n' "$(pod_ip $c c2)" "$(pod_ip $c c3)" | sort -V | paste -sd' ')
		echo "cluster $c: backends $(backends $c kp-vip-1), expected $expected"
		[ "$(backends $c kp-vip-1)" = "$expected" ]
	done
	run ks service list --name "$SIM"
	[ "$status" -eq 0 ]
	[[ "$output" == *kp-vip-1*100.64.10.1* ]]
}

@test "service add, list and del round trip" {
	run ks service add web --name "$SIM" --cluster C0 --vip 100.64.20.1 \
		--port 80:8080/tcp --port 53/udp --selector app=web --algorithm maglev
	echo "$output"
	[ "$status" -eq 0 ]
	run ks exec --name "$SIM" C0e1 -- env ETCDCTL_API=3 etcdctl \
		--endpoints http://127.0.0.1:2379 get --print-value-only /knetsim/services/default/web
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output")" = Service ]
	[ "$(jq -r .spec.clusterIP <<<"$output")" = 100.64.20.1 ]
	[ "$(jq -r .spec.selector.app <<<"$output")" = web ]
	[ "$(jq -r .spec.algorithm <<<"$output")" = maglev ]
	[ "$(jq -c '[.spec.ports[] | [.port, .targetPort, .protocol]]' <<<"$output")" = '[[80,8080,"TCP"],[53,53,"UDP"]]' ]
	run ks service list --name "$SIM" -j
	[ "$(jq -r '.services[] | select(.name=="web") | .cluster' <<<"$output")" = C0 ]
	# No pod has app=web in the default lab.
	[ "$(backends C0 web)" = "" ]
	run ks service del web --name "$SIM"
	[ "$status" -eq 0 ]
	[ -z "$(svc_keys C0 | grep /web)" ]
	run ks service del web --name "$SIM"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no service named web"* ]]
}

@test "bad service input is refused and writes nothing" {
	local before0 before1
	before0=$(svc_keys C0)
	before1=$(svc_keys C1)
	try() {
		local want=$1
		shift
		run ks service add bad --name "$SIM" "$@"
		echo "$* -> $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
	}
	try "inside the pod network" --cluster C0 --vip 11.1.2.3 --pods c2
	try "inside the underlay subnet" --cluster C0 --vip 10.0.0.250 --pods c2
	try "not a unicast address" --cluster C0 --vip 127.0.0.9 --pods c2
	try "not a unicast address" --cluster C0 --vip 224.0.0.5 --pods c2
	try "not an IPv4 address" --cluster C0 --vip 100.64.1 --pods c2
	try "already used by service default/kp-vip-1" --cluster C0 --vip 100.64.10.1 --port 80 --pods c2
	try "no pod named c9" --cluster C0 --vip 100.64.30.1 --pods c2,c9
	try "ports from 1 to 65535" --cluster C0 --vip 100.64.30.1 --port 0 --pods c2
	try "ports from 1 to 65535" --cluster C0 --vip 100.64.30.1 --port 70000 --pods c2
	try "expected tcp or udp" --cluster C0 --vip 100.64.30.1 --port 80/sctp --pods c2
	try "exactly one of --selector and --pods" --cluster C0 --vip 100.64.30.1
	try "exactly one of --selector and --pods" --cluster C0 --vip 100.64.30.1 --pods c2 --selector a=b
	try "say --cluster" --vip 100.64.30.1 --pods c2
	# Duplicate VIP:port between two ported services.
	run ks service add a1 --name "$SIM" --cluster C1 --vip 100.64.40.1 --port 80 --pods c2
	[ "$status" -eq 0 ]
	try "100.64.40.1:80/TCP is already used by service default/a1" --cluster C1 --vip 100.64.40.1 --port 81 --port 80/tcp --pods c3
	# Same VIP, another port: fine.
	run ks service add a2 --name "$SIM" --cluster C1 --vip 100.64.40.1 --port 80/udp --pods c3
	[ "$status" -eq 0 ]
	run ks service add a2 --name "$SIM" --cluster C1 --vip 100.64.40.2 --pods c3
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	ks service del a1 --name "$SIM" -q
	ks service del a2 --name "$SIM" -q
	[ "$(svc_keys C0)" = "$before0" ]
	[ "$(svc_keys C1)" = "$before1" ]
}

@test "backends follow the pods: deleting c3 leaves c2 only" {
	local c2
	c2=$(pod_ip C0 c2)
	[ -n "$c2" ]
	ks pod del --name "$SIM" C0.c3 -q
	[ "$(backends C0 kp-vip-1)" = "$c2" ]
	# The other cluster is untouched.
	[ "$(backends C1 kp-vip-1 | wc -w)" -eq 2 ]
}
