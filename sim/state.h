/* SPDX-License-Identifier: MIT */
/* The record of what one simulation created, kept in
 * /run/knetsim/<sim>/state. Each object is recorded (and the record synced)
 * before it is created, so after any crash `knetsim down` knows everything
 * that may exist and removes exactly that. Also holds the paths of the
 * simulation's files (logs, generated configs, daemon data). */
#ifndef KNETSIM_STATE_H
#define KNETSIM_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

struct state;

/* Starts a new record; -EEXIST when the simulation already exists. */
int state_create(const char *sim, struct state **out);
/* Opens an existing record; -ENOENT when there is none. */
int state_open(const char *sim, struct state **out);
void state_close(struct state *st);

const char *state_sim(const struct state *st);
/* "/run/knetsim/<sim>/<rel>" into buf (PATH_MAX); creates the parent
 * directories when mkdirs is set. Returns buf or NULL when too long. */
char *state_path(const struct state *st, const char *rel, char *buf,
		 bool mkdirs);

/* Record before creating: a named network namespace. */
int state_add_netns(struct state *st, const char *netns);
/* Record right after starting: a daemon, its role ("etcd", "agent", ...),
 * the node it runs in, and its log file. */
int state_add_proc(struct state *st, const char *role, const char *node,
		   const struct proc_id *id, const char *log_path);
/* Record before creating: a path (directory tree or mount) to remove. */
int state_add_path(struct state *st, const char *path);

/* Mark bring-up complete (status shows "up" rather than "partial"). */
int state_set_ready(struct state *st);

/* What a record holds, in the order it was written. */
struct state_proc {
	char role[16];
	char node[64];
	struct proc_id id;
	char log[4096];
};

struct state_view {
	char **netns;          /* namespaces, creation order */
	size_t n_netns;
	char **paths;          /* paths to remove, creation order */
	size_t n_paths;
	struct state_proc *procs;
	size_t n_procs;
	bool ready;
};

int state_load(const struct state *st, struct state_view *v);
void state_view_free(struct state_view *v);

/* Names of every simulation with a record; *names is malloc'd. */
int state_list(char ***names, size_t *n);
void state_list_free(char **names, size_t n);
/* Removes the simulation's directory with everything in it (after every
 * recorded object is gone); closes st. */
int state_destroy(struct state *st);

#endif
