// SPDX-License-Identifier: MIT
/* endpoint-add and endpoint-del requests to the worker's agent. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cidr.h"
#include "ctl_client.h"

cJSON *cni_agent_add_request(const struct cni_endpoint *ep)
{
	cJSON *req = cJSON_CreateObject(), *o;
	char ip[IP4_STRLEN];

	if (!req)
		return NULL;
	if (!cJSON_AddStringToObject(req, "op", "endpoint-add") ||
	    !(o = cJSON_AddObjectToObject(req, "endpoint")) ||
	    !cJSON_AddStringToObject(o, "pod", ep->pod) ||
	    !cJSON_AddStringToObject(o, "namespace", ep->pod_namespace) ||
	    !cJSON_AddStringToObject(o, "container", ep->container) ||
	    !cJSON_AddStringToObject(o, "ip", ip4_format(ep->ip, ip)) ||
	    !cJSON_AddStringToObject(o, "ifname", ep->ifname) ||
	    !cJSON_AddNumberToObject(o, "ifindex", ep->ifindex) ||
	    !cJSON_AddStringToObject(o, "mac", ep->mac) ||
	    !cJSON_AddStringToObject(o, "netns", ep->netns)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

cJSON *cni_agent_del_request(const char *container)
{
	cJSON *req = cJSON_CreateObject();

	if (!req)
		return NULL;
	if (!cJSON_AddStringToObject(req, "op", "endpoint-del") ||
	    !cJSON_AddStringToObject(req, "container", container)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

int cni_agent_reply_check(const cJSON *reply, char *err, size_t errlen)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(reply, "error");

	if (cJSON_IsTrue(ok))
		return 0;
	snprintf(err, errlen, "the agent refused: %s",
		 cJSON_IsString(msg) ? msg->valuestring :
		 "(reply without \"ok\":true)");
	return -EPROTO;
}

/* One request; the reply checked. */
static int agent_call(const char *sock, cJSON *req, char *err, size_t errlen)
{
	struct stat st;
	cJSON *rep;
	int ret;

	if (!req) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (stat(sock, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s (is the worker's agent running?)",
			 sock, strerror(errno));
		cJSON_Delete(req);
		return ret;
	}
	errno = 0;
	rep = ctl_call(sock, req, AGENT_TIMEOUT_MS, err, errlen);
	/* ctl_call leaves the failing call's errno: ECONNREFUSED is a
	 * socket file nobody listens on (an agent that died). */
	ret = rep ? cni_agent_reply_check(rep, err, errlen) :
	      errno == ECONNREFUSED ? -ECONNREFUSED : -EIO;
	cJSON_Delete(rep);
	cJSON_Delete(req);
	return ret;
}

int cni_agent_endpoint_add(const char *sock, const struct cni_endpoint *ep,
		       char *err, size_t errlen)
{
	return agent_call(sock, cni_agent_add_request(ep), err, errlen);
}

int cni_agent_endpoint_del(const char *sock, const char *container, char *err,
		       size_t errlen)
{
	return agent_call(sock, cni_agent_del_request(container), err, errlen);
}
