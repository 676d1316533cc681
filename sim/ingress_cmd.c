// SPDX-License-Identifier: MIT
/* knetsim ingress add|replace|del|list */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "cli.h"
#include "etcd.h"
#include "etcd_cluster.h"
#include "ingress_store.h"
#include "log.h"
#include "state.h"
#include "topology.h"

enum { VERB_ADD, VERB_REPLACE, VERB_DEL, VERB_LIST, VERB_NONE };

static void ingress_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim ingress add NAME --worker W --port PORT\n"
		"           (--path PATH=SERVICE:PORT | --exact PATH=SERVICE:PORT)...\n"
		"           [--name SIM]\n"
		"       knetsim ingress replace NAME ... (as add: creates or replaces)\n"
		"       knetsim ingress del NAME [--cluster C] [--name SIM]\n"
		"       knetsim ingress list [-j] [--name SIM]\n"
		"  nginx on worker W listens on PORT and proxies requests whose path\n"
		"  starts with PATH (--path, by whole segments) or is PATH (--exact)\n"
		"  to SERVICE (a service name or its VIP) on its PORT.\n");
}

static int parse_u16(const char *s, uint16_t *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* PATH=SERVICE:PORT; the path may hold '=' and ':', the rest may not. */
static int parse_path(const char *arg, enum ingress_path_type type,
		      struct ingress_spec *s)
{
	struct ingress_path *p = &s->paths[s->n_paths];
	const char *eq = strrchr(arg, '='), *colon;
	char why[256];

	if (s->n_paths == INGRESS_PATHS_MAX) {
		log_err("at most %d paths", INGRESS_PATHS_MAX);
		return -1;
	}
	colon = eq ? strrchr(eq, ':') : NULL;
	if (!eq || !colon || colon == eq + 1 ||
	    (size_t)(eq - arg) > INGRESS_PATH_MAX ||
	    (size_t)(colon - eq - 1) > INGRESS_NAME_MAX ||
	    parse_u16(colon + 1, &p->port)) {
		log_err("%s: expected PATH=SERVICE:PORT, e.g. /svc1=100.64.11.1:8000",
			arg);
		return -1;
	}
	snprintf(p->path, sizeof(p->path), "%.*s", (int)(eq - arg), arg);
	snprintf(p->service, sizeof(p->service), "%.*s", (int)(colon - eq - 1),
		 eq + 1);
	p->type = type;
	if (ingress_path_check(p->path, why, sizeof(why))) {
		log_err("%s: path %s", arg, why);
		return -1;
	}
	s->n_paths++;
	return 0;
}

static int ingress_add_cmd(struct cli *cli, struct state *st,
			   const struct topology *t, struct ingress_spec *s,
			   bool replace)
{
	const char *verb = replace ? "replace" : "add";
	char err[1024];
	size_t cluster;

	if (!s->node[0] || !s->port || !s->n_paths) {
		log_err("ingress %s: --worker, --port and at least one --path are required",
			verb);
		return 2;
	}
	if (ingress_create(st, t, s, replace, err, sizeof(err))) {
		log_err("ingress %s: %s", verb, err);
		return 1;
	}
	ingress_worker_check(t, s->node, &cluster, err, sizeof(err));
	if (!cli->quiet && !cli->json)
		printf("ingress %s/%s in cluster %s: %s port %u, %zu path(s)\n",
		       s->ns, s->name, t->clusters[cluster].name, s->node, s->port,
		       s->n_paths);
	return 0;
}

static int ingress_del_cmd(struct cli *cli, struct state *st,
			   const struct topology *t, const char *name,
			   const char *cluster)
{
	char key[256], err[512];
	size_t found = 0, where = 0;
	struct etcd *e;

	if (cluster && !topology_cluster(t, cluster)) {
		log_err("--cluster %s: no such cluster", cluster);
		return 1;
	}
	if (ingress_key(INGRESS_NAMESPACE, name, key, sizeof(key))) {
		log_err("ingress del: %s: name too long", name);
		return 1;
	}
	for (size_t c = 0; c < t->n_clusters; c++) {
		int r;

		if (cluster && strcmp(cluster, t->clusters[c].name))
			continue;
		e = etcd_cluster_client(st, t, c, err, sizeof(err));
		if (!e) {
			log_err("cluster %s: %s", t->clusters[c].name, err);
			return 1;
		}
		r = etcd_get(e, key, NULL, NULL, NULL);
		if (r && r != -ENOENT) {
			log_err("cluster %s: etcd: %s", t->clusters[c].name,
				etcd_error(e));
			etcd_close(e);
			return 1;
		}
		if (!r) {
			found++;
			where = c;
		}
		etcd_close(e);
	}
	if (found != 1) {
		log_err(found ? "ingress del: %s exists in several clusters: say --cluster"
			      : "ingress del: no ingress named %s", name);
		return 1;
	}
	e = etcd_cluster_client(st, t, where, err, sizeof(err));
	if (!e || etcd_delete(e, key)) {
		log_err("cluster %s: %s", t->clusters[where].name,
			e ? etcd_error(e) : err);
		etcd_close(e);
		return 1;
	}
	etcd_close(e);
	if (!cli->quiet && !cli->json)
		printf("ingress %s/%s deleted from cluster %s\n", INGRESS_NAMESPACE,
		       name, t->clusters[where].name);
	return 0;
}

/* The VIP of service ns/name among the range read, or 0. */
static uint32_t vip_of(const struct etcd_kv *kvs, size_t n, const char *ns,
		       const char *name, struct svc_spec *tmp)
{
	char key[256];

	if (svc_key(ns, name, key, sizeof(key)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kvs[i].key, key) &&
		    !svc_parse(kvs[i].val, kvs[i].len, tmp, NULL, 0))
			return tmp->vip;
	return 0;
}

static cJSON *ingress_json(const struct topology *t, size_t c,
			   const struct ingress_spec *s,
			   const struct etcd_kv *kvs, size_t n,
			   struct svc_spec *tmp)
{
	const struct node *w = topology_node(t, s->node);
	cJSON *o = cJSON_CreateObject(), *a;
	char ip[IP4_STRLEN];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "cluster", t->clusters[c].name);
	cJSON_AddStringToObject(o, "namespace", s->ns);
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "worker", s->node);
	if (w)
		cJSON_AddStringToObject(o, "address", ip4_format(w->addr, ip));
	cJSON_AddNumberToObject(o, "port", s->port);
	a = cJSON_AddArrayToObject(o, "paths");
	for (size_t i = 0; a && i < s->n_paths; i++) {
		const struct ingress_path *p = &s->paths[i];
		uint32_t vip = vip_of(kvs, n, s->ns, p->service, tmp);
		cJSON *x = cJSON_CreateObject();

		if (!x || !cJSON_AddItemToArray(a, x)) {
			cJSON_Delete(x);
			break;
		}
		cJSON_AddStringToObject(x, "path", p->path);
		cJSON_AddStringToObject(x, "pathType", ingress_path_type_name(p->type));
		cJSON_AddStringToObject(x, "service", p->service);
		cJSON_AddNumberToObject(x, "port", p->port);
		if (vip)
			cJSON_AddStringToObject(x, "vip", ip4_format(vip, ip));
		else
			cJSON_AddNullToObject(x, "vip");
	}
	return o;
}

