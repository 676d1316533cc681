/* SPDX-License-Identifier: MIT */
/* Creating, replacing and deleting ingresses in a cluster's etcd, shared by
 * `knetsim ingress` and `knetsim up`: every rule is checked (the worker,
 * the services and ports the paths name, the port against the other
 * ingresses of the worker) before the one write, so a rejected ingress
 * leaves nothing. */
#ifndef KNETSIM_INGRESS_STORE_H
#define KNETSIM_INGRESS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "etcd.h"
#include "ingress.h"
#include "services.h"
#include "state.h"
#include "topology.h"

/* node must be a worker of t; its cluster into *cluster. 0 or -ENOENT. */
int ingress_worker_check(const struct topology *t, const char *node,
			 size_t *cluster, char *err, size_t errlen);

/* Resolves each path's service, written as a name or as a VIP (a.b.c.d),
 * against svcs (the services of the ingress's cluster, named cluster in
 * messages): a VIP becomes the name of the service that has it, and the
 * service must serve the path's port over TCP (a VIP-only service serves
 * every port). 0 or -ENOENT. */
int ingress_resolve(struct ingress_spec *s, const struct svc_spec *svcs,
		    size_t n, const char *cluster, char *err, size_t errlen);

/* Against the ingresses in etcd (kvs: a range read of SVC_ROOT): the name
 * is free (unless replace), no other ingress listens on the same port of
 * the same worker. 0, -EEXIST. */
int ingress_check_existing(const struct ingress_spec *s, bool replace,
			   const struct etcd_kv *kvs, size_t n, char *err,
			   size_t errlen);

/* Checks everything against the topology and the cluster's etcd, then
 * creates the ingress (replace: creates or replaces it). s is resolved in
 * place. */
int ingress_create(const struct state *st, const struct topology *t,
		   struct ingress_spec *s, bool replace, char *err,
		   size_t errlen);

/* up's phase: every topology ingress, as `knetsim ingress add` creates it. */
int ingress_phase(const struct state *st, const struct topology *t,
		  char *err, size_t errlen);

#endif
