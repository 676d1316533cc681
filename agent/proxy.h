/* SPDX-License-Identifier: MIT */
/* The agent's service proxy, behind one interface with two
 * implementations: proxy "bpf" (proxy_bpf.c: VIP lookup, backend choice,
 * DNAT and connection tracking in the tc programs, plus socket-level
 * balancing for the worker's own connections) and proxy "nft"
 * (proxy_nft.c: kube-proxy's nftables structure through libnftables).
 *
 * The agent computes each service's backends from the pods in etcd (see
 * services.h) and calls service_set whenever a service or its backends
 * change; implementations apply only the difference and never disturb
 * other services. All calls return 0 or -errno and are idempotent. */
#ifndef KNETSIM_AGENT_PROXY_H
#define KNETSIM_AGENT_PROXY_H

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

struct proxy_ops {
	const char *name;
	int (*init)(const struct proxy_config *cfg);
	/* Creates or updates one service (keyed by ns/name). */
	int (*service_set)(const struct proxy_service *s);
	int (*service_del)(const char *ns, const char *name);
	/* Leaves everything installed. */
	void (*close)(void);
};

extern const struct proxy_ops proxy_bpf_ops;
extern const struct proxy_ops proxy_nft_ops;

#endif
