/* SPDX-License-Identifier: MIT */
/* Each cluster's etcd: one real etcd member per etcd node, run in the
 * node's namespace, its data and log under the simulation's directory.
 * `knetsim up` starts every cluster's members, then waits for all of them,
 * then stores each cluster's network config, so clusters form in parallel.
 * Functions return 0 or -errno, with a message in err. */
#ifndef KNETSIM_ETCD_CLUSTER_H
#define KNETSIM_ETCD_CLUSTER_H

#include <stddef.h>

#include "etcd.h"
#include "state.h"
#include "topology.h"

#define ETCD_CLIENT_PORT 2379
#define ETCD_PEER_PORT   2380

/* Raft timing for a cluster's members: fast on an idle lab, scaled up when
 * the members' links are slow (heartbeat about one round trip, election
 * ten heartbeats). */
struct etcd_timing {
	unsigned heartbeat_ms;
	unsigned election_ms;
};

void etcd_cluster_timing(const struct topology *t, size_t cluster,
			 struct etcd_timing *out);

/* The etcd command line for one member (pure): NULL-ended, malloc'd;
 * free with etcd_member_argv_free(). Clients are served on the member's
 * address and on 127.0.0.1 (so `etcdctl` works inside the node). */
int etcd_member_argv(const struct topology *t, const struct node *member,
		     const char *data_dir, char ***argv_out);
void etcd_member_argv_free(char **argv);

/* "http://ADDR:2379" of every member of the cluster, malloc'd. */
int etcd_cluster_endpoints(const struct topology *t, size_t cluster,
			   char ***out, size_t *n);
void etcd_cluster_endpoints_free(char **eps, size_t n);

/* Starts every member of the cluster (recording data dirs and PIDs). */
int etcd_cluster_start(struct state *st, const struct topology *t,
		       size_t cluster, char *err, size_t errlen);
/* Polls every member's /health, each from its own namespace, until all are
 * healthy. Fails early when a member has exited; on timeout names the
 * members that are not healthy, whether each still runs, and its log. */
int etcd_cluster_wait(struct state *st, const struct topology *t,
		      size_t cluster, int timeout_ms, char *err, size_t errlen);
/* Stores the cluster's flannel network config at NETCONF_KEY and reads it
 * back to check. */
int etcd_cluster_put_config(struct state *st, const struct topology *t,
			    size_t cluster, char *err, size_t errlen);

/* A client for the whole cluster (failover across its members), its
 * sockets opened in the first member's namespace; NULL with err. */
struct etcd *etcd_cluster_client(const struct state *st,
				 const struct topology *t, size_t cluster,
				 char *err, size_t errlen);

#endif
