# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# The raw baseline: two namespaces joined by one veth pair, nothing else (no
# bridge, no tunnel, no BPF, no netfilter rules). The setup and the traffic
# are traffic.sh's, shared with the pods scenario, which measures this same
# pair as its baseline in the same run as the pod datapaths.

SC_DESC="one veth between two namespaces: the raw baseline for datapath figures"
SC_METRICS=("${TRAFFIC_METRICS[@]}")
SC_CONFIGS=(veth)
SC_BASELINE=veth

sc_check()
{
	traffic_check
}

sc_setup()
{
	traffic_veth_setup
}

sc_measure()
{
	traffic_veth_measure
}
