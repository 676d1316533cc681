// SPDX-License-Identifier: MIT
/* knetsim up: topology file -> namespaces, switches, links, etcd. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents.h"
#include "cidr.h"
#include "cli.h"
#include "down.h"
#include "etcd_cluster.h"
#include "fabric.h"
#include "fsutil.h"
#include "ingress_store.h"
#include "log.h"
#include "multicluster.h"
#include "names.h"
#include "netns.h"
#include "pod_commands.h"
#include "pods.h"
#include "progress.h"
#include "services_store.h"
#include "state.h"
#include "topology.h"

#define UP_PHASES 8 /* and "services" when the topology has some */
#define UP_ETCD_TIMEOUT_MS 30000
#define UP_AGENT_TIMEOUT_MS 20000

static volatile sig_atomic_t up_interrupted;

static void on_signal(int sig)
{
	up_interrupted = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

struct up {
	struct cli *cli;
	struct topology *t;
	struct state *st;
	struct fabric *fab;
	const char *sim;
	char err[1024];
};

static int interrupted(struct up *u)
{
	if (!up_interrupted)
		return 0;
	snprintf(u->err, sizeof(u->err), "interrupted by signal %d",
		 (int)up_interrupted);
	return -1;
}

/* Everything that can be checked before anything is created. */
static int preflight(struct up *u)
{
	char name[NAMES_NETNS_MAX];
	size_t etcd = 0;

	for (size_t i = 0; i < u->t->n_nodes; i++) {
		const struct node *n = &u->t->nodes[i];

		etcd += n->kind == NODE_ETCD;
		names_netns(u->sim, n->name, name, sizeof(name));
		if (netns_exists(name)) {
			snprintf(u->err, sizeof(u->err),
				 "namespace %s already exists; is another simulation named %s up? ('knetsim down --name %s')",
				 name, u->sim, u->sim);
			return -1;
		}
	}
	if (etcd && system("command -v etcd >/dev/null 2>&1") != 0) {
		snprintf(u->err, sizeof(u->err),
			 "etcd not found in PATH (install Debian's etcd-server: 'make deps')");
		return -1;
	}
	return 0;
}

static int save_topology(struct up *u)
{
	char path[PATH_MAX];
	char *json = topology_to_json(u->t);
	int ret;

	if (!json || !state_path(u->st, "topology.json", path, false)) {
		free(json);
		snprintf(u->err, sizeof(u->err), "save topology: out of memory");
		return -1;
	}
	ret = write_file(path, json, strlen(json), 0644);
	free(json);
	if (ret) {
		snprintf(u->err, sizeof(u->err), "save topology.json: %s",
			 strerror(-ret));
		return -1;
	}
	return 0;
}

static int phase_fabric(struct up *u)
{
	progress_phase("fabric", 0);
	if (save_topology(u) ||
	    fabric_open(u->st, u->t, cli_self_exe(), &u->fab, u->err,
			sizeof(u->err)))
		return -1;
	progress_done("%zu switches", u->t->n_clusters + 1);
	return 0;
}

static int phase_nodes(struct up *u)
{
	progress_phase("nodes", u->t->n_nodes);
	for (size_t i = 0; i < u->t->n_nodes; i++) {
		if (interrupted(u) ||
		    fabric_add_node(u->fab, i, u->err, sizeof(u->err)))
			return -1;
		progress_step(i + 1);
	}
	progress_done("%zu namespaces wired", u->t->n_nodes);
	return 0;
}

static int phase_links(struct up *u)
{
	size_t shaped = 0;

	progress_phase("links", u->t->n_nodes);
	for (size_t i = 0; i < u->t->n_nodes; i++) {
		if (interrupted(u) ||
		    fabric_shape_node(u->fab, i, u->err, sizeof(u->err)))
			return -1;
		shaped += link_props_shaped(&u->t->nodes[i].link);
		progress_step(i + 1);
	}
	if (fabric_emulated(u->fab))
		progress_done("%zu shaped, %zu by the userspace link emulator (no sch_netem in this kernel)",
			      shaped, fabric_emulated(u->fab));
	else
		progress_done("%zu shaped", shaped);
	return 0;
}

static int phase_etcd(struct up *u)
{
	size_t members = 0;

	progress_phase("etcd start", u->t->n_clusters);
	for (size_t c = 0; c < u->t->n_clusters; c++) {
		if (interrupted(u) ||
		    etcd_cluster_start(u->st, u->t, c, u->err, sizeof(u->err)))
			return -1;
		members += u->t->clusters[c].n_etcd;
		progress_step(c + 1);
	}
	progress_done("%zu members", members);

	progress_phase("etcd health", u->t->n_clusters);
	for (size_t c = 0; c < u->t->n_clusters; c++) {
		if (interrupted(u) ||
		    etcd_cluster_wait(u->st, u->t, c, UP_ETCD_TIMEOUT_MS, u->err,
				      sizeof(u->err)))
			return -1;
		progress_step(c + 1);
	}
	progress_done("%zu clusters healthy", u->t->n_clusters);
	return 0;
}

static int phase_config(struct up *u)
{
	progress_phase("network config", u->t->n_clusters);
	for (size_t c = 0; c < u->t->n_clusters; c++) {
		if (interrupted(u) ||
		    etcd_cluster_put_config(u->st, u->t, c, u->err,
					    sizeof(u->err)))
			return -1;
		progress_step(c + 1);
	}
	progress_done("/coreos.com/network/config loaded");
	return 0;
}

static int phase_agents(struct up *u)
{
	size_t workers = 0;

	for (size_t i = 0; i < u->t->n_nodes; i++)
		workers += u->t->nodes[i].kind == NODE_WORKER;
	progress_phase("agents", 0);
	if (interrupted(u) ||
	    agents_start(u->st, u->t, u->err, sizeof(u->err)) ||
	    agents_wait(u->st, u->t, UP_AGENT_TIMEOUT_MS, u->err, sizeof(u->err)))
		return -1;
	progress_done("%zu agents hold their subnet leases", workers);
	return 0;
}

static int phase_pods(struct up *u)
{
	progress_phase("pods", u->t->n_pods);
	for (size_t i = 0; i < u->t->n_pods; i++) {
		const struct pod *p = &u->t->pods[i];
		struct pod_request req = {
			.name = p->name,
			.worker = &u->t->nodes[p->worker],
			.labels = p->labels,
			.n_labels = p->n_labels,
		};

		if (interrupted(u) ||
		    pod_add(u->st, u->t, &req, NULL, u->err, sizeof(u->err)))
			return -1;
		progress_step(i + 1);
	}
	progress_done("%zu pods wired by knetsim-cni", u->t->n_pods);
	return 0;
}

/* Each topology service, exactly as `knetsim service add` creates it. */
static int phase_services(struct up *u)
{
	if (!u->t->n_services)
		return 0;
	progress_phase("services", u->t->n_services);
	for (size_t i = 0; i < u->t->n_services; i++) {
		const struct topo_service *s = &u->t->services[i];

		if (interrupted(u) ||
		    service_create(u->st, u->t, s->cluster, &s->spec, u->err,
				   sizeof(u->err)))
			return -1;
		progress_step(i + 1);
	}
	progress_done("%zu services in etcd", u->t->n_services);
	return 0;
}

/* One router (or nginx gateway) per linked cluster: sim/multicluster.c. */
static int phase_multicluster(struct up *u)
{
	if (!mc_wanted(u->t) || interrupted(u))
		return interrupted(u);
	return mc_up(u->st, u->t, u->err, sizeof(u->err));
}

static const struct node *first_of(const struct topology *t, size_t cluster,
				   enum node_kind kind, size_t nth)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].cluster == cluster && t->nodes[i].kind == kind &&
		    nth-- == 0)
			return &t->nodes[i];
	return NULL;
}

