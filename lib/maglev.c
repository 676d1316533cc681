// SPDX-License-Identifier: MIT
/* Maglev lookup-table population; see maglev.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

/* Two independent 32-bit hashes of a backend address: a 64-bit finaliser
 * (splitmix64's) over the address and a seed, fixed forever so that every
 * worker and every version compute the same permutations. */
#define MAGLEV_SEED_OFFSET 0x6b6e736d6f666673ULL /* "knsmoffs" */
#define MAGLEV_SEED_SKIP   0x6b6e736d736b6970ULL /* "knsmskip" */

struct maglev_perm {
	uint32_t addr;
	uint32_t offset;
	uint32_t skip;
	uint32_t next;
};

static uint64_t maglev_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

bool maglev_is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sorted, distinct copy of the backends into perm[].addr; returns how
 * many, or 0 when one is 0. */
static size_t maglev_sort(const uint32_t *backends, size_t n,
			  struct maglev_perm *perm, uint32_t *scratch)
{
	size_t k = 0;

	memcpy(scratch, backends, n * sizeof(*scratch));
	qsort(scratch, n, sizeof(*scratch), cmp_u32);
	if (scratch[0] == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || perm[k - 1].addr != scratch[i])
			perm[k++].addr = scratch[i];
	return k;
}

static void maglev_perm_init(struct maglev_perm *p, uint32_t m)
{
	p->offset = (uint32_t)(maglev_mix(p->addr ^ MAGLEV_SEED_OFFSET) % m);
	p->skip = (uint32_t)(maglev_mix(p->addr ^ MAGLEV_SEED_SKIP) % (m - 1)) + 1;
	p->next = 0;
}

/* The j-th slot of p's permutation of 0..m). */
static uint32_t maglev_slot(const struct maglev_perm *p, uint32_t m)
{
	return (uint32_t)(((uint64_t)p->offset +
			   (uint64_t)p->next * p->skip) % m);
}

static void maglev_fill(struct maglev_perm *perm, size_t k, uint32_t *table,
			uint32_t m)
{
	uint32_t filled = 0;

	/* 0 marks an empty slot: no backend has address 0. */
	memset(table, 0, (size_t)m * sizeof(*table));
	for (;;) {
		for (size_t i = 0; i < k; i++) {
			uint32_t c = maglev_slot(&perm[i], m);

			while (table[c]) {
				perm[i].next++;
				c = maglev_slot(&perm[i], m);
			}
			table[c] = perm[i].addr;
			perm[i].next++;
			if (++filled == m)
				return;
		}
	}
}

int maglev_build(const uint32_t *backends, size_t n, uint32_t *table,
		 uint32_t m)
{
	struct maglev_perm *perm;
	uint32_t *scratch;
	size_t k;

	if (!backends || !table || n == 0 || !maglev_is_prime(m) || m < 3)
		return -EINVAL;
	perm = calloc(n, sizeof(*perm));
	scratch = calloc(n, sizeof(*scratch));
	if (!perm || !scratch) {
		free(perm);
		free(scratch);
		return -ENOMEM;
	}
	k = maglev_sort(backends, n, perm, scratch);
	free(scratch);
	if (k == 0 || k > m) {
		free(perm);
		return -EINVAL;
	}
	for (size_t i = 0; i < k; i++)
		maglev_perm_init(&perm[i], m);
	maglev_fill(perm, k, table, m);
	free(perm);
	return 0;
}
