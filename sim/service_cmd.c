// SPDX-License-Identifier: MIT
/* knetsim service add|del|list */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "cli.h"
#include "etcd.h"
#include "etcd_cluster.h"
#include "log.h"
#include "service_load.h"
#include "services_store.h"
#include "state.h"
#include "topology.h"

static void service_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim service add NAME --vip IP [--port PORT[:TARGET][/tcp|udp]]...\n"
		"           (--selector KEY=VALUE... | --pods POD,POD...)\n"
		"           [--algorithm random|maglev] [--cluster C] [--name SIM]\n"
		"       knetsim service del NAME [--cluster C] [--name SIM]\n"
		"       knetsim service list [-j] [--name SIM]\n"
		"       knetsim service load FILE|- [--cluster C] [--name SIM]\n"
		"  No --port: the VIP balances every protocol (the course's form).\n"
		"  load creates many services at once from what list -j prints.\n");
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

/* PORT[:TARGET][/tcp|udp] */
static int parse_port(const char *arg, struct svc_spec *s)
{
	struct proxy_port *p = &s->ports[s->n_ports];
	char buf[64], *slash, *colon;

	if (s->n_ports == PROXY_PORTS_MAX) {
		log_err("--port: at most %d ports", PROXY_PORTS_MAX);
		return -1;
	}
	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	p->proto = IPPROTO_TCP;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (svc_proto_parse(slash, &p->proto)) {
			log_err("--port %s: protocol \"%s\": expected tcp or udp", arg, slash);
			return -1;
		}
	}
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	if (parse_u16(buf, &p->port) || (colon && parse_u16(colon, &p->target_port)))
		goto bad;
	if (!colon)
		p->target_port = p->port;
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].port == p->port && s->ports[i].proto == p->proto) {
			log_err("--port %s: given twice", arg);
			return -1;
		}
	s->n_ports++;
	return 0;
bad:
	log_err("--port %s: expected PORT[:TARGET][/tcp|udp], ports from 1 to 65535", arg);
	return -1;
}

static int parse_selector(const char *arg, struct svc_spec *s)
{
	const char *eq = strchr(arg, '=');
	struct svc_label *l = &s->selector[s->n_selector];

	if (s->n_selector == SVC_LABELS_MAX) {
		log_err("--selector: at most %d labels", SVC_LABELS_MAX);
		return -1;
	}
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) > SVC_LABEL_MAX ||
	    strlen(eq + 1) > SVC_LABEL_MAX) {
		log_err("--selector %s: expected KEY=VALUE (each 1 to 63 bytes)", arg);
		return -1;
	}
	snprintf(l->key, sizeof(l->key), "%.*s", (int)(eq - arg), arg);
	snprintf(l->value, sizeof(l->value), "%s", eq + 1);
	s->n_selector++;
	return 0;
}

static int parse_pods(const char *arg, struct svc_spec *s)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (s->n_pods == SVC_PODS_MAX || strlen(tok) > PROXY_NAME_MAX) {
			log_err("--pods: at most %d names of at most %d bytes",
				SVC_PODS_MAX, PROXY_NAME_MAX);
			ret = -1;
			break;
		}
		snprintf(s->pods[s->n_pods++], sizeof(s->pods[0]), "%s", tok);
	}
	free(copy);
	return ret;
}

/* --cluster, or the only cluster; -1 after a message. */
static ssize_t pick_cluster(const struct topology *t, const char *name)
{
	const struct cluster *c;

	if (!name && t->n_clusters == 1)
		return 0;
	if (!name) {
		log_err("this simulation has %zu clusters: say --cluster", t->n_clusters);
		return -1;
	}
	c = topology_cluster(t, name);
	if (!c) {
		log_err("--cluster %s: no such cluster", name);
		return -1;
	}
	return c - t->clusters;
}

/* Round trip through the object parser: every rule of svc_parse. */
static int validate(struct svc_spec *s)
{
	char err[256], *json = svc_to_json(s);
	int ret;

	if (!json) {
		log_err("out of memory");
		return -1;
	}
	ret = svc_parse(json, strlen(json), s, err, sizeof(err));
	free(json);
	if (ret)
		log_err("service add: %s", err);
	return ret ? -1 : 0;
}

