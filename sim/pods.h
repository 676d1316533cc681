/* SPDX-License-Identifier: MIT */
/* Pods, driven the way a container runtime drives them: a namespace per
 * pod ("<sim>:<cluster>.<pod>"), knetsim-cni run inside the worker with the
 * CNI environment and config, and the pod recorded in the cluster's etcd
 * as a Kubernetes-shaped object at /knetsim/pods/<namespace>/<name>. */
#ifndef KNETSIM_PODS_H
#define KNETSIM_PODS_H

#include <stddef.h>

#include "state.h"
#include "topology.h"

#define PODS_PREFIX "/knetsim/pods/"
#define PODS_NAMESPACE "default"

struct pod_label;

struct pod_request {
	const char *name;
	const struct node *worker;        /* a worker of the topology */
	const struct pod_label *labels;
	size_t n_labels;
};

/* Creates the pod; its address into ip (IP4_STRLEN) when not NULL. On
 * failure nothing of the pod is left. */
int pod_add(struct state *st, const struct topology *t,
	    const struct pod_request *req, char *ip, char *err, size_t errlen);
/* Removes the pod of that cluster: CNI DEL, namespace, etcd record. */
int pod_del(struct state *st, const struct topology *t, size_t cluster,
	    const char *name, char *err, size_t errlen);
/* "<sim>:<cluster>.<pod>" into buf (NAMES_NETNS_MAX); NULL if too long. */
char *pod_netns(const char *sim, const char *cluster, const char *pod,
		char *buf, size_t len);

#endif
