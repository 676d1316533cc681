/* SPDX-License-Identifier: MIT */
/* Multi-cluster at run time: `knetsim up` starts one skupper-router (or
 * nginx stream gateway) per linked cluster on its first worker, after the
 * pods and services, with certificates made for the simulation; each is
 * recorded in the state like etcd and the agents, so `status` shows it and
 * `down` stops it. Functions return 0 or -errno with a message in err. */
#ifndef KNETSIM_MULTICLUSTER_H
#define KNETSIM_MULTICLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"
#include "topology.h"

#define MC_READY_TIMEOUT_MS 15000

/* Whether the topology asks for routers (a multicluster section with at
 * least one link). */
bool mc_wanted(const struct topology *t);
/* Finds an executable in PATH; its path into buf (PATH_MAX). */
bool mc_find_program(const char *name, char *buf);

/* The whole bring-up, as `up`'s "multicluster" phase (progress shown):
 * chooses the gateway (auto: skupper-router when skrouterd is on PATH),
 * writes the CA and the routers' certificates, resolves each export's
 * target address, renders, starts and waits for every router. */
int mc_up(struct state *st, const struct topology *t, char *err,
	  size_t errlen);

/* Whether a socket in the network namespace of pid listens on TCP port
 * (from /proc/PID/net/tcp: no connection, so no router logs a probe). */
bool mc_port_listening(pid_t pid, uint16_t port);
/* Which kind the simulation runs, from its state record: MC_GATEWAY_AUTO
 * when it runs none. */
enum mc_gateway mc_running_kind(const struct state_view *v);
/* Target addresses of the exports (n_exports, host order), read from the
 * cluster's etcd for pods; malloc'd into *out. */
int mc_resolve_targets(const struct state *st, const struct topology *t,
		       uint32_t **out, char *err, size_t errlen);

#endif
