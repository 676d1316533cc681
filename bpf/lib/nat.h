/* SPDX-License-Identifier: MIT */
/* Address and port rewriting with the IPv4 and L4 checksums kept valid. */
#ifndef KNETSIM_BPF_NAT_H
#define KNETSIM_BPF_NAT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>

#include "knetsim/lb.h"

#define NAT_IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define NAT_SADDR_OFF   (ETH_HLEN + offsetof(struct iphdr, saddr))
#define NAT_DADDR_OFF   (ETH_HLEN + offsetof(struct iphdr, daddr))

/* Where the L4 checksum sits, 0 when no address or port enters it (ICMP
 * has no pseudo header; echo identifiers are never rewritten). */
static __always_inline __u32 nat_l4_csum_off(__u8 proto, __u32 l4off,
					     __u64 *flags)
{
	*flags = BPF_F_PSEUDO_HDR;
	if (proto == IPPROTO_TCP)
		return l4off + 16;
	if (proto == IPPROTO_UDP) {
		*flags |= BPF_F_MARK_MANGLED_0; /* 0: no checksum, kept */
		return l4off + 6;
	}
	return 0;
}

static __always_inline int nat_addr(struct __sk_buff *skb, __u32 off,
				    __u32 csum_off, __u64 flags,
				    __be32 old, __be32 new)
{
	if (old == new)
		return 0;
	if (csum_off && bpf_l4_csum_replace(skb, csum_off, old, new,
					    flags | sizeof(new)) < 0)
		return -1;
	if (bpf_l3_csum_replace(skb, NAT_IP_CSUM_OFF, old, new,
				sizeof(new)) < 0)
		return -1;
	return (int)bpf_skb_store_bytes(skb, off, &new, sizeof(new), 0);
}

static __always_inline int nat_port(struct __sk_buff *skb, __u32 off,
				    __u32 csum_off, __u64 flags,
				    __be16 old, __be16 new)
{
	if (old == new || !csum_off)
		return 0;
	if (bpf_l4_csum_replace(skb, csum_off, old, new,
				(flags & BPF_F_MARK_MANGLED_0) |
				sizeof(new)) < 0)
		return -1;
	return (int)bpf_skb_store_bytes(skb, off, &new, sizeof(new), 0);
}

/* Rewrites the packet of tuple t to n. 0, or -1 (packet left partly
 * rewritten: drop it). Invalidates packet pointers. */
static __always_inline int nat_rewrite(struct __sk_buff *skb, __u32 l4off,
				       const struct lb_tuple *t,
				       const struct lb_revnat *n)
{
	__u64 flags;
	__u32 csum_off = nat_l4_csum_off(t->proto, l4off, &flags);

	if (nat_addr(skb, NAT_SADDR_OFF, csum_off, flags, t->saddr,
		     n->saddr) < 0 ||
	    nat_addr(skb, NAT_DADDR_OFF, csum_off, flags, t->daddr,
		     n->daddr) < 0 ||
	    nat_port(skb, l4off, csum_off, flags, t->sport, n->sport) < 0 ||
	    nat_port(skb, l4off + 2, csum_off, flags, t->dport,
		     n->dport) < 0)
		return -1;
	return 0;
}

#endif
