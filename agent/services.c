// SPDX-License-Identifier: MIT
/* Service objects, pod fields, backends computed from pods, and the store
 * that turns etcd changes into the services to update. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "services.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const cJSON *item(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A DNS-label-like name: [a-z0-9-.], 1..63 bytes. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > PROXY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static bool valid_label_part(const char *s, bool key)
{
	size_t n = strlen(s);

	if (!n || n > SVC_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.' || (key && s[i] == '/')))
			return false;
	return true;
}

static int parse_labels(const cJSON *o, const char *what,
			struct svc_label *l, size_t *n, char *err,
			size_t errlen)
{
	const cJSON *v;

	*n = 0;
	if (!o)
		return 0;
	if (!cJSON_IsObject(o))
		return fail(err, errlen, "%s: expected an object", what);
	cJSON_ArrayForEach(v, o) {
		if (*n == SVC_LABELS_MAX)
			return fail(err, errlen, "%s: at most %d labels", what,
				    SVC_LABELS_MAX);
		if (!valid_label_part(v->string, true))
			return fail(err, errlen, "%s: bad key \"%s\"", what,
				    v->string);
		if (!cJSON_IsString(v) || !valid_label_part(v->valuestring, false))
			return fail(err, errlen, "%s.%s: expected a value of 1 to 63 of [A-Za-z0-9_.-]",
				    what, v->string);
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(l[i].key, v->string))
				return fail(err, errlen, "%s: key \"%s\" twice",
					    what, v->string);
		snprintf(l[*n].key, sizeof(l[*n].key), "%s", v->string);
		snprintf(l[*n].value, sizeof(l[*n].value), "%s", v->valuestring);
		(*n)++;
	}
	return 0;
}

int svc_proto_parse(const char *s, uint8_t *proto)
{
	if (!strcasecmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

const char *svc_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "UDP" : "TCP";
}

static int parse_port_number(const cJSON *v, const char *what, size_t i,
			     uint16_t *out, char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	    v->valuedouble < 1 || v->valuedouble > 65535)
		return fail(err, errlen, "spec.ports[%zu].%s: expected an integer from 1 to 65535",
			    i, what);
	*out = (uint16_t)v->valuedouble;
	return 0;
}

static int parse_ports(const cJSON *a, struct svc_spec *s, char *err,
		       size_t errlen)
{
	const cJSON *p, *v;
	size_t i = 0;

	s->n_ports = 0;
	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return fail(err, errlen, "spec.ports: expected an array");
	cJSON_ArrayForEach(p, a) {
		struct proxy_port *pp = &s->ports[s->n_ports];

		if (s->n_ports == PROXY_PORTS_MAX)
			return fail(err, errlen, "spec.ports: at most %d ports",
				    PROXY_PORTS_MAX);
		if (!cJSON_IsObject(p))
			return fail(err, errlen, "spec.ports[%zu]: expected an object", i);
		v = item(p, "name");
		if (v && !(cJSON_IsString(v) && valid_name(v->valuestring)))
			return fail(err, errlen, "spec.ports[%zu].name: expected a name", i);
		if (parse_port_number(item(p, "port"), "port", i, &pp->port, err, errlen))
			return -EINVAL;
		v = item(p, "targetPort");
		if (!v)
			pp->target_port = pp->port;
		else if (parse_port_number(v, "targetPort", i, &pp->target_port,
					   err, errlen))
			return -EINVAL;
		v = item(p, "protocol");
		pp->proto = IPPROTO_TCP;
		if (v && (!cJSON_IsString(v) ||
			  (strcmp(v->valuestring, "TCP") && strcmp(v->valuestring, "UDP"))))
			return fail(err, errlen, "spec.ports[%zu].protocol: expected TCP or UDP", i);
		if (v && !strcmp(v->valuestring, "UDP"))
			pp->proto = IPPROTO_UDP;
		for (size_t j = 0; j < s->n_ports; j++)
			if (s->ports[j].port == pp->port && s->ports[j].proto == pp->proto)
				return fail(err, errlen, "spec.ports[%zu]: port %u/%s twice",
					    i, pp->port, svc_proto_name(pp->proto));
		s->n_ports++;
		i++;
	}
	return 0;
}

static int parse_pods(const cJSON *a, struct svc_spec *s, char *err,
		      size_t errlen)
{
	const cJSON *v;

	if (!cJSON_IsArray(a))
		return fail(err, errlen, "spec.pods: expected an array of pod names");
	cJSON_ArrayForEach(v, a) {
		if (s->n_pods == SVC_PODS_MAX)
			return fail(err, errlen, "spec.pods: at most %d pods", SVC_PODS_MAX);
		if (!cJSON_IsString(v) || !valid_name(v->valuestring))
			return fail(err, errlen, "spec.pods[%zu]: expected a pod name", s->n_pods);
		for (size_t j = 0; j < s->n_pods; j++)
			if (!strcmp(s->pods[j], v->valuestring))
				return fail(err, errlen, "spec.pods: %s twice", v->valuestring);
		snprintf(s->pods[s->n_pods], sizeof(s->pods[0]), "%s", v->valuestring);
		s->n_pods++;
	}
	if (!s->n_pods)
		return fail(err, errlen, "spec.pods: empty");
	return 0;
}

static int parse_spec(const cJSON *spec, struct svc_spec *s, char *err,
		      size_t errlen)
{
	const cJSON *v, *sel, *pods;

	if (!cJSON_IsObject(spec))
		return fail(err, errlen, "spec: expected an object");
	v = item(spec, "clusterIP");
	if (!cJSON_IsString(v) || ip4_parse(v->valuestring, &s->vip))
		return fail(err, errlen, "spec.clusterIP: expected an IPv4 address");
	if (parse_ports(item(spec, "ports"), s, err, errlen))
		return -EINVAL;
	sel = item(spec, "selector");
	pods = item(spec, "pods");
	if (!!sel == !!pods)
		return fail(err, errlen, "spec: expected exactly one of selector and pods");
	if (sel) {
		if (parse_labels(sel, "spec.selector", s->selector, &s->n_selector,
				 err, errlen))
			return -EINVAL;
		if (!s->n_selector)
			return fail(err, errlen, "spec.selector: empty");
	} else {
		s->by_name = true;
		if (parse_pods(pods, s, err, errlen))
			return -EINVAL;
	}
	v = item(spec, "algorithm");
	s->algo = PROXY_ALGO_RANDOM;
	if (v && (!cJSON_IsString(v) ||
		  (strcmp(v->valuestring, "random") && strcmp(v->valuestring, "maglev"))))
		return fail(err, errlen, "spec.algorithm: expected random or maglev");
	if (v && !strcmp(v->valuestring, "maglev"))
		s->algo = PROXY_ALGO_MAGLEV;
	return 0;
}

static int parse_meta(const cJSON *m, char *ns, char *name, struct svc_label *l,
		      size_t *n, char *err, size_t errlen)
{
	const cJSON *v;

	if (!cJSON_IsObject(m))
		return fail(err, errlen, "metadata: expected an object");
	v = item(m, "name");
	if (!cJSON_IsString(v) || !valid_name(v->valuestring))
		return fail(err, errlen, "metadata.name: expected a name of 1 to 63 of [A-Za-z0-9_.-]");
	snprintf(name, PROXY_NAME_MAX + 1, "%s", v->valuestring);
	v = item(m, "namespace");
	if (v && (!cJSON_IsString(v) || !valid_name(v->valuestring)))
		return fail(err, errlen, "metadata.namespace: expected a name");
	snprintf(ns, PROXY_NAME_MAX + 1, "%s", v ? v->valuestring : SVC_NAMESPACE);
	return parse_labels(item(m, "labels"), "metadata.labels", l, n, err, errlen);
}

int svc_parse(const char *json, size_t len, struct svc_spec *s, char *err,
	      size_t errlen)
{
	struct svc_label labels[SVC_LABELS_MAX];
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *v;
	size_t n;
	int ret = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(o)) {
		fail(err, errlen, "not a JSON object");
		goto out;
	}
	v = item(o, "apiVersion");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "v1")) {
		fail(err, errlen, "apiVersion: expected \"v1\"");
		goto out;
	}
	v = item(o, "kind");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "Service")) {
		fail(err, errlen, "kind: expected \"Service\"");
		goto out;
	}
	if (parse_meta(item(o, "metadata"), s->ns, s->name, labels, &n, err, errlen) ||
	    parse_spec(item(o, "spec"), s, err, errlen))
		goto out;
	ret = 0;
out:
	cJSON_Delete(o);
	return ret;
}

int svc_pod_parse(const char *json, size_t len, struct svc_pod *p, char *err,
		  size_t errlen)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *v;
	int ret = -EINVAL;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(o)) {
		fail(err, errlen, "not a JSON object");
		goto out;
	}
	if (parse_meta(item(o, "metadata"), p->ns, p->name, p->labels,
		       &p->n_labels, err, errlen))
		goto out;
	v = item(item(o, "status"), "podIP");
	if (v && (!cJSON_IsString(v) || ip4_parse(v->valuestring, &p->ip))) {
		fail(err, errlen, "status.podIP: expected an IPv4 address");
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(o);
	return ret;
}

char *svc_to_json(const struct svc_spec *s)
{
	cJSON *o = cJSON_CreateObject(), *m, *spec, *a, *x;
	char ip[IP4_STRLEN], *out = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Service");
	m = cJSON_AddObjectToObject(o, "metadata");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (!m || !spec)
		goto out;
	cJSON_AddStringToObject(m, "name", s->name);
	cJSON_AddStringToObject(m, "namespace", s->ns[0] ? s->ns : SVC_NAMESPACE);
	cJSON_AddStringToObject(spec, "clusterIP", ip4_format(s->vip, ip));
	if (s->n_ports) {
		a = cJSON_AddArrayToObject(spec, "ports");
		for (size_t i = 0; a && i < s->n_ports; i++) {
			x = cJSON_CreateObject();
			if (!x || !cJSON_AddItemToArray(a, x))
				goto fail_item;
			cJSON_AddNumberToObject(x, "port", s->ports[i].port);
			cJSON_AddNumberToObject(x, "targetPort", s->ports[i].target_port);
			cJSON_AddStringToObject(x, "protocol",
						svc_proto_name(s->ports[i].proto));
		}
	}
	if (s->by_name) {
		a = cJSON_AddArrayToObject(spec, "pods");
		for (size_t i = 0; a && i < s->n_pods; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(s->pods[i]));
	} else {
		a = cJSON_AddObjectToObject(spec, "selector");
		for (size_t i = 0; a && i < s->n_selector; i++)
			cJSON_AddStringToObject(a, s->selector[i].key,
						s->selector[i].value);
	}
	cJSON_AddStringToObject(spec, "algorithm",
				s->algo == PROXY_ALGO_MAGLEV ? "maglev" : "random");
	out = cJSON_PrintUnformatted(o);
	goto out;
fail_item:
	cJSON_Delete(x);
out:
	cJSON_Delete(o);
	return out;
}

int svc_key(const char *ns, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, SVC_PREFIX "%s/%s", ns, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int svc_key_parse(const char *key, char *kind, char *ns, char *name)
{
	const char *rest, *slash;

	if (!strncmp(key, SVC_PREFIX, strlen(SVC_PREFIX))) {
		*kind = 's';
		rest = key + strlen(SVC_PREFIX);
	} else if (!strncmp(key, SVC_POD_PREFIX, strlen(SVC_POD_PREFIX))) {
		*kind = 'p';
		rest = key + strlen(SVC_POD_PREFIX);
	} else {
		return -EINVAL;
	}
	slash = strchr(rest, '/');
	if (!slash || slash == rest || slash - rest > PROXY_NAME_MAX ||
	    !slash[1] || strchr(slash + 1, '/') || strlen(slash + 1) > PROXY_NAME_MAX)
		return -EINVAL;
	snprintf(ns, PROXY_NAME_MAX + 1, "%.*s", (int)(slash - rest), rest);
	snprintf(name, PROXY_NAME_MAX + 1, "%s", slash + 1);
	return 0;
}

static bool has_label(const struct svc_pod *p, const struct svc_label *l)
{
	for (size_t i = 0; i < p->n_labels; i++)
		if (!strcmp(p->labels[i].key, l->key) &&
		    !strcmp(p->labels[i].value, l->value))
			return true;
	return false;
}

bool svc_selects(const struct svc_spec *s, const struct svc_pod *p)
{
	if (strcmp(s->ns, p->ns))
		return false;
	if (s->by_name) {
		for (size_t i = 0; i < s->n_pods; i++)
			if (!strcmp(s->pods[i], p->name))
				return true;
		return false;
	}
	for (size_t i = 0; i < s->n_selector; i++)
		if (!has_label(p, &s->selector[i]))
			return false;
	return s->n_selector > 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void svc_compute(const struct svc_spec *s, const struct svc_pod *pods,
		 size_t n_pods, struct proxy_service *out)
{
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->ns, sizeof(out->ns), "%s", s->ns);
	snprintf(out->name, sizeof(out->name), "%s", s->name);
	out->vip = s->vip;
	memcpy(out->ports, s->ports, sizeof(out->ports));
	out->n_ports = s->n_ports;
	out->algo = s->algo;
	for (size_t i = 0; i < n_pods && n < PROXY_BACKENDS_MAX; i++)
		if (pods[i].ip && svc_selects(s, &pods[i]))
			out->backends[n++] = pods[i].ip;
	qsort(out->backends, n, sizeof(out->backends[0]), cmp_u32);
	out->n_backends = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || out->backends[i] != out->backends[out->n_backends - 1])
			out->backends[out->n_backends++] = out->backends[i];
}

bool svc_same(const struct proxy_service *a, const struct proxy_service *b)
{
	if (strcmp(a->ns, b->ns) || strcmp(a->name, b->name) || a->vip != b->vip ||
	    a->n_ports != b->n_ports || a->algo != b->algo ||
	    a->n_backends != b->n_backends)
		return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (a->ports[i].port != b->ports[i].port ||
		    a->ports[i].target_port != b->ports[i].target_port ||
		    a->ports[i].proto != b->ports[i].proto)
			return false;
	return !memcmp(a->backends, b->backends,
		       a->n_backends * sizeof(a->backends[0]));
}
