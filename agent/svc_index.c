// SPDX-License-Identifier: MIT
/* The hash index of services by ns/name; see svc_index.h. Deletion shifts
 * the following entries of the probe run back (no tombstones), so the
 * table never degrades however many services come and go. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "svc_index.h"

#define MIN_CAP 64

void svc_index_init(struct svc_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void svc_index_free(struct svc_index *ix)
{
	free(ix->slots);
	svc_index_init(ix);
}

uint32_t svc_index_hash(const char *ns, const char *name)
{
	uint32_t h = 2166136261u;

	for (; *ns; ns++)
		h = (h ^ (unsigned char)*ns) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static bool same(const struct svc_index_slot *s, uint32_t h, const char *ns,
		 const char *name)
{
	return s->hash == h && !strcmp(s->ns, ns) && !strcmp(s->name, name);
}

/* The slot holding ns/name, or the empty slot where it would go. */
static size_t probe(const struct svc_index *ix, uint32_t h, const char *ns,
		    const char *name)
{
	size_t mask = ix->cap - 1, i = h & mask;

	while (ix->slots[i].used && !same(&ix->slots[i], h, ns, name))
		i = (i + 1) & mask;
	return i;
}

bool svc_index_get(const struct svc_index *ix, const char *ns,
		   const char *name, size_t *val)
{
	size_t i;

	if (!ix->n || !ns || !name)
		return false;
	i = probe(ix, svc_index_hash(ns, name), ns, name);
	if (!ix->slots[i].used)
		return false;
	if (val)
		*val = ix->slots[i].val;
	return true;
}

static int grow(struct svc_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : MIN_CAP;
	struct svc_index_slot *old = ix->slots;
	size_t old_cap = ix->cap;

	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots) {
		ix->slots = old;
		return -ENOMEM;
	}
	ix->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			ix->slots[probe(ix, old[i].hash, old[i].ns, old[i].name)] = old[i];
	free(old);
	return 0;
}

int svc_index_put(struct svc_index *ix, const char *ns, const char *name,
		  size_t val)
{
	struct svc_index_slot *s;
	uint32_t h;
	int ret;

	if (!ns || !name || strlen(ns) > PROXY_NAME_MAX ||
	    strlen(name) > PROXY_NAME_MAX)
		return -EINVAL;
	/* at most half full: short probe runs */
	if ((ix->n + 1) * 2 > ix->cap) {
		ret = grow(ix);
		if (ret)
			return ret;
	}
	h = svc_index_hash(ns, name);
	s = &ix->slots[probe(ix, h, ns, name)];
	if (!s->used) {
		s->used = true;
		s->hash = h;
		strcpy(s->ns, ns);
		strcpy(s->name, name);
		ix->n++;
	}
	s->val = val;
	return 0;
}

int svc_index_del(struct svc_index *ix, const char *ns, const char *name)
{
	size_t mask, i, j, home;

	if (!ix->n || !ns || !name)
		return -ENOENT;
	mask = ix->cap - 1;
	i = probe(ix, svc_index_hash(ns, name), ns, name);
	if (!ix->slots[i].used)
		return -ENOENT;
	/* Backward shift: an entry after the hole moves into it unless its
	 * home slot lies cyclically in (hole, entry]. */
	for (j = (i + 1) & mask; ix->slots[j].used; j = (j + 1) & mask) {
		home = ix->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->slots[i] = ix->slots[j];
			i = j;
		}
	}
	memset(&ix->slots[i], 0, sizeof(ix->slots[i]));
	ix->n--;
	return 0;
}
