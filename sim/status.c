// SPDX-License-Identifier: MIT
/* knetsim status: what a simulation is made of and whether it is alive,
 * from its record and its saved topology. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "cli.h"
#include "ctl_client.h"
#include "etcd.h"
#include "knetsim/paths.h"
#include "log.h"
#include "names.h"
#include "netns.h"
#include "pod_commands.h"
#include "state.h"
#include "topology.h"

#define STATUS_ETCD_TIMEOUT_MS 1000

static bool etcd_member_healthy(const char *sim, const struct node *n)
{
	char name[NAMES_NETNS_MAX], ip[IP4_STRLEN], url[64];
	const char *ep[] = { url };
	struct etcd *e;
	int fd, ret;

	fd = netns_open(names_netns(sim, n->name, name, sizeof(name)));
	if (fd < 0)
		return false;
	snprintf(url, sizeof(url), "http://%s:2379", ip4_format(n->addr, ip));
	e = etcd_open(ep, 1, fd, STATUS_ETCD_TIMEOUT_MS);
	ret = e ? etcd_health(e, 0) : -ENOMEM;
	etcd_close(e);
	close(fd);
	return ret == 0;
}

/* What a worker's agent says of itself (subnet lease, pods), or NULL. */
static cJSON *agent_summary(const char *sim, const char *worker)
{
	char path[PATH_MAX], err[256];
	cJSON *req = cJSON_CreateObject(), *rep, *out = NULL;
	const cJSON *subnet, *eps, *leases, *svcs;

	cJSON_AddStringToObject(req, "op", "status");
	rep = ctl_socket_path(sim, worker, path, sizeof(path)) ?
		      ctl_call(path, req, STATUS_ETCD_TIMEOUT_MS, err, sizeof(err)) : NULL;
	cJSON_Delete(req);
	subnet = cJSON_GetObjectItemCaseSensitive(rep, "subnet");
	eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints");
	leases = cJSON_GetObjectItemCaseSensitive(rep, "leases");
	if (cJSON_IsString(subnet)) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "subnet", subnet->valuestring);
		cJSON_AddNumberToObject(out, "pods", cJSON_GetArraySize(eps));
		cJSON_AddNumberToObject(out, "peers", cJSON_GetArraySize(leases));
		/* the service proxy's figures (count, timings), as is */
		svcs = cJSON_GetObjectItemCaseSensitive(rep, "services");
		if (cJSON_IsObject(svcs))
			cJSON_AddItemToObject(out, "services", cJSON_Duplicate(svcs, 1));
	}
	cJSON_Delete(rep);
	return out;
}

/* A dead record of a daemon that was started again since (an agent
 * restart) is history, not news. */
static bool superseded(const struct state_view *v, size_t i)
{
	const struct state_proc *p = &v->procs[i];

	for (size_t j = i + 1; j < v->n_procs; j++)
		if (!strcmp(v->procs[j].role, p->role) &&
		    !strcmp(v->procs[j].node, p->node))
			return !proc_alive(&p->id);
	return false;
}

static cJSON *node_procs(const struct state_view *v, const char *node)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < v->n_procs; i++) {
		const struct state_proc *p = &v->procs[i];
		cJSON *o;

		if (strcmp(p->node, node) || superseded(v, i))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "role", p->role);
		cJSON_AddNumberToObject(o, "pid", p->id.pid);
		cJSON_AddBoolToObject(o, "alive", proc_alive(&p->id));
		cJSON_AddStringToObject(o, "log", p->log);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The whole status of one simulation as JSON; the table is printed from
 * the same object so the two never disagree. */
