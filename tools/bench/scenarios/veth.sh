# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# The raw baseline: two namespaces joined by one veth pair, nothing else (no
# bridge, no tunnel, no BPF, no netfilter rules). Later datapath scenarios
# measure pods with the same traffic functions (traffic.sh); their figures
# are read against these.

SC_DESC="one veth between two namespaces: the raw baseline for datapath figures"
SC_METRICS=("${TRAFFIC_METRICS[@]}")
SC_CONFIGS=(veth)
SC_BASELINE=veth

# Namespaces are named after this run's PID, so parallel runs never clash.
VETH_NS_A=${BENCH_PREFIX:-kbench}-$$-a
VETH_NS_B=${BENCH_PREFIX:-kbench}-$$-b
VETH_ADDR_A=192.0.2.1
VETH_ADDR_B=192.0.2.2

sc_check()
{
	traffic_check
}

sc_setup()
{
	local a=$VETH_NS_A b=$VETH_NS_B

	bench_netns_add "$a" && bench_netns_add "$b" &&
	# Created inside a, the peer straight inside b: nothing ever exists
	# in the host's namespace.
	ip -n "$a" link add veth0 type veth peer name veth0 netns "$b" &&
	ip -n "$a" addr add "$VETH_ADDR_A/30" dev veth0 &&
	ip -n "$b" addr add "$VETH_ADDR_B/30" dev veth0 &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up &&
	ip -n "$a" link set veth0 up && ip -n "$b" link set veth0 up &&
	bench_wait_for 10 ip netns exec "$a" ping -c 1 -W 1 "$VETH_ADDR_B" || {
		bench_warn "veth: could not wire $a <-> $b"
		return 1
	}
	traffic_servers_start "$b" "$VETH_ADDR_B"
}

sc_measure()
{
	traffic_measure "$VETH_NS_A" "$VETH_ADDR_B"
}
