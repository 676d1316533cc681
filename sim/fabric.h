/* SPDX-License-Identifier: MIT */
/* The emulated underlay: a fabric namespace holding one switch (bridge) per
 * cluster joined by the top switch t0, and one namespace per node wired to
 * its cluster's switch by a veth, with the link's shaping. */
#ifndef KNETSIM_FABRIC_H
#define KNETSIM_FABRIC_H

#include <stddef.h>

#include "state.h"
#include "topology.h"

struct fabric;

/* Creates the fabric namespace and the switches. self_exe is knetsim's
 * own binary, used to start link emulators. */
int fabric_open(struct state *st, const struct topology *t,
		const char *self_exe, struct fabric **out, char *err,
		size_t errlen);
/* Node namespace, its veth to the switch, its address. */
int fabric_add_node(struct fabric *f, size_t idx, char *err, size_t errlen);
/* The link's shaping: netem/tbf through netlink, or a link emulator for
 * delay, jitter and loss where the kernel has no netem. */
int fabric_shape_node(struct fabric *f, size_t idx, char *err,
		      size_t errlen);
/* How many links ended up with a userspace emulator. */
size_t fabric_emulated(const struct fabric *f);
void fabric_close(struct fabric *f);

#endif
