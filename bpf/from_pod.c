// SPDX-License-Identifier: MIT
/*
 * from_pod: tc ingress on a pod's host-side veth, i.e. every frame the pod
 * sends. ARP for the gateway is answered here; IPv4 from the pod's own
 * address goes to a local pod (veth to veth), into the overlay (tunnel key,
 * redirect to the VXLAN device) or to the worker's stack. Before routing,
 * packets to a service VIP are DNATed to their connection's backend and a
 * local backend's replies get the VIP back (lib/svc.h); a service without
 * backends is answered with an RST or ICMP unreachable (lib/reject.h).
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
#include "lib/arp.h"
#include "lib/tunnel.h"
#include "lib/deliver.h"
#include "lib/svc.h"
#include "lib/reject.h"
#include "lib/trace.h"

/* The source must be the pod behind this veth: a pod cannot speak for
 * another one, nor ask the gateway's MAC in another's name. */
static __always_inline const struct dp_endpoint *
pod_source(struct __sk_buff *skb, __be32 saddr)
{
	const struct dp_endpoint *ep = endpoint_get(saddr);

	if (!ep || ep->ifindex != skb->ifindex)
		return NULL;
	return ep;
}

/* ARP responder: "who has <gateway>?" gets "<gateway> is at <host veth>". */
static __always_inline int pod_arp(struct __sk_buff *skb,
				   const struct dp_config *cfg,
				   struct dp_event *ev)
{
	const struct dp_endpoint *src;
	struct arp_frame f;

	if (arp_parse(skb, &f) < 0) {
		ev->stat = DP_DROP_MALFORMED;
		return TC_ACT_SHOT;
	}
	ev->saddr = f.arp->spa;
	ev->daddr = f.arp->tpa;
	if (f.arp->hdr.ar_op != bpf_htons(ARP_OP_REQUEST) || !cfg->gateway ||
	    f.arp->tpa != cfg->gateway) {
		ev->stat = DP_POD_TO_STACK;
		return TC_ACT_OK;
	}
	src = pod_source(skb, f.arp->spa);
	if (!src) {
		ev->stat = DP_DROP_SPOOFED;
		return TC_ACT_SHOT;
	}
	arp_make_reply(&f, src->host_mac);
	ev->stat = DP_ARP_REPLY;
	ev->ifindex = skb->ifindex;
	return (int)bpf_redirect(skb->ifindex, 0);
}

/* Into the overlay: the owning worker's address and VNI as tunnel
 * metadata, then out of the collect_md VXLAN device. */
static __always_inline int pod_remote(struct __sk_buff *skb,
				      const struct dp_config *cfg,
				      struct l3 *p, const struct dp_route *r,
				      struct dp_event *ev)
{
	if (!cfg->vxlan_ifindex) {
		ev->stat = DP_DROP_NO_CONFIG;
		return TC_ACT_SHOT;
	}
	if (p->ip->ttl <= 1) {
		ev->stat = DP_TTL_TO_STACK;
		return TC_ACT_OK;
	}
	ipv4_dec_ttl(p->ip);
	ev->tun_remote = r->remote;
	ev->vni = r->vni;
	if (tunnel_set(skb, r) < 0) {
		ev->stat = DP_DROP_TUNNEL;
		return TC_ACT_SHOT;
	}
	ev->stat = DP_REMOTE;
	ev->ifindex = cfg->vxlan_ifindex;
	return (int)bpf_redirect(cfg->vxlan_ifindex, 0);
}

/* A service without backends answers (TCP RST, ICMP unreachable) back
 * into the pod; other failures of the service path drop. */
static __always_inline int pod_reject(struct __sk_buff *skb,
				      struct dp_event *ev)
{
	if (ev->stat != DP_LB_NO_BACKEND || reject(skb, ev->proto) < 0)
		return TC_ACT_SHOT;
	ev->ifindex = skb->ifindex;
	return (int)bpf_redirect(skb->ifindex, 0);
}

static __always_inline int pod_ipv4(struct __sk_buff *skb,
				    const struct dp_config *cfg,
				    struct dp_event *ev)
{
	const struct dp_endpoint *dst;
	const struct dp_route *r;
	struct l3 p;
	__be32 daddr;

	if (ipv4_parse(skb, &p) < 0) {
		ev->stat = DP_DROP_MALFORMED;
		return TC_ACT_SHOT;
	}
	daddr = p.ip->daddr;
	ev->saddr = p.ip->saddr;
	ev->daddr = daddr;
	ev->proto = p.ip->protocol;
	if (!pod_source(skb, p.ip->saddr)) {
		ev->stat = DP_DROP_SPOOFED;
		return TC_ACT_SHOT;
	}
	switch (svc_from_pod(skb, p.ip, ev)) {
	case 0:
		break;
	case 1:
		if (ipv4_parse(skb, &p) < 0) {
			ev->stat = DP_DROP_MALFORMED;
			return TC_ACT_SHOT;
		}
		daddr = p.ip->daddr;
		break;
	default:
		return pod_reject(skb, ev);
	}
	dst = endpoint_get(daddr);
	if (dst)
		return deliver_local(skb, cfg, &p, dst, ev, DP_LOCAL);
	if (ipv4_in_subnet(daddr, cfg->subnet, cfg->subnet_len) &&
	    daddr != cfg->host_ip) {
		ev->stat = DP_DROP_NO_ENDPOINT;
		return TC_ACT_SHOT;
	}
	r = route_get(daddr);
	if (r)
		return pod_remote(skb, cfg, &p, r, ev);
	ev->stat = DP_POD_TO_STACK;
	return TC_ACT_OK;
}

/* The entry point, declared for -Wmissing-prototypes. */
int from_pod(struct __sk_buff *skb);

SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	const struct dp_config *cfg = config_get();
	struct dp_event ev = {
		.prog = DP_PROG_FROM_POD,
		.len = skb->len,
	};
	int act;

	if (!cfg) {
		ev.stat = DP_DROP_NO_CONFIG;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	if (pkt_pull(skb, ETH_HLEN) < 0) {
		ev.stat = DP_DROP_MALFORMED;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	switch (skb->protocol) {
	case bpf_htons(ETH_P_ARP):
		act = pod_arp(skb, cfg, &ev);
		break;
	case bpf_htons(ETH_P_IP):
		act = pod_ipv4(skb, cfg, &ev);
		break;
	default:
		ev.stat = DP_POD_TO_STACK;
		act = TC_ACT_OK;
		break;
	}
	return verdict(cfg, &ev, act);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
