// SPDX-License-Identifier: MIT
/* Rendering one worker's ingresses as an nginx configuration. */
#include "nginx_ingress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define WORKER_CONNECTIONS 1024
/* Prefix characters that need no quoting care (ours: /run/knetsim/...). */
#define PREFIX_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.:-"

struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		size_t room = t->cap - t->len;
		char *tmp;

		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		tmp = realloc(t->s, t->cap + (size_t)n + 4096);
		if (!tmp) {
			t->oom = true;
			return;
		}
		t->s = tmp;
		t->cap += (size_t)n + 4096;
	}
}

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* One location of one path, to sort them. */
struct loc {
	struct ingress_location l;
	const struct ingress_path *p;
};

/* Exact matches first, then longer prefixes: the order nginx decides in,
 * so the file reads the way requests are routed. */
static int loc_cmp(const void *a, const void *b)
{
	const struct loc *x = a, *y = b;
	size_t lx = strlen(x->l.uri), ly = strlen(y->l.uri);

	if (x->l.exact != y->l.exact)
		return x->l.exact ? -1 : 1;
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->l.uri, y->l.uri);
}

static int spec_cmp(const void *a, const void *b)
{
	const struct ingress_spec *x = *(const struct ingress_spec *const *)a;
	const struct ingress_spec *y = *(const struct ingress_spec *const *)b;

	return (x->port > y->port) - (x->port < y->port);
}

static const struct nginx_ingress_svc *find_svc(const struct nginx_ingress_svc *svcs,
						size_t n, const char *ns,
						const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(svcs[i].ns, ns) && !strcmp(svcs[i].name, name))
			return &svcs[i];
	return NULL;
}

static void put_location(struct text *t, const struct ingress_spec *s,
			 const struct loc *l,
			 const struct nginx_ingress_svc *svcs, size_t n_svcs)
{
	const struct ingress_path *p = l->p;
	const struct nginx_ingress_svc *svc = find_svc(svcs, n_svcs, s->ns,
							p->service);
	char ip[IP4_STRLEN];

	put(t, "\t\t# %s (%s) -> service %s/%s port %u\n", p->path,
	    ingress_path_type_name(p->type), s->ns, p->service, p->port);
	put(t, "\t\tlocation %s\"%s\" {\n", l->l.exact ? "= " : "", l->l.uri);
	if (svc)
		put(t, "\t\t\tproxy_pass http://%s:%u;\n",
		    ip4_format(svc->vip, ip), p->port);
	else
		put(t, "\t\t\treturn 503; # no service %s/%s\n", s->ns,
		    p->service);
	put(t, "\t\t}\n");
}

static int put_server(struct text *t, const struct ingress_spec *s,
		      const struct nginx_ingress_svc *svcs, size_t n_svcs,
		      char *err, size_t errlen)
{
	struct loc locs[2 * INGRESS_PATHS_MAX];
	struct ingress_location two[2];
	bool root = false;
	size_t n = 0;

	if (ingress_validate(s, err, errlen))
		return -EINVAL;
	for (size_t i = 0; i < s->n_paths; i++) {
		size_t k = ingress_path_locations(&s->paths[i], two);

		for (size_t j = 0; j < k; j++) {
			locs[n].l = two[j];
			locs[n++].p = &s->paths[i];
			root |= !two[j].exact && !strcmp(two[j].uri, "/");
		}
	}
	qsort(locs, n, sizeof(locs[0]), loc_cmp);
	put(t, "\n\t# ingress %s/%s\n\tserver {\n\t\tlisten %u;\n\n", s->ns,
	    s->name, s->port);
	for (size_t i = 0; i < n; i++)
		put_location(t, s, &locs[i], svcs, n_svcs);
	if (!root)
		put(t, "\t\t# no path of the ingress\n"
		       "\t\tlocation / {\n\t\t\treturn 404;\n\t\t}\n");
	put(t, "\t}\n");
	return 0;
}

