#!/usr/bin/env bats
# Link shaping: delay shows in ping times, rate is a tbf qdisc.

load helpers

setup() {
	require_root
	SIM=kt-sh-$$-$BATS_TEST_NUMBER
	TMP=$(mktemp -d)
}

teardown() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$KNETSIM" down --name "$SIM" -q || true
	rm -rf "$TMP"
}

# Minimum RTT in ms (integer part) of N pings from node $1 to $2.
min_rtt() {
	ks exec --name "$SIM" "$1" -- ping -c "${3:-5}" -i 0.2 -q "$2" |
		awk -F'[/ ]' '/^rtt/ {print int($7)}'
}

@test "a 20 ms delay on one link shows in ping times" {
	small_topology "$TMP/t.yaml" "$SIM" "links:
  - node: Aw2
    delay: 20ms"
	run ks up -t "$TMP/t.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	# 20 ms each way on Aw2's link: a round trip through it takes >= 40 ms.
	rtt=$(min_rtt Aw1 10.0.0.2)
	echo "Aw1 -> Aw2 min rtt: $rtt ms"
	[ "$rtt" -ge 40 ]
	# The unshaped pair sees none of it.
	rtt=$(min_rtt Aw1 10.0.0.3)
	echo "Aw1 -> Ae1 min rtt: $rtt ms"
	[ "$rtt" -lt 40 ]
}

@test "a default delay applies to every link" {
	small_topology "$TMP/t.yaml" "$SIM"
	sed -i 's|^  subnet: 10.0.0.0/24|&\n  link: {delay: 5ms}|' "$TMP/t.yaml"
	run ks up -t "$TMP/t.yaml" -q
	[ "$status" -eq 0 ]
	# two links of 5 ms each way: >= 20 ms round trip
	rtt=$(min_rtt Aw1 10.0.0.2)
	echo "min rtt: $rtt ms"
	[ "$rtt" -ge 20 ]
}

@test "rate limits become a tbf qdisc on both ends of the link" {
	small_topology "$TMP/t.yaml" "$SIM" "links:
  - node: Aw1
    rate: 10mbit"
	run ks up -t "$TMP/t.yaml" -q
	[ "$status" -eq 0 ]
	run ip netns exec "$SIM:Aw1" tc qdisc show dev eth0
	echo "$output"
	[[ "$output" == *"tbf"*"rate 10Mbit"* ]]
	run ip netns exec "$SIM:fabric" tc qdisc show dev Aw1
	[[ "$output" == *"tbf"*"rate 10Mbit"* ]]
	run ip netns exec "$SIM:Aw2" tc qdisc show dev eth0
	[[ "$output" != *"tbf"* ]]
}
