/* SPDX-License-Identifier: MIT */
/* The agent's service proxy, behind one interface with two
 * implementations: proxy "bpf" (proxy_bpf.c: VIP lookup, backend choice,
 * DNAT and connection tracking in the tc programs, plus socket-level
 * balancing for the worker's own connections) and proxy "nft"
 * (proxy_nft.c: kube-proxy's nftables structure through libnftables);
 * proxy "nft-linear" (proxy_nft.c too) is the course's original form, one
 * rule per service port in one chain, kept for comparison.
 *
 * The agent computes each service's backends from the pods in etcd (see
 * services.h) and calls service_set whenever a service or its backends
 * change; implementations apply only the difference and never disturb
 * other services. All calls return 0 or -errno and are idempotent.
 *
 * Many changes at once (a resync, a burst of etcd events) go between
 * batch_begin and batch_commit, so an implementation may apply them
 * together (proxy nft: one transaction instead of one per service). After
 * a full resync, prune removes whatever is installed for services that no
 * longer exist, including what a previous agent left (services deleted
 * while no agent ran). */
#ifndef KNETSIM_AGENT_PROXY_H
#define KNETSIM_AGENT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define PROXY_PORTS_MAX    16
#define PROXY_BACKENDS_MAX 1024
#define PROXY_NAME_MAX     63

enum proxy_algo { PROXY_ALGO_RANDOM, PROXY_ALGO_MAGLEV };

/* One service port. A service with no ports is the course's VIP-only
 * form: every protocol (ICMP echo included) to the VIP is balanced, and
 * ports are kept. */
struct proxy_port {
	uint16_t port;          /* on the VIP */
	uint16_t target_port;   /* on the backend pod */
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
};

struct proxy_service {
	char ns[PROXY_NAME_MAX + 1];     /* Kubernetes namespace */
	char name[PROXY_NAME_MAX + 1];
	uint32_t vip;                    /* host order */
	struct proxy_port ports[PROXY_PORTS_MAX];
	size_t n_ports;
	enum proxy_algo algo;
	uint32_t backends[PROXY_BACKENDS_MAX]; /* pod IPs, host order, sorted */
	size_t n_backends;               /* 0: connections are rejected */
};

struct proxy_config {
	const char *sim;
	const char *worker;
	const char *pin_dir;     /* BPF pins of this worker */
	struct cidr pod_network; /* the cluster's Network */
	struct cidr subnet;      /* this worker's lease */
	uint32_t underlay_ip;
};

/* A service's identity. */
struct proxy_key {
	char ns[PROXY_NAME_MAX + 1];
	char name[PROXY_NAME_MAX + 1];
};

struct proxy_ops {
	const char *name;
	int (*init)(const struct proxy_config *cfg);
	/* Creates or updates one service (keyed by ns/name). */
	int (*service_set)(const struct proxy_service *s);
	int (*service_del)(const char *ns, const char *name);
	/* Leaves everything installed. */
	void (*close)(void);
	/* Optional (NULL: every call applies at once). Inside a batch,
	 * service_set and service_del validate and may defer; batch_commit
	 * applies what was deferred, logs each service that failed, and
	 * returns the first error. */
	int (*batch_begin)(void);
	int (*batch_commit)(void);
	/* Removes every service installed, by this process or a previous
	 * one, whose ns/name is not among keep[0..n-1]. */
	int (*prune)(const struct proxy_key *keep, size_t n);
	/* Packets must cross the worker's IP stack (netfilter) to be
	 * balanced: the routing datapath may not bypass it. */
	bool via_stack;
};

extern const struct proxy_ops proxy_bpf_ops;
extern const struct proxy_ops proxy_nft_ops;
extern const struct proxy_ops proxy_nft_linear_ops;

#endif
