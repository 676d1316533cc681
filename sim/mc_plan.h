/* SPDX-License-Identifier: MIT */
/* Multi-cluster, resolved (pure): which clusters run a router or gateway
 * and on which node, where its files live, and each one's configuration
 * (skupper-router JSON or nginx stream) from the topology's multicluster
 * section and the addresses of the exported targets. */
#ifndef KNETSIM_MC_PLAN_H
#define KNETSIM_MC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topology.h"

/* Under /run/knetsim/<sim>/: the CA certificate, then per cluster. */
#define MC_DIR        "mc"
#define MC_CA_CERT    "ca.crt"
#define MC_CERT       "router.crt"
#define MC_KEY        "router.key"
#define MC_SKR_CONF   "skrouterd.json"
#define MC_SKR_LOG    "skrouterd.log"
#define MC_NGX_CONF   "nginx.conf"
#define MC_NGX_PID    "nginx.pid"
#define MC_NGX_ERRLOG "error.log"
#define MC_NGX_ACCESS "access.log"

/* State record roles of the two kinds of daemon. */
#define MC_ROLE_SKUPPER "skupper-router"
#define MC_ROLE_NGINX   "mc-gateway"

/* Everything listens on every address of the router node. */
#define MC_LISTEN_ANY "0.0.0.0"
#define MC_MGMT_HOST  "127.0.0.1"

/* Whether cluster ci takes part in a link (and so runs a router). */
bool mc_cluster_linked(const struct topology *t, size_t ci);
/* The node its router runs on: the cluster's first worker. */
const struct node *mc_router_node(const struct topology *t, size_t ci);
/* auto -> skupper when skrouterd is available, else nginx. */
enum mc_gateway mc_gateway_resolve(enum mc_gateway g, bool have_skrouterd);
/* Whether the nginx gateway of cluster ci has anything to serve. */
bool mc_nginx_needed(const struct topology *t, size_t ci);

/* "<dir>/<cluster>/<leaf>" (cluster NULL: "<dir>/<leaf>") into buf of
 * PATH_MAX; NULL when too long. dir is the simulation's mc directory. */
char *mc_path(const char *dir, const char *cluster, const char *leaf,
	      char *buf);

/* Configurations of cluster ci (malloc'd text), NULL with err; the
 * router's id is the cluster's name. target_ip
 * holds, per export of t->mc, the address of its target (pod IP or
 * service VIP, host order; only those living in ci are read). */
char *mc_render_skrouter(const struct topology *t, size_t ci, const char *dir,
			 const uint32_t *target_ip, char *err, size_t errlen);
char *mc_render_nginx(const struct topology *t, size_t ci, const char *dir,
		      const uint32_t *target_ip, const char *stream_module,
		      char *err, size_t errlen);

#endif
