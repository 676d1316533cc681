/* SPDX-License-Identifier: MIT */
/* Inside the netlink wiring: the handle and the request helpers that
 * lib/nl.c shares with lib/nl_overlay.c. Not for use outside lib/nl*.c. */
#ifndef KNETSIM_NL_PRIV_H
#define KNETSIM_NL_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "nl.h"

struct nlh {
	struct nl_sock *sk;
	int kerr; /* negative errno of the last kernel error reply, or 0 */
};

/* A libnl error code (NLE_*, either sign) as -errno. */
int nl_nle_errno(int nle);
/* Call before each request. */
void nlh_begin(struct nlh *h);
/* A libnl result as 0 / -errno, preferring the kernel's own errno. */
int nlh_result(struct nlh *h, int nlerr);
/* Non-empty, shorter than IFNAMSIZ, no '/'. */
bool nl_ifname_valid(const char *name);
/* The kernel's view of ifname; *link must be put by the caller. */
int nlh_link_get(struct nlh *h, const char *ifname, struct rtnl_link **link);
/* An AF_INET nl_addr from a host-order address, or NULL. */
struct nl_addr *nl_inet_addr(uint32_t addr, uint8_t prefixlen);
/* Adds one next hop (ifindex idx when > 0, gateway gw when non-zero) to
 * r, which owns it from then on. */
int nl_route_set_nexthop(struct rtnl_route *r, int idx, uint32_t gw);

#endif