static int list_cluster(const struct state *st, const struct topology *t,
			size_t c, cJSON *all)
{
	struct ingress_spec *s = malloc(sizeof(*s));
	struct svc_spec *tmp = malloc(sizeof(*tmp));
	char err[512], ns[INGRESS_NAME_MAX + 1], name[INGRESS_NAME_MAX + 1];
	struct etcd *e = etcd_cluster_client(st, t, c, err, sizeof(err));
	struct etcd_kv *kvs = NULL;
	size_t n = 0;
	int ret = 1;

	if (!e || etcd_range_prefix(e, SVC_ROOT, &kvs, &n, NULL)) {
		log_err("cluster %s: %s", t->clusters[c].name, e ? etcd_error(e) : err);
		goto out;
	}
	if (!s || !tmp)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ingress_key_parse(kvs[i].key, ns, name))
			continue;
		if (ingress_parse(kvs[i].val, kvs[i].len, s, err, sizeof(err))) {
			log_warn("cluster %s: %s: %s", t->clusters[c].name,
				 kvs[i].key, err);
			continue;
		}
		cJSON_AddItemToArray(all, ingress_json(t, c, s, kvs, n, tmp));
	}
	ret = 0;
out:
	free(s);
	free(tmp);
	etcd_kvs_free(kvs, n);
	etcd_close(e);
	return ret;
}

