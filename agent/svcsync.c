// SPDX-License-Identifier: MIT
/* Services and pods of the worker's cluster, followed through one watch on
 * SVC_ROOT (both live under it) and mirrored into the service proxy: only
 * the services whose computed backends or spec changed are set again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "proxy.h"
#include "services.h"

static void apply(struct agent *a, const struct svc_change *ch, size_t n)
{
	char ip[IP4_STRLEN];
	int ret;

	for (size_t i = 0; i < n; i++) {
		const struct proxy_service *s = &ch[i].svc;

		if (ch[i].deleted)
			ret = a->proxy->service_del(s->ns, s->name);
		else
			ret = a->proxy->service_set(s);
		if (ret)
			log_err("service %s/%s: %s: %s", s->ns, s->name,
				ch[i].deleted ? "remove" : "install", strerror(-ret));
		else if (ch[i].deleted)
			log_info("service %s/%s removed", s->ns, s->name);
		else
			log_info("service %s/%s: %s, %zu port(s), %zu backend(s)",
				 s->ns, s->name, ip4_format(s->vip, ip), s->n_ports,
				 s->n_backends);
	}
}

int agent_services_resync(struct agent *a)
{
	struct svc_change *ch;
	struct etcd_kv *kvs;
	size_t n, n_ch;
	int64_t rev;
	int ret;

	if (!a->proxy)
		return 0;
	if (!a->svc && !(a->svc = svc_store_new()))
		return -ENOMEM;
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
	apply(a, ch, n_ch);
	free(ch);
	if (a->svc_watch)
		ret = etcd_watch_restart(a->svc_watch, rev + 1);
	else
		ret = etcd_watch_open(a->etcd, SVC_ROOT, rev + 1, &a->svc_watch);
	if (ret)
		log_err("watch %s: %s", SVC_ROOT, strerror(-ret));
	return ret;
}

void agent_services_event(struct agent *a, const struct etcd_event *ev)
{
	struct svc_change *ch;
	char err[512];
	size_t n;
	int ret;

	if (!a->proxy)
		return;
	if (ev->type == ETCD_EV_RESYNC || !a->svc) {
		log_warn("service history compacted at revision %lld: reading all services again",
			 (long long)ev->mod_revision);
		agent_services_resync(a);
		return;
	}
	ret = svc_store_event(a->svc, ev, &ch, &n, err, sizeof(err));
	if (err[0])
		log_warn("%s: ignored", err);
	if (ret) {
		log_err("services: %s: reading all again", strerror(-ret));
		agent_services_resync(a);
		return;
	}
	apply(a, ch, n);
	free(ch);
}

void agent_services_free(struct agent *a)
{
	if (a->svc_watch)
		etcd_watch_close(a->svc_watch);
	a->svc_watch = NULL;
	svc_store_free(a->svc);
	a->svc = NULL;
}
