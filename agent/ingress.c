// SPDX-License-Identifier: MIT
/* The ingress controller of a worker: the ingresses placed on this worker
 * and the services of the cluster, followed through one watch on
 * SVC_ROOT (both live under it), rendered into the worker's nginx
 * configuration (lib/nginx_ingress.c). A change that alters the rendered
 * text is checked with `nginx -t`, written, and applied by a graceful
 * reload; nginx starts with the first ingress and stops with the last.
 * A restarted agent adopts the nginx its predecessor left running, and
 * leaves it running when it stops itself. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "fsutil.h"
#include "ingress.h"
#include "knetsim/paths.h"
#include "log.h"
#include "nginx_ingress.h"
#include "nginx_proc.h"
#include "services.h"
#include "svc_index.h"

#define INGRESS_DIR "ingress"

struct ing_svc {
	char ns[PROXY_NAME_MAX + 1];
	char name[PROXY_NAME_MAX + 1];
	uint32_t vip;
};

struct ingress_ctl {
	struct nginx_proc nginx;
	struct etcd_watch *watch;
	struct ingress_spec **ings;      /* those of this worker */
	size_t n_ings;
	struct ing_svc *svcs;            /* every service of the cluster */
	size_t n_svcs;
	struct svc_index svc_ix;         /* ns/name -> position in svcs */
	char *applied;                   /* the configuration nginx runs */
};

/* ---- the mirror ---- */

static ssize_t find_ing(const struct ingress_ctl *c, const char *ns,
			const char *name)
{
	for (size_t i = 0; i < c->n_ings; i++)
		if (!strcmp(c->ings[i]->ns, ns) && !strcmp(c->ings[i]->name, name))
			return (ssize_t)i;
	return -1;
}

static void drop_ing(struct ingress_ctl *c, const char *ns, const char *name)
{
	ssize_t i = find_ing(c, ns, name);

	if (i < 0)
		return;
	free(c->ings[i]);
	c->ings[i] = c->ings[--c->n_ings];
}

static int put_ing(struct agent *a, const char *ns, const char *name,
		   const char *val, size_t len)
{
	struct ingress_ctl *c = a->ing;
	struct ingress_spec *s = malloc(sizeof(*s)), **tmp;
	char why[256];
	ssize_t i;

	if (!s)
		return -ENOMEM;
	if (ingress_parse(val, len, s, why, sizeof(why)) || strcmp(s->ns, ns) ||
	    strcmp(s->name, name)) {
		log_warn("ingress %s/%s: %s: ignored", ns, name,
			 s->name[0] && strcmp(s->name, name) ?
			 "metadata does not match the key" : why);
		free(s);
		drop_ing(c, ns, name);
		return 0;
	}
	if (strcmp(s->node, a->worker)) {
		free(s);
		drop_ing(c, ns, name);   /* (no longer) ours */
		return 0;
	}
	i = find_ing(c, ns, name);
	if (i >= 0) {
		free(c->ings[i]);
		c->ings[i] = s;
		return 0;
	}
	tmp = realloc(c->ings, (c->n_ings + 1) * sizeof(*tmp));
	if (!tmp) {
		free(s);
		return -ENOMEM;
	}
	c->ings = tmp;
	c->ings[c->n_ings++] = s;
	return 0;
}

/* Services come and go by the thousand in a bulk load: found through
 * the index, not by a scan. */
static ssize_t find_svc(const struct ingress_ctl *c, const char *ns,
			const char *name)
{
	size_t i;

	return svc_index_get(&c->svc_ix, ns, name, &i) ? (ssize_t)i : -1;
}

static void drop_svc(struct ingress_ctl *c, const char *ns, const char *name)
{
	ssize_t i = find_svc(c, ns, name);

	if (i < 0)
		return;
	svc_index_del(&c->svc_ix, ns, name);
	c->svcs[i] = c->svcs[--c->n_svcs];
	if ((size_t)i < c->n_svcs)
		svc_index_put(&c->svc_ix, c->svcs[i].ns, c->svcs[i].name,
			      (size_t)i);
}

static int put_svc(struct ingress_ctl *c, const char *ns, const char *name,
		   const char *val, size_t len)
{
	struct svc_spec *s = malloc(sizeof(*s));
	struct ing_svc *tmp;
	ssize_t i;

	if (!s)
		return -ENOMEM;
	if (svc_parse(val, len, s, NULL, 0) || strcmp(s->ns, ns) ||
	    strcmp(s->name, name)) {
		free(s);
		drop_svc(c, ns, name);   /* the service proxy says why */
		return 0;
	}
	i = find_svc(c, ns, name);
	if (i < 0) {
		tmp = realloc(c->svcs, (c->n_svcs + 1) * sizeof(*tmp));
		if (!tmp) {
			free(s);
			return -ENOMEM;
		}
		c->svcs = tmp;
		i = (ssize_t)c->n_svcs;
		if (svc_index_put(&c->svc_ix, ns, name, (size_t)i)) {
			free(s);
			return -ENOMEM;
		}
		c->n_svcs++;
		snprintf(c->svcs[i].ns, sizeof(c->svcs[i].ns), "%s", ns);
		snprintf(c->svcs[i].name, sizeof(c->svcs[i].name), "%s", name);
	}
	c->svcs[i].vip = s->vip;
	free(s);
	return 0;
}

