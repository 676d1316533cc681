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
struct ingress_ctl;

/* What applying services took (svcsync.c), for the status request. */
struct svc_stats {
	int64_t revision;               /* etcd's, as far as applied */
	uint64_t resyncs;
	uint64_t last_resync_us;        /* proxy calls and prune of a resync */
	uint64_t last_resync_read_us;   /* its etcd read and diff */
	size_t last_resync_count;       /* services it set or removed */
	uint64_t last_apply_us;         /* one batch of watch events */
	size_t last_apply_count;
	uint64_t apply_total_us;        /* every batch since start */
	size_t applied_total;
	size_t errors;                  /* proxy calls that failed */
};

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

	struct ingress_ctl *ing;         /* ingress.c: this worker's nginx */
	struct svc_stats svc_stats;
};

/* leases.c: other workers' leases -> routing. */
int agent_leases_resync(struct agent *a);           /* full read + diff */
void agent_leases_event(struct agent *a, const struct etcd_event *ev);
void agent_leases_free(struct agent *a);

/* svcsync.c: services and pods -> the service proxy. */
int agent_services_resync(struct agent *a);         /* full read + diff */
void agent_services_event(struct agent *a, const struct etcd_event *ev);
/* One batch of watch events, applied as one proxy batch. */
void agent_services_events(struct agent *a, const struct etcd_event *ev,
			   size_t n);
void agent_services_free(struct agent *a);         /* closes svc_watch */

/* ingress.c: the ingresses on this worker -> its nginx. start adopts a
 * running nginx, reads everything and watches; free leaves nginx up. */
int agent_ingress_start(struct agent *a);
int agent_ingress_fd(const struct agent *a);        /* -1: none */
void agent_ingress_drain(struct agent *a);
void agent_ingress_tick(struct agent *a);           /* restarts a dead nginx */
void agent_ingress_free(struct agent *a);

/* api.c: the control socket's requests. */
struct cJSON;
struct cJSON *agent_api(void *agent, const struct cJSON *req, char *err,
			size_t errlen);
/* svcsync.c: the "services" object of the status answer. */
struct cJSON *agent_services_status(const struct agent *a);

#endif
