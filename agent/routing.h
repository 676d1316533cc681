/* SPDX-License-Identifier: MIT */
/* The agent's datapath, behind one interface with two implementations:
 * routing "bpf" (routing_bpf.c: tc programs + pinned maps) and routing "kernel"
 * (routing_kernel.c: flannel's VXLAN backend through netlink). The agent calls
 * these from its single event loop; every call is idempotent, so a
 * restarted agent can replay the full state from etcd over what is
 * already installed. All return 0 or -errno; failures are logged by the
 * implementation with the object they concern. */
#ifndef KNETSIM_AGENT_ROUTING_H
#define KNETSIM_AGENT_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "netconf.h"

/* The emulated underlay's MTU (veth default). */
#define ROUTING_UNDERLAY_MTU 1500

struct routing_config {
	const char *sim;
	const char *worker;
	uint32_t underlay_ip;        /* this worker's underlay address */
	const char *underlay_if;     /* "eth0" */
	struct net_config net;       /* the cluster's flannel config */
	struct cidr subnet;          /* this worker's lease */
	const char *pin_dir;         /* bpf: /sys/fs/bpf/knetsim/<sim>/<worker> */
	/* The overlay device's MAC: derived from the worker's address, so it
	 * is the same across restarts and the lease never has to change. */
	uint8_t vtep_mac[6];
	/* bpf: deliver to local pods through the stack, so a netfilter
	 * service proxy (proxy nft) can reverse its NAT. */
	bool via_stack;
	/* kernel: balance the pods' service traffic with tc programs on
	 * their veths (proxy bpf; lib/datapath.h, dp_attach_pod_lb). */
	bool pod_lb;
};

/* A remote worker's lease: its pod subnet behind its underlay address. */
struct routing_lease {
	struct cidr subnet;
	uint32_t public_ip;
	uint8_t vtep_mac[6];         /* kernel mode: the remote flannel.<VNI> MAC */
};

/* A local pod. */
struct routing_endpoint {
	uint32_t ip;
	int host_ifindex;            /* host-side veth in the worker */
	char host_ifname[16];
	uint8_t pod_mac[6];
};

struct routing_ops {
	const char *name;
	/* The overlay device's name, printf'd with the VNI. */
	const char *overlay_fmt;
	/* Creates or adopts the overlay device (with cfg->vtep_mac) and the
	 * programs; fills the VTEP MAC the device ended up with. */
	int (*init)(const struct routing_config *cfg, uint8_t vtep_mac[6]);
	int (*lease_add)(const struct routing_lease *l);
	int (*lease_del)(const struct routing_lease *l);
	int (*endpoint_add)(const struct routing_endpoint *ep);
	int (*endpoint_del)(uint32_t ip);
	/* After a restart: removes what the datapath still holds from before
	 * but is no longer wanted (leases gone from etcd, pods deleted while
	 * no agent ran). NULL when the implementation has nothing to sweep. */
	int (*prune)(const struct routing_lease *leases, size_t n_leases,
		     const uint32_t *endpoint_ips, size_t n_endpoints);
	/* Leaves everything installed (the datapath keeps forwarding). */
	void (*close)(void);
};

extern const struct routing_ops routing_bpf_ops;
extern const struct routing_ops routing_kernel_ops;

#endif
