/* SPDX-License-Identifier: MIT */
/* Shared by the topology loader's parts: topology.c (entry points),
 * topology_decode.c (document to struct, one field at a time) and
 * topology_check.c (rules across fields, then derived values). Not for
 * use elsewhere. */
#ifndef KNETSIM_TOPOLOGY_PRIV_H
#define KNETSIM_TOPOLOGY_PRIV_H

#include "doc.h"
#include "topology.h"

#define LINK_ALL (LINK_DELAY | LINK_JITTER | LINK_RATE | LINK_LOSS)
#define TOPO_CLUSTER_NAME_MAX 10 /* "t0-<cluster>s0" fits IFNAMSIZ */
#define TOPO_DEFAULT_UNDERLAY "10.0.0.0/16"
#define TOPO_PATH_MAX 128
#define TOPO_NAME_CHARSET \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* Where a set of link fields was written. */
struct topo_link_src {
	const char *path;      /* "underlay.link" or "links[3]" */
	int line;              /* the map */
	int field_line[4];     /* per LINK_* bit, 0 when not given */
};

struct topo_override {
	const char *node;      /* points into the document */
	int node_line;
	struct link_props props;
	struct topo_link_src src;
	char path[32];         /* "links[N]" */
};

/* Lines of what a cluster's cross-field rules talk about. */
struct topo_cluster_src {
	int workers;
	int network;           /* the network map */
	int network_net;       /* its Network value */
};

/* A pod's worker, named in the document; resolved by topology_check.c. */
struct topo_pod_src {
	const char *worker;    /* points into the document */
	int worker_line;
	int name_line;
	size_t index;          /* in its cluster's pods list */
};

struct topo_ctx {
	const char *file;      /* name used in messages */
	char *err;
	size_t errlen;
	struct topology *t;
	size_t nodes_cap;
	int root_line;
	int subnet_line;       /* 0: underlay.subnet defaulted */
	struct topo_link_src link_src;
	struct topo_cluster_src *cl_src; /* per cluster */
	struct topo_override *ov;
	size_t n_ov;
	struct topo_pod_src *pod_src; /* per pod */
	size_t pods_cap;
	const struct doc_node *mc;   /* multicluster map, or NULL */
};

/* Writes "FILE:LINE: FIELD: message" (no LINE when line is 0); returns -1. */
int topo_fail(struct topo_ctx *c, int line, const char *field,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int topo_decode(struct topo_ctx *c, const struct doc_node *root);
int topo_check(struct topo_ctx *c);
/* topology_services.c: clusters[ci].services, then their checks against
 * the networks and pods (after check_pods). */
int topo_decode_services(struct topo_ctx *c, const struct doc_node *m,
			 const char *cpath, size_t ci);
int topo_check_services(struct topo_ctx *c);
/* Cluster ci's services into cl (a cJSON object) when it has some. */
struct cJSON;
bool topo_json_services(struct cJSON *cl, const struct topology *t, size_t ci);
/* topology_pods.c: pods[].command of pod p (decoded after its labels),
 * and back into the pod's JSON object o when it has one. */
int topo_decode_pod_command(struct topo_ctx *c, const struct doc_node *m,
			    const char *ppath, struct pod *p);
bool topo_json_pod_command(struct cJSON *o, const struct pod *p);
/* topology_ingress.c: clusters[ci].ingresses, then their checks against
 * the workers and the services (after topo_check_services). */
int topo_decode_ingresses(struct topo_ctx *c, const struct doc_node *m,
			  const char *cpath, size_t ci);
int topo_check_ingresses(struct topo_ctx *c);
bool topo_json_ingresses(struct cJSON *cl, const struct topology *t, size_t ci);
/* topology_multicluster.c: the top-level multicluster map is kept by
 * decode and resolved by check (after pods and services); freed by
 * topology_free(); written back when present. */
int topo_decode_multicluster(struct topo_ctx *c, const struct doc_node *root);
int topo_check_multicluster(struct topo_ctx *c);
void topo_free_multicluster(struct topology *t);
bool topo_json_multicluster(struct cJSON *root, const struct topology *t);

#endif
