/* SPDX-License-Identifier: MIT */
/*
 * Services in the BPF datapath, from userspace: the lb_* maps of a loaded
 * datapath (lib/datapath.h). Types: include/knetsim/lb.h. Addresses and
 * ports in network byte order; functions return 0 or -errno.
 *
 * Updates never touch other services' entries nor live connections of
 * the same service to backends that stay: callers set backends before
 * raising a service's count and lower the count before dropping slots.
 */
#ifndef KNETSIM_DATAPATH_LB_H
#define KNETSIM_DATAPATH_LB_H

#include <stddef.h>

#include "datapath.h"
#include "knetsim/lb.h"

/* key->port and key->proto both 0 (VIP-only) or both set; svc->algo
 * known. */
int dp_lb_service_set(struct dp *dp, const struct lb_service_key *key,
		      const struct lb_service *svc);
/* -ENOENT when absent. */
int dp_lb_service_del(struct dp *dp, const struct lb_service_key *key);

/*
 * Backends of service id: slots 0..n-1 (and for Maglev its table, the
 * same on every worker for the same set); slots n..old_n-1 are deleted.
 * n 0: every slot and the table go. Addresses nonzero, n <= 65535.
 */
int dp_lb_backends_set(struct dp *dp, __u32 id, const __be32 *ips, size_t n,
		       size_t old_n, int maglev);

/* Ends service id's connections (VIP vip) to backend: their conntrack
 * and reverse-NAT entries go, so the next packet of such a connection is
 * balanced anew (or, with no backend left, rejected): a TCP connection
 * lands on a backend that does not know it, whose RST reaches the client
 * (reverse-NATed like any reply), so it ends promptly instead of hanging.
 * Other services' connections, even to the same pod, stay. */
int dp_lb_ct_flush_backend(struct dp *dp, __u32 id, __be32 vip,
			   __be32 backend);

#endif
