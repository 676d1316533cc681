// SPDX-License-Identifier: MIT
#include "down.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fsutil.h"
#include "knetsim/paths.h"
#include "log.h"
#include "netns.h"
#include "proc.h"
#include "state.h"

#define DOWN_TERM_TIMEOUT_MS 3000
#define DOWN_QUICK_TIMEOUT_MS 200
#define DOWN_MAX_PROCS 4096

static bool seen(const struct proc_id *ids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].pid == pid)
			return true;
	return false;
}

/* Daemons whose state dies with the simulation get a short grace: an etcd
 * leader, for one, spends seconds trying to hand over leadership to
 * members that are stopping too. */
static bool disposable(const char *role)
{
	return !strcmp(role, "etcd") || !strcmp(role, "linkemu");
}

struct stop_set {
	struct proc_id ids[DOWN_MAX_PROCS];
	size_t n;
};

static bool seen_in(const struct stop_set *a, const struct stop_set *b, pid_t pid)
{
	return seen(a->ids, a->n, pid) || seen(b->ids, b->n, pid);
}

/* Recorded daemons plus anything else running in our namespaces (a shell
 * a user opened, a daemon whose record a crash cut off). */
static void collect_procs(const struct state_view *v, struct stop_set *quick,
			  struct stop_set *slow)
{
	struct proc_id found[256];

	for (size_t i = 0; i < v->n_procs; i++) {
		const struct state_proc *p = &v->procs[i];
		struct stop_set *set = disposable(p->role) ? quick : slow;

		if (set->n < DOWN_MAX_PROCS && proc_alive(&p->id) &&
		    !seen_in(quick, slow, p->id.pid))
			set->ids[set->n++] = p->id;
	}
	for (size_t i = 0; i < v->n_netns; i++) {
		ino_t ino = netns_inode(v->netns[i]);
		size_t k;

		if (!ino)
			continue;
		k = proc_in_netns(ino, found, 256);
		for (size_t j = 0; j < k && slow->n < DOWN_MAX_PROCS; j++)
			if (!seen_in(quick, slow, found[j].pid))
				slow->ids[slow->n++] = found[j];
	}
}

/* Only paths inside what knetsim owns for this simulation are removed,
 * whatever a (possibly damaged) record says. */
static bool path_owned(const char *sim, const char *path)
{
	char run[PATH_MAX], bpf[PATH_MAX];

	snprintf(run, sizeof(run), KNETSIM_RUN_DIR "/%s/", sim);
	snprintf(bpf, sizeof(bpf), KNETSIM_BPF_DIR "/%s", sim);
	if (strstr(path, "/../") || strstr(path, "/./"))
		return false;
	return !strncmp(path, run, strlen(run)) ||
	       !strncmp(path, bpf, strlen(bpf));
}

int sim_down(const char *sim, struct down_report *rep, char *err,
	     size_t errlen)
{
	struct state_view v;
	struct state *st;
	struct stop_set *quick, *slow;
	int ret, failed = 0;

	memset(rep, 0, sizeof(*rep));
	ret = state_open(sim, &st);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		snprintf(err, errlen, "%s: open state: %s", sim, strerror(-ret));
		return -1;
	}
	ret = state_load(st, &v);
	if (ret) {
		snprintf(err, errlen, "%s: read state: %s", sim, strerror(-ret));
		state_close(st);
		return -1;
	}

	quick = calloc(1, sizeof(*quick));
	slow = calloc(1, sizeof(*slow));
	if (!quick || !slow) {
		free(quick);
		free(slow);
		snprintf(err, errlen, "out of memory");
		state_view_free(&v);
		state_close(st);
		return -1;
	}
	collect_procs(&v, quick, slow);
	rep->procs = quick->n + slow->n;
	proc_stop_all(quick->ids, quick->n, DOWN_QUICK_TIMEOUT_MS);
	rep->killed = proc_stop_all(slow->ids, slow->n, DOWN_TERM_TIMEOUT_MS);
	free(quick);
	free(slow);

	for (size_t i = v.n_netns; i-- > 0;) {
		ret = netns_delete(v.netns[i]);
		if (ret) {
			snprintf(err, errlen, "delete namespace %s: %s",
				 v.netns[i], strerror(-ret));
			failed = 1;
			continue;
		}
		rep->netns++;
	}
	for (size_t i = v.n_paths; i-- > 0;) {
		if (!path_owned(sim, v.paths[i])) {
			log_warn("%s: not removing %s: outside the simulation's directories",
				 sim, v.paths[i]);
			continue;
		}
		ret = rm_rf(v.paths[i]);
		if (ret) {
			snprintf(err, errlen, "remove %s: %s", v.paths[i],
				 strerror(-ret));
			failed = 1;
			continue;
		}
		rep->paths++;
	}
	state_view_free(&v);
	if (failed) {
		state_close(st);
		return -1;
	}
	ret = state_destroy(st);
	if (ret) {
		snprintf(err, errlen, "remove " KNETSIM_RUN_DIR "/%s: %s", sim,
			 strerror(-ret));
		return -1;
	}
	return 0;
}

static int down_one(const struct cli *cli, const char *sim)
{
	struct down_report rep;
	char err[512];

	if (sim_down(sim, &rep, err, sizeof(err))) {
		log_err("down %s: %s", sim, err);
		return 1;
	}
	if (cli->json)
		printf("{\"name\":\"%s\",\"processes\":%zu,\"killed\":%zu,\"namespaces\":%zu}\n",
		       sim, rep.procs, rep.killed, rep.netns);
	else if (!cli->quiet)
		printf("%s: down (%zu processes stopped%s, %zu namespaces removed)\n",
		       sim, rep.procs, rep.killed ? ", some killed" : "",
		       rep.netns);
	return 0;
}

static void down_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim down [--name SIM | --all] [-j] [-q]\n"
		"  Removes everything a simulation created, from its record in\n"
		"  " KNETSIM_RUN_DIR "/SIM (no topology file needed). Idempotent.\n"
		"  --all  every simulation with a record\n");
}

int cmd_down(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char sim[KNETSIM_SIM_NAME_MAX + 1], **names;
	bool all = false;
	size_t n;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "ah", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c == 'a') {
			all = true;
			continue;
		}
		down_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind != argc || (all && cli->sim)) {
		down_usage(stderr);
		return 2;
	}
	if (cli_need_root("down"))
		return 1;
	if (!all) {
		if (cli->sim)
			return down_one(cli, cli->sim);
		c = cli_pick_sim(cli, sim);
		if (c == -ENOENT) {
			if (!cli->quiet && !cli->json)
				printf("no simulation is up\n");
			return 0;
		}
		return c ? 1 : down_one(cli, sim);
	}
	if (state_list(&names, &n)) {
		log_err("cannot read " KNETSIM_RUN_DIR);
		return 1;
	}
	if (!n && !cli->quiet && !cli->json)
		printf("no simulation to take down\n");
	for (size_t i = 0; i < n; i++)
		status |= down_one(cli, names[i]);
	state_list_free(names, n);
	return status;
}
