// SPDX-License-Identifier: MIT
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "knetsim/paths.h"
#include "log.h"
#include "state.h"
#include "topology.h"

bool cli_common_opt(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case 'j':
		cli->json = true;
		return true;
	case 'q':
		cli->quiet = true;
		return true;
	case 'n':
		cli->sim = arg;
		return true;
	}
	return false;
}

int cli_pick_sim(const struct cli *cli, char *buf)
{
	char **names;
	size_t n;
	int ret;

	if (cli->sim) {
		if (!topology_name_valid(cli->sim, KNETSIM_SIM_NAME_MAX)) {
			log_err("--name: \"%s\" is not a simulation name (expected [A-Za-z0-9_-], at most %d bytes)",
				cli->sim, KNETSIM_SIM_NAME_MAX);
			return -1;
		}
		snprintf(buf, KNETSIM_SIM_NAME_MAX + 1, "%s", cli->sim);
		return 0;
	}
	if (state_list(&names, &n)) {
		log_err("cannot read " KNETSIM_RUN_DIR ": %s", strerror(errno));
		return -1;
	}
	ret = 0;
	if (n == 1) {
		snprintf(buf, KNETSIM_SIM_NAME_MAX + 1, "%s", names[0]);
	} else if (n == 0) {
		if (!cli->quiet)
			log_err("no simulation is up (start one with 'knetsim up')");
		ret = -ENOENT;
	} else {
		fprintf(stderr, "knetsim: error: %zu simulations are up (", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", names[i]);
		fprintf(stderr, "): choose one with --name\n");
		ret = -1;
	}
	state_list_free(names, n);
	return ret;
}

int cli_open_sim(const struct cli *cli, struct state **st,
		 struct topology **t)
{
	char sim[KNETSIM_SIM_NAME_MAX + 1], path[PATH_MAX], err[1024];
	int ret;

	*st = NULL;
	*t = NULL;
	ret = cli_pick_sim(cli, sim);
	if (ret)
		return -1;
	ret = state_open(sim, st);
	if (ret) {
		log_err("simulation %s: %s", sim,
			ret == -ENOENT ? "not up" : strerror(-ret));
		return -1;
	}
	*t = topology_load(state_path(*st, "topology.json", path, false), err,
			   sizeof(err));
	if (!*t) {
		log_err("%s", err);
		state_close(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

void cli_close_sim(struct state *st, struct topology *t)
{
	topology_free(t);
	state_close(st);
}

int cli_need_root(const char *what)
{
	if (geteuid() == 0)
		return 0;
	log_err("%s needs root (it creates network namespaces); run it with sudo",
		what);
	return 1;
}

const char *cli_self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return "knetsim";
	path[n] = '\0';
	return path;
}

const char *cli_default_topology(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("KNETSIM_TOPOLOGY");
	char *slash;

	if (env && *env)
		return env;
	/* Run from the build tree: build/knetsim -> conf/default.yaml */
	snprintf(path, sizeof(path), "%s", cli_self_exe());
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		if (strlen(path) + sizeof("/../conf/default.yaml") <= sizeof(path)) {
			strcat(path, "/../conf/default.yaml");
			if (access(path, R_OK) == 0)
				return path;
		}
	}
	return KNETSIM_SHAREDIR "/default.yaml";
}

void cli_print_list(const struct cli *cli, const char *key,
		    const cJSON *all, void (*table)(const cJSON *))
{
	char *out;

	if (!cli->json) {
		table(all);
		return;
	}
	out = cJSON_PrintUnformatted(all);
	printf("{\"%s\":%s}\n", key, out ? out : "[]");
	free(out);
}
