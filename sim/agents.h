/* SPDX-License-Identifier: MIT */
/* One knetsim-agent per worker, started in the worker's namespace once its
 * cluster's etcd holds the network config. */
#ifndef KNETSIM_AGENTS_H
#define KNETSIM_AGENTS_H

#include <stddef.h>

#include "state.h"
#include "topology.h"

/* Starts every worker's agent (recording each, and the BPF pin directory
 * of the simulation). */
int agents_start(struct state *st, const struct topology *t, char *err,
		 size_t errlen);
/* Waits until every agent answers on its control socket; the error names
 * the agents that did not, and their logs. */
int agents_wait(struct state *st, const struct topology *t, int timeout_ms,
		char *err, size_t errlen);

/* Stops worker w's agent (SIGTERM: the datapath stays) and starts a new
 * one, waiting until it answers. */
int agents_restart(struct state *st, const struct topology *t,
		   const struct node *w, int timeout_ms, char *err,
		   size_t errlen);

#endif
