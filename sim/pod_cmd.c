// SPDX-License-Identifier: MIT
/* knetsim pod add|del|list */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "etcd.h"
#include "etcd_cluster.h"
#include "log.h"
#include "names.h"
#include "netns.h"
#include "pods.h"
#include "state.h"
#include "topology.h"

static void pod_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim pod add WORKER POD [-l KEY=VALUE]... [--name SIM]\n"
		"       knetsim pod del POD [--name SIM]\n"
		"       knetsim pod list [-j] [--name SIM]\n"
		"  POD is WORKER/POD, CLUSTER.POD, or a pod name unique across clusters.\n");
}

/* WORKER/POD, CLUSTER.POD or POD -> cluster index and name. */
static int resolve(const struct state *st, const struct topology *t,
		   const char *arg, size_t *cluster, const char **name)
{
	const char *sep = strpbrk(arg, "/.");
	char buf[NAMES_NETNS_MAX], head[64];
	size_t found = 0;

	if (sep) {
		const struct node *w;
		const struct cluster *c;

		snprintf(head, sizeof(head), "%.*s", (int)(sep - arg), arg);
		*name = sep + 1;
		if (*sep == '/') {
			w = topology_node(t, head);
			if (!w || w->kind != NODE_WORKER) {
				log_err("%s: no worker named %s", arg, head);
				return -1;
			}
			*cluster = w->cluster;
			return 0;
		}
		c = topology_cluster(t, head);
		if (!c) {
			log_err("%s: no cluster named %s", arg, head);
			return -1;
		}
		*cluster = (size_t)(c - t->clusters);
		return 0;
	}
	*name = arg;
	for (size_t c = 0; c < t->n_clusters; c++)
		if (pod_netns(state_sim(st), t->clusters[c].name, arg, buf, sizeof(buf)) &&
		    netns_exists(buf)) {
			*cluster = c;
			found++;
		}
	if (found == 1)
		return 0;
	log_err(found ? "%s: pods of that name run in several clusters: say CLUSTER.%s"
		      : "%s: no such pod (%s)", arg, found ? arg : "see 'knetsim pod list'");
	return -1;
}

static int parse_label(const char *s, struct pod_label *l)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s || !eq[1] || (size_t)(eq - s) >= sizeof(l->key) ||
	    strlen(eq + 1) >= sizeof(l->value)) {
		log_err("-l %s: expected KEY=VALUE (each 1 to 63 bytes)", s);
		return -1;
	}
	snprintf(l->key, sizeof(l->key), "%.*s", (int)(eq - s), s);
	snprintf(l->value, sizeof(l->value), "%s", eq + 1);
	return 0;
}

static int pod_add_cmd(struct cli *cli, struct state *st,
		       const struct topology *t, int argc, char **argv,
		       struct pod_label *labels, size_t n_labels)
{
	struct pod_request req = { .labels = labels, .n_labels = n_labels };
	char ip[IP4_STRLEN], err[1024];

	if (argc != 2) {
		pod_usage(stderr);
		return 2;
	}
	req.worker = topology_node(t, argv[0]);
	req.name = argv[1];
	if (!req.worker || req.worker->kind != NODE_WORKER) {
		log_err("pod add: %s is not a worker of simulation %s", argv[0],
			state_sim(st));
		return 1;
	}
	if (pod_add(st, t, &req, ip, err, sizeof(err))) {
		log_err("pod add: %s", err);
		return 1;
	}
	if (cli->json)
		printf("{\"name\":\"%s\",\"cluster\":\"%s\",\"worker\":\"%s\",\"ip\":\"%s\"}\n",
		       req.name, t->clusters[req.worker->cluster].name,
		       req.worker->name, ip);
	else if (!cli->quiet)
		printf("pod %s on %s: %s\n", req.name, req.worker->name, ip);
	return 0;
}

static int pod_del_cmd(struct cli *cli, struct state *st,
		       const struct topology *t, int argc, char **argv)
{
	const char *name;
	size_t cluster;
	char err[1024];

	if (argc != 1) {
		pod_usage(stderr);
		return 2;
	}
	if (resolve(st, t, argv[0], &cluster, &name))
		return 1;
	if (pod_del(st, t, cluster, name, err, sizeof(err))) {
		log_err("pod del: %s", err);
		return 1;
	}
	if (!cli->quiet && !cli->json)
		printf("pod %s.%s deleted\n", t->clusters[cluster].name, name);
	return 0;
}

static const char *jstr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(o, a), b);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

static void print_table(const cJSON *all)
{
	const cJSON *o;

	printf("%-8s %-16s %-12s %-15s %s\n", "CLUSTER", "POD", "WORKER",
	       "IP", "NETNS");
	cJSON_ArrayForEach(o, all)
		printf("%-8s %-16s %-12s %-15s %s\n",
		       cJSON_GetObjectItemCaseSensitive(o, "cluster")->valuestring,
		       jstr(o, "metadata", "name"), jstr(o, "spec", "nodeName"),
		       jstr(o, "status", "podIP"), jstr(o, "status", "netns"));
}

static int pod_list_cmd(struct cli *cli, struct state *st,
			const struct topology *t)
{
	cJSON *all = cJSON_CreateArray(), *o;
	char err[512];
	int ret = 0;

	for (size_t c = 0; c < t->n_clusters; c++) {
		struct etcd *e = etcd_cluster_client(st, t, c, err, sizeof(err));
		struct etcd_kv *kvs = NULL;
		size_t n = 0;

		if (!e || etcd_range_prefix(e, PODS_PREFIX, &kvs, &n, NULL)) {
			log_err("cluster %s: %s", t->clusters[c].name,
				e ? etcd_error(e) : err);
			etcd_close(e);
			ret = 1;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			o = cJSON_Parse(kvs[i].val);
			if (!cJSON_IsObject(o)) {
				cJSON_Delete(o);
				continue;
			}
			cJSON_AddStringToObject(o, "cluster", t->clusters[c].name);
			cJSON_AddItemToArray(all, o);
		}
		etcd_kvs_free(kvs, n);
		etcd_close(e);
	}
	cli_print_list(cli, "pods", all, print_table);
	cJSON_Delete(all);
	return ret;
}

int cmd_pod(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const verbs[] = { "add", "del", "list" };
	struct pod_label labels[TOPO_LABELS_MAX];
	size_t n_labels = 0, verb = 3;
	struct topology *t;
	struct state *st;
	int c, ret;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "l:h", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c == 'l' && n_labels < TOPO_LABELS_MAX) {
			if (parse_label(optarg, &labels[n_labels++]))
				return 2;
			continue;
		}
		if (c == 'l')
			log_err("-l: at most %d labels", TOPO_LABELS_MAX);
		pod_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind < argc)
		for (size_t i = 0; i < 3; i++)
			if (!strncmp(verbs[i], argv[optind], strlen(argv[optind])) &&
			    *argv[optind])
				verb = i;
	if (verb == 3) {
		if (optind < argc)
			log_err("pod: unknown verb \"%s\"", argv[optind]);
		pod_usage(stderr);
		return 2;
	}
	optind++;
	if (cli_need_root("pod") || cli_open_sim(cli, &st, &t))
		return 1;
	if (verb == 0)
		ret = pod_add_cmd(cli, st, t, argc - optind, argv + optind, labels,
				  n_labels);
	else if (verb == 1)
		ret = pod_del_cmd(cli, st, t, argc - optind, argv + optind);
	else
		ret = pod_list_cmd(cli, st, t);
	cli_close_sim(st, t);
	return ret;
}
