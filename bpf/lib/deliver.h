/* SPDX-License-Identifier: MIT */
/* Delivery to a pod of this worker: one routed hop, veth to veth. */
#ifndef KNETSIM_BPF_DELIVER_H
#define KNETSIM_BPF_DELIVER_H

#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "knetsim/datapath.h"
#include "eth.h"
#include "ipv4.h"

/*
 * Rewrites the frame as the pod's gateway would send it (dst: the pod,
 * src: its host-side veth), decrements the TTL and redirects. The default
 * is bpf_redirect_peer(): the packet enters the pod's eth0 directly, without
 * a second pass through the host veth (valid from tc ingress, which is
 * where from_pod and from_overlay run). DP_CFG_F_NO_PEER selects the
 * classic bpf_redirect() to the host veth's egress instead.
 * A packet whose TTL would expire goes to the stack, which answers it,
 * and so does every packet with DP_CFG_F_VIA_STACK: the stack routes it to
 * the pod, and netfilter (kube-proxy-style NAT) sees it on the way.
 */
static __always_inline int deliver_local(struct __sk_buff *skb,
					 const struct dp_config *cfg,
					 struct l3 *p,
					 const struct dp_endpoint *ep,
					 struct dp_event *ev, __u32 stat)
{
	if (p->ip->ttl <= 1) {
		ev->stat = DP_TTL_TO_STACK;
		return TC_ACT_OK;
	}
	if (cfg->flags & DP_CFG_F_VIA_STACK) {
		ev->stat = stat;
		return TC_ACT_OK;
	}
	ipv4_dec_ttl(p->ip);
	eth_set(p->eth, ep->mac, ep->host_mac);
	ev->stat = stat;
	ev->ifindex = ep->ifindex;
	if (cfg->flags & DP_CFG_F_NO_PEER)
		return (int)bpf_redirect(ep->ifindex, 0);
	/* bpf_redirect_peer() keeps pkt_type: a frame that was not for
	 * this host (PACKET_OTHERHOST) would be discarded by the pod. */
	if (skb->pkt_type == PACKET_OTHERHOST)
		bpf_skb_change_type(skb, PACKET_HOST);
	return (int)bpf_redirect_peer(ep->ifindex, 0);
}

#endif