static cJSON *sim_status(const char *sim)
{
	char path[PATH_MAX], err[512], ip[IP4_STRLEN], name[NAMES_NETNS_MAX];
	cJSON *root, *nodes, *clusters;
	struct topology *t = NULL;
	struct state_view v;
	struct state *st;

	if (state_open(sim, &st))
		return NULL;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "name", sim);
	if (state_load(st, &v)) {
		cJSON_AddStringToObject(root, "state", "unreadable");
		state_close(st);
		return root;
	}
	cJSON_AddStringToObject(root, "state", v.ready ? "up" : "partial");
	t = topology_load(state_path(st, "topology.json", path, false), err,
			  sizeof(err));
	if (!t) {
		cJSON_AddStringToObject(root, "error", err);
		goto out;
	}
	nodes = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", n->name);
		cJSON_AddStringToObject(o, "kind", node_kind_name(n->kind));
		cJSON_AddStringToObject(o, "cluster", t->clusters[n->cluster].name);
		cJSON_AddStringToObject(o, "address", ip4_format(n->addr, ip));
		names_netns(sim, n->name, name, sizeof(name));
		cJSON_AddStringToObject(o, "netns", name);
		cJSON_AddBoolToObject(o, "present", netns_exists(name));
		cJSON_AddItemToObject(o, "processes", node_procs(&v, n->name));
		if (n->kind == NODE_WORKER) {
			cJSON *ag = agent_summary(sim, n->name);

			if (ag)
				cJSON_AddItemToObject(o, "agent", ag);
		}
		cJSON_AddItemToArray(nodes, o);
	}
	cJSON_AddItemToObject(root, "pod_commands", pod_commands_status(t, &v, sim));
	clusters = cJSON_AddArrayToObject(root, "clusters");
	for (size_t c = 0; c < t->n_clusters; c++) {
		cJSON *o = cJSON_CreateObject(), *members;
		int healthy = 0, total = 0;

		cJSON_AddStringToObject(o, "name", t->clusters[c].name);
		cJSON_AddStringToObject(o, "routing", routing_mode_name(t->clusters[c].routing));
		cJSON_AddStringToObject(o, "proxy", proxy_mode_name(t->clusters[c].proxy));
		members = cJSON_AddArrayToObject(o, "etcd");
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct node *n = &t->nodes[i];
			cJSON *m;
			bool ok;

			if (n->cluster != c || n->kind != NODE_ETCD)
				continue;
			ok = etcd_member_healthy(sim, n);
			m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "name", n->name);
			cJSON_AddBoolToObject(m, "healthy", ok);
			cJSON_AddItemToArray(members, m);
			healthy += ok;
			total++;
		}
		cJSON_AddBoolToObject(o, "etcd_healthy", total && healthy > total / 2);
		cJSON_AddItemToArray(clusters, o);
	}
out:
	topology_free(t);
	state_view_free(&v);
	state_close(st);
	return root;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_table(const cJSON *s)
{
	const cJSON *n, *p, *c, *m;

	printf("simulation %s: %s\n", str(s, "name"), str(s, "state"));
	if (*str(s, "error")) {
		printf("  %s\n", str(s, "error"));
		return;
	}
	printf("%-16s %-7s %-8s %-15s %-8s %-16s %s\n", "NODE", "KIND", "CLUSTER",
	       "ADDRESS", "NETNS", "SUBNET", "PROCESSES");
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(s, "nodes")) {
		char procs[256] = "-";
		size_t off = 0;

		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(n, "processes"))
			off += snprintf(procs + off, off < sizeof(procs) ? sizeof(procs) - off : 0,
					"%s%s(%d) %s", off ? ", " : "", str(p, "role"),
					cJSON_GetObjectItemCaseSensitive(p, "pid")->valueint,
					flag(p, "alive") ? "alive" : "DEAD");
		const cJSON *ag = cJSON_GetObjectItemCaseSensitive(n, "agent");

		printf("%-16s %-7s %-8s %-15s %-8s %-16s %s\n", str(n, "name"),
		       str(n, "kind"), str(n, "cluster"), str(n, "address"),
		       flag(n, "present") ? "ok" : "MISSING",
		       ag ? str(ag, "subnet") : "-", procs);
	}
	printf("\n%-8s %-8s %-6s %s\n", "CLUSTER", "ROUTING", "PROXY", "ETCD");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s, "clusters")) {
		int ok = 0, total = 0;

		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "etcd")) {
			ok += flag(m, "healthy");
			total++;
		}
		printf("%-8s %-8s %-6s %s (%d/%d members healthy)\n",
		       str(c, "name"), str(c, "routing"), str(c, "proxy"),
		       flag(c, "etcd_healthy") ? "healthy" : "UNHEALTHY", ok, total);
	}
	pod_commands_print(s);
}

static void status_usage(FILE *f)
{
	fprintf(f, "usage: knetsim status [--name SIM] [-j]\n"
		   "  Nodes, addresses, processes and etcd health of SIM (default:\n"
		   "  every simulation that is up).\n");
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cJSON *all = cJSON_CreateArray(), *s;
	char **names = NULL;
	size_t n = 0;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		cJSON_Delete(all);
		status_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind != argc) {
		cJSON_Delete(all);
		status_usage(stderr);
		return 2;
	}
	if (cli->sim) {
		s = sim_status(cli->sim);
		if (!s) {
			log_err("simulation %s is not up", cli->sim);
			ret = 1;
		} else {
			cJSON_AddItemToArray(all, s);
		}
	} else if (state_list(&names, &n)) {
		log_err("cannot read " KNETSIM_RUN_DIR);
		ret = 1;
	}
	for (size_t i = 0; i < n; i++)
		if ((s = sim_status(names[i])))
			cJSON_AddItemToArray(all, s);
	state_list_free(names, n);

	if (cli->json) {
		char *out = cJSON_PrintUnformatted(all);

		printf("{\"simulations\":%s}\n", out ? out : "[]");
		free(out);
	} else if (!ret && !cJSON_GetArraySize(all)) {
		printf("no simulation is up\n");
	} else {
		int i = 0;

		cJSON_ArrayForEach(s, all) {
			if (i++)
				printf("\n");
			print_table(s);
		}
	}
	cJSON_Delete(all);
	return ret;
}
