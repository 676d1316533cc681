/* SPDX-License-Identifier: MIT */
/* knetsim service load FILE|- (sim/service_load.c): many services at once,
 * checked whole before any is written. */
#ifndef KNETSIM_SERVICE_LOAD_H
#define KNETSIM_SERVICE_LOAD_H

#include "cli.h"
#include "state.h"
#include "topology.h"

/* Loads the services of file ("-": standard input) into the clusters of
 * t (cluster: the default for entries that name none). Returns the exit
 * status. */
int service_load_cmd(const struct cli *cli, const struct state *st,
		     const struct topology *t, const char *file,
		     const char *cluster);

#endif
