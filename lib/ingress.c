// SPDX-License-Identifier: MIT
/* Ingress objects: parsing with every rule checked, the object written
 * back, keys, and the clashes between paths and between ingresses. */
#include "ingress.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CHARS "A-Za-z0-9-_."
#define NODE_CHARS "A-Za-z0-9-_"
#define PATH_PUNCT "-._~/!*+,:=@"
#define PATH_CHARS "A-Za-z0-9" PATH_PUNCT

static const char *const type_names[] = {
	[INGRESS_PATH_PREFIX] = "Prefix",
	[INGRESS_PATH_EXACT] = "Exact",
	[INGRESS_PATH_IMPL] = "ImplementationSpecific",
};

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

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static bool chars_ok(const char *s, size_t max, const char *punct)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr(punct, s[i]))
			return false;
	return true;
}

bool ingress_name_valid(const char *s)
{
	return chars_ok(s, INGRESS_NAME_MAX, "-_.");
}

static bool node_valid(const char *s)
{
	return chars_ok(s, INGRESS_NODE_MAX, "-_");
}

const char *ingress_path_type_name(enum ingress_path_type t)
{
	return (unsigned)t <= INGRESS_PATH_IMPL ? type_names[t] : "?";
}

int ingress_path_type_parse(const char *s, enum ingress_path_type *t)
{
	for (unsigned i = 0; i <= INGRESS_PATH_IMPL; i++)
		if (!strcmp(s, type_names[i])) {
			*t = (enum ingress_path_type)i;
			return 0;
		}
	return -EINVAL;
}

/* "" (the path's first segment is empty), ".", ".." or "//". */
static bool bad_segment(const char *seg, size_t len)
{
	return (len == 1 && seg[0] == '.') ||
	       (len == 2 && seg[0] == '.' && seg[1] == '.');
}

int ingress_path_check(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);
	const char *seg;

	if (!n)
		return fail(err, errlen, "empty (expected a path such as /svc1)");
	if (path[0] != '/')
		return fail(err, errlen, "\"%.64s\" does not start with '/' "
			    "(expected a path such as /%.64s)", path, path);
	if (n > INGRESS_PATH_MAX)
		return fail(err, errlen, "%zu bytes long (expected at most %d)",
			    n, INGRESS_PATH_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)path[i];

		if (is_alnum((char)ch) || strchr(PATH_PUNCT, ch))
			continue;
		if (ch >= ' ' && ch < 0x7f)
			return fail(err, errlen, "\"%.64s\" has an invalid "
				    "character '%c' (expected only " PATH_CHARS
				    ")", path, ch);
		return fail(err, errlen, "has an invalid character 0x%02x "
			    "(expected only " PATH_CHARS ")", ch);
	}
	for (seg = path + 1;; ) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);

		if ((end && !len) || bad_segment(seg, len))
			return fail(err, errlen, "\"%.64s\" is not a normalised "
				    "path (no \"//\", \".\" or \"..\" segment: "
				    "nginx matches normalised URIs)", path);
		if (!end)
			break;
		seg = end + 1;
	}
	return 0;
}

size_t ingress_path_locations(const struct ingress_path *p,
			      struct ingress_location out[2])
{
	size_t n = strnlen(p->path, INGRESS_PATH_MAX);

	memset(out, 0, 2 * sizeof(*out));
	if (p->type == INGRESS_PATH_EXACT || p->type == INGRESS_PATH_IMPL) {
		out[0].exact = p->type == INGRESS_PATH_EXACT;
		memcpy(out[0].uri, p->path, n);
		return 1;
	}
	/* Prefix: whole segments, a trailing '/' ignored. */
	if (n > 1 && p->path[n - 1] == '/')
		n--;
	if (n == 1) {
		out[0].uri[0] = '/';
		return 1;
	}
	out[0].exact = true;
	memcpy(out[0].uri, p->path, n);
	memcpy(out[1].uri, p->path, n);
	out[1].uri[n] = '/';
	return 2;
}

bool ingress_paths_clash(const struct ingress_path *a,
			 const struct ingress_path *b)
{
	struct ingress_location x[2], y[2];
	size_t nx = ingress_path_locations(a, x);
	size_t ny = ingress_path_locations(b, y);

	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			if (x[i].exact == y[j].exact && !strcmp(x[i].uri, y[j].uri))
				return true;
	return false;
}

/* Field names: "spec.rules[R].http.paths[P].KEY" for a parsed object,
 * "paths[K].KEY" for a spec built by hand. */
struct where {
	const int *rule, *index;   /* NULL: by hand */
};

