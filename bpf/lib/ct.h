/* SPDX-License-Identifier: MIT */
/* Connection tuples and the service connection-tracking maps. */
#ifndef KNETSIM_BPF_CT_H
#define KNETSIM_BPF_CT_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "knetsim/lb.h"
#include "maps.h"

#define ICMP_ECHOREPLY_ 0
#define ICMP_ECHO_      8
#define TCP_FLAG_SYN_   0x02
#define TCP_FLAG_ACK_   0x10

/* The packet's tuple; *l4off: where its L4 header starts. TCP and UDP:
 * their ports; ICMP echo: the identifier as the requester's port (sport
 * of a request, dport of a reply); other protocols: ports 0. -1 for
 * fragments, other ICMP and short headers: not tracked. */
static __always_inline int ct_tuple(struct __sk_buff *skb,
				    const struct iphdr *ip,
				    struct lb_tuple *t, __u32 *l4off)
{
	__u32 off = ETH_HLEN + ip->ihl * 4;
	__u8 h[8];

	__builtin_memset(t, 0, sizeof(*t));
	t->saddr = ip->saddr;
	t->daddr = ip->daddr;
	t->proto = ip->protocol;
	*l4off = off;
	if (ip->frag_off & bpf_htons(0x3fff))
		return -1;
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (bpf_skb_load_bytes(skb, off, h, 4) < 0)
			return -1;
		__builtin_memcpy(&t->sport, h, 2);
		__builtin_memcpy(&t->dport, h + 2, 2);
		return 0;
	case IPPROTO_ICMP:
		if (bpf_skb_load_bytes(skb, off, h, 8) < 0)
			return -1;
		if (h[0] == ICMP_ECHO_)
			__builtin_memcpy(&t->sport, h + 4, 2);
		else if (h[0] == ICMP_ECHOREPLY_)
			__builtin_memcpy(&t->dport, h + 4, 2);
		else
			return -1;
		return 0;
	default:
		return 0;
	}
}

static __always_inline const struct lb_ct *ct_get(const struct lb_tuple *t)
{
	return bpf_map_lookup_elem(&lb_ct, t);
}

/* Records a new connection and the key its replies will carry. */
static __always_inline int ct_create(const struct lb_tuple *t,
				     const struct lb_ct *ct,
				     const struct lb_tuple *reply,
				     const struct lb_revnat *rn)
{
	if (bpf_map_update_elem(&lb_revnat, reply, rn, BPF_ANY) < 0)
		return -1;
	return (int)bpf_map_update_elem(&lb_ct, t, ct, BPF_ANY);
}

static __always_inline const struct lb_revnat *
revnat_get(const struct lb_tuple *t)
{
	return bpf_map_lookup_elem(&lb_revnat, t);
}

/* A connection that starts without a VIP (t: client -> pod directly) may
 * reuse the tuple an ended service connection's replies had: its replies
 * would then be given the VIP back and never reach the client's socket.
 * Nothing marks the end of a service connection, so the reply entry is
 * dropped when its tuple starts a new direct one: a TCP SYN, or any UDP
 * or ICMP echo packet (which have no start). */
static __always_inline void revnat_forget(struct __sk_buff *skb,
					  const struct lb_tuple *t,
					  __u32 l4off)
{
	struct lb_tuple reply = {
		.saddr = t->daddr, .daddr = t->saddr,
		.sport = t->dport, .dport = t->sport,
		.proto = t->proto,
	};
	__u8 flags;

	if (t->proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, l4off + 13, &flags, 1) < 0 ||
		    (flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) != TCP_FLAG_SYN_)
			return;
	} else if (t->proto != IPPROTO_UDP && t->proto != IPPROTO_ICMP) {
		return;
	}
	bpf_map_delete_elem(&lb_revnat, &reply);
}

#endif
