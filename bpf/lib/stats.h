/* SPDX-License-Identifier: MIT */
/* Per-CPU packet and byte counters by path and drop reason. */
#ifndef KNETSIM_BPF_STATS_H
#define KNETSIM_BPF_STATS_H

#include "maps.h"

static __always_inline void stats_count(__u32 stat, __u32 len)
{
	struct dp_counter *c = bpf_map_lookup_elem(&stats, &stat);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

#endif
