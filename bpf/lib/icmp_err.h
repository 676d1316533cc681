/* SPDX-License-Identifier: MIT */
/*
 * ICMP errors about a connection to a VIP. A backend (or a router on the
 * way to it) reports on the packet it received, client -> backend:target,
 * which the client never sent: its stack would not match the error to the
 * connection (a UDP client would not learn of the closed port, a TCP one
 * of the MTU). Where the connection's replies are reverse-NATed, its
 * errors get the same translation from the same lb_revnat entry: the
 * quoted header back to what the client sent (client:sport -> VIP:port),
 * the outer source to the VIP when it is the backend itself (a router's
 * address stays), the outer destination to the client (it differs only
 * for hairpin, whose client saw the VIP as its peer).
 *
 * The quoted IPv4 header's checksum is recomputed and the ICMP checksum
 * follows every changed byte; the quoted TCP/UDP checksum stays as quoted
 * (receivers do not check it, and TCP's is not even quoted). Only quotes
 * of an IPv4 header without options are translated.
 */
#ifndef KNETSIM_BPF_ICMP_ERR_H
#define KNETSIM_BPF_ICMP_ERR_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "knetsim/datapath.h"
#include "knetsim/lb.h"
#include "ipv4.h"
#include "ct.h"
#include "nat.h"
#include "stats.h"

#define ICMP_DEST_UNREACH_  3
#define ICMP_TIME_EXCEEDED_ 11
#define ICMP_PARAMETERPROB_ 12
#define ICMP_ERR_HLEN       8  /* type, code, checksum, 4 bytes */

/* What an error quotes: the offending packet's IPv4 header and the first
 * 8 bytes of its payload (ports; ICMP: type, code, checksum, id, seq). */
struct icmp_err_quote {
	struct iphdr ip;
	__u8 l4[8];
};

_Static_assert(sizeof(struct icmp_err_quote) % 4 == 0, "bpf_csum_diff size");

static __always_inline int icmp_err_type(__u8 type)
{
	return type == ICMP_DEST_UNREACH_ || type == ICMP_TIME_EXCEEDED_ ||
	       type == ICMP_PARAMETERPROB_;
}

/* The quoted packet went client -> backend: the key of its connection's
 * replies (backend -> client), as lb_revnat holds them. -1: a quote that
 * cannot be one of ours. */
static __always_inline int icmp_err_key(const struct icmp_err_quote *q,
					struct lb_tuple *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	if (q->ip.version != 4 || q->ip.ihl != 5 ||
	    (q->ip.frag_off & bpf_htons(0x1fff)))
		return -1;
	k->saddr = q->ip.daddr;
	k->daddr = q->ip.saddr;
	k->proto = q->ip.protocol;
	switch (k->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		__builtin_memcpy(&k->sport, q->l4 + 2, 2);
		__builtin_memcpy(&k->dport, q->l4, 2);
		return 0;
	case IPPROTO_ICMP:
		/* an echo request: its identifier is the client's "port" */
		if (q->l4[0] != ICMP_ECHO_)
			return -1;
		__builtin_memcpy(&k->dport, q->l4 + 4, 2);
		return 0;
	default:
		return 0;
	}
}

/* The quote as the client sent it, n being its connection's entry. */
static __always_inline void icmp_err_unnat(struct icmp_err_quote *q,
					   const struct lb_revnat *n)
{
	q->ip.saddr = n->daddr;
	q->ip.daddr = n->saddr;
	if (q->ip.protocol == IPPROTO_TCP || q->ip.protocol == IPPROTO_UDP) {
		__builtin_memcpy(q->l4, &n->dport, 2);
		__builtin_memcpy(q->l4 + 2, &n->sport, 2);
	}
	q->ip.check = 0;
	q->ip.check = csum_fold_(bpf_csum_diff(NULL, 0, (__be32 *)&q->ip,
					       sizeof(q->ip), 0));
}

/*
 * An ICMP error in ip (the packet's IPv4 header) about a connection this
 * worker translated: rewritten as its client expects it. 0 (not one:
 * untouched), 1 (rewritten: packet pointers are invalid, parse again) or
 * -1 (drop: rewriting failed, ev->stat says so).
 */
static __always_inline int icmp_err_reverse(struct __sk_buff *skb,
					    const struct iphdr *ip,
					    struct dp_event *ev)
{
	__u32 off = ETH_HLEN + ip->ihl * 4;
	__be32 saddr = ip->saddr, daddr = ip->daddr;
	struct icmp_err_quote q, nq;
	const struct lb_revnat *rn;
	struct lb_revnat n;
	struct lb_tuple k;
	__s64 diff;
	__u8 type;

	if (ip->protocol != IPPROTO_ICMP || (ip->frag_off & bpf_htons(0x3fff)))
		return 0;
	if (bpf_skb_load_bytes(skb, off, &type, 1) < 0 || !icmp_err_type(type))
		return 0;
	if (bpf_skb_load_bytes(skb, off + ICMP_ERR_HLEN, &q, sizeof(q)) < 0 ||
	    icmp_err_key(&q, &k) < 0)
		return 0;
	rn = revnat_get(&k);
	if (!rn)
		return 0;
	n = *rn;
	nq = q;
	icmp_err_unnat(&nq, &n);
	diff = bpf_csum_diff((__be32 *)&q, sizeof(q), (__be32 *)&nq,
			     sizeof(nq), 0);
	if (diff < 0 ||
	    bpf_skb_store_bytes(skb, off + ICMP_ERR_HLEN, &nq, sizeof(nq),
				0) < 0 ||
	    bpf_l4_csum_replace(skb, off + 2, 0, (__u64)diff, 0) < 0)
		goto fail;
	if (saddr == q.ip.daddr &&
	    nat_addr(skb, NAT_SADDR_OFF, 0, 0, saddr, n.saddr) < 0)
		goto fail;
	if (daddr == q.ip.saddr &&
	    nat_addr(skb, NAT_DADDR_OFF, 0, 0, daddr, n.daddr) < 0)
		goto fail;
	stats_count(DP_REV_NAT_ICMP, ev->len);
	return 1;
fail:
	ev->stat = DP_DROP_NAT;
	return -1;
}

#endif
