/* SPDX-License-Identifier: MIT */
/* Read-back of the entries lib/nl_overlay.c installs on one device: its
 * IPv4 neighbours, its bridge FDB entries and the main-table IPv4 routes
 * through it, as the kernel holds them (one dump each, nothing cached).
 * Each function fills a malloc'd array (NULL when empty, free()d by the
 * caller) and returns how many entries it holds, or -errno; -ENODEV when
 * the device does not exist. Addresses are host byte order. */
#ifndef KNETSIM_NL_DUMP_H
#define KNETSIM_NL_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

struct nl_neigh_entry {
	uint32_t ip;
	uint8_t mac[6];
	bool has_mac;
	uint16_t state;		/* NUD_* */
};

struct nl_fdb_entry {
	uint8_t mac[6];
	uint32_t dst;		/* the remote VTEP; 0: none, or not IPv4 */
	uint16_t state;		/* NUD_* */
	uint8_t flags;		/* NTF_* */
};

/* A route with exactly one next hop, through the device. */
struct nl_route_entry {
	uint32_t dst;
	uint8_t len;
	uint32_t gw;		/* 0: none */
	uint8_t protocol;	/* RTPROT_* */
	uint8_t type;		/* RTN_* */
	bool onlink;
};

int nl_neigh_dump(struct nlh *h, const char *ifname,
		  struct nl_neigh_entry **out);
int nl_fdb_dump(struct nlh *h, const char *ifname, struct nl_fdb_entry **out);
/* Multipath routes, and routes of other tables, are left out. */
int nl_route_dump(struct nlh *h, const char *ifname,
		  struct nl_route_entry **out);

#endif
