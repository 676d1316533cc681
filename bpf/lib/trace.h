/* SPDX-License-Identifier: MIT */
/*
 * The verdict of a program: count it, trace it when asked, return the tc
 * action. Every program ends through verdict() so no path goes uncounted.
 */
#ifndef KNETSIM_BPF_TRACE_H
#define KNETSIM_BPF_TRACE_H

#include "maps.h"
#include "stats.h"

static __always_inline int verdict(const struct dp_config *cfg,
				   const struct dp_event *ev, int action)
{
	stats_count(ev->stat, ev->len);
	if (cfg && (cfg->flags & DP_CFG_F_TRACE) &&
	    bpf_ringbuf_output(&events, (void *)ev, sizeof(*ev), 0) < 0)
		stats_count(DP_TRACE_LOST, ev->len);
	return action;
}

#endif
