// SPDX-License-Identifier: MIT
/*
 * knetsim service load FILE|- : many services at once, e.g. ten thousand
 * for a benchmark, through one etcd connection per cluster.
 *
 * The input is what `knetsim service list -j` prints ({"services": [...]},
 * or just the array): per service name, vip, ports, pods or selector,
 * algorithm, and optionally cluster and namespace (backends are ignored).
 * Kubernetes-shaped Service objects (with metadata and spec, as stored in
 * etcd) are accepted as well. Every service is checked as `service add`
 * checks one — the object's rules, the VIP's range, no name or
 * VIP:port/protocol taken twice (in etcd or in the file), every pod named
 * exists — before anything is written; then the services go in in
 * transactions of ETCD_TXN_OPS_MAX, each all or nothing.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "cli.h"
#include "etcd.h"
#include "etcd_batch.h"
#include "etcd_cluster.h"
#include "log.h"
#include "service_load.h"
#include "services_store.h"
#include "state.h"
#include "topology.h"

#define LOAD_INPUT_MAX (256u << 20)

struct load_svc {
	struct svc_spec spec;
	size_t cluster;
	size_t index;            /* in the file */
};

/* One (VIP, port, protocol) a service takes; port 0: the whole VIP. */
struct vip_use {
	uint32_t vip;
	uint16_t port;
	uint8_t proto;
	const struct svc_spec *spec;
};

