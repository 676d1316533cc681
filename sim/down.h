/* SPDX-License-Identifier: MIT */
/* Teardown of one simulation from its state record alone. */
#ifndef KNETSIM_DOWN_H
#define KNETSIM_DOWN_H

#include <stdbool.h>
#include <stddef.h>

struct down_report {
	size_t procs, killed, netns, paths;
};

/* Stops every recorded process and any other process inside the
 * simulation's namespaces, deletes the namespaces, removes recorded paths
 * and the state directory. Returns 0 (also when there was nothing), or -1
 * with err set; safe to repeat after a partial failure. */
int sim_down(const char *sim, struct down_report *rep, char *err,
	     size_t errlen);

#endif
