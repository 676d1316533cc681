/* SPDX-License-Identifier: MIT */
/* ARP over Ethernet for IPv4, and the in-place reply of the responder. */
#ifndef KNETSIM_BPF_ARP_H
#define KNETSIM_BPF_ARP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

#include "eth.h"

/* From RFC 826 and IANA's registry; <linux/if_arp.h> would drag libc's
 * socket headers into a BPF build. */
#define ARP_HRD_ETHER   1
#define ARP_OP_REQUEST  1
#define ARP_OP_REPLY    2

struct arp_hdr {
	__be16 ar_hrd;  /* hardware type */
	__be16 ar_pro;  /* protocol type */
	__u8 ar_hln;    /* hardware address length */
	__u8 ar_pln;    /* protocol address length */
	__be16 ar_op;
};

/* The header followed by Ethernet/IPv4 addresses. */
struct arp_eth_ipv4 {
	struct arp_hdr hdr;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

struct arp_frame {
	struct ethhdr *eth;
	struct arp_eth_ipv4 *arp;
};

/* Points f at an Ethernet/IPv4 ARP packet. 0, or -1 when it is short or
 * of another hardware/protocol kind. Invalidates earlier packet pointers. */
static __always_inline int arp_parse(struct __sk_buff *skb,
				     struct arp_frame *f)
{
	void *data, *end;

	if (pkt_pull(skb, ETH_HLEN + sizeof(struct arp_eth_ipv4)) < 0)
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	f->eth = data;
	f->arp = data + ETH_HLEN;
	if ((void *)(f->arp + 1) > end)
		return -1;
	if (f->arp->hdr.ar_hrd != bpf_htons(ARP_HRD_ETHER) ||
	    f->arp->hdr.ar_pro != bpf_htons(ETH_P_IP) ||
	    f->arp->hdr.ar_hln != ETH_ALEN || f->arp->hdr.ar_pln != 4)
		return -1;
	return 0;
}

/* Turns a request into the reply "tpa is at mac", sent back to the asker. */
static __always_inline void arp_make_reply(struct arp_frame *f,
					   const __u8 *mac)
{
	struct arp_eth_ipv4 *a = f->arp;
	__be32 asker = a->spa;

	eth_set(f->eth, a->sha, mac);
	a->hdr.ar_op = bpf_htons(ARP_OP_REPLY);
	mac_copy(a->tha, a->sha);
	mac_copy(a->sha, mac);
	a->spa = a->tpa;
	a->tpa = asker;
}

#endif
