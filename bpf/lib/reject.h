/* SPDX-License-Identifier: MIT */
/*
 * Rejecting a connection to a service without backends, in place: the
 * packet becomes the answer and goes back out of the veth it came from.
 * TCP: an RST from VIP:port (RFC 9293 3.10.7.1: seq from the segment's
 * ACK, else ACK of what it occupied). UDP and ICMP echo: ICMP destination
 * unreachable from the VIP (port unreachable for UDP, host unreachable for
 * echo) quoting the IPv4 header and 8 bytes. Packets with IPv4 options and
 * RSTs are not answered (-1: the caller drops them).
 */
#ifndef KNETSIM_BPF_REJECT_H
#define KNETSIM_BPF_REJECT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "eth.h"
#include "ipv4.h"

#define REJECT_TTL 64
#define REJECT_QUOTE (sizeof(struct iphdr) + 8)
#define REJECT_ICMP_HLEN 8

/* A fresh IPv4 header (no options) of tot bytes, checksum set. */
static __always_inline void reject_ip(struct iphdr *ip, __be32 saddr,
				      __be32 daddr, __u8 proto, __u16 tot)
{
	__builtin_memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = bpf_htons(tot);
	ip->frag_off = bpf_htons(0x4000); /* DF */
	ip->ttl = REJECT_TTL;
	ip->protocol = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = csum_fold_(bpf_csum_diff(NULL, 0, (__be32 *)ip,
					     sizeof(*ip), 0));
}

/* Ethernet and IPv4 header pointers into a packet whose first len bytes
 * are being rewritten (not validated: they are not a packet yet). */
static __always_inline int reject_ptrs(struct __sk_buff *skb, struct l3 *p,
				       __u32 len)
{
	void *data, *end;

	if (pkt_pull(skb, len) < 0)
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + len > end)
		return -1;
	p->eth = data;
	p->ip = data + ETH_HLEN;
	return 0;
}

static __always_inline void reject_eth_swap(struct ethhdr *eth)
{
	__u8 mac[ETH_ALEN];

	mac_copy(mac, eth->h_dest);
	mac_copy(eth->h_dest, eth->h_source);
	mac_copy(eth->h_source, mac);
}

static __always_inline int reject_tcp(struct __sk_buff *skb)
{
	struct { __be32 s, d; __u8 z, p; __be16 len; } ph;
	__be32 saddr, daddr, seq = 0, ack = 0;
	__be16 sport, dport;
	struct tcphdr *th;
	int has_ack;
	struct l3 p;
	__u32 len;
	__s64 s;

	if (ipv4_parse(skb, &p) < 0 || p.ip->ihl != 5)
		return -1;
	if (pkt_pull(skb, ETH_HLEN + sizeof(struct iphdr) +
		     sizeof(struct tcphdr)) < 0 || ipv4_parse(skb, &p) < 0)
		return -1;
	th = (void *)(p.ip + 1);
	if ((void *)(th + 1) > (void *)(long)skb->data_end || th->rst ||
	    th->doff < 5)
		return -1;
	len = bpf_ntohs(p.ip->tot_len) - sizeof(struct iphdr) - th->doff * 4;
	has_ack = th->ack;
	if (has_ack)
		seq = th->ack_seq;
	else
		ack = bpf_htonl(bpf_ntohl(th->seq) + len + th->syn + th->fin);
	saddr = p.ip->daddr;
	daddr = p.ip->saddr;
	sport = th->dest;
	dport = th->source;
	if (bpf_skb_change_tail(skb, ETH_HLEN + sizeof(struct iphdr) +
				sizeof(struct tcphdr), 0) < 0 ||
	    reject_ptrs(skb, &p, ETH_HLEN + sizeof(struct iphdr) +
			sizeof(struct tcphdr)) < 0)
		return -1;
	th = (void *)(p.ip + 1);
	if ((void *)(th + 1) > (void *)(long)skb->data_end)
		return -1;
	reject_eth_swap(p.eth);
	reject_ip(p.ip, saddr, daddr, IPPROTO_TCP,
		  sizeof(struct iphdr) + sizeof(struct tcphdr));
	__builtin_memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = seq;
	th->ack_seq = ack;
	th->doff = 5;
	th->rst = 1;
	th->ack = !has_ack;
	ph.s = saddr;
	ph.d = daddr;
	ph.z = 0;
	ph.p = IPPROTO_TCP;
	ph.len = bpf_htons(sizeof(struct tcphdr));
	s = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	s = bpf_csum_diff(NULL, 0, (__be32 *)th, sizeof(*th), (__wsum)s);
	th->check = csum_fold_(s);
	return 0;
}

static __always_inline int reject_icmp(struct __sk_buff *skb, __u8 code)
{
	const __u32 room = sizeof(struct iphdr) + REJECT_ICMP_HLEN;
	const __u32 total = ETH_HLEN + room + REJECT_QUOTE;
	__be32 saddr, daddr;
	__u8 *icmp;
	struct l3 p;

	if (ipv4_parse(skb, &p) < 0 || p.ip->ihl != 5 ||
	    bpf_ntohs(p.ip->tot_len) < REJECT_QUOTE)
		return -1;
	saddr = p.ip->daddr;
	daddr = p.ip->saddr;
	if (bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC, 0) < 0)
		return -1;
	if (skb->len > total && bpf_skb_change_tail(skb, total, 0) < 0)
		return -1;
	if (reject_ptrs(skb, &p, total) < 0)
		return -1;
	icmp = (void *)(p.ip + 1);
	if ((void *)(icmp + REJECT_ICMP_HLEN + REJECT_QUOTE) >
	    (void *)(long)skb->data_end)
		return -1;
	reject_eth_swap(p.eth);
	reject_ip(p.ip, saddr, daddr, IPPROTO_ICMP, (__u16)room + REJECT_QUOTE);
	__builtin_memset(icmp, 0, REJECT_ICMP_HLEN);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = code;
	*(__sum16 *)(icmp + 2) =
		csum_fold_(bpf_csum_diff(NULL, 0, (__be32 *)icmp,
					 REJECT_ICMP_HLEN + REJECT_QUOTE, 0));
	return 0;
}

/* The answer for proto, built in place; 0, or -1 (drop). A function of
 * its own (a BPF-to-BPF call): inlined, it makes the compiler keep
 * offsets into the context in registers, which the verifier refuses. */
static __noinline int reject(struct __sk_buff *skb, __u8 proto)
{
	if (proto == IPPROTO_TCP)
		return reject_tcp(skb);
	if (proto == IPPROTO_UDP)
		return reject_icmp(skb, 3);  /* port unreachable */
	if (proto == IPPROTO_ICMP)
		return reject_icmp(skb, 1);  /* host unreachable */
	return -1;
}

#endif