static int service_add_cmd(struct cli *cli, struct state *st,
			   const struct topology *t, struct svc_spec *s,
			   const char *vip, const char *cluster)
{
	char err[1024];
	ssize_t c;

	if (!vip) {
		log_err("service add: --vip is required");
		return 2;
	}
	if (ip4_parse(vip, &s->vip)) {
		log_err("service add: --vip %s: not an IPv4 address", vip);
		return 1;
	}
	if (!s->n_selector == !s->by_name) {
		log_err("service add: give exactly one of --selector and --pods");
		return 2;
	}
	if (validate(s))
		return 1;
	c = pick_cluster(t, cluster);
	if (c < 0)
		return 1;
	if (service_create(st, t, (size_t)c, s, err, sizeof(err))) {
		log_err("service add: %s", err);
		return 1;
	}
	if (!cli->quiet && !cli->json)
		printf("service %s/%s in cluster %s: %s\n", s->ns, s->name,
		       t->clusters[c].name, vip);
	return 0;
}

static int service_del_cmd(struct cli *cli, struct state *st,
			   const struct topology *t, const char *name,
			   const char *cluster)
{
	char key[256], err[512];
	size_t found = 0, where = 0;
	int ret = 0;

	if (svc_key(SVC_NAMESPACE, name, key, sizeof(key))) {
		log_err("service del: %s: name too long", name);
		return 1;
	}
	for (size_t c = 0; c < t->n_clusters; c++) {
		struct etcd *e;
		int r;

		if (cluster && strcmp(cluster, t->clusters[c].name))
			continue;
		e = etcd_cluster_client(st, t, c, err, sizeof(err));
		if (!e) {
			log_err("cluster %s: %s", t->clusters[c].name, err);
			return 1;
		}
		r = etcd_get(e, key, NULL, NULL, NULL);
		if (!r) {
			found++;
			where = c;
		} else if (r != -ENOENT) {
			log_err("cluster %s: etcd: %s", t->clusters[c].name, etcd_error(e));
			ret = 1;
		}
		etcd_close(e);
	}
	if (ret)
		return ret;
	if (cluster && !topology_cluster(t, cluster)) {
		log_err("--cluster %s: no such cluster", cluster);
		return 1;
	}
	if (found != 1) {
		log_err(found ? "service del: %s exists in several clusters: say --cluster"
			      : "service del: no service named %s", name);
		return 1;
	}
	{
		struct etcd *e = etcd_cluster_client(st, t, where, err, sizeof(err));

		if (!e || etcd_delete(e, key)) {
			log_err("cluster %s: %s", t->clusters[where].name,
				e ? etcd_error(e) : err);
			etcd_close(e);
			return 1;
		}
		etcd_close(e);
	}
	if (!cli->quiet && !cli->json)
		printf("service %s/%s deleted from cluster %s\n", SVC_NAMESPACE,
		       name, t->clusters[where].name);
	return 0;
}

/* One service of one cluster as the listing's JSON. */
static cJSON *service_json(const char *cluster, const struct svc_spec *s,
			   const struct proxy_service *ps)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char ip[IP4_STRLEN];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "cluster", cluster);
	cJSON_AddStringToObject(o, "namespace", s->ns);
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "vip", ip4_format(s->vip, ip));
	a = cJSON_AddArrayToObject(o, "ports");
	for (size_t i = 0; a && i < s->n_ports; i++) {
		cJSON *p = cJSON_CreateObject();

		cJSON_AddNumberToObject(p, "port", s->ports[i].port);
		cJSON_AddNumberToObject(p, "targetPort", s->ports[i].target_port);
		cJSON_AddStringToObject(p, "protocol", svc_proto_name(s->ports[i].proto));
		cJSON_AddItemToArray(a, p);
	}
	if (s->by_name) {
		a = cJSON_AddArrayToObject(o, "pods");
		for (size_t i = 0; a && i < s->n_pods; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(s->pods[i]));
	} else {
		a = cJSON_AddObjectToObject(o, "selector");
		for (size_t i = 0; a && i < s->n_selector; i++)
			cJSON_AddStringToObject(a, s->selector[i].key, s->selector[i].value);
	}
	cJSON_AddStringToObject(o, "algorithm",
				s->algo == PROXY_ALGO_MAGLEV ? "maglev" : "random");
	a = cJSON_AddArrayToObject(o, "backends");
	for (size_t i = 0; a && i < ps->n_backends; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(ip4_format(ps->backends[i], ip)));
	return o;
}

