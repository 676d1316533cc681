// SPDX-License-Identifier: MIT
/*
 * lb_to_pod: tc egress on a pod's host-side veth in routing "kernel" with
 * proxy "bpf", i.e. every frame the cni0 bridge sends into the pod. A
 * backend's reply (or ICMP error) on a connection this worker translated
 * gets the VIP back as its source (lib/svc.h's reverse half): replies from
 * other workers come in through flannel.<VNI> and the stack, a local
 * backend's across the bridge. Everything else passes unchanged.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "knetsim/datapath.h"
#include "lib/maps.h"
#include "lib/eth.h"
#include "lib/ipv4.h"
#include "lib/svc.h"
#include "lib/trace.h"

static __always_inline int lb_to_pod_ipv4(struct __sk_buff *skb,
					  struct dp_event *ev)
{
	struct l3 p;

	if (ipv4_parse(skb, &p) < 0)
		return TC_ACT_OK;
	ev->saddr = p.ip->saddr;
	ev->daddr = p.ip->daddr;
	ev->proto = p.ip->protocol;
	if (svc_reverse(skb, p.ip, ev) < 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

/* The entry point, declared for -Wmissing-prototypes. */
int lb_to_pod(struct __sk_buff *skb);

SEC("tc")
int lb_to_pod(struct __sk_buff *skb)
{
	const struct dp_config *cfg = config_get();
	struct dp_event ev = {
		.prog = DP_PROG_LB_TO_POD,
		.stat = DP_BRIDGE_TO_POD,
		.len = skb->len,
		.ifindex = skb->ifindex,
	};
	int act = TC_ACT_OK;

	if (skb->protocol == bpf_htons(ETH_P_IP) &&
	    pkt_pull(skb, ETH_HLEN) == 0)
		act = lb_to_pod_ipv4(skb, &ev);
	return verdict(cfg, &ev, act);
}
