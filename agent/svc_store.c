// SPDX-License-Identifier: MIT
/* The in-memory mirror of one etcd's services and pods: every service
 * with the proxy_service last computed for it, so a change of a pod or a
 * service yields exactly the services whose computed form changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services.h"
#include "svc_index.h"

struct svc_entry {
	struct svc_spec spec;
	struct proxy_service cur;
};

struct svc_store {
	struct svc_entry *svcs;
	size_t n_svcs, cap_svcs;
	struct svc_index ix;            /* ns/name -> position in svcs */
	struct svc_pod *pods;
	size_t n_pods;
};

struct changes {
	struct svc_change *v;
	size_t n, cap;
};

struct svc_store *svc_store_new(void)
{
	return calloc(1, sizeof(struct svc_store));
}

static void clear(struct svc_store *st)
{
	free(st->svcs);
	free(st->pods);
	svc_index_free(&st->ix);
	st->svcs = NULL;
	st->pods = NULL;
	st->n_svcs = st->cap_svcs = st->n_pods = 0;
}

void svc_store_free(struct svc_store *st)
{
	if (!st)
		return;
	clear(st);
	free(st);
}

size_t svc_store_count(const struct svc_store *st)
{
	return st->n_svcs;
}

const struct proxy_service *svc_store_at(const struct svc_store *st,
					 size_t i)
{
	return i < st->n_svcs ? &st->svcs[i].cur : NULL;
}

/* Array v (n elements of size sz, room for *cap) with room for one more:
 * the capacity doubles (from one: most events change one service, and
 * elements are kilobytes). NULL when out of memory (v is left as is). */
static void *reserve(void *v, size_t n, size_t *cap, size_t sz)
{
	size_t c = *cap ? *cap * 2 : 1;

	if (n < *cap)
		return v;
	v = realloc(v, c * sz);
	if (v)
		*cap = c;
	return v;
}

