// SPDX-License-Identifier: MIT
/*
 * lb_from_pod: tc ingress on a pod's host-side veth in routing "kernel"
 * with proxy "bpf", i.e. every frame the pod sends, before the cni0
 * bridge takes it. Services only: a packet to a VIP is DNATed to its
 * connection's backend, a local backend's reply (or ICMP error) and a
 * hairpin connection's get the VIP back (lib/svc.h, as in from_pod), a
 * service without backends is answered with an RST or ICMP unreachable
 * back into the pod (lib/reject.h). Everything else, translated or not,
 * goes on unchanged (TC_ACT_OK): the bridge and the stack route it, as
 * flannel's kernel path does; no routing decision is made here.
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
#include "lib/reject.h"
#include "lib/trace.h"

/* The answer of a service without backends goes back out of the veth it
 * came in by, into the pod; other failures of the service path drop. */
static __always_inline int lb_pod_reject(struct __sk_buff *skb,
					 struct dp_event *ev)
{
	if (ev->stat != DP_LB_NO_BACKEND || reject(skb, ev->proto) < 0)
		return TC_ACT_SHOT;
	ev->ifindex = skb->ifindex;
	return (int)bpf_redirect(skb->ifindex, 0);
}

static __always_inline int lb_pod_ipv4(struct __sk_buff *skb,
				       struct dp_event *ev)
{
	struct l3 p;

	/* Not ours to judge: the stack drops what is malformed. */
	if (ipv4_parse(skb, &p) < 0)
		return TC_ACT_OK;
	ev->saddr = p.ip->saddr;
	ev->daddr = p.ip->daddr;
	ev->proto = p.ip->protocol;
	if (svc_from_pod(skb, p.ip, ev) < 0)
		return lb_pod_reject(skb, ev);
	ev->stat = DP_POD_TO_BRIDGE;
	return TC_ACT_OK;
}

/* The entry point, declared for -Wmissing-prototypes. */
int lb_from_pod(struct __sk_buff *skb);

SEC("tc")
int lb_from_pod(struct __sk_buff *skb)
{
	const struct dp_config *cfg = config_get();
	struct dp_event ev = {
		.prog = DP_PROG_LB_FROM_POD,
		.stat = DP_POD_TO_BRIDGE,
		.len = skb->len,
	};
	int act = TC_ACT_OK;

	if (skb->protocol == bpf_htons(ETH_P_IP) &&
	    pkt_pull(skb, ETH_HLEN) == 0)
		act = lb_pod_ipv4(skb, &ev);
	return verdict(cfg, &ev, act);
}
