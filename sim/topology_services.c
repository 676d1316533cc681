// SPDX-License-Identifier: MIT
/* clusters[].services of a topology: each entry becomes the Service object
 * `knetsim service add` would write and goes through the same parser, then
 * the same VIP, conflict and pod-name rules, against the topology. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services_store.h"
#include "topology_priv.h"

static const char *const service_keys[] = {
	"name", "vip", "ports", "selector", "pods", "algorithm", NULL };
static const char *const port_keys[] = {
	"port", "targetPort", "protocol", NULL };

static bool is_key(const char *k, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

static int unknown_keys(struct topo_ctx *c, const struct doc_node *m,
			const char *path, const char *const *keys,
			const char *list)
{
	for (size_t k = 0; k < m->n; k++)
		if (!is_key(m->keys[k]->scalar, keys))
			return topo_fail(c, m->keys[k]->line, path,
					 "unknown field \"%s\" (expected one of %s)",
					 m->keys[k]->scalar, list);
	return 0;
}

/* A scalar as JSON: digits become a number, anything else a string. */
static cJSON *scalar(const struct doc_node *v, bool upper)
{
	char buf[64];
	const char *s = v->scalar;
	size_t n = strlen(s);

	if (!v->quoted && n && n < 10 && strspn(s, "0123456789") == n)
		return cJSON_CreateNumber(strtod(s, NULL));
	if (upper && n < sizeof(buf)) {
		for (size_t i = 0; i <= n; i++)
			buf[i] = (char)toupper((unsigned char)s[i]);
		return cJSON_CreateString(buf);
	}
	return cJSON_CreateString(s);
}

static cJSON *convert(const struct doc_node *v, bool upper)
{
	cJSON *o;

	if (!v || doc_is_null(v))
		return cJSON_CreateNull();
	if (v->type == DOC_SCALAR)
		return scalar(v, upper);
	o = v->type == DOC_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
	for (size_t i = 0; o && i < v->n; i++) {
		cJSON *x = convert(v->items[i], false);

		if (v->type == DOC_SEQ)
			cJSON_AddItemToArray(o, x);
		else
			cJSON_AddItemToObject(o, v->keys[i]->scalar, x);
	}
	return o;
}

