#!/usr/bin/env bats
# knetsim service load: many services at once from what `service list -j`
# prints; checked whole before anything is written.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	export TMPD=$(mktemp -d) LDSIM=${LDSIM_PREFIX:-kt-load}-$$
	small_topology "$TMPD/t.yaml" "$LDSIM" "    datapath: {proxy: nft}
    pods:
      - {name: c1, worker: Aw1, labels: {app: web}}
      - {name: c2, worker: Aw2}"
	"$KNETSIM" up -t "$TMPD/t.yaml" -q
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$LDSIM" -q || true
	rm -rf "$TMPD"
}

setup() {
	require_root
}

count() {
	ks service list -j --name "$LDSIM" | jq '.services | length'
}

# Both agents hold $1 services (within 30 s).
agents_hold() {
	local w
	for w in Aw1 Aw2; do
		for _ in $(seq 150); do
			[ "$(ks agent status "$w" --name "$LDSIM" -j | jq .services.count)" = "$1" ] && break
			sleep 0.2
		done
		[ "$(ks agent status "$w" --name "$LDSIM" -j | jq .services.count)" = "$1" ]
	done
}

@test "load: services of every form, as list -j prints them" {
	cat > "$TMPD/a.json" <<'JSON'
{"services": [
 {"name": "a1", "vip": "100.64.50.1", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "pods": ["c2"]},
 {"name": "a2", "vip": "100.64.50.2", "selector": {"app": "web"}, "algorithm": "maglev"},
 {"name": "a3", "vip": "100.64.50.3", "ports": [{"port": 53, "targetPort": 53, "protocol": "UDP"}], "pods": ["c1", "c2"], "backends": ["ignored"]}
]}
JSON
	run ks service load "$TMPD/a.json" --name "$LDSIM"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 services created in cluster A"* ]]
	ks service list -j --name "$LDSIM" | jq -e '
		(.services | map(select(.name == "a2"))[0] |
			.algorithm == "maglev" and .selector.app == "web" and .ports == [] and
			(.backends | length) == 1) and
		(.services | map(select(.name == "a3"))[0] |
			.ports[0].protocol == "UDP" and (.backends | length) == 2)'
	agents_hold 3
}

@test "load: nothing is written when one service is wrong" {
	local before
	before=$(count)
	# a name that exists
	echo '[{"name": "a1", "vip": "100.64.51.1", "pods": ["c2"]},
	       {"name": "b1", "vip": "100.64.51.2", "pods": ["c2"]}]' > "$TMPD/b.json"
	run ks service load "$TMPD/b.json" --name "$LDSIM"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a1"* ]]
	# a VIP:port taken twice in the file
	echo '[{"name": "b1", "vip": "100.64.51.1", "ports": [{"port": 80, "targetPort": 80}], "pods": ["c2"]},
	       {"name": "b2", "vip": "100.64.51.1", "ports": [{"port": 80, "targetPort": 81}], "pods": ["c2"]}]' > "$TMPD/b.json"
	run ks service load "$TMPD/b.json" --name "$LDSIM"
	[ "$status" -eq 1 ]
	[[ "$output" == *"100.64.51.1:80/TCP is already used"* ]]
	# a VIP-only service over a VIP in use in etcd
	echo '[{"name": "b1", "vip": "100.64.50.1", "pods": ["c2"]}]' > "$TMPD/b.json"
	run ks service load "$TMPD/b.json" --name "$LDSIM"
	[ "$status" -eq 1 ]
	[[ "$output" == *"100.64.50.1"* ]]
	# an unknown pod, a VIP in the pod network, a port out of range
	for bad in '{"name": "b1", "vip": "100.64.51.1", "pods": ["nope"]}' \
		   '{"name": "b1", "vip": "11.1.2.3", "pods": ["c2"]}' \
		   '{"name": "b1", "vip": "100.64.51.1", "ports": [{"port": 70000}], "pods": ["c2"]}' \
		   '{"name": "b1", "vip": "100.64.51.1", "pods": ["c2"], "cluster": "Z"}'; do
		echo "[$bad]" > "$TMPD/b.json"
		run ks service load "$TMPD/b.json" --name "$LDSIM"
		[ "$status" -eq 1 ]
		[[ "$output" == *"services[0] b1"* ]]
	done
	echo '{"services": 3}' | { run ks service load - --name "$LDSIM"; [ "$status" -eq 1 ]; }
	run ks service load "$TMPD/does-not-exist.json" --name "$LDSIM"
	[ "$status" -eq 1 ]
	[ "$(count)" = "$before" ]
}

@test "load: a thousand services from standard input, in one go" {
	local before
	before=$(count)
	awk 'BEGIN { printf "["; for (i = 1; i <= 1000; i++)
		printf "%s{\"name\":\"m%04d\",\"vip\":\"100.66.%d.%d\",\"ports\":[{\"port\":80,\"targetPort\":8080}],\"pods\":[\"c2\"]}",
			(i > 1 ? "," : ""), i, int(i / 256), i % 256; printf "]" }' |
		ks service load - --name "$LDSIM" -q
	[ "$(count)" = $((before + 1000)) ]
	agents_hold $((before + 1000))
	ks agent status Aw1 --name "$LDSIM" -j | jq -e '.services.errors == 0'
	# list -j loads back (new names and VIPs, same shape)
	ks service list -j --name "$LDSIM" |
		jq '{services: [.services[] | select(.name == "m0001" or .name == "m0002") |
			.name |= "r" + . | .vip |= sub("^100\\.66"; "100.67")]}' |
		ks service load - --name "$LDSIM" -q
	[ "$(count)" = $((before + 1002)) ]
}
