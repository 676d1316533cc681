// SPDX-License-Identifier: MIT
/* The control socket's requests (protocol in knetsim/ctl.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "cidr.h"
#include "endpoints.h"
#include "log.h"

static struct routing_endpoint to_routing(const struct endpoint *ep)
{
	struct routing_endpoint r = { .ip = ep->ip, .host_ifindex = ep->ifindex };

	snprintf(r.host_ifname, sizeof(r.host_ifname), "%s", ep->ifname);
	memcpy(r.pod_mac, ep->mac, sizeof(r.pod_mac));
	return r;
}

static cJSON *api_status(struct agent *a)
{
	char s[CIDR_STRLEN], ip[IP4_STRLEN];
	cJSON *rep = cJSON_CreateObject(), *eps, *leases;
	char why[128];

	cJSON_AddStringToObject(rep, "worker", a->worker);
	cJSON_AddStringToObject(rep, "cluster", a->cluster);
	cJSON_AddStringToObject(rep, "routing", a->routing->name);
	cJSON_AddStringToObject(rep, "address", ip4_format(a->address, ip));
	cJSON_AddStringToObject(rep, "subnet", cidr_format(&a->lease.subnet, s));
	cJSON_AddBoolToObject(rep, "watching",
			      a->watch && etcd_watch_status(a->watch, why, sizeof(why)));
	eps = cJSON_AddArrayToObject(rep, "endpoints");
	for (size_t i = 0; i < endpoints_count(a->eps); i++)
		cJSON_AddItemToArray(eps, endpoint_to_json(endpoints_at(a->eps, i)));
	leases = cJSON_AddArrayToObject(rep, "leases");
	for (size_t i = 0; i < a->n_remote; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "subnet", cidr_format(&a->remote[i].subnet, s));
		cJSON_AddStringToObject(l, "PublicIP", ip4_format(a->remote[i].public_ip, ip));
		cJSON_AddItemToArray(leases, l);
	}
	if (a->proxy)
		cJSON_AddItemToObject(rep, "services", agent_services_status(a));
	return rep;
}

static cJSON *api_endpoint_add(struct agent *a, const cJSON *req, char *err,
			       size_t errlen)
{
	struct routing_endpoint r;
	struct endpoint ep;
	char ip[IP4_STRLEN];
	int ret;

	if (endpoint_from_json(cJSON_GetObjectItemCaseSensitive(req, "endpoint"),
			       &ep, err, errlen))
		return NULL;
	ip4_format(ep.ip, ip);
	if (!cidr_contains(&a->lease.subnet, ep.ip)) {
		snprintf(err, errlen, "endpoint.ip: %s is not in this worker's subnet",
			 ip);
		return NULL;
	}
	r = to_routing(&ep);
	ret = a->routing->endpoint_add(&r);
	if (!ret)
		ret = endpoints_put(a->eps, &ep);
	if (ret) {
		snprintf(err, errlen, "endpoint %s: %s", ip, strerror(-ret));
		return NULL;
	}
	log_info("endpoint %s (%s/%s) on %s added", ip, ep.ns, ep.pod, ep.ifname);
	return cJSON_CreateObject();
}

static cJSON *api_endpoint_del(struct agent *a, const cJSON *req, char *err,
			       size_t errlen)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(req, "container");
	const struct endpoint *ep;
	char ip[IP4_STRLEN];
	int ret;

	if (!cJSON_IsString(c)) {
		snprintf(err, errlen, "container: expected a string");
		return NULL;
	}
	ep = endpoints_find(a->eps, c->valuestring);
	if (!ep)
		return cJSON_CreateObject(); /* DEL is idempotent */
	ip4_format(ep->ip, ip);
	ret = a->routing->endpoint_del(ep->ip);
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "endpoint %s: %s", ip, strerror(-ret));
		return NULL;
	}
	ret = endpoints_del(a->eps, c->valuestring);
	if (ret) {
		snprintf(err, errlen, "endpoint %s: %s", ip, strerror(-ret));
		return NULL;
	}
	log_info("endpoint %s removed", ip);
	return cJSON_CreateObject();
}

cJSON *agent_api(void *agent, const cJSON *req, char *err, size_t errlen)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	struct agent *a = agent;

	if (!cJSON_IsString(op)) {
		snprintf(err, errlen, "op: expected a string");
		return NULL;
	}
	if (!strcmp(op->valuestring, "status"))
		return api_status(a);
	if (!strcmp(op->valuestring, "endpoint-add"))
		return api_endpoint_add(a, req, err, errlen);
	if (!strcmp(op->valuestring, "endpoint-del"))
		return api_endpoint_del(a, req, err, errlen);
	snprintf(err, errlen, "op: unknown operation \"%s\" (expected status, endpoint-add or endpoint-del)",
		 op->valuestring);
	return NULL;
}