static void put_head(struct text *t, const struct nginx_ingress_conf *c,
		     const struct ingress_spec *const *ings, size_t n)
{
	const char *p = c->prefix;

	put(t, "# nginx of the ingresses on worker %s, written by knetsim-agent\n"
	       "# from the ingresses in etcd. Do not edit: it is rewritten (and\n"
	       "# nginx reloaded) whenever an ingress of this worker or a service\n"
	       "# one of its paths names changes.\n#\n# Ingresses:",
	    c->worker ? c->worker : "?");
	for (size_t i = 0; i < n; i++)
		put(t, " %s/%s (port %u)", ings[i]->ns, ings[i]->name,
		    ings[i]->port);
	put(t, "\n\n"
	       "daemon off;\n"
	       "master_process on;\n"
	       "worker_processes %u;\n"
	       "pid \"%s/" NGINX_INGRESS_PID "\";\n"
	       "lock_file \"%s/nginx.lock\";\n"
	       "error_log \"%s/" NGINX_INGRESS_LOG_DIR "/error.log\" notice;\n\n"
	       "events {\n\tworker_connections %d;\n}\n\n",
	    c->worker_processes ? c->worker_processes : 1, p, p, p,
	    WORKER_CONNECTIONS);
	put(t, "http {\n"
	       "\tlog_format knetsim '$remote_addr [$time_local] \"$request\" '\n"
	       "\t\t\t   '$status $body_bytes_sent upstream=$upstream_addr '\n"
	       "\t\t\t   'time=$request_time';\n"
	       "\taccess_log \"%s/" NGINX_INGRESS_LOG_DIR "/access.log\" knetsim "
	       "buffer=32k flush=1s;\n",
	    p);
	put(t, "\tclient_body_temp_path \"%s/" NGINX_INGRESS_TMP_DIR "/body\";\n"
	       "\tproxy_temp_path \"%s/" NGINX_INGRESS_TMP_DIR "/proxy\";\n"
	       "\tfastcgi_temp_path \"%s/" NGINX_INGRESS_TMP_DIR "/fastcgi\";\n"
	       "\tuwsgi_temp_path \"%s/" NGINX_INGRESS_TMP_DIR "/uwsgi\";\n"
	       "\tscgi_temp_path \"%s/" NGINX_INGRESS_TMP_DIR "/scgi\";\n",
	    p, p, p, p, p);
	put(t, "\tserver_tokens off;\n"
	       "\tdefault_type text/plain;\n"
	       "\tproxy_connect_timeout 5s;\n"
	       "\tproxy_set_header Host $host;\n"
	       "\tproxy_set_header X-Real-IP $remote_addr;\n"
	       "\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n");
}

int nginx_ingress_render(const struct nginx_ingress_conf *conf,
			 const struct ingress_spec *const *ings, size_t n,
			 const struct nginx_ingress_svc *svcs, size_t n_svcs,
			 char **out, char *err, size_t errlen)
{
	const struct ingress_spec **v = calloc(n ? n : 1, sizeof(*v));
	struct text t = { 0 };
	int ret = 0;

	*out = NULL;
	if (!v)
		return fail(err, errlen, -ENOMEM, "out of memory");
	if (!conf->prefix || conf->prefix[0] != '/' ||
	    strspn(conf->prefix, PREFIX_CHARS) != strlen(conf->prefix)) {
		free(v);
		return fail(err, errlen, -EINVAL, "prefix: expected an absolute "
			    "path of [" PREFIX_CHARS "]");
	}
	memcpy(v, ings, n * sizeof(*v));
	qsort(v, n, sizeof(*v), spec_cmp);
	for (size_t i = 1; i < n && !ret; i++)
		if (v[i]->port == v[i - 1]->port)
			ret = fail(err, errlen, -EINVAL, "ingresses %s/%s and "
				   "%s/%s both listen on port %u",
				   v[i - 1]->ns, v[i - 1]->name, v[i]->ns,
				   v[i]->name, v[i]->port);
	if (ret) {
		free(v);
		return ret;
	}
	put_head(&t, conf, v, n);
	for (size_t i = 0; i < n && !ret; i++) {
		char why[256];

		ret = put_server(&t, v[i], svcs, n_svcs, why, sizeof(why));
		if (ret)
			fail(err, errlen, ret, "ingress %s/%s: %s", v[i]->ns,
			     v[i]->name, why);
	}
	put(&t, "}\n");
	free(v);
	if (!ret && t.oom)
		ret = fail(err, errlen, -ENOMEM, "out of memory");
	if (ret) {
		free(t.s);
		return ret;
	}
	*out = t.s;
	return 0;
}
