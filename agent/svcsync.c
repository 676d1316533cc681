// SPDX-License-Identifier: MIT
/* Services and pods of the worker's cluster, followed through one watch on
 * SVC_ROOT (both live under it) and mirrored into the service proxy: only
 * the services whose computed backends or spec changed are set again.
 *
 * Every batch of watch events, and a full resync, goes to the proxy as
 * one proxy batch (proxy nft: one transaction). A resync ends with a
 * prune, which removes what is installed for services that no longer
 * exist (deleted while no agent ran). How long each takes is kept in
 * a->svc_stats for the control socket's status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "log.h"
#include "proxy.h"
#include "services.h"

/* Above this many changes at once, one summary line instead of one each. */
#define LOG_EACH_MAX 8

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void log_change(const struct svc_change *c)
{
	const struct proxy_service *s = &c->svc;
	char ip[IP4_STRLEN];

	if (c->deleted)
		log_info("service %s/%s removed", s->ns, s->name);
	else
		log_info("service %s/%s: %s, %zu port(s), %zu backend(s)",
			 s->ns, s->name, ip4_format(s->vip, ip), s->n_ports,
			 s->n_backends);
}

/* One line per change, or a summary for many. */
static void log_changes(const struct svc_change *ch, size_t n, size_t failed)
{
	size_t dels = 0;

	if (n <= LOG_EACH_MAX) {
		for (size_t i = 0; i < n && !failed; i++)
			log_change(&ch[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		dels += ch[i].deleted;
	log_info("services: %zu set, %zu removed%s", n - dels, dels,
		 failed ? " (with errors, see above)" : "");
}

/* Hands the changes to the proxy, as one batch when it takes batches;
 * returns how many calls failed. */
static size_t apply(struct agent *a, const struct svc_change *ch, size_t n)
{
	const struct proxy_ops *p = a->proxy;
	bool batch = n > 1 && p->batch_begin && p->batch_commit &&
		     !p->batch_begin();
	size_t failed = 0;
	int ret;

	for (size_t i = 0; i < n; i++) {
		const struct proxy_service *s = &ch[i].svc;

		if (ch[i].deleted)
			ret = p->service_del(s->ns, s->name);
		else
			ret = p->service_set(s);
		if (ret) {
			log_err("service %s/%s: %s: %s", s->ns, s->name,
				ch[i].deleted ? "remove" : "install", strerror(-ret));
			failed++;
		}
	}
	if (batch) {
		ret = p->batch_commit();
		if (ret) {
			/* the proxy named the services that failed */
			log_err("services: %s", strerror(-ret));
			failed++;
		}
	}
	return failed;
}

static int prune(struct agent *a)
{
	size_t n = svc_store_count(a->svc);
	struct proxy_key *keep;
	int ret;

	if (!a->proxy->prune)
		return 0;
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct proxy_service *s = svc_store_at(a->svc, i);

		memcpy(keep[i].ns, s->ns, sizeof(keep[i].ns));
		memcpy(keep[i].name, s->name, sizeof(keep[i].name));
	}
	ret = a->proxy->prune(keep, n);
	free(keep);
	if (ret)
		log_err("services: prune: %s", strerror(-ret));
	return ret;
}

int agent_services_resync(struct agent *a)
{
	struct svc_stats *st = &a->svc_stats;
	struct svc_change *ch;
	struct etcd_kv *kvs;
	uint64_t t0, t1;
	size_t n, n_ch, failed;
	int64_t rev;
	int ret;

	if (!a->proxy)
		return 0;
	if (!a->svc && !(a->svc = svc_store_new()))
		return -ENOMEM;
	t0 = now_us();
	ret = etcd_range_prefix(a->etcd, SVC_ROOT, &kvs, &n, &rev);
	if (ret) {
		log_err("read services and pods: %s", etcd_error(a->etcd));
		return ret;
	}
	ret = svc_store_reset(a->svc, kvs, n, &ch, &n_ch);
	etcd_kvs_free(kvs, n);
	if (ret) {
		log_err("services: %s", strerror(-ret));
		return ret;
	}
	t1 = now_us();
	failed = apply(a, ch, n_ch);
	if (prune(a))
		failed++;
	st->last_resync_us = now_us() - t1;
	st->last_resync_read_us = t1 - t0;
	st->last_resync_count = n_ch;
	st->errors += failed;
	st->revision = rev;
	st->resyncs++;
	log_changes(ch, n_ch, failed);
	free(ch);
	log_info("services: resync at revision %lld: %zu services, %zu changed, applied in %.1f ms",
		 (long long)rev, svc_store_count(a->svc), n_ch,
		 (double)st->last_resync_us / 1000.0);
	if (a->svc_watch)
		ret = etcd_watch_restart(a->svc_watch, rev + 1);
	else
		ret = etcd_watch_open(a->etcd, SVC_ROOT, rev + 1, &a->svc_watch);
	if (ret)
		log_err("watch %s: %s", SVC_ROOT, strerror(-ret));
	return ret;
}

/* Appends src[0..n) to *dst (*n_dst entries); -ENOMEM. */
static int append(struct svc_change **dst, size_t *n_dst,
		  const struct svc_change *src, size_t n)
{
	struct svc_change *tmp;

	if (!n)
		return 0;
	tmp = realloc(*dst, (*n_dst + n) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp + *n_dst, src, n * sizeof(*tmp));
	*dst = tmp;
	*n_dst += n;
	return 0;
}

void agent_services_events(struct agent *a, const struct etcd_event *ev,
			   size_t n)
{
	struct svc_stats *st = &a->svc_stats;
	struct svc_change *all = NULL, *ch;
	uint64_t t0 = now_us(), us;
	size_t n_all = 0, n_ch, failed;
	int64_t rev = 0;
	char err[512];
	int ret;

	if (!a->proxy)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == ETCD_EV_RESYNC || !a->svc) {
			log_warn("service history compacted at revision %lld: reading all services again",
				 (long long)ev[i].mod_revision);
			free(all);
			agent_services_resync(a);
			return;
		}
		ret = svc_store_event(a->svc, &ev[i], &ch, &n_ch, err, sizeof(err));
		if (err[0])
			log_warn("%s: ignored", err);
		if (!ret)
			ret = append(&all, &n_all, ch, n_ch);
		free(ch);
		if (ret) {
			log_err("services: %s: reading all again", strerror(-ret));
			free(all);
			agent_services_resync(a);
			return;
		}
		rev = ev[i].mod_revision;
	}
	if (rev > st->revision)
		st->revision = rev;
	if (!n_all)
		return;
	failed = apply(a, all, n_all);
	/* the time it took, before writing about it */
	us = now_us() - t0;
	st->last_apply_us = us;
	st->last_apply_count = n_all;
	st->apply_total_us += us;
	st->applied_total += n_all;
	st->errors += failed;
	log_changes(all, n_all, failed);
	free(all);
}