/* Every service of one cluster, with backends from its pods, into all. */
static int list_cluster(const struct state *st, const struct topology *t,
			size_t c, cJSON *all)
{
	struct svc_spec *s = malloc(sizeof(*s));
	struct proxy_service *ps = malloc(sizeof(*ps));
	struct svc_pod *pods = NULL;
	struct etcd_kv *kvs = NULL;
	size_t n = 0, n_pods = 0;
	char err[512], kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];
	struct etcd *e = etcd_cluster_client(st, t, c, err, sizeof(err));
	int ret = 1;

	if (!e || etcd_range_prefix(e, SVC_ROOT, &kvs, &n, NULL)) {
		log_err("cluster %s: %s", t->clusters[c].name, e ? etcd_error(e) : err);
		goto out;
	}
	pods = calloc(n ? n : 1, sizeof(*pods));
	if (!s || !ps || !pods)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!svc_key_parse(kvs[i].key, &kind, ns, name) && kind == 'p' &&
		    !svc_pod_parse(kvs[i].val, kvs[i].len, &pods[n_pods], NULL, 0)) {
			snprintf(pods[n_pods].ns, sizeof(pods[0].ns), "%s", ns);
			snprintf(pods[n_pods].name, sizeof(pods[0].name), "%s", name);
			n_pods++;
		}
	for (size_t i = 0; i < n; i++) {
		if (svc_key_parse(kvs[i].key, &kind, ns, name) || kind != 's')
			continue;
		if (svc_parse(kvs[i].val, kvs[i].len, s, err, sizeof(err))) {
			log_warn("cluster %s: %s: %s", t->clusters[c].name, kvs[i].key, err);
			continue;
		}
		svc_compute(s, pods, n_pods, ps);
		cJSON_AddItemToArray(all, service_json(t->clusters[c].name, s, ps));
	}
	ret = 0;
out:
	free(pods);
	free(s);
	free(ps);
	etcd_kvs_free(kvs, n);
	etcd_close(e);
	return ret;
}

static void print_table(const cJSON *all)
{
	const cJSON *o, *x, *list;

	printf("%-8s %-16s %-15s %-20s %-24s %s\n", "CLUSTER", "SERVICE", "VIP",
	       "PORTS", "PODS/SELECTOR", "BACKENDS");
	cJSON_ArrayForEach(o, all) {
		char ports[128] = "*", sel[256] = "", be[512] = "";
		size_t len = 0;

		cJSON_ArrayForEach(x, cJSON_GetObjectItem(o, "ports")) {
			len += (size_t)snprintf(ports + len, len < sizeof(ports) ? sizeof(ports) - len : 0,
					"%s%d:%d/%s", len ? "," : "",
					cJSON_GetObjectItem(x, "port")->valueint,
					cJSON_GetObjectItem(x, "targetPort")->valueint,
					cJSON_GetObjectItem(x, "protocol")->valuestring);
			if (len >= sizeof(ports))
				break;
		}
		len = 0;
		list = cJSON_GetObjectItem(o, "pods");
		if (!list)
			list = cJSON_GetObjectItem(o, "selector");
		cJSON_ArrayForEach(x, list) {
			if (cJSON_IsString(x) && !x->string)
				len += (size_t)snprintf(sel + len, len < sizeof(sel) ? sizeof(sel) - len : 0,
						"%s%s", len ? "," : "", x->valuestring);
			else
				len += (size_t)snprintf(sel + len, len < sizeof(sel) ? sizeof(sel) - len : 0,
						"%s%s=%s", len ? "," : "", x->string, x->valuestring);
			if (len >= sizeof(sel))
				break;
		}
		len = 0;
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(o, "backends")) {
			len += (size_t)snprintf(be + len, len < sizeof(be) ? sizeof(be) - len : 0,
					"%s%s", len ? "," : "", x->valuestring);
			if (len >= sizeof(be))
				break;
		}
		printf("%-8s %-16s %-15s %-20s %-24s %s\n",
		       cJSON_GetObjectItem(o, "cluster")->valuestring,
		       cJSON_GetObjectItem(o, "name")->valuestring,
		       cJSON_GetObjectItem(o, "vip")->valuestring, ports,
		       sel, *be ? be : "-");
	}
}