/* One PUT or DELETE; keys of pods and anything else are not ours. */
static int apply(struct agent *a, bool put, const char *key, const char *val,
		 size_t len)
{
	char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];

	if (!key)
		return 0;
	if (!ingress_key_parse(key, ns, name)) {
		if (put)
			return put_ing(a, ns, name, val, len);
		drop_ing(a->ing, ns, name);
		return 0;
	}
	if (svc_key_parse(key, &kind, ns, name) || kind != 's')
		return 0;
	if (put)
		return put_svc(a->ing, ns, name, val, len);
	drop_svc(a->ing, ns, name);
	return 0;
}

static void clear(struct ingress_ctl *c)
{
	for (size_t i = 0; i < c->n_ings; i++)
		free(c->ings[i]);
	free(c->ings);
	free(c->svcs);
	svc_index_free(&c->svc_ix);
	c->ings = NULL;
	c->svcs = NULL;
	c->n_ings = c->n_svcs = 0;
}

/* ---- nginx ---- */

static int cmp_ing(const void *x, const void *y)
{
	const struct ingress_spec *a = *(const struct ingress_spec *const *)x;
	const struct ingress_spec *b = *(const struct ingress_spec *const *)y;
	int r = strcmp(a->ns, b->ns);

	return r ? r : strcmp(a->name, b->name);
}

/* The ingresses to serve: by name, an ingress whose port an earlier one
 * took (the CLI refuses that; etcd may be written by hand) left out. */
static size_t serving(struct ingress_ctl *c, const struct ingress_spec **v)
{
	char why[256];
	size_t n = 0;

	qsort(c->ings, c->n_ings, sizeof(*c->ings), cmp_ing);
	for (size_t i = 0; i < c->n_ings; i++) {
		size_t j;

		for (j = 0; j < n && !ingress_conflict(c->ings[i], v[j], why,
						      sizeof(why)); j++)
			;
		if (j < n) {
			log_warn("ingress %s/%s: %s: not served", c->ings[i]->ns,
				 c->ings[i]->name, why);
			continue;
		}
		v[n++] = c->ings[i];
	}
	return n;
}

