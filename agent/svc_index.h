/* SPDX-License-Identifier: MIT */
/* A hash index of services by namespace and name: key -> size_t (an
 * array position, say), so a store or a proxy finds one service among
 * ten thousand without a scan. Open addressing with linear probing; the
 * keys are copied in. */
#ifndef KNETSIM_AGENT_SVC_INDEX_H
#define KNETSIM_AGENT_SVC_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy.h"

struct svc_index_slot {
	uint32_t hash;
	bool used;
	size_t val;
	char ns[PROXY_NAME_MAX + 1];
	char name[PROXY_NAME_MAX + 1];
};

struct svc_index {
	struct svc_index_slot *slots;
	size_t cap;                /* 0 or a power of two */
	size_t n;
};

void svc_index_init(struct svc_index *ix);
void svc_index_free(struct svc_index *ix);
/* Whether ns/name is there; its value in *val (may be NULL). */
bool svc_index_get(const struct svc_index *ix, const char *ns,
		   const char *name, size_t *val);
/* Adds or replaces; 0, -ENOMEM, or -EINVAL when a name is too long. */
int svc_index_put(struct svc_index *ix, const char *ns, const char *name,
		  size_t val);
/* Removes ns/name; 0, or -ENOENT. */
int svc_index_del(struct svc_index *ix, const char *ns, const char *name);
/* The hash of ns/name (FNV-1a of "ns/name"). */
uint32_t svc_index_hash(const char *ns, const char *name);

#endif