static int service_list_cmd(struct cli *cli, struct state *st,
			    const struct topology *t)
{
	cJSON *all = cJSON_CreateArray();
	int ret = 0;

	if (!all)
		return 1;
	for (size_t c = 0; c < t->n_clusters; c++)
		ret |= list_cluster(st, t, c, all);
	cli_print_list(cli, "services", all, print_table);
	cJSON_Delete(all);
	return ret;
}

struct service_args {
	struct svc_spec *spec;
	const char *vip, *cluster;
};

static int parse_opt(int c, const char *arg, struct service_args *a)
{
	switch (c) {
	case 'V':
		a->vip = arg;
		return 0;
	case 'p':
		return parse_port(arg, a->spec);
	case 's':
		return parse_selector(arg, a->spec);
	case 'P':
		a->spec->by_name = true;
		return parse_pods(arg, a->spec);
	case 'a':
		if (!strcmp(arg, "random") || !strcmp(arg, "maglev")) {
			a->spec->algo = !strcmp(arg, "maglev") ? PROXY_ALGO_MAGLEV :
								 PROXY_ALGO_RANDOM;
			return 0;
		}
		log_err("--algorithm %s: expected random or maglev", arg);
		return -1;
	case 'c':
		a->cluster = arg;
		return 0;
	}
	return -1;
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "vip", required_argument, NULL, 'V' },
		{ "port", required_argument, NULL, 'p' },
		{ "selector", required_argument, NULL, 's' },
		{ "pods", required_argument, NULL, 'P' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const verbs[] = { "add", "del", "list", "load" };
	struct service_args a = { .spec = calloc(1, sizeof(struct svc_spec)) };
	struct topology *t;
	struct state *st;
	size_t verb = 4;
	int c, ret = 2;

	if (!a.spec)
		return 1;
	snprintf(a.spec->ns, sizeof(a.spec->ns), "%s", SVC_NAMESPACE);
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c != 'h' && c != '?' && !parse_opt(c, optarg, &a))
			continue;
		if (c == 'h' || c == '?')
			service_usage(c == 'h' ? stdout : stderr);
		ret = c == 'h' ? 0 : c == '?' ? 2 : 1;
		goto out;
	}
	/* a prefix names the first verb it starts ("l" is list) */
	if (optind < argc)
		for (size_t i = 0; i < 4 && verb == 4; i++)
			if (*argv[optind] &&
			    !strncmp(verbs[i], argv[optind], strlen(argv[optind])))
				verb = i;
	if (verb == 4 || argc - optind != (verb == 2 ? 1 : 2)) {
		if (optind < argc && verb == 4)
			log_err("service: unknown verb \"%s\"", argv[optind]);
		service_usage(stderr);
		goto out;
	}
	if (verb == 0) {
		if (strlen(argv[optind + 1]) > PROXY_NAME_MAX) {
			log_err("service add: name longer than %d bytes", PROXY_NAME_MAX);
			ret = 1;
			goto out;
		}
		snprintf(a.spec->name, sizeof(a.spec->name), "%s", argv[optind + 1]);
	}
	ret = 1;
	if (cli_need_root("service") || cli_open_sim(cli, &st, &t))
		goto out;
	if (verb == 0)
		ret = service_add_cmd(cli, st, t, a.spec, a.vip, a.cluster);
	else if (verb == 1)
		ret = service_del_cmd(cli, st, t, argv[optind + 1], a.cluster);
	else if (verb == 3)
		ret = service_load_cmd(cli, st, t, argv[optind + 1], a.cluster);
	else
		ret = service_list_cmd(cli, st, t);
	cli_close_sim(st, t);
out:
	free(a.spec);
	return ret;
}
