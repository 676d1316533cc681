/* SPDX-License-Identifier: MIT */
/* Netlink wiring through libnl-3: links, addresses, routes and qdiscs in a
 * given network namespace. Every function returns 0 or -errno. */
#ifndef KNETSIM_NL_H
#define KNETSIM_NL_H

#include <stdbool.h>
#include <stdint.h>

struct nlh; /* a route netlink socket bound to one namespace */

/* Opens a netlink socket inside nsfd (-1: the caller's namespace). */
struct nlh *nlh_open(int nsfd);
void nlh_close(struct nlh *h);

int nl_link_index(struct nlh *h, const char *ifname); /* >0 or -errno */
int nl_link_up(struct nlh *h, const char *ifname);
int nl_link_set_mtu(struct nlh *h, const char *ifname, unsigned mtu);
/* The link-layer address (ip link set IF address MAC). */
int nl_link_set_mac(struct nlh *h, const char *ifname, const uint8_t mac[6]);
/* IFF_NOARP on or off (ip link set IF arp off|on). */
int nl_link_set_noarp(struct nlh *h, const char *ifname, bool on);
int nl_link_set_master(struct nlh *h, const char *ifname, const char *master);
int nl_bridge_port_hairpin(struct nlh *h, const char *ifname, bool on);
int nl_link_del(struct nlh *h, const char *ifname); /* 0 when absent */

int nl_bridge_add(struct nlh *h, const char *name);
/* veth pair: name in h's namespace, peer created directly in peer_nsfd
 * (-1: same namespace), so no interface ever appears anywhere else. */
int nl_veth_add(struct nlh *h, const char *name, const char *peer,
		int peer_nsfd);

/* addr is host byte order. */
int nl_addr_add(struct nlh *h, const char *ifname, uint32_t addr,
		uint8_t prefixlen);
/* dst/len via gw (0: on-link through ifname); host byte order. */
int nl_route_add(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		 const char *ifname);

/* Link shaping on ifname's egress: netem (delay, jitter, loss) as the root
 * qdisc with tbf (rate) below it, or just one of them. All zero removes
 * shaping. -EOPNOTSUPP when the kernel lacks a needed qdisc. */
struct nl_shaping {
	uint32_t delay_us, jitter_us, loss_ppm;
	uint64_t rate_bps;
};
int nl_qdisc_shape(struct nlh *h, const char *ifname,
		   const struct nl_shaping *s);
/* Whether the kernel offers netem (probed once on a dummy link in h's
 * namespace, which is removed again). */
bool nl_netem_supported(struct nlh *h);

#endif
