// SPDX-License-Identifier: MIT
/* knetsim agent status|restart WORKER */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "cli.h"
#include "ctl_client.h"
#include "log.h"
#include "state.h"
#include "topology.h"

#define AGENT_CMD_TIMEOUT_MS 10000

static void agent_usage(FILE *f)
{
	fprintf(f, "usage: knetsim agent status WORKER [-j] [--name SIM]\n"
		   "       knetsim agent restart WORKER [--name SIM]\n"
		   "  status asks the worker's agent over its control socket;\n"
		   "  restart stops it with SIGTERM (the datapath keeps forwarding)\n"
		   "  and starts a new one, which takes its lease and pods back.\n");
}

static int agent_status(const struct cli *cli, const struct state *st,
			const struct node *w)
{
	char path[PATH_MAX], err[512], *out;
	cJSON *req = cJSON_CreateObject(), *rep;

	cJSON_AddStringToObject(req, "op", "status");
	rep = ctl_call(ctl_socket_path(state_sim(st), w->name, path, sizeof(path)),
		       req, 2000, err, sizeof(err));
	cJSON_Delete(req);
	if (!rep) {
		log_err("agent of %s: %s", w->name, err);
		return 1;
	}
	out = cli->json ? cJSON_PrintUnformatted(rep) : cJSON_Print(rep);
	printf("%s\n", out ? out : "{}");
	free(out);
	cJSON_Delete(rep);
	return 0;
}

int cmd_agent(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct node *w;
	struct topology *t;
	struct state *st;
	char err[1024];
	int c, ret;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		agent_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (argc - optind != 2 || (strcmp(argv[optind], "status") &&
				   strcmp(argv[optind], "restart"))) {
		agent_usage(stderr);
		return 2;
	}
	if (cli_need_root("agent") || cli_open_sim(cli, &st, &t))
		return 1;
	w = topology_node(t, argv[optind + 1]);
	if (!w || w->kind != NODE_WORKER) {
		log_err("%s is not a worker of simulation %s", argv[optind + 1],
			state_sim(st));
		ret = 1;
	} else if (!strcmp(argv[optind], "status")) {
		ret = agent_status(cli, st, w);
	} else if (agents_restart(st, t, w, AGENT_CMD_TIMEOUT_MS, err, sizeof(err))) {
		log_err("agent restart %s: %s", w->name, err);
		ret = 1;
	} else {
		if (!cli->quiet)
			printf("agent of %s restarted\n", w->name);
		ret = 0;
	}
	cli_close_sim(st, t);
	return ret;
}
