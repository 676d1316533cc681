// SPDX-License-Identifier: MIT
/*
 * from_overlay: tc ingress on the worker's collect_md VXLAN device, i.e.
 * every decapsulated frame. Packets for a pod of this worker go straight
 * to it; packets for this worker's subnet without a pod are dropped;
 * anything else (the worker's own overlay address) goes to its stack.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "knetsim/datapath.h"
#include "lib/maps.h"
#include "lib/eth.h"
#include "lib/ipv4.h"
#include "lib/tunnel.h"
#include "lib/deliver.h"
#include "lib/svc.h"
#include "lib/trace.h"

/* With a VNI configured, only frames decapsulated with that VNI enter:
 * an external device accepts every VNI on its port. 0 on success. */
static __always_inline int overlay_check_vni(struct __sk_buff *skb,
					     const struct dp_config *cfg,
					     struct dp_event *ev)
{
	struct bpf_tunnel_key key = {};

	if (tunnel_get(skb, &key) == 0) {
		ev->tun_remote = bpf_htonl(key.remote_ipv4);
		ev->vni = key.tunnel_id;
	} else if (cfg->vni) {
		return -1;
	}
	if (cfg->vni && key.tunnel_id != cfg->vni)
		return -1;
	return 0;
}

static __always_inline int overlay_ipv4(struct __sk_buff *skb,
					const struct dp_config *cfg,
					struct dp_event *ev)
{
	const struct dp_endpoint *dst;
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
	switch (svc_reverse(skb, p.ip, ev)) {
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
		return TC_ACT_SHOT;
	}
	dst = endpoint_get(daddr);
	if (dst)
		return deliver_local(skb, cfg, &p, dst, ev, DP_OVERLAY_LOCAL);
	if (ipv4_in_subnet(daddr, cfg->subnet, cfg->subnet_len) &&
	    daddr != cfg->host_ip) {
		ev->stat = DP_DROP_NO_ENDPOINT;
		return TC_ACT_SHOT;
	}
	ev->stat = DP_OVERLAY_TO_STACK;
	return TC_ACT_OK;
}

/* The entry point, declared for -Wmissing-prototypes. */
int from_overlay(struct __sk_buff *skb);

SEC("tc")
int from_overlay(struct __sk_buff *skb)
{
	const struct dp_config *cfg = config_get();
	struct dp_event ev = {
		.prog = DP_PROG_FROM_OVERLAY,
		.len = skb->len,
	};
	int act;

	if (!cfg) {
		ev.stat = DP_DROP_NO_CONFIG;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	if (overlay_check_vni(skb, cfg, &ev) < 0) {
		ev.stat = DP_DROP_VNI;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	if (pkt_pull(skb, ETH_HLEN) < 0) {
		ev.stat = DP_DROP_MALFORMED;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	/* The inner frame is addressed to whatever MAC the sender put there
	 * (its own device's, for worker-originated traffic), so the stack
	 * here would take it for someone else's and drop it, ICMP errors
	 * included. This worker is its next hop whatever it says. */
	if (skb->pkt_type == PACKET_OTHERHOST)
		bpf_skb_change_type(skb, PACKET_HOST);
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		act = overlay_ipv4(skb, cfg, &ev);
	} else {
		ev.stat = DP_OVERLAY_TO_STACK;
		act = TC_ACT_OK;
	}
	return verdict(cfg, &ev, act);
}
