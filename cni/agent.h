/* SPDX-License-Identifier: MIT */
/* Telling the worker's agent about endpoints, over its control socket
 * (knetsim/ctl.h, through lib/ctl_client). */
#ifndef KNETSIM_CNI_AGENT_H
#define KNETSIM_CNI_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define AGENT_TIMEOUT_MS 5000

struct cni_endpoint {
	const char *pod, *pod_namespace, *container;
	const char *ifname, *mac, *netns;
	uint32_t ip;	/* host byte order */
	int ifindex;
};

/* The requests as ctl.h spells them; NULL when out of memory. */
cJSON *cni_agent_add_request(const struct cni_endpoint *ep);
cJSON *cni_agent_del_request(const char *container);
/* 0 for {"ok":true}; -EPROTO with the agent's "error" in err otherwise. */
int cni_agent_reply_check(const cJSON *reply, char *err, size_t errlen);

/* 0; -ENOENT or -ECONNREFUSED when no agent listens on sock (err says
 * so); -EPROTO when the agent refused; other -errno on failure. */
int cni_agent_endpoint_add(const char *sock, const struct cni_endpoint *ep,
		       char *err, size_t errlen);
int cni_agent_endpoint_del(const char *sock, const char *container, char *err,
		       size_t errlen);

#endif