static char *render(struct agent *a, const struct ingress_spec **v, size_t n)
{
	struct ingress_ctl *c = a->ing;
	struct nginx_ingress_svc *svcs = calloc(c->n_svcs + 1, sizeof(*svcs));
	const struct nginx_ingress_conf conf = {
		.prefix = c->nginx.dir, .worker = a->worker, .worker_processes = 1,
	};
	char why[512], *text = NULL;

	if (!svcs) {
		log_err("ingress: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < c->n_svcs; i++)
		svcs[i] = (struct nginx_ingress_svc){
			c->svcs[i].ns, c->svcs[i].name, c->svcs[i].vip };
	if (nginx_ingress_render(&conf, v, n, svcs, c->n_svcs, &text, why,
				 sizeof(why)))
		log_err("ingress: nginx configuration: %s", why);
	free(svcs);
	return text;
}

/* Checks text with nginx -t, then puts it in place. */
static int install(struct ingress_ctl *c, const char *text)
{
	char next[PATH_MAX], conf[PATH_MAX], why[512];
	int ret;

	nginx_proc_path(&c->nginx, NGINX_INGRESS_CONF ".next", next);
	ret = write_file(next, text, strlen(text), 0644);
	if (ret) {
		log_err("ingress: %s: %s", next, strerror(-ret));
		return ret;
	}
	ret = nginx_proc_test(&c->nginx, next, why, sizeof(why));
	if (ret) {
		log_err("ingress: nginx refuses the new configuration (%s kept): %s",
			nginx_proc_path(&c->nginx, NGINX_INGRESS_CONF, conf), why);
		return ret;
	}
	if (rename(next, nginx_proc_path(&c->nginx, NGINX_INGRESS_CONF, conf))) {
		ret = -errno;
		log_err("ingress: %s: %s", conf, strerror(errno));
	}
	return ret;
}

static void stop(struct ingress_ctl *c)
{
	if (!nginx_proc_alive(&c->nginx))
		return;
	log_info("ingress: no ingress on this worker: stopping nginx %d",
		 (int)c->nginx.id.pid);
	nginx_proc_stop(&c->nginx);
	free(c->applied);
	c->applied = NULL;
}

static void reconcile(struct agent *a)
{
	struct ingress_ctl *c = a->ing;
	const struct ingress_spec **v = calloc(c->n_ings + 1, sizeof(*v));
	bool alive = nginx_proc_alive(&c->nginx);
	char why[512], *text = NULL;
	size_t n;
	int ret;

	if (!v) {
		log_err("ingress: out of memory");
		return;
	}
	n = serving(c, v);
	if (!n) {
		stop(c);
		goto out;
	}
	text = render(a, v, n);
	if (!text || (alive && c->applied && !strcmp(text, c->applied)) ||
	    install(c, text))
		goto out;
	if (alive) {
		ret = nginx_proc_reload(&c->nginx, why, sizeof(why));
		if (ret)
			log_err("ingress: nginx %d kept its previous configuration: %s",
				(int)c->nginx.id.pid, why);
		else
			log_info("ingress: nginx %d reloaded: %zu ingress(es)",
				 (int)c->nginx.id.pid, n);
	} else {
		if (c->nginx.have)
			log_warn("ingress: nginx %d is gone: starting it again",
				 (int)c->nginx.id.pid);
		ret = nginx_proc_start(&c->nginx, why, sizeof(why));
		if (ret)
			log_err("ingress: nginx: %s", why);
		else
			log_info("ingress: nginx %d started: %zu ingress(es)",
				 (int)c->nginx.id.pid, n);
	}
	if (!ret) {
		free(c->applied);
		c->applied = text;
		text = NULL;
	}
out:
	free(text);
	free(v);
}

/* ---- the agent's side ---- */

static int resync(struct agent *a)
{
	struct ingress_ctl *c = a->ing;
	struct etcd_kv *kvs;
	size_t n;
	int64_t rev;
	int ret;

	ret = etcd_range_prefix(a->etcd, SVC_ROOT, &kvs, &n, &rev);
	if (ret) {
		log_err("ingress: read ingresses and services: %s",
			etcd_error(a->etcd));
		return ret;
	}
	clear(c);
	for (size_t i = 0; i < n && !ret; i++)
		ret = apply(a, true, kvs[i].key, kvs[i].val, kvs[i].len);
	etcd_kvs_free(kvs, n);
	if (ret) {
		log_err("ingress: %s", strerror(-ret));
		return ret;
	}
	reconcile(a);
	if (c->watch)
		ret = etcd_watch_restart(c->watch, rev + 1);
	else
		ret = etcd_watch_open(a->etcd, SVC_ROOT, rev + 1, &c->watch);
	if (ret)
		log_err("ingress: watch %s: %s", SVC_ROOT, strerror(-ret));
	return ret;
}

int agent_ingress_start(struct agent *a)
{
	char dir[PATH_MAX], *conf = NULL;
	int ret;

	a->ing = calloc(1, sizeof(*a->ing));
	if (!a->ing)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), KNETSIM_RUN_DIR "/%s/" INGRESS_DIR "/%s",
		 a->sim, a->worker);
	ret = nginx_proc_init(&a->ing->nginx, dir);
	if (ret) {
		log_err("ingress: %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (nginx_proc_adopt(&a->ing->nginx)) {
		char path[PATH_MAX];

		/* It runs what its configuration file says. */
		if (!read_file(nginx_proc_path(&a->ing->nginx, NGINX_INGRESS_CONF,
					       path), &conf, NULL))
			a->ing->applied = conf;
		log_info("ingress: adopted nginx %d", (int)a->ing->nginx.id.pid);
	}
	return resync(a);
}

int agent_ingress_fd(const struct agent *a)
{
	return a->ing && a->ing->watch ? etcd_watch_fd(a->ing->watch) : -1;
}

void agent_ingress_drain(struct agent *a)
{
	struct etcd_event *ev;
	size_t n;
	bool changed = false;

	if (!a->ing || etcd_watch_next(a->ing->watch, 0, &ev, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		int ret = 0;

		if (ev[i].type == ETCD_EV_RESYNC) {
			log_warn("ingress: history compacted at revision %lld: "
				 "reading everything again",
				 (long long)ev[i].mod_revision);
			etcd_events_free(ev, n);
			resync(a);
			return;
		}
		if (ev[i].key && (!strncmp(ev[i].key, INGRESS_PREFIX,
					   strlen(INGRESS_PREFIX)) ||
				  !strncmp(ev[i].key, SVC_PREFIX,
					   strlen(SVC_PREFIX)))) {
			ret = apply(a, ev[i].type == ETCD_EV_PUT, ev[i].key,
				    ev[i].val ? ev[i].val : "",
				    ev[i].val ? ev[i].len : 0);
			changed = true;
		}
		if (ret) {
			log_err("ingress: %s: reading everything again",
				strerror(-ret));
			etcd_events_free(ev, n);
			resync(a);
			return;
		}
	}
	etcd_events_free(ev, n);
	if (changed)
		reconcile(a);
}

void agent_ingress_tick(struct agent *a)
{
	/* nginx died under us: a reconcile starts it again. */
	if (a->ing && a->ing->nginx.have && !nginx_proc_alive(&a->ing->nginx))
		reconcile(a);
}

void agent_ingress_free(struct agent *a)
{
	if (!a->ing)
		return;
	if (a->ing->watch)
		etcd_watch_close(a->ing->watch);
	clear(a->ing);
	free(a->ing->applied);
	free(a->ing);
	a->ing = NULL;
}