static void field(const struct where *w, size_t k, const char *key,
		  char *buf, size_t len)
{
	if (w->rule)
		snprintf(buf, len, "spec.rules[%d].http.paths[%d]%s%s",
			 w->rule[k], w->index[k], *key ? "." : "", key);
	else
		snprintf(buf, len, "paths[%zu]%s%s", k, *key ? "." : "", key);
}

static int check_path(const struct ingress_path *p, const struct where *w,
		      size_t k, char *err, size_t errlen)
{
	char f[96], why[256];

	if (ingress_path_check(p->path, why, sizeof(why))) {
		field(w, k, "path", f, sizeof(f));
		return fail(err, errlen, "%s: %s", f, why);
	}
	if ((unsigned)p->type > INGRESS_PATH_IMPL) {
		field(w, k, "pathType", f, sizeof(f));
		return fail(err, errlen, "%s: expected Prefix, Exact or "
			    "ImplementationSpecific", f);
	}
	if (!ingress_name_valid(p->service)) {
		field(w, k, w->rule ? "backend.service.name" : "service", f,
		      sizeof(f));
		return fail(err, errlen, "%s: expected a service name of 1 to "
			    "%d of [" NAME_CHARS "]", f, INGRESS_NAME_MAX);
	}
	if (!p->port) {
		field(w, k, w->rule ? "backend.service.port.number" : "port",
		      f, sizeof(f));
		return fail(err, errlen, "%s: expected a port from 1 to 65535", f);
	}
	return 0;
}

static int check_paths(const struct ingress_spec *s, const struct where *w,
		       char *err, size_t errlen)
{
	char f[96], g[96];

	if (!s->n_paths)
		return fail(err, errlen, "%s: no path (expected at least one "
			    "path to a service)", w->rule ? "spec.rules" : "paths");
	for (size_t k = 0; k < s->n_paths; k++) {
		if (check_path(&s->paths[k], w, k, err, errlen))
			return -EINVAL;
		for (size_t j = 0; j < k; j++) {
			if (!ingress_paths_clash(&s->paths[j], &s->paths[k]))
				continue;
			field(w, k, "path", f, sizeof(f));
			field(w, j, "", g, sizeof(g));
			return fail(err, errlen, "%s: duplicate path \"%s\" "
				    "(%s already routes it as %s)", f,
				    s->paths[k].path, g,
				    ingress_path_type_name(s->paths[j].type));
		}
	}
	return 0;
}

static int check_head(const struct ingress_spec *s, char *err, size_t errlen)
{
	if (!ingress_name_valid(s->name))
		return fail(err, errlen, "metadata.name: expected a name of 1 "
			    "to %d of [" NAME_CHARS "]", INGRESS_NAME_MAX);
	if (!ingress_name_valid(s->ns))
		return fail(err, errlen, "metadata.namespace: expected a name "
			    "of 1 to %d of [" NAME_CHARS "]", INGRESS_NAME_MAX);
	if (!node_valid(s->node))
		return fail(err, errlen, "spec.nodeName: expected a worker's "
			    "name (1 to %d of [" NODE_CHARS "])",
			    INGRESS_NODE_MAX);
	if (!s->port)
		return fail(err, errlen, "spec.port: expected a port from 1 to "
			    "65535");
	if (s->n_paths > INGRESS_PATHS_MAX)
		return fail(err, errlen, "spec.rules: %zu paths (expected at "
			    "most %d)", s->n_paths, INGRESS_PATHS_MAX);
	return 0;
}

int ingress_validate(const struct ingress_spec *s, char *err, size_t errlen)
{
	const struct where w = { 0 };

	return check_head(s, err, errlen) ? -EINVAL :
	       check_paths(s, &w, err, errlen);
}

/* ---- parsing ---- */

static int get_port(const cJSON *v, const char *what, uint16_t *out,
		    char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	    v->valuedouble < 1 || v->valuedouble > 65535)
		return fail(err, errlen, "%s: expected an integer from 1 to 65535",
			    what);
	*out = (uint16_t)v->valuedouble;
	return 0;
}

static int get_name(const cJSON *v, const char *what, bool node, char *out,
		    size_t len, char *err, size_t errlen)
{
	if (!cJSON_IsString(v) ||
	    !(node ? node_valid(v->valuestring) : ingress_name_valid(v->valuestring)))
		return fail(err, errlen, "%s: expected a name of 1 to %d of [%s]",
			    what, node ? INGRESS_NODE_MAX : INGRESS_NAME_MAX,
			    node ? NODE_CHARS : NAME_CHARS);
	snprintf(out, len, "%s", v->valuestring);
	return 0;
}

