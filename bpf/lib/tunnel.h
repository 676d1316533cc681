/* SPDX-License-Identifier: MIT */
/* VXLAN tunnel metadata for the collect_md ("external") device. */
#ifndef KNETSIM_BPF_TUNNEL_H
#define KNETSIM_BPF_TUNNEL_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "knetsim/datapath.h"

/* Tells the VXLAN device where to send the packet: the owning worker's
 * underlay address and the VNI. The UDP port is the device's (dstport). */
static __always_inline int tunnel_set(struct __sk_buff *skb,
				      const struct dp_route *r)
{
	struct bpf_tunnel_key key = {};

	key.tunnel_id = r->vni;
	key.remote_ipv4 = bpf_ntohl(r->remote);
	return (int)bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0);
}

/* The tunnel metadata the packet carries: set by decapsulation (overlay
 * ingress) or by tunnel_set. 0, or < 0 when there is none. */
static __always_inline int tunnel_get(struct __sk_buff *skb,
				      struct bpf_tunnel_key *key)
{
	return (int)bpf_skb_get_tunnel_key(skb, key, sizeof(*key), 0);
}

#endif
