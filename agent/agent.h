/* SPDX-License-Identifier: MIT */
/* knetsim-agent: one per worker, run inside the worker's namespace. It
 * holds the worker's flannel subnet lease in etcd, follows every other
 * worker's lease, and keeps the routing datapath (bpf or kernel) in step
 * with both and with the pods the CNI plugin reports. */
#ifndef KNETSIM_AGENT_H
#define KNETSIM_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd.h"
#include "lease.h"
#include "netconf.h"
#include "routing.h"

struct ctl;
struct endpoints;
struct proxy_ops;
struct svc_store;

struct agent {
	const char *sim, *worker, *cluster;
	uint32_t address;                /* underlay, host order */
	const char *underlay_if;
	const struct routing_ops *routing;
	char run_dir[PATH_MAX];          /* KNETSIM_RUN_DIR/<sim>/agent/<worker> */
	char pin_dir[PATH_MAX];

	struct etcd *etcd;
	struct net_config net;
	struct subnet_lease lease;       /* ours */
	uint8_t vtep_mac[6];

	struct etcd_watch *watch;
	struct subnet_lease *remote;     /* other workers' leases, installed */
	size_t n_remote;

	struct endpoints *eps;
	struct ctl *ctl;

	const struct proxy_ops *proxy;  /* NULL: no service proxy */
	struct etcd_watch *svc_watch;    /* SVC_ROOT: services and pods */
	struct svc_store *svc;
};

/* leases.c: other workers' leases -> routing. */
int agent_leases_resync(struct agent *a);           /* full read + diff */
void agent_leases_event(struct agent *a, const struct etcd_event *ev);
void agent_leases_free(struct agent *a);

/* svcsync.c: services and pods -> the service proxy. */
int agent_services_resync(struct agent *a);         /* full read + diff */
void agent_services_event(struct agent *a, const struct etcd_event *ev);
void agent_services_free(struct agent *a);         /* closes svc_watch */

/* api.c: the control socket's requests. */
struct cJSON;
struct cJSON *agent_api(void *agent, const struct cJSON *req, char *err,
			size_t errlen);

#endif