static int parse_backend(const cJSON *b, const char *f, struct ingress_path *p,
			 char *err, size_t errlen)
{
	const cJSON *svc = item(b, "service"), *port;
	char what[160];

	if (!cJSON_IsObject(b))
		return fail(err, errlen, "%s.backend: expected an object with "
			    "a service", f);
	if (item(b, "resource"))
		return fail(err, errlen, "%s.backend.resource: not supported "
			    "(expected a service)", f);
	if (!cJSON_IsObject(svc))
		return fail(err, errlen, "%s.backend.service: expected an "
			    "object of name and port", f);
	snprintf(what, sizeof(what), "%s.backend.service.name", f);
	if (get_name(item(svc, "name"), what, false, p->service,
		     sizeof(p->service), err, errlen))
		return -EINVAL;
	port = item(svc, "port");
	if (cJSON_IsObject(port) && item(port, "name") && !item(port, "number"))
		return fail(err, errlen, "%s.backend.service.port.name: not "
			    "supported (expected port.number)", f);
	snprintf(what, sizeof(what), "%s.backend.service.port.number", f);
	return get_port(cJSON_IsObject(port) ? item(port, "number") : NULL,
			what, &p->port, err, errlen);
}

static int parse_path(const cJSON *o, int r, int j, struct ingress_path *p,
		      char *err, size_t errlen)
{
	const cJSON *v;
	char f[64];

	snprintf(f, sizeof(f), "spec.rules[%d].http.paths[%d]", r, j);
	if (!cJSON_IsObject(o))
		return fail(err, errlen, "%s: expected an object of path, "
			    "pathType, backend", f);
	v = item(o, "path");
	if (!cJSON_IsString(v))
		return fail(err, errlen, "%s.path: expected a string such as "
			    "/svc1", f);
	if (strlen(v->valuestring) > INGRESS_PATH_MAX)
		return fail(err, errlen, "%s.path: %zu bytes long (expected at "
			    "most %d)", f, strlen(v->valuestring),
			    INGRESS_PATH_MAX);
	snprintf(p->path, sizeof(p->path), "%s", v->valuestring);
	v = item(o, "pathType");
	p->type = INGRESS_PATH_PREFIX;
	if (v && (!cJSON_IsString(v) ||
		  ingress_path_type_parse(v->valuestring, &p->type)))
		return fail(err, errlen, "%s.pathType: expected Prefix, Exact "
			    "or ImplementationSpecific", f);
	return parse_backend(item(o, "backend"), f, p, err, errlen);
}

static int parse_rules(const cJSON *rules, struct ingress_spec *s,
		       int *rule_of, int *index_of, char *err, size_t errlen)
{
	const cJSON *r, *paths, *p;
	int ri = 0;

	if (!cJSON_IsArray(rules) || !cJSON_GetArraySize(rules))
		return fail(err, errlen, "spec.rules: expected a non-empty array "
			    "of rules with http.paths");
	cJSON_ArrayForEach(r, rules) {
		int pi = 0;

		if (!cJSON_IsObject(r))
			return fail(err, errlen, "spec.rules[%d]: expected an "
				    "object with http.paths", ri);
		if (item(r, "host"))
			return fail(err, errlen, "spec.rules[%d].host: not "
				    "supported (knetsim ingresses route by "
				    "path only)", ri);
		paths = item(item(r, "http"), "paths");
		if (!cJSON_IsArray(paths) || !cJSON_GetArraySize(paths))
			return fail(err, errlen, "spec.rules[%d].http.paths: "
				    "expected a non-empty array", ri);
		cJSON_ArrayForEach(p, paths) {
			if (s->n_paths == INGRESS_PATHS_MAX)
				return fail(err, errlen, "spec.rules: more than "
					    "%d paths", INGRESS_PATHS_MAX);
			if (parse_path(p, ri, pi, &s->paths[s->n_paths], err,
				       errlen))
				return -EINVAL;
			rule_of[s->n_paths] = ri;
			index_of[s->n_paths++] = pi++;
		}
		ri++;
	}
	return 0;
}

static int parse_spec(const cJSON *spec, struct ingress_spec *s, char *err,
		      size_t errlen)
{
	int rule_of[INGRESS_PATHS_MAX], index_of[INGRESS_PATHS_MAX];
	const struct where w = { rule_of, index_of };

	if (!cJSON_IsObject(spec))
		return fail(err, errlen, "spec: expected an object");
	if (item(spec, "defaultBackend"))
		return fail(err, errlen, "spec.defaultBackend: not supported "
			    "(expected paths only; add a Prefix path \"/\")");
	if (item(spec, "tls"))
		return fail(err, errlen, "spec.tls: not supported");
	if (get_name(item(spec, "nodeName"), "spec.nodeName", true, s->node,
		     sizeof(s->node), err, errlen) ||
	    get_port(item(spec, "port"), "spec.port", &s->port, err, errlen) ||
	    parse_rules(item(spec, "rules"), s, rule_of, index_of, err, errlen))
		return -EINVAL;
	return check_paths(s, &w, err, errlen);
}

