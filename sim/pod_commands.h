/* SPDX-License-Identifier: MIT */
/* The program a topology's pod runs (pods[].command): started by up inside
 * the pod's namespace once the pod is wired, its log under
 * /run/knetsim/<sim>/logs/pod-<cluster>.<pod>.log, recorded in the state
 * as a daemon of role "pod" on node "<cluster>.<pod>", so status shows it
 * and down stops it (pod del ends it with the pod's other processes). */
#ifndef KNETSIM_POD_COMMANDS_H
#define KNETSIM_POD_COMMANDS_H

#include <stddef.h>

#include "state.h"
#include "topology.h"

#define POD_CMD_ROLE "pod"
/* The responder shipped with knetsim (tools/responder.c). */
#define POD_CMD_RESPONDER "knetsim-responder"

struct cJSON;

/* The program to exec for argv0 into buf (PATH_MAX): knetsim-responder
 * next to the running knetsim (installed, or tools/responder of the build
 * tree); a relative path made absolute against our working directory;
 * anything else as given (looked up in PATH). Returns buf. */
char *pod_command_program(const char *argv0, char *buf, size_t len);

/* The state record's node for pod p: "<cluster>.<pod>". */
char *pod_command_node(const struct topology *t, const struct pod *p,
		       char *buf, size_t len);

/* Starts pod p's command (nothing when it has none) and records it. */
int pod_command_start(struct state *st, const struct topology *t,
		      const struct pod *p, char *err, size_t errlen);

/* How many pods of t have a command. */
size_t pod_commands_count(const struct topology *t);

/* up's phase: every pod's command, then a short look for any that exited
 * at once (a warning naming its log). */
int pod_commands_phase(struct state *st, const struct topology *t,
		       char *err, size_t errlen);

/* For status: the pods with a command whose namespace exists, as
 * [{cluster, name, worker, command, pid, alive, log}]; and the table. */
struct cJSON *pod_commands_status(const struct topology *t,
				  const struct state_view *v, const char *sim);
void pod_commands_print(const struct cJSON *sim_status);

#endif