/* The service entry as an object; protocols upper-cased (tcp -> TCP). */
static char *to_object(const struct doc_node *m)
{
	cJSON *o = cJSON_CreateObject(), *meta, *spec, *ports, *p;
	const struct doc_node *v;
	char *out;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Service");
	meta = cJSON_AddObjectToObject(o, "metadata");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (meta && (v = doc_get(m, "name")))
		cJSON_AddItemToObject(meta, "name", convert(v, false));
	if (meta)
		cJSON_AddStringToObject(meta, "namespace", SVC_NAMESPACE);
	if (spec && (v = doc_get(m, "vip")))
		cJSON_AddItemToObject(spec, "clusterIP", convert(v, false));
	if (spec && (v = doc_get(m, "ports"))) {
		ports = convert(v, false);
		cJSON_ArrayForEach(p, ports) {
			cJSON *proto = cJSON_GetObjectItemCaseSensitive(p, "protocol");

			if (cJSON_IsString(proto))
				for (char *s = proto->valuestring; *s; s++)
					*s = (char)toupper((unsigned char)*s);
		}
		cJSON_AddItemToObject(spec, "ports", ports);
	}
	if (spec && (v = doc_get(m, "selector")))
		cJSON_AddItemToObject(spec, "selector", convert(v, false));
	if (spec && (v = doc_get(m, "pods")))
		cJSON_AddItemToObject(spec, "pods", convert(v, false));
	if (spec && (v = doc_get(m, "algorithm")))
		cJSON_AddItemToObject(spec, "algorithm", convert(v, false));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static int decode_service(struct topo_ctx *c, const struct doc_node *m,
			  const char *path, size_t ci)
{
	struct topo_service *s = &c->t->services[c->t->n_services];
	const struct doc_node *ports;
	char err[256], *json;
	int ret;

	if (m->type != DOC_MAP || doc_is_null(m))
		return topo_fail(c, m->line, path, "expected a map of name, vip, ports, selector or pods, algorithm");
	if (unknown_keys(c, m, path, service_keys,
			 "name, vip, ports, selector, pods, algorithm"))
		return -1;
	ports = doc_get(m, "ports");
	for (size_t i = 0; ports && ports->type == DOC_SEQ && i < ports->n; i++)
		if (ports->items[i]->type == DOC_MAP &&
		    unknown_keys(c, ports->items[i], path, port_keys,
				 "port, targetPort, protocol"))
			return -1;
	json = to_object(m);
	if (!json)
		return topo_fail(c, m->line, path, "out of memory");
	memset(s, 0, sizeof(*s));
	ret = svc_parse(json, strlen(json), &s->spec, err, sizeof(err));
	free(json);
	if (ret) {
		/* Field names of the object -> those of the topology. */
		const char *msg = err;

		if (!strncmp(msg, "metadata.", 9))
			msg += 9;
		else if (!strncmp(msg, "spec.clusterIP", 14))
			return topo_fail(c, m->line, path, "vip%s", msg + 14);
		else if (!strncmp(msg, "spec.", 5))
			msg += 5;
		return topo_fail(c, m->line, path, "%s", msg);
	}
	s->cluster = ci;
	s->line = m->line;
	return 0;
}

int topo_decode_services(struct topo_ctx *c, const struct doc_node *m,
			 const char *cpath, size_t ci)
{
	const struct doc_node *seq = doc_get(m, "services");
	struct topology *t = c->t;
	struct topo_service *tmp;
	char path[TOPO_PATH_MAX];

	if (!seq || doc_is_null(seq))
		return 0;
	snprintf(path, sizeof(path), "%s.services", cpath);
	if (seq->type != DOC_SEQ)
		return topo_fail(c, seq->line, path, "expected a list of services");
	if (!seq->n)
		return 0;
	tmp = realloc(t->services, (t->n_services + seq->n) * sizeof(*tmp));
	if (!tmp)
		return topo_fail(c, seq->line, path, "out of memory");
	t->services = tmp;
	for (size_t j = 0; j < seq->n; j++) {
		char item[TOPO_PATH_MAX + 32];

		snprintf(item, sizeof(item), "%s[%zu]", path, j);
		if (decode_service(c, seq->items[j], item, ci))
			return -1;
		t->n_services++;
	}
	return 0;
}

static int check_service(struct topo_ctx *c, size_t i)
{
	const struct topology *t = c->t;
	const struct topo_service *s = &t->services[i];
	const char *cl = t->clusters[s->cluster].name;
	char path[64], err[256];

	snprintf(path, sizeof(path), "clusters[%zu].services", s->cluster);
	if (service_vip_check(t, s->cluster, s->spec.vip, err, sizeof(err)))
		return topo_fail(c, s->line, path, "%s: %s", s->spec.name, err);
	for (size_t j = 0; s->spec.by_name && j < s->spec.n_pods; j++)
		if (!topology_pod(t, cl, s->spec.pods[j]))
			return topo_fail(c, s->line, path,
					 "%s: no pod named \"%s\" in cluster %s",
					 s->spec.name, s->spec.pods[j], cl);
	for (size_t j = 0; j < i; j++) {
		const struct topo_service *o = &t->services[j];

		if (o->cluster != s->cluster)
			continue;
		if (!strcmp(o->spec.name, s->spec.name))
			return topo_fail(c, s->line, path,
					 "service \"%s\" is declared twice (first on line %d)",
					 s->spec.name, o->line);
		if (service_conflict(&s->spec, &o->spec, err, sizeof(err)))
			return topo_fail(c, s->line, path, "%s: %s", s->spec.name, err);
	}
	return 0;
}

int topo_check_services(struct topo_ctx *c)
{
	for (size_t i = 0; i < c->t->n_services; i++)
		if (check_service(c, i))
			return -1;
	return 0;
}

/* The topology's own form: name, vip, ports, selector or pods, algorithm. */
static cJSON *service_entry(const struct svc_spec *s)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char ip[IP4_STRLEN];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "vip", ip4_format(s->vip, ip));
	if (s->n_ports) {
		a = cJSON_AddArrayToObject(o, "ports");
		for (size_t i = 0; a && i < s->n_ports; i++) {
			cJSON *p = cJSON_CreateObject();

			if (!p || !cJSON_AddItemToArray(a, p)) {
				cJSON_Delete(p);
				cJSON_Delete(o);
				return NULL;
			}
			cJSON_AddNumberToObject(p, "port", s->ports[i].port);
			cJSON_AddNumberToObject(p, "targetPort", s->ports[i].target_port);
			cJSON_AddStringToObject(p, "protocol",
						svc_proto_name(s->ports[i].proto));
		}
	}
	if (s->by_name) {
		a = cJSON_AddArrayToObject(o, "pods");
		for (size_t i = 0; a && i < s->n_pods; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(s->pods[i]));
	} else {
		a = cJSON_AddObjectToObject(o, "selector");
		for (size_t i = 0; a && i < s->n_selector; i++)
			cJSON_AddStringToObject(a, s->selector[i].key,
						s->selector[i].value);
	}
	cJSON_AddStringToObject(o, "algorithm",
				s->algo == PROXY_ALGO_MAGLEV ? "maglev" : "random");
	return o;
}

bool topo_json_services(cJSON *cl, const struct topology *t, size_t ci)
{
	cJSON *list = NULL;

	for (size_t i = 0; i < t->n_services; i++) {
		cJSON *o;

		if (t->services[i].cluster != ci)
			continue;
		if (!list && !(list = cJSON_AddArrayToObject(cl, "services")))
			return false;
		o = service_entry(&t->services[i].spec);
		if (!o || !cJSON_AddItemToArray(list, o)) {
			cJSON_Delete(o);
			return false;
		}
	}
	return true;
}