/* Records a change in c (NULL: nobody wants the list). */
static int add_change(struct changes *c, bool deleted,
		      const struct proxy_service *s)
{
	struct svc_change *tmp;

	if (!c)
		return 0;
	tmp = reserve(c->v, c->n, &c->cap, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	c->v = tmp;
	memset(&tmp[c->n], 0, sizeof(tmp[c->n]));
	tmp[c->n].deleted = deleted;
	if (deleted) {
		memcpy(tmp[c->n].svc.ns, s->ns, sizeof(s->ns));
		memcpy(tmp[c->n].svc.name, s->name, sizeof(s->name));
	} else {
		tmp[c->n].svc = *s;
	}
	c->n++;
	return 0;
}

static ssize_t find_svc(const struct svc_store *st, const char *ns,
			const char *name)
{
	size_t i;

	return svc_index_get(&st->ix, ns, name, &i) ? (ssize_t)i : -1;
}

static ssize_t find_pod(const struct svc_store *st, const char *ns,
			const char *name)
{
	for (size_t i = 0; i < st->n_pods; i++)
		if (!strcmp(st->pods[i].ns, ns) && !strcmp(st->pods[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* Recomputes every service, recording those that changed. */
static int recompute_all(struct svc_store *st, struct changes *c)
{
	struct proxy_service *tmp = malloc(sizeof(*tmp));
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_svcs && !ret; i++) {
		svc_compute(&st->svcs[i].spec, st->pods, st->n_pods, tmp);
		if (svc_same(tmp, &st->svcs[i].cur))
			continue;
		ret = add_change(c, false, tmp);
		if (!ret)
			st->svcs[i].cur = *tmp;
	}
	free(tmp);
	return ret;
}

/* The last entry moves into the hole; the index follows it. */
static void remove_svc(struct svc_store *st, size_t i)
{
	struct svc_entry *e = &st->svcs[i];

	svc_index_del(&st->ix, e->spec.ns, e->spec.name);
	if (i != --st->n_svcs) {
		*e = st->svcs[st->n_svcs];
		/* cannot fail: the key is there, only its value changes */
		svc_index_put(&st->ix, e->spec.ns, e->spec.name, i);
	}
}

static int svc_put(struct svc_store *st, const char *ns, const char *name,
		   const char *val, size_t len, struct changes *c, char *err,
		   size_t errlen)
{
	ssize_t i = find_svc(st, ns, name);
	struct svc_spec *spec = malloc(sizeof(*spec));
	struct svc_entry *tmp;
	char why[256];
	int ret = 0;

	if (!spec)
		return -ENOMEM;
	if (svc_parse(val, len, spec, why, sizeof(why)) ||
	    strcmp(spec->ns, ns) || strcmp(spec->name, name)) {
		if (err && errlen)
			snprintf(err, errlen, "service %s/%s: %s", ns, name,
				 spec->name[0] && strcmp(spec->name, name) ?
				 "metadata does not match the key" : why);
		if (i >= 0) {
			ret = add_change(c, true, &st->svcs[i].cur);
			remove_svc(st, (size_t)i);
		}
		free(spec);
		return ret;
	}
	if (i < 0) {
		tmp = reserve(st->svcs, st->n_svcs, &st->cap_svcs, sizeof(*tmp));
		if (tmp)
			st->svcs = tmp;
		if (!tmp || svc_index_put(&st->ix, ns, name, st->n_svcs)) {
			free(spec);
			return -ENOMEM;
		}
		i = (ssize_t)st->n_svcs++;
		memset(&tmp[i], 0, sizeof(tmp[i]));
		/* Never equal to a computed form: the first compute is a change. */
		st->svcs[i].cur.vip = ~spec->vip;
	}
	st->svcs[i].spec = *spec;
	free(spec);
	svc_compute(&st->svcs[i].spec, st->pods, st->n_pods, &st->svcs[i].cur);
	return add_change(c, false, &st->svcs[i].cur);
}

static int pod_put(struct svc_store *st, const char *ns, const char *name,
		   const char *val, size_t len, char *err, size_t errlen)
{
	ssize_t i = find_pod(st, ns, name);
	struct svc_pod p, *tmp;
	char why[256];

	if (svc_pod_parse(val, len, &p, why, sizeof(why))) {
		if (err && errlen)
			snprintf(err, errlen, "pod %s/%s: %s", ns, name, why);
		if (i >= 0)
			st->pods[i] = st->pods[--st->n_pods];
		return 0;
	}
	/* The key names the pod. */
	snprintf(p.ns, sizeof(p.ns), "%s", ns);
	snprintf(p.name, sizeof(p.name), "%s", name);
	if (i >= 0) {
		st->pods[i] = p;
		return 0;
	}
	tmp = realloc(st->pods, (st->n_pods + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	st->pods = tmp;
	st->pods[st->n_pods++] = p;
	return 0;
}

static int apply(struct svc_store *st, bool put, const char *key,
		 const char *val, size_t len, struct changes *c, char *err,
		 size_t errlen)
{
	char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];
	ssize_t i;
	int ret;

	if (!key || svc_key_parse(key, &kind, ns, name))
		return 0;
	if (kind == 's') {
		if (put)
			return svc_put(st, ns, name, val, len, c, err, errlen);
		i = find_svc(st, ns, name);
		if (i < 0)
			return 0;
		ret = add_change(c, true, &st->svcs[i].cur);
		remove_svc(st, (size_t)i);
		return ret;
	}
	if (put) {
		ret = pod_put(st, ns, name, val, len, err, errlen);
	} else {
		ret = 0;
		i = find_pod(st, ns, name);
		if (i >= 0)
			st->pods[i] = st->pods[--st->n_pods];
	}
	return ret ? ret : recompute_all(st, c);
}

int svc_store_event(struct svc_store *st, const struct etcd_event *ev,
		    struct svc_change **ch, size_t *n, char *err,
		    size_t errlen)
{
	struct changes c = { 0 };
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (ev->type == ETCD_EV_PUT || ev->type == ETCD_EV_DELETE)
		ret = apply(st, ev->type == ETCD_EV_PUT, ev->key,
			    ev->val ? ev->val : "", ev->val ? ev->len : 0, &c,
			    err, errlen);
	if (ret) {
		free(c.v);
		c.v = NULL;
		c.n = 0;
	}
	*ch = c.v;
	*n = c.n;
	return ret;
}

int svc_store_reset(struct svc_store *st, const struct etcd_kv *kvs,
		    size_t n_kvs, struct svc_change **ch, size_t *n)
{
	struct svc_store fresh = { 0 };
	struct changes c = { 0 };
	int ret = 0;

	*ch = NULL;
	*n = 0;
	/* Pods first, so services are computed once against all of them. */
	for (size_t pass = 0; pass < 2 && !ret; pass++)
		for (size_t i = 0; i < n_kvs && !ret; i++) {
			char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];

			if (svc_key_parse(kvs[i].key, &kind, ns, name) ||
			    (kind == 'p') != (pass == 0))
				continue;
			ret = apply(&fresh, true, kvs[i].key, kvs[i].val,
				    kvs[i].len, NULL, NULL, 0);
		}
	/* Differences with what was installed. */
	for (size_t i = 0; i < st->n_svcs && !ret; i++)
		if (find_svc(&fresh, st->svcs[i].spec.ns, st->svcs[i].spec.name) < 0)
			ret = add_change(&c, true, &st->svcs[i].cur);
	for (size_t i = 0; i < fresh.n_svcs && !ret; i++) {
		ssize_t j = find_svc(st, fresh.svcs[i].spec.ns, fresh.svcs[i].spec.name);

		if (j < 0 || !svc_same(&st->svcs[j].cur, &fresh.svcs[i].cur))
			ret = add_change(&c, false, &fresh.svcs[i].cur);
	}
	if (ret) {
		clear(&fresh);
		free(c.v);
		return ret;
	}
	clear(st);
	*st = fresh;
	*ch = c.v;
	*n = c.n;
	return 0;
}
