/* SPDX-License-Identifier: MIT */
/* Routing "kernel" after a restart: the neighbour, FDB entry and on-link
 * route a lease left on flannel.<VNI> when it disappeared from etcd while
 * no agent ran. routing bpf sweeps its route map the same way
 * (routing_bpf.c, rb_prune); here the kernel's tables are read back.
 *
 * Only entries of the shape routing_kernel.c installs are candidates:
 * - neighbour: permanent, with a MAC, its address inside Network;
 * - FDB entry: permanent, a unicast MAC towards an IPv4 VTEP;
 * - route: main table, unicast, static, one on-link next hop through the
 *   device whose gateway is the destination's own address, the
 *   destination a strict subnet of Network.
 * A candidate stays when a current lease explains it: the neighbour is
 * the lease's network address, the FDB entry is the lease's VTEP MAC
 * towards its public IP (any MAC when the lease carries none), the route
 * is to the lease's subnet. */
#ifndef KNETSIM_AGENT_ROUTING_KERNEL_SWEEP_H
#define KNETSIM_AGENT_ROUTING_KERNEL_SWEEP_H

#include <stddef.h>

#include "cidr.h"
#include "nl_dump.h"
#include "routing.h"

/* What the device holds (as nl_dump.h reads it). */
struct rk_entries {
	struct nl_neigh_entry *neigh;
	size_t n_neigh;
	struct nl_fdb_entry *fdb;
	size_t n_fdb;
	struct nl_route_entry *route;
	size_t n_route;
};

/* Keeps, in each list (compacted in place, order kept), only the stale
 * entries: those of flannel's shape that none of the n leases explains. */
void rk_sweep_select(struct rk_entries *e, const struct cidr *network,
		     const struct routing_lease *leases, size_t n);

/* Reads vxlan's entries in the caller's namespace, selects as above and
 * deletes the stale ones, each logged. 0 when the device is absent.
 * Returns 0 or the first -errno (every deletion is still tried). */
int rk_sweep_stale(const char *vxlan, const struct cidr *network,
		   const struct routing_lease *leases, size_t n);

#endif
