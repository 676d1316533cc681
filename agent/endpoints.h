/* SPDX-License-Identifier: MIT */
/* The pods of this worker as the CNI plugin reported them, kept in a file
 * (endpoints.json in the agent's run directory, replaced atomically), so a
 * restarted agent knows them again and can replay them into the datapath. */
#ifndef KNETSIM_AGENT_ENDPOINTS_H
#define KNETSIM_AGENT_ENDPOINTS_H

#include <stddef.h>
#include <stdint.h>

struct endpoint {
	/* As large as the CNI plugin accepts (CNI_CONTAINERID, K8S_POD_*). */
	char container[1024];
	char pod[254];
	char ns[254];             /* Kubernetes namespace */
	uint32_t ip;              /* host order */
	char ifname[16];          /* host-side veth */
	int ifindex;
	uint8_t mac[6];           /* the pod's eth0 */
	char netns[256];
};

struct endpoints;
struct cJSON;

/* Loads path if it exists (a missing file is an empty set). */
int endpoints_open(const char *path, struct endpoints **out);
void endpoints_close(struct endpoints *eps);
size_t endpoints_count(const struct endpoints *eps);
const struct endpoint *endpoints_at(const struct endpoints *eps, size_t i);
const struct endpoint *endpoints_find(const struct endpoints *eps,
				      const char *container);
/* Adds or replaces (by container) and saves. */
int endpoints_put(struct endpoints *eps, const struct endpoint *ep);
/* Removes and saves; -ENOENT when absent. */
int endpoints_del(struct endpoints *eps, const char *container);

/* From the ctl protocol's "endpoint" object; -EINVAL with err. */
int endpoint_from_json(const struct cJSON *o, struct endpoint *ep, char *err,
		       size_t errlen);
struct cJSON *endpoint_to_json(const struct endpoint *ep);

#endif
