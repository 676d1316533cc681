/* SPDX-License-Identifier: MIT */
/* Overlay wiring through libnl-route, the pieces flannel's VXLAN backend
 * installs: the VXLAN device, permanent neighbour (ARP) entries, bridge
 * FDB entries on the VXLAN device, on-link routes. Everything acts in the
 * namespace of the handle, returns 0 or -errno, and every delete returns
 * 0 when the object (or its device) is already gone. Addresses are host
 * byte order. */
#ifndef KNETSIM_NL_OVERLAY_H
#define KNETSIM_NL_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

#define VXLAN_OVERHEAD 50 /* outer Ethernet, IPv4, UDP and VXLAN headers */

/* Creates or adopts VXLAN device name.
 * - external false: flannel's device: id vni, source address local_ip,
 *   bound to underlay_ifname, UDP dstport.
 * - external true: a collect_md ("external") device for BPF tunnelling:
 *   dstport only, vni is ignored.
 * local_ip 0 and underlay_ifname NULL leave those unset. The MTU is the
 * underlay's minus VXLAN_OVERHEAD (the kernel's default without an
 * underlay). A VXLAN device of that name with the same settings is
 * adopted as it is; one with other settings is replaced, as flannel does;
 * any other kind of device there is -EEXIST. The device is left down. */
int nl_vxlan_add(struct nlh *h, const char *name, uint32_t vni,
		 uint16_t dstport, uint32_t local_ip,
		 const char *underlay_ifname, bool learning, bool external);

/* The link-layer address of an Ethernet-like device. */
int nl_link_mac(struct nlh *h, const char *ifname, uint8_t mac[6]);

struct nl_addr_v4 {
	uint32_t addr;
	uint8_t prefixlen;
};

/* ifname's IPv4 addresses, the first max of them into out; returns how
 * many there are, or -errno. */
int nl_addr_list(struct nlh *h, const char *ifname, struct nl_addr_v4 *out,
		 size_t max);

/* Makes addr/prefixlen the only IPv4 address of ifname: adds it when
 * missing and removes any other (a stale lease). */
int nl_addr_ensure(struct nlh *h, const char *ifname, uint32_t addr,
		   uint8_t prefixlen);

/* Permanent IPv4 neighbour entry ip -> mac on ifname (ip neigh replace). */
int nl_neigh_replace(struct nlh *h, const char *ifname, uint32_t ip,
		     const uint8_t mac[6]);
int nl_neigh_del(struct nlh *h, const char *ifname, uint32_t ip);

/* Permanent FDB entry on VXLAN device ifname: frames for mac go to the
 * VTEP at dst_ip (bridge fdb replace MAC dev IF dst IP self permanent). */
int nl_fdb_replace(struct nlh *h, const char *ifname, const uint8_t mac[6],
		   uint32_t dst_ip);
/* Removes that entry; dst_ip 0 removes mac whatever its destinations. */
int nl_fdb_del(struct nlh *h, const char *ifname, const uint8_t mac[6],
	       uint32_t dst_ip);

/* dst/len via gw (0: none) dev ifname in the main table, replacing any
 * route to dst/len; onlink takes gw as reachable on ifname whatever its
 * addresses (flannel's routes to remote subnets). */
int nl_route_replace(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		     const char *ifname, bool onlink);
/* Removes the main-table route to dst/len; gw (non-zero) and ifname
 * (non-NULL) narrow the match. */
int nl_route_del(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		 const char *ifname);

#endif
