/* SPDX-License-Identifier: MIT */
/* IPv4: header validation and the TTL decrement of a routed hop. */
#ifndef KNETSIM_BPF_IPV4_H
#define KNETSIM_BPF_IPV4_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>

#include "eth.h"

/* An IPv4 packet's headers, reachable by direct packet access. */
struct l3 {
	struct ethhdr *eth;
	struct iphdr *ip;
};

/* Points p at the Ethernet and IPv4 headers of an ETH_P_IP frame after
 * checking version, header length and total length against the skb.
 * 0, or -1 for a short or malformed packet. Invalidates earlier packet
 * pointers (it may pull data). */
static __always_inline int ipv4_parse(struct __sk_buff *skb, struct l3 *p)
{
	void *data, *end;
	__u32 hlen, tot;

	if (pkt_pull(skb, ETH_HLEN + sizeof(struct iphdr)) < 0)
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	p->eth = data;
	p->ip = data + ETH_HLEN;
	if ((void *)(p->ip + 1) > end)
		return -1;
	if (p->ip->version != 4 || p->ip->ihl < 5)
		return -1;
	hlen = p->ip->ihl * 4;
	tot = bpf_ntohs(p->ip->tot_len);
	/* GSO packets carry their full length here too, so this holds for
	 * them; a 0 (BIG TCP beyond 64 KiB) is not enabled on knetsim's
	 * veths and counts as malformed. */
	if (tot < hlen || ETH_HLEN + tot > skb->len)
		return -1;
	return 0;
}

static __always_inline int ipv4_in_subnet(__be32 addr, __be32 net, __u8 len)
{
	__u32 mask;

	if (len == 0 || len > 32)
		return 0;
	mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	return ((bpf_ntohl(addr) ^ bpf_ntohl(net)) & mask) == 0;
}

/* One's complement update of a checksum for one changed 16-bit word
 * (RFC 1624, eqn. 3); byte order neutral. */
static __always_inline void csum16_replace(__sum16 *sum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~*sum;

	s += (__u16)~old;
	s += new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*sum = (__sum16)~s;
}

/* A 32-bit partial sum (bpf_csum_diff()'s) folded into a checksum. */
static __always_inline __sum16 csum_fold_(__s64 s)
{
	__u32 v = (__u32)s;

	v = (v & 0xffff) + (v >> 16);
	v = (v & 0xffff) + (v >> 16);
	return (__sum16)~v;
}

/* The forwarding hop: TTL minus one, header checksum kept valid. The caller
 * has checked ttl > 1. */
static __always_inline void ipv4_dec_ttl(struct iphdr *ip)
{
	__u16 old, new;

	__builtin_memcpy(&old, &ip->ttl, sizeof(old)); /* ttl, protocol */
	ip->ttl--;
	__builtin_memcpy(&new, &ip->ttl, sizeof(new));
	csum16_replace(&ip->check, old, new);
}

#endif
