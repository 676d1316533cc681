// SPDX-License-Identifier: MIT
/*
 * to_overlay: tc egress on the worker's collect_md VXLAN device, i.e. what
 * the worker's own stack routes to remote pods (its route for the pod
 * network points at the device). Sets the tunnel metadata from the routes
 * map; the device cannot send a frame without it. Frames from_pod already
 * redirected here carry their metadata and pass untouched.
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
#include "lib/tunnel.h"
#include "lib/trace.h"

static __always_inline int host_ipv4(struct __sk_buff *skb,
				     struct dp_event *ev)
{
	const struct dp_route *r;
	struct l3 p;

	if (ipv4_parse(skb, &p) < 0) {
		ev->stat = DP_DROP_MALFORMED;
		return TC_ACT_SHOT;
	}
	ev->saddr = p.ip->saddr;
	ev->daddr = p.ip->daddr;
	ev->proto = p.ip->protocol;
	r = route_get(p.ip->daddr);
	if (!r) {
		ev->stat = DP_DROP_NO_ROUTE;
		return TC_ACT_SHOT;
	}
	ev->tun_remote = r->remote;
	ev->vni = r->vni;
	if (tunnel_set(skb, r) < 0) {
		ev->stat = DP_DROP_TUNNEL;
		return TC_ACT_SHOT;
	}
	ev->stat = DP_HOST_ENCAP;
	ev->ifindex = skb->ifindex;
	return TC_ACT_OK;
}

/* The entry point, declared for -Wmissing-prototypes. */
int to_overlay(struct __sk_buff *skb);

SEC("tc")
int to_overlay(struct __sk_buff *skb)
{
	const struct dp_config *cfg = config_get();
	struct dp_event ev = {
		.prog = DP_PROG_TO_OVERLAY,
		.len = skb->len,
	};
	struct bpf_tunnel_key key;
	int act;

	/* Already keyed: from_pod's bpf_redirect() passes this hook too,
	 * and counted the packet there. */
	if (tunnel_get(skb, &key) == 0)
		return TC_ACT_OK;
	if (pkt_pull(skb, ETH_HLEN) < 0) {
		ev.stat = DP_DROP_MALFORMED;
		return verdict(cfg, &ev, TC_ACT_SHOT);
	}
	/* Only IPv4 has a way through the overlay; anything else (IPv6
	 * neighbour discovery, if enabled on the device) has no route. */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		act = host_ipv4(skb, &ev);
	} else {
		ev.stat = DP_DROP_NO_ROUTE;
		act = TC_ACT_SHOT;
	}
	return verdict(cfg, &ev, act);
}
