/* SPDX-License-Identifier: MIT */
/* Ethernet: making headers reachable by direct access, MAC copies. */
#ifndef KNETSIM_BPF_ETH_H
#define KNETSIM_BPF_ETH_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

/* Makes the first len bytes of the packet linear, so direct packet access
 * reaches them. 0, or < 0 when the packet is shorter than len. */
static __always_inline int pkt_pull(struct __sk_buff *skb, __u32 len)
{
	if ((void *)(long)skb->data + len <= (void *)(long)skb->data_end)
		return 0;
	return (int)bpf_skb_pull_data(skb, len);
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

static __always_inline void eth_set(struct ethhdr *eth, const __u8 *dst,
				    const __u8 *src)
{
	mac_copy(eth->h_dest, dst);
	mac_copy(eth->h_source, src);
}

#endif
