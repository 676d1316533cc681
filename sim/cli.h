/* SPDX-License-Identifier: MIT */
/* What every knetsim command shares: options common to all commands, the
 * choice of simulation, and the command table. */
#ifndef KNETSIM_CLI_H
#define KNETSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct cli {
	const char *sim;   /* --name, NULL when not given */
	bool json;         /* -j/--json */
	bool quiet;        /* -q/--quiet */
};

/* Parses the options every command accepts, for getopt_long's `c`;
 * returns true when it handled c. */
bool cli_common_opt(struct cli *cli, int c, const char *arg);
#define CLI_COMMON_SHORT "jqn:"
#define CLI_COMMON_LONG \
	{ "json", no_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "name", required_argument, NULL, 'n' }

/* The simulation a command acts on: --name, else the only one up. Writes
 * the name into buf (KNETSIM_SIM_NAME_MAX + 1). Returns 0; -ENOENT when
 * none is up, -1 otherwise, after printing why (silent for -ENOENT only
 * when quiet). */
int cli_pick_sim(const struct cli *cli, char *buf);
struct state;
struct topology;
/* The chosen simulation's record and saved topology; prints why not and
 * returns -1. Free with cli_close_sim(). */
int cli_open_sim(const struct cli *cli, struct state **st,
		 struct topology **t);
void cli_close_sim(struct state *st, struct topology *t);

/* Exits with a message when not root. */
int cli_need_root(const char *what);
/* The default topology: $KNETSIM_TOPOLOGY, conf/default.yaml next to the
 * build tree, or the installed copy. */
const char *cli_default_topology(void);
/* knetsim's own executable path. */
const char *cli_self_exe(void);

struct cJSON;
/* A listing's output: {"KEY":[...]} on one line with -j, else the table
 * that table() prints from the same array. */
void cli_print_list(const struct cli *cli, const char *key,
		    const struct cJSON *all, void (*table)(const struct cJSON *));

/* Commands: argv[0] is the command name. Return the exit status. */
int cmd_up(struct cli *cli, int argc, char **argv);
int cmd_down(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_shell(struct cli *cli, int argc, char **argv);
int cmd_graph(struct cli *cli, int argc, char **argv);
int cmd_pod(struct cli *cli, int argc, char **argv);
int cmd_agent(struct cli *cli, int argc, char **argv);
int cmd_service(struct cli *cli, int argc, char **argv);
int cmd_link(struct cli *cli, int argc, char **argv);
int cmd_ingress(struct cli *cli, int argc, char **argv);

#endif
