/* SPDX-License-Identifier: MIT */
/* The pod's link: a veth pair made inside the pod's namespace with its
 * peer created directly in the worker's (the plugin's own namespace), so
 * a crash half-way leaves nothing in the worker: deleting the pod's
 * namespace removes both ends.
 *
 * routing bpf:    pod IP/32, default via GW dev IF onlink (the agent's
 *                 BPF answers ARP for GW); in the worker a /32 route to
 *                 the pod through the host end, rp_filter 0 on it.
 * routing kernel: pod IP/LEN, default via GW; the host end is a port of
 *                 the bridge, which is made (GW/LEN, up) if the agent has
 *                 not made it yet.
 * Every function returns 0 or a CNI code with e set. */
#ifndef KNETSIM_CNI_VETH_H
#define KNETSIM_CNI_VETH_H

#include <net/if.h>
#include <stdint.h>

#include "config.h"
#include "result.h"

#define VETH_HOST_PREFIX "ks"
#define VETH_HASH_HEX 10 /* "ks" + 10 hex digits: 12 bytes */

/* The host end's name, derived from the container and the pod's
 * interface so DEL finds it with nothing but its environment. */
void veth_host_name(const char *containerid, const char *ifname,
		    char out[IFNAMSIZ]);

/* Opens CNI_NETNS: a network namespace that is not our own. A missing
 * one is CNI_ERR_NO_CONTAINER. */
unsigned veth_netns_open(const char *path, int *fd, struct cni_err *e);

struct veth_plan {
	enum cni_routing routing;
	const char *bridge;	/* routing kernel */
	const char *pod_ifname;
	char host_ifname[IFNAMSIZ];
	uint32_t ip, gateway;	/* host byte order */
	uint8_t prefixlen;	/* the lease's */
	unsigned mtu;
};

struct veth_info {
	char host_mac[MAC_STRLEN];
	char pod_mac[MAC_STRLEN];
	int host_ifindex;
	uint8_t pod_prefixlen;	/* as configured in the pod */
};

/* CNI_ERR_IF_EXISTS when either end's name is taken. */
unsigned veth_preflight(int pod_nsfd, const struct veth_plan *p,
			struct cni_err *e);
/* Creates and wires both ends; on failure removes what it made. */
unsigned veth_add(int pod_nsfd, const struct veth_plan *p,
		  struct veth_info *out, struct cni_err *e);
/* Removes the pair through its host end; 0 when it is gone already. */
unsigned veth_del(const char *host_ifname, struct cni_err *e);
/* The pod's interface has ip/prefixlen (and mac, when not ""), and the
 * host end exists. */
unsigned veth_check(int pod_nsfd, const char *pod_ifname,
		    const char *host_ifname, uint32_t ip, uint8_t prefixlen,
		    const char *mac, struct cni_err *e);

#endif