static const char *jstr(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int jint(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* One line per path; the ingress's own columns on its first. */
static void print_table(const cJSON *all)
{
	const cJSON *o, *p;

	printf("%-8s %-16s %-8s %-21s %-20s %-16s %s\n", "CLUSTER", "INGRESS",
	       "WORKER", "LISTEN", "PATH", "SERVICE", "BACKEND");
	cJSON_ArrayForEach(o, all) {
		char listen[48], path[300], backend[40];
		bool first = true;

		snprintf(listen, sizeof(listen), "%s:%d", jstr(o, "address", "?"),
			 jint(o, "port"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "paths")) {
			snprintf(path, sizeof(path), "%s%s", jstr(p, "path", ""),
				 !strcmp(jstr(p, "pathType", ""), "Exact") ? " (exact)" : "");
			snprintf(backend, sizeof(backend), "%s:%d",
				 jstr(p, "vip", "(no such service)"), jint(p, "port"));
			printf("%-8s %-16s %-8s %-21s %-20s %-16s %s\n",
			       first ? jstr(o, "cluster", "") : "",
			       first ? jstr(o, "name", "") : "",
			       first ? jstr(o, "worker", "") : "",
			       first ? listen : "", path, jstr(p, "service", ""),
			       backend);
			first = false;
		}
	}
}

static int ingress_list_cmd(struct cli *cli, struct state *st,
			    const struct topology *t)
{
	cJSON *all = cJSON_CreateArray();
	int ret = 0;

	if (!all)
		return 1;
	for (size_t c = 0; c < t->n_clusters; c++)
		ret |= list_cluster(st, t, c, all);
	cli_print_list(cli, "ingresses", all, print_table);
	cJSON_Delete(all);
	return ret;
}

struct ingress_args {
	struct ingress_spec *spec;
	const char *cluster;
};

static int parse_opt(int c, const char *arg, struct ingress_args *a)
{
	switch (c) {
	case 'w':
		if (strlen(arg) > INGRESS_NODE_MAX) {
			log_err("--worker %s: no such worker", arg);
			return -1;
		}
		snprintf(a->spec->node, sizeof(a->spec->node), "%s", arg);
		return 0;
	case 'p':
		if (parse_u16(arg, &a->spec->port)) {
			log_err("--port %s: expected a port from 1 to 65535", arg);
			return -1;
		}
		return 0;
	case 'P':
		return parse_path(arg, INGRESS_PATH_PREFIX, a->spec);
	case 'E':
		return parse_path(arg, INGRESS_PATH_EXACT, a->spec);
	case 'c':
		a->cluster = arg;
		return 0;
	}
	return -1;
}

static size_t pick_verb(const char *word)
{
	static const char *const verbs[] = { "add", "replace", "del", "list" };
	size_t verb = VERB_NONE, len = strlen(word);

	for (size_t i = 0; len && i < VERB_NONE; i++)
		if (!strncmp(verbs[i], word, len))
			verb = i;
	return verb;
}

int cmd_ingress(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "worker", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' },
		{ "exact", required_argument, NULL, 'E' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ingress_args a = { .spec = calloc(1, sizeof(struct ingress_spec)) };
	struct topology *t;
	struct state *st;
	size_t verb = VERB_NONE;
	int c, ret = 2;

	if (!a.spec)
		return 1;
	snprintf(a.spec->ns, sizeof(a.spec->ns), INGRESS_NAMESPACE);
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c != 'h' && c != '?' && !parse_opt(c, optarg, &a))
			continue;
		if (c == 'h' || c == '?')
			ingress_usage(c == 'h' ? stdout : stderr);
		ret = c == 'h' ? 0 : c == '?' ? 2 : 1;
		goto out;
	}
	if (optind < argc)
		verb = pick_verb(argv[optind]);
	if (verb == VERB_NONE || argc - optind != (verb == VERB_LIST ? 1 : 2)) {
		if (optind < argc && verb == VERB_NONE)
			log_err("ingress: unknown verb \"%s\"", argv[optind]);
		ingress_usage(stderr);
		goto out;
	}
	if (verb <= VERB_REPLACE) {
		if (!ingress_name_valid(argv[optind + 1])) {
			log_err("ingress %s: \"%s\": expected a name of 1 to %d of [A-Za-z0-9-_.]",
				verb ? "replace" : "add", argv[optind + 1],
				INGRESS_NAME_MAX);
			ret = 1;
			goto out;
		}
		snprintf(a.spec->name, sizeof(a.spec->name), "%s", argv[optind + 1]);
	}
	ret = 1;
	if (cli_need_root("ingress") || cli_open_sim(cli, &st, &t))
		goto out;
	if (verb <= VERB_REPLACE)
		ret = ingress_add_cmd(cli, st, t, a.spec, verb == VERB_REPLACE);
	else if (verb == VERB_DEL)
		ret = ingress_del_cmd(cli, st, t, argv[optind + 1], a.cluster);
	else
		ret = ingress_list_cmd(cli, st, t);
	cli_close_sim(st, t);
out:
	free(a.spec);
	return ret;
}
