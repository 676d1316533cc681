/* SPDX-License-Identifier: MIT */
/* Routing "kernel" with proxy "bpf": the pods' own service traffic is
 * balanced by tc programs on their host-side veths (the cni0 bridge's
 * ports), lb_from_pod on ingress and lb_to_pod on egress; the bridge and
 * the stack route everything as before. The pinned endpoints map records
 * the veths that carry them (pod IPv4 -> ifindex, pod MAC, veth MAC), so
 * a restarted agent finds what pods deleted meanwhile left behind.
 * routing_kernel.c calls these with the datapath it opened; all return 0
 * or -errno, failures logged with the pod they concern. */
#ifndef KNETSIM_AGENT_POD_LB_H
#define KNETSIM_AGENT_POD_LB_H

#include <stddef.h>
#include <stdint.h>

#include "routing.h"

struct dp;

/* Records ep and attaches both programs to its veth (replacing ours). */
int pod_lb_add(struct dp *dp, const struct routing_endpoint *ep);
/* Detaches them from the pod's veth (nothing to do once it is gone) and
 * forgets it; 0 for an unknown pod. */
int pod_lb_del(struct dp *dp, uint32_t ip);
/* After a restart: every recorded pod not among ips (host order) is
 * removed as by pod_lb_del. */
int pod_lb_prune(struct dp *dp, const uint32_t *ips, size_t n);

#endif