static char *read_input(const char *file, size_t *len)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *buf = NULL, *tmp;
	size_t cap = 0, n = 0, got;

	if (!f) {
		log_err("service load: %s: %s", file, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			tmp = cap <= LOAD_INPUT_MAX ? realloc(buf, cap + 1) : NULL;
			if (!tmp) {
				log_err("service load: %s: %s", file, cap > LOAD_INPUT_MAX ?
					"larger than 256 MiB" : "out of memory");
				free(buf);
				buf = NULL;
				break;
			}
			buf = tmp;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (buf && ferror(f)) {
		log_err("service load: %s: read error", file);
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static const cJSON *field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A `service list -j` entry as the object svc_parse reads (or the object
 * itself when it already has metadata). */
static cJSON *to_object(const cJSON *e)
{
	static const char *const spec_keys[] = { "ports", "pods", "selector",
						  "algorithm" };
	cJSON *o, *m, *spec;
	const cJSON *ns = field(e, "namespace");

	if (field(e, "metadata"))
		return cJSON_Duplicate(e, 1);
	o = cJSON_CreateObject();
	m = cJSON_AddObjectToObject(o, "metadata");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (!m || !spec) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Service");
	if (field(e, "name"))
		cJSON_AddItemToObject(m, "name", cJSON_Duplicate(field(e, "name"), 1));
	if (ns)
		cJSON_AddItemToObject(m, "namespace", cJSON_Duplicate(ns, 1));
	else
		cJSON_AddStringToObject(m, "namespace", SVC_NAMESPACE);
	if (field(e, "vip"))
		cJSON_AddItemToObject(spec, "clusterIP", cJSON_Duplicate(field(e, "vip"), 1));
	for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		if (field(e, spec_keys[i]))
			cJSON_AddItemToObject(spec, spec_keys[i],
					      cJSON_Duplicate(field(e, spec_keys[i]), 1));
	return o;
}

/* The cluster of entry e: its own field, else --cluster, else the only
 * one; -1 after a message. */
static ssize_t entry_cluster(const struct topology *t, const cJSON *e,
			     const char *dflt, const char *where)
{
	const cJSON *c = field(e, "cluster");
	const char *name = cJSON_IsString(c) ? c->valuestring : dflt;
	const struct cluster *cl;

	if (c && !cJSON_IsString(c)) {
		log_err("%s: cluster: expected a string", where);
		return -1;
	}
	if (!name && t->n_clusters == 1)
		return 0;
	if (!name) {
		log_err("%s: this simulation has %zu clusters: give \"cluster\" or --cluster",
			where, t->n_clusters);
		return -1;
	}
	cl = topology_cluster(t, name);
	if (!cl) {
		log_err("%s: no cluster %s", where, name);
		return -1;
	}
	return cl - t->clusters;
}

static int parse_entries(const struct topology *t, const char *file,
			 const cJSON *arr, const char *cluster,
			 struct load_svc **out, size_t *n_out)
{
	struct load_svc *v;
	const cJSON *e;
	size_t n = 0;
	char where[128], err[256];

	v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	cJSON_ArrayForEach(e, arr) {
		cJSON *o = cJSON_IsObject(e) ? to_object(e) : NULL;
		char *json = o ? cJSON_PrintUnformatted(o) : NULL;
		const cJSON *name = field(e, "name");
		ssize_t c;
		int ret;

		snprintf(where, sizeof(where), "%s: services[%zu]%s%s", file, n,
			 cJSON_IsString(name) ? " " : "",
			 cJSON_IsString(name) ? name->valuestring : "");
		cJSON_Delete(o);
		if (!json) {
			log_err("%s: expected an object", where);
			goto fail;
		}
		ret = svc_parse(json, strlen(json), &v[n].spec, err, sizeof(err));
		free(json);
		if (ret) {
			log_err("%s: %s", where, err);
			goto fail;
		}
		c = entry_cluster(t, e, cluster, where);
		if (c < 0)
			goto fail;
		if (service_vip_check(t, (size_t)c, v[n].spec.vip, err, sizeof(err))) {
			log_err("%s: %s", where, err);
			goto fail;
		}
		v[n].cluster = (size_t)c;
		v[n].index = n;
		n++;
	}
	*out = v;
	*n_out = n;
	return 0;
fail:
	free(v);
	return -EINVAL;
}

static int cmp_name(const void *a, const void *b)
{
	const struct svc_spec *x = *(const struct svc_spec *const *)a;
	const struct svc_spec *y = *(const struct svc_spec *const *)b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

static int cmp_use(const void *a, const void *b)
{
	const struct vip_use *x = a, *y = b;

	if (x->vip != y->vip)
		return x->vip < y->vip ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->proto - (int)y->proto;
}

/* Every name once and every VIP:port/protocol once among specs (the
 * cluster's services in etcd and the file's): sorted, then neighbours
 * compared. */
static int check_unique(const struct svc_spec **specs, size_t n)
{
	struct vip_use *u;
	size_t n_u = 0, cap = 0;
	char err[256];
	int ret = 0;

	qsort(specs, n, sizeof(*specs), cmp_name);
	for (size_t i = 1; i < n; i++)
		if (!cmp_name(&specs[i - 1], &specs[i])) {
			log_err("service load: service %s/%s given twice (or exists already)",
				specs[i]->ns, specs[i]->name);
			return -EEXIST;
		}
	for (size_t i = 0; i < n; i++)
		cap += specs[i]->n_ports ? specs[i]->n_ports : 1;
	u = calloc(cap + 1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct svc_spec *s = specs[i];

		for (size_t p = 0; p < (s->n_ports ? s->n_ports : 1); p++)
			u[n_u++] = (struct vip_use){
				.vip = s->vip, .spec = s,
				.port = s->n_ports ? s->ports[p].port : 0,
				.proto = s->n_ports ? s->ports[p].proto : 0 };
	}
	qsort(u, n_u, sizeof(*u), cmp_use);
	/* within a VIP, a VIP-only entry (port 0) sorts first */
	for (size_t i = 1; i < n_u && !ret; i++) {
		if (u[i].vip != u[i - 1].vip || u[i].spec == u[i - 1].spec)
			continue;
		if (u[i - 1].port && cmp_use(&u[i - 1], &u[i]))
			continue;
		service_conflict(u[i].spec, u[i - 1].spec, err, sizeof(err));
		log_err("service load: service %s/%s: %s", u[i].spec->ns,
			u[i].spec->name, err);
		ret = -EEXIST;
	}
	free(u);
	return ret;
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The checks against one cluster's etcd content (kvs). */
static int check_cluster(const struct load_svc *v, size_t n, size_t c,
			 const struct etcd_kv *kvs, size_t n_kvs)
{
	const struct svc_spec **specs = calloc(n + n_kvs + 1, sizeof(*specs));
	struct svc_spec *have = calloc(n_kvs + 1, sizeof(*have));
	char **pods = calloc(n_kvs + 1, sizeof(*pods));
	char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];
	char path[2 * PROXY_NAME_MAX + 2], *p = path;
	size_t n_specs = 0, n_have = 0, n_pods = 0;
	int ret = 0;

	if (!specs || !have || !pods) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_kvs; i++) {
		if (svc_key_parse(kvs[i].key, &kind, ns, name))
			continue;
		if (kind == 'p') {
			pods[n_pods++] = kvs[i].key + strlen(SVC_POD_PREFIX);
		} else if (!svc_parse(kvs[i].val, kvs[i].len, &have[n_have], NULL, 0)) {
			specs[n_specs++] = &have[n_have++];
		}
	}
	qsort(pods, n_pods, sizeof(*pods), cmp_pod);
	for (size_t i = 0; i < n; i++) {
		if (v[i].cluster != c)
			continue;
		specs[n_specs++] = &v[i].spec;
		for (size_t j = 0; v[i].spec.by_name && j < v[i].spec.n_pods; j++) {
			snprintf(path, sizeof(path), "%s/%s", v[i].spec.ns,
				 v[i].spec.pods[j]);
			if (!bsearch(&p, pods, n_pods, sizeof(*pods), cmp_pod)) {
				log_err("service load: services[%zu] %s: no pod named %s in namespace %s (see 'knetsim pod list')",
					v[i].index, v[i].spec.name, v[i].spec.pods[j],
					v[i].spec.ns);
				ret = -ENOENT;
				goto out;
			}
		}
	}
	ret = check_unique(specs, n_specs);
out:
	free(specs);
	free(have);
	free(pods);
	return ret;
}

/* Writes cluster c's services in transactions; how many went in. */
static size_t write_cluster(struct etcd *e, const struct load_svc *v,
			    size_t n, size_t c, int *ret)
{
	struct etcd_put puts[ETCD_TXN_OPS_MAX];
	char keys[ETCD_TXN_OPS_MAX][256];
	size_t done = 0, k = 0;

	*ret = 0;
	memset(puts, 0, sizeof(puts));
	for (size_t i = 0; i <= n && !*ret; i++) {
		if (i < n && v[i].cluster == c) {
			char *json = svc_to_json(&v[i].spec);

			if (!json || svc_key(v[i].spec.ns, v[i].spec.name, keys[k],
					     sizeof(keys[k]))) {
				free(json);
				*ret = -ENOMEM;
				break;
			}
			puts[k] = (struct etcd_put){ keys[k], json, strlen(json) };
			k++;
		}
		if (k && (k == ETCD_TXN_OPS_MAX || i == n)) {
			*ret = etcd_create_many(e, puts, k, NULL);
			if (!*ret)
				done += k;
			for (size_t j = 0; j < k; j++)
				free((char *)puts[j].val);
			k = 0;
		}
	}
	for (size_t j = 0; j < k; j++)
		free((char *)puts[j].val);
	return done;
}

static int load_cluster(const struct cli *cli, const struct state *st,
			const struct topology *t, const struct load_svc *v,
			size_t n, size_t c)
{
	const char *cname = t->clusters[c].name;
	struct etcd_kv *kvs = NULL;
	size_t n_kvs = 0, todo = 0, done;
	char err[512];
	struct etcd *e;
	int ret;

	for (size_t i = 0; i < n; i++)
		todo += v[i].cluster == c;
	if (!todo)
		return 0;
	e = etcd_cluster_client(st, t, c, err, sizeof(err));
	if (!e) {
		log_err("cluster %s: %s", cname, err);
		return 1;
	}
	ret = etcd_range_prefix(e, SVC_ROOT, &kvs, &n_kvs, NULL);
	if (ret)
		log_err("cluster %s: etcd: %s", cname, etcd_error(e));
	else
		ret = check_cluster(v, n, c, kvs, n_kvs);
	etcd_kvs_free(kvs, n_kvs);
	if (ret) {
		if (ret == -ENOMEM)
			log_err("service load: out of memory");
		etcd_close(e);
		return 1;
	}
	done = write_cluster(e, v, n, c, &ret);
	if (ret)
		log_err("cluster %s: %zu of %zu services created, then: %s", cname,
			done, todo, ret == -ENOMEM ? "out of memory" : etcd_error(e));
	else if (!cli->quiet && !cli->json)
		printf("%zu services created in cluster %s\n", done, cname);
	etcd_close(e);
	return ret ? 1 : 0;
}

int service_load_cmd(const struct cli *cli, const struct state *st,
		     const struct topology *t, const char *file,
		     const char *cluster)
{
	struct load_svc *v = NULL;
	const cJSON *arr;
	cJSON *doc;
	size_t len, n = 0;
	char *buf = read_input(file, &len);
	int ret = 1;

	if (!buf)
		return 1;
	if (cluster && !topology_cluster(t, cluster)) {
		log_err("--cluster %s: no such cluster", cluster);
		free(buf);
		return 1;
	}
	doc = cJSON_ParseWithLength(buf, len);
	free(buf);
	arr = cJSON_IsArray(doc) ? doc : field(doc, "services");
	if (!cJSON_IsArray(arr)) {
		log_err("service load: %s: expected {\"services\": [...]} or a JSON array (as 'knetsim service list -j' prints)",
			file);
		goto out;
	}
	if (parse_entries(t, file, arr, cluster, &v, &n))
		goto out;
	ret = 0;
	for (size_t c = 0; c < t->n_clusters && !ret; c++)
		ret = load_cluster(cli, st, t, v, n, c);
	if (!n && !cli->quiet && !cli->json)
		printf("no services in %s\n", file);
out:
	free(v);
	cJSON_Delete(doc);
	return ret;
}