static int parse_meta(const cJSON *m, struct ingress_spec *s, char *err,
		      size_t errlen)
{
	const cJSON *ns;

	if (!cJSON_IsObject(m))
		return fail(err, errlen, "metadata: expected an object");
	if (get_name(item(m, "name"), "metadata.name", false, s->name,
		     sizeof(s->name), err, errlen))
		return -EINVAL;
	ns = item(m, "namespace");
	if (!ns) {
		snprintf(s->ns, sizeof(s->ns), INGRESS_NAMESPACE);
		return 0;
	}
	return get_name(ns, "metadata.namespace", false, s->ns, sizeof(s->ns),
			err, errlen);
}

int ingress_parse(const char *json, size_t len, struct ingress_spec *s,
		  char *err, size_t errlen)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *v;
	int ret = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(o)) {
		fail(err, errlen, "not a JSON object");
		goto out;
	}
	v = item(o, "apiVersion");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, INGRESS_API_VERSION)) {
		fail(err, errlen, "apiVersion: expected \"" INGRESS_API_VERSION "\"");
		goto out;
	}
	v = item(o, "kind");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "Ingress")) {
		fail(err, errlen, "kind: expected \"Ingress\"");
		goto out;
	}
	if (parse_meta(item(o, "metadata"), s, err, errlen) ||
	    parse_spec(item(o, "spec"), s, err, errlen))
		goto out;
	ret = 0;
out:
	cJSON_Delete(o);
	return ret;
}

/* ---- writing ---- */

static cJSON *path_object(const struct ingress_path *p)
{
	cJSON *o = cJSON_CreateObject(), *svc, *port;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "path", p->path);
	cJSON_AddStringToObject(o, "pathType", ingress_path_type_name(p->type));
	svc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "backend"),
				      "service");
	port = cJSON_AddObjectToObject(svc, "port");
	if (!svc || !port || !cJSON_AddStringToObject(svc, "name", p->service) ||
	    !cJSON_AddNumberToObject(port, "number", p->port)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *ingress_to_json(const struct ingress_spec *s)
{
	cJSON *o = cJSON_CreateObject(), *m, *spec, *rule, *paths, *x;
	char *out = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "apiVersion", INGRESS_API_VERSION);
	cJSON_AddStringToObject(o, "kind", "Ingress");
	m = cJSON_AddObjectToObject(o, "metadata");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (!m || !spec)
		goto out;
	cJSON_AddStringToObject(m, "name", s->name);
	cJSON_AddStringToObject(m, "namespace", s->ns[0] ? s->ns : INGRESS_NAMESPACE);
	cJSON_AddStringToObject(spec, "nodeName", s->node);
	cJSON_AddNumberToObject(spec, "port", s->port);
	rule = cJSON_CreateObject();
	if (!rule || !cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "rules"),
					   rule)) {
		cJSON_Delete(rule);
		goto out;
	}
	paths = cJSON_AddArrayToObject(cJSON_AddObjectToObject(rule, "http"),
				       "paths");
	if (!paths)
		goto out;
	for (size_t i = 0; i < s->n_paths; i++) {
		x = path_object(&s->paths[i]);
		if (!x || !cJSON_AddItemToArray(paths, x)) {
			cJSON_Delete(x);
			goto out;
		}
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

/* ---- keys and clashes ---- */

int ingress_key(const char *ns, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, INGRESS_PREFIX "%s/%s", ns, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ingress_key_parse(const char *key, char *ns, char *name)
{
	const char *rest, *slash;

	if (strncmp(key, INGRESS_PREFIX, strlen(INGRESS_PREFIX)))
		return -EINVAL;
	rest = key + strlen(INGRESS_PREFIX);
	slash = strchr(rest, '/');
	if (!slash || slash == rest || slash - rest > INGRESS_NAME_MAX ||
	    !slash[1] || strchr(slash + 1, '/') ||
	    strlen(slash + 1) > INGRESS_NAME_MAX)
		return -EINVAL;
	snprintf(ns, INGRESS_NAME_MAX + 1, "%.*s", (int)(slash - rest), rest);
	snprintf(name, INGRESS_NAME_MAX + 1, "%s", slash + 1);
	return 0;
}

int ingress_conflict(const struct ingress_spec *s, const struct ingress_spec *o,
		     char *err, size_t errlen)
{
	if (!strcmp(s->ns, o->ns) && !strcmp(s->name, o->name))
		return 0;
	if (s->port != o->port || strcmp(s->node, o->node))
		return 0;
	fail(err, errlen, "port %u on %s is already used by ingress %s/%s",
	     s->port, s->node, o->ns, o->name);
	return -EEXIST;
}