static void print_summary(const struct up *u)
{
	const struct topology *t = u->t;
	const struct node *w1 = first_of(t, 0, NODE_WORKER, 0);
	const struct node *w2 = first_of(t, 0, NODE_WORKER, 1);
	const struct node *e1 = first_of(t, 0, NODE_ETCD, 0);
	char ip[IP4_STRLEN];
	size_t workers = 0;

	for (size_t i = 0; i < t->n_nodes; i++)
		workers += t->nodes[i].kind == NODE_WORKER;
	if (u->cli->json) {
		printf("{\"name\":\"%s\",\"clusters\":%zu,\"workers\":%zu,\"etcd\":%zu,\"seconds\":%.3f}\n",
		       u->sim, t->n_clusters, workers, t->n_nodes - workers,
		       progress_elapsed());
		return;
	}
	if (u->cli->quiet)
		return;
	printf("%s is up: %zu clusters, %zu workers, %zu etcd members (%.1fs)\n\n",
	       u->sim, t->n_clusters, workers, t->n_nodes - workers,
	       progress_elapsed());
	printf("Try:\n  knetsim status\n");
	if (w1 && w2)
		printf("  knetsim exec %s -- ping -c 3 %s        # %s -> %s over the underlay\n",
		       w1->name, ip4_format(w2->addr, ip), w1->name, w2->name);
	if (w1)
		printf("  knetsim shell %s\n", w1->name);
	if (e1)
		printf("  knetsim exec %s -- etcdctl --endpoints http://%s:2379 get /coreos.com/network/config\n",
		       e1->name, ip4_format(e1->addr, ip));
	if (t->n_pods)
		printf("  knetsim pod list\n  knetsim exec %s/%s -- ping -c 3 <another pod's IP>\n",
		       t->nodes[t->pods[0].worker].name, t->pods[0].name);
	printf("  knetsim graph --format mermaid\n  knetsim down\n");
}