void agent_services_event(struct agent *a, const struct etcd_event *ev)
{
	agent_services_events(a, ev, 1);
}

cJSON *agent_services_status(const struct agent *a)
{
	const struct svc_stats *st = &a->svc_stats;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "proxy", a->proxy ? a->proxy->name : "none");
	cJSON_AddNumberToObject(o, "count", a->svc ? (double)svc_store_count(a->svc) : 0);
	cJSON_AddNumberToObject(o, "revision", (double)st->revision);
	cJSON_AddNumberToObject(o, "resyncs", (double)st->resyncs);
	cJSON_AddNumberToObject(o, "last_resync_us", (double)st->last_resync_us);
	cJSON_AddNumberToObject(o, "last_resync_read_us", (double)st->last_resync_read_us);
	cJSON_AddNumberToObject(o, "last_resync_count", (double)st->last_resync_count);
	cJSON_AddNumberToObject(o, "last_apply_us", (double)st->last_apply_us);
	cJSON_AddNumberToObject(o, "last_apply_count", (double)st->last_apply_count);
	cJSON_AddNumberToObject(o, "apply_total_us", (double)st->apply_total_us);
	cJSON_AddNumberToObject(o, "applied_total", (double)st->applied_total);
	cJSON_AddNumberToObject(o, "errors", (double)st->errors);
	return o;
}

void agent_services_free(struct agent *a)
{
	if (a->svc_watch)
		etcd_watch_close(a->svc_watch);
	a->svc_watch = NULL;
	svc_store_free(a->svc);
	a->svc = NULL;
}
