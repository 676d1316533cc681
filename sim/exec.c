// SPDX-License-Identifier: MIT
/* knetsim exec / shell: run something inside a node's namespace. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "knetsim/paths.h"
#include "log.h"
#include "names.h"
#include "netns.h"
#include "pods.h"
#include "state.h"
#include "topology.h"

/* NODE, CLUSTER.POD, or WORKER/POD (the pod's cluster is the worker's). */
static char *target_netns(const char *sim, const char *node, char *name,
			  size_t len)
{
	char path[PATH_MAX], worker[KNETSIM_NODE_NAME_MAX + 1], err[256];
	const char *slash = strchr(node, '/');
	const struct node *w;
	struct topology *t;
	struct state *st;
	char *ret = NULL;

	if (!slash)
		return names_netns(sim, node, name, len);
	if (state_open(sim, &st))
		return NULL;
	t = topology_load(state_path(st, "topology.json", path, false), err,
			  sizeof(err));
	snprintf(worker, sizeof(worker), "%.*s", (int)(slash - node), node);
	w = t ? topology_node(t, worker) : NULL;
	if (w && w->kind == NODE_WORKER)
		ret = pod_netns(sim, t->clusters[w->cluster].name, slash + 1, name, len);
	topology_free(t);
	state_close(st);
	return ret;
}

/* Joins the node's namespace; prints why not. */
static int enter_node(const struct cli *cli, const char *node)
{
	char sim[KNETSIM_SIM_NAME_MAX + 1], name[NAMES_NETNS_MAX];
	int fd;

	if (cli_pick_sim(cli, sim))
		return -1;
	if (!target_netns(sim, node, name, sizeof(name)) || !netns_exists(name)) {
		log_err("%s: no such node in simulation %s (see 'knetsim status --name %s')",
			node, sim, sim);
		return -1;
	}
	fd = netns_open(name);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		log_err("%s: enter namespace %s: %s", node, name,
			strerror(fd < 0 ? -fd : errno));
		return -1;
	}
	close(fd);
	setenv("KNETSIM_SIM", sim, 1);
	setenv("KNETSIM_NODE", node, 1);
	return 0;
}

static int parse(struct cli *cli, int argc, char **argv, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	/* '+': stop at the node name; what follows belongs to the command. */
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "h", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	return -1;
}

static void exec_usage(FILE *f)
{
	fprintf(f, "usage: knetsim exec [--name SIM] NODE [--] CMD [ARGS...]\n"
		   "  Runs CMD in NODE's network namespace; exits with CMD's status.\n"
		   "  NODE is a node, WORKER/POD or CLUSTER.POD.\n");
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
	const char *node;
	int ret = parse(cli, argc, argv, exec_usage);

	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		exec_usage(stderr);
		return 2;
	}
	node = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		log_err("exec %s: no command given", node);
		exec_usage(stderr);
		return 2;
	}
	if (cli_need_root("exec") || enter_node(cli, node))
		return 1;
	execvp(argv[optind], argv + optind);
	log_err("exec %s: %s: %s", node, argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static void shell_usage(FILE *f)
{
	fprintf(f, "usage: knetsim shell [--name SIM] NODE\n"
		   "  Interactive shell in NODE's network namespace; the prompt\n"
		   "  names the node.\n");
}

int cmd_shell(struct cli *cli, int argc, char **argv)
{
	const char *node, *sh = "/bin/bash";
	char prompt[128];
	int ret = parse(cli, argc, argv, shell_usage);

	if (ret >= 0)
		return ret;
	if (optind + 1 != argc) {
		shell_usage(stderr);
		return 2;
	}
	node = argv[optind];
	if (cli_need_root("shell") || enter_node(cli, node))
		return 1;
	snprintf(prompt, sizeof(prompt), "[%s:%s] \\w# ", getenv("KNETSIM_SIM"),
		 node);
	setenv("PS1", prompt, 1);
	if (access(sh, X_OK) == 0) {
		/* No rc files: they would set their own prompt. */
		execl(sh, "bash", "--norc", "--noprofile", "-i", (char *)NULL);
	}
	sh = "/bin/sh";
	execl(sh, "sh", "-i", (char *)NULL);
	log_err("shell %s: %s: %s", node, sh, strerror(errno));
	return 126;
}