static void rollback(struct up *u, bool keep)
{
	struct down_report rep;
	char err[512];

	if (keep) {
		log_err("left as it is (--keep); remove it with 'knetsim down --name %s'",
			u->sim);
		return;
	}
	if (sim_down(u->sim, &rep, err, sizeof(err)))
		log_err("rollback: %s; finish with 'knetsim down --name %s'",
			err, u->sim);
	else
		log_err("rolled back: nothing of %s is left", u->sim);
}

static void up_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim up [-t FILE] [--name SIM] [--keep] [-j] [-q]\n"
		"  Builds the simulation described by FILE (default: %s):\n"
		"  namespaces, switches, shaped links, one etcd cluster per cluster.\n"
		"  --name  simulation name (default: the file's `name`)\n"
		"  --keep  on failure, keep what was built for inspection\n",
		cli_default_topology());
}

int cmd_up(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "topology", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *file = NULL;
	struct up u = { .cli = cli };
	bool keep = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "t:kh", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c == 't') {
			file = optarg;
		} else if (c == 'k') {
			keep = true;
		} else {
			up_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		up_usage(stderr);
		return 2;
	}
	if (!file)
		file = cli_default_topology();
	u.t = topology_load(file, u.err, sizeof(u.err));
	if (!u.t) {
		log_err("%s", u.err);
		return 1;
	}
	u.sim = cli->sim ? cli->sim : u.t->name;
	if (!topology_name_valid(u.sim, KNETSIM_SIM_NAME_MAX)) {
		log_err("--name: \"%s\" is not a simulation name (expected [A-Za-z0-9_-], at most %d bytes)",
			u.sim, KNETSIM_SIM_NAME_MAX);
		ret = 1;
		goto out;
	}
	if (cli_need_root("up")) {
		ret = 1;
		goto out;
	}
	if (preflight(&u)) {
		log_err("%s", u.err);
		ret = 1;
		goto out;
	}
	ret = state_create(u.sim, &u.st);
	if (ret) {
		if (ret == -EEXIST)
			log_err("simulation %s is already up (see 'knetsim status --name %s'; take it down with 'knetsim down --name %s')",
				u.sim, u.sim, u.sim);
		else
			log_err("create " KNETSIM_RUN_DIR "/%s: %s", u.sim,
				strerror(-ret));
		ret = 1;
		goto out;
	}

	catch_signals();
	progress_init(UP_PHASES + (u.t->n_services ? 1 : 0) +
		      (pod_commands_count(u.t) ? 1 : 0) +
		      (mc_wanted(u.t) ? 1 : 0) + (u.t->n_ingresses ? 1 : 0),
		      cli->quiet || cli->json);
	ret = phase_fabric(&u);
	if (!ret)
		ret = phase_nodes(&u);
	if (!ret)
		ret = phase_links(&u);
	if (!ret)
		ret = phase_etcd(&u);
	if (!ret)
		ret = phase_config(&u);
	if (!ret)
		ret = phase_agents(&u);
	if (!ret)
		ret = phase_pods(&u);
	if (!ret)
		ret = pod_commands_phase(u.st, u.t, u.err, sizeof(u.err));
	if (!ret)
		ret = phase_services(&u);
	if (!ret)
		ret = ingress_phase(u.st, u.t, u.err, sizeof(u.err));
	if (!ret)
		ret = phase_multicluster(&u);
	if (!ret && state_set_ready(u.st)) {
		snprintf(u.err, sizeof(u.err), "record the simulation as ready: %s",
			 strerror(errno));
		ret = -1;
	}
	if (ret) {
		progress_fail();
		log_err("up %s: %s", u.sim, u.err);
		fabric_close(u.fab);
		u.fab = NULL;
		state_close(u.st);
		u.st = NULL;
		rollback(&u, keep);
		ret = 1;
		goto out;
	}
	print_summary(&u);
out:
	fabric_close(u.fab);
	state_close(u.st);
	topology_free(u.t);
	return ret;
}
