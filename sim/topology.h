/* SPDX-License-Identifier: MIT */
/* The topology file: what a simulation is made of. topology_load() parses
 * YAML or JSON, rejects unknown fields, validates everything and resolves
 * derived values (node addresses, effective link properties), so the rest
 * of knetsim works from a checked, complete description. */
#ifndef KNETSIM_TOPOLOGY_H
#define KNETSIM_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "ingress.h"
#include "netconf.h"
#include "services.h"
#include "knetsim/paths.h"

/* Link shaping. Each field is applied per direction on a node's link. */
enum link_prop_bit {
	LINK_DELAY  = 1 << 0,
	LINK_JITTER = 1 << 1,
	LINK_RATE   = 1 << 2,
	LINK_LOSS   = 1 << 3,
};

struct link_props {
	unsigned set;        /* LINK_* bits given explicitly (for merging);
			      * all set once topology_load() resolved them */
	uint32_t delay_us;   /* one-way delay */
	uint32_t jitter_us;
	uint64_t rate_bps;   /* 0: unlimited */
	uint32_t loss_ppm;   /* parts per million, 0..1000000 */
};

static inline bool link_props_shaped(const struct link_props *p)
{
	return p->delay_us || p->jitter_us || p->rate_bps || p->loss_ppm;
}

enum routing_mode { ROUTING_BPF, ROUTING_KERNEL };
enum proxy_mode { PROXY_BPF, PROXY_NFT, PROXY_NFT_LINEAR };

const char *routing_mode_name(enum routing_mode m);
const char *proxy_mode_name(enum proxy_mode m);

enum node_kind { NODE_WORKER, NODE_ETCD };

const char *node_kind_name(enum node_kind k);

struct node {
	char name[KNETSIM_NODE_NAME_MAX + 1];
	enum node_kind kind;
	size_t cluster;          /* index into topology.clusters */
	uint32_t addr;           /* underlay address, host order */
	struct link_props link;  /* effective: defaults merged with overrides */
	int line;                /* where it was declared */
};

/* A pod's namespace is "<sim>:<cluster>.<pod>". */
#define TOPO_POD_NAME_MAX 32
#define TOPO_LABELS_MAX 16

/* Kubernetes-like: key [A-Za-z0-9_.-/], value [A-Za-z0-9_.-], 1 to 63
 * bytes each. */
struct pod_label {
	char key[64];
	char value[64];
};

/* The one program a pod may run (pods[].command), started in the pod by
 * up: argc strings back to back in buf, each NUL-ended. */
#define TOPO_CMD_ARGS_MAX 32
#define TOPO_CMD_LEN_MAX 1024    /* every argument with its NUL */

struct pod_command {
	size_t argc;             /* 0: the pod runs nothing */
	char buf[TOPO_CMD_LEN_MAX];
};

struct pod {
	char name[TOPO_POD_NAME_MAX + 1];
	size_t cluster;          /* index into topology.clusters */
	size_t worker;           /* index into topology.nodes */
	struct pod_label labels[TOPO_LABELS_MAX];
	size_t n_labels;
	struct pod_command command;
	int line;                /* where it was declared */
};

/* The command's arguments as pointers into cmd->buf, NULL-ended (argv
 * holds TOPO_CMD_ARGS_MAX + 1); returns argc. */
size_t pod_command_argv(const struct pod_command *cmd, char **argv);

/* A service of a cluster (clusters[].services), created by up after the
 * pods exactly as `knetsim service add` creates one. */
struct topo_service {
	struct svc_spec spec;
	size_t cluster;          /* index into topology.clusters */
	int line;                /* where it was declared */
};

/* An ingress of a cluster (clusters[].ingresses, topology_ingress.c),
 * created by up after the services as `knetsim ingress add` creates one;
 * its paths name services (a VIP in the file is resolved to the name). */
struct topo_ingress {
	struct ingress_spec spec;
	size_t cluster;          /* index into topology.clusters */
	int line;                /* where it was declared */
};

/* Multi-cluster (top-level multicluster:, topology_multicluster.c): one
 * router (skupper-router) or TLS gateway (nginx stream) per linked
 * cluster, on its first worker, and services exported across clusters. */
enum mc_gateway { MC_GATEWAY_AUTO, MC_GATEWAY_SKUPPER, MC_GATEWAY_NGINX };

const char *mc_gateway_name(enum mc_gateway g);

#define TOPO_MC_NAME_MAX 32

struct topo_mc_link {
	size_t from, to;         /* clusters: from's router connects to to's */
	int line;
};

enum mc_target_kind { MC_TARGET_POD, MC_TARGET_SERVICE };

struct topo_mc_export {
	char name[TOPO_MC_NAME_MAX + 1]; /* the router address */
	size_t cluster;          /* where the service lives */
	enum mc_target_kind kind;
	size_t target;           /* index into topology.pods or .services */
	uint16_t port;           /* on the target */
	uint16_t listen;         /* opened on each consumer's router node */
	size_t *consumers;       /* clusters that reach it, file order */
	size_t n_consumers;
	int line;
};

struct topo_multicluster {
	bool enabled;            /* the section is present */
	enum mc_gateway gateway;
	struct topo_mc_link *links;
	size_t n_links;
	struct topo_mc_export *exports;
	size_t n_exports;
};

struct cluster {
	char name[KNETSIM_NODE_NAME_MAX + 1];
	struct net_config net;
	enum routing_mode routing;
	enum proxy_mode proxy;
	size_t n_workers, n_etcd;
	size_t n_pods;
	int line;
};

struct topology {
	char name[KNETSIM_SIM_NAME_MAX + 1];
	char path[256];              /* file it came from, for messages */
	struct cidr underlay;
	struct link_props link_defaults;
	struct cluster *clusters;
	size_t n_clusters;
	/* All nodes: each cluster's workers, then its etcd members, cluster
	 * by cluster in file order. Addresses are assigned in this order. */
	struct node *nodes;
	size_t n_nodes;
	/* All clusters' pods, cluster by cluster in file order. A pod name
	 * is unique within its cluster only. */
	struct pod *pods;
	size_t n_pods;
	/* All clusters' services, cluster by cluster in file order. */
	struct topo_service *services;
	size_t n_services;
	/* All clusters' ingresses, cluster by cluster in file order. */
	struct topo_ingress *ingresses;
	size_t n_ingresses;
	struct topo_multicluster mc;
};

/* Parses and validates. On failure returns NULL and fills err with
 * "FILE:LINE: FIELD: problem (expected ...)". path "-" reads stdin. */
struct topology *topology_load(const char *path, char *err, size_t errlen);
/* The same from a buffer; name is used in messages in place of a path. */
struct topology *topology_parse(const char *buf, size_t len, const char *name,
				char *err, size_t errlen);
void topology_free(struct topology *t);

/* Lookups; NULL when absent. */
const struct node *topology_node(const struct topology *t, const char *name);
const struct cluster *topology_cluster(const struct topology *t, const char *name);
const struct pod *topology_pod(const struct topology *t, const char *cluster,
			       const char *name);

/* Name rules shared with the CLI (--name) and the state directory. */
bool topology_name_valid(const char *s, size_t max);

/* Writes the resolved topology as JSON (the same schema the loader reads,
 * with every default made explicit), so a saved copy reloads identically.
 * Returns a malloc'd string. */
char *topology_to_json(const struct topology *t);

#endif
