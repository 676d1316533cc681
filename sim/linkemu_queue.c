// SPDX-License-Identifier: MIT
/* Delay queue, PRNG and drop/release decisions of the link emulator. */
#include "linkemu_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lq_rand_seed(struct lq_rand *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t lq_rand_next(struct lq_rand *r)
{
	uint64_t z;

	r->state += 0x9e3779b97f4a7c15ull;
	z = r->state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t lq_rand_below(struct lq_rand *r, uint64_t n)
{
	uint64_t floor, x;

	if (!n)
		return 0;
	/* Reject the first 2^64 mod n values so every residue is equally
	 * likely. */
	floor = -n % n;
	do
		x = lq_rand_next(r);
	while (x < floor);
	return x % n;
}

bool lq_lose(const struct lq_params *p, struct lq_rand *r)
{
	if (!p->loss_ppm)
		return false;
	if (p->loss_ppm >= LQ_PPM)
		return true;
	return lq_rand_below(r, LQ_PPM) < p->loss_ppm;
}

uint64_t lq_release_time(const struct lq_params *p, struct lq_rand *r,
			 uint64_t now_ns, uint64_t prev_ns)
{
	int64_t d = (int64_t)p->delay_us * 1000;
	uint64_t t;

	if (p->jitter_us) {
		uint64_t j = (uint64_t)p->jitter_us * 1000;

		d += (int64_t)lq_rand_below(r, 2 * j + 1) - (int64_t)j;
		if (d < 0)
			d = 0;
	}
	t = now_ns + (uint64_t)d;
	return t < prev_ns ? prev_ns : t;
}

int lq_init(struct lq *q, size_t max_frames, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	if (!max_frames || !max_bytes)
		return -EINVAL;
	q->slots = calloc(max_frames, sizeof(*q->slots));
	q->buf = malloc(max_bytes);
	if (!q->slots || !q->buf) {
		lq_destroy(q);
		return -ENOMEM;
	}
	q->max_frames = max_frames;
	q->max_bytes = max_bytes;
	return 0;
}

void lq_destroy(struct lq *q)
{
	free(q->slots);
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/* Offset of len contiguous free bytes, or -1. Updates the wrap state. */
static long lq_alloc(struct lq *q, size_t len)
{
	if (!q->wrapped) {
		if (q->max_bytes - q->tail >= len)
			return (long)q->tail;
		if (q->head >= len) {
			/* The rest of the end is wasted until head passes. */
			q->wrapped = true;
			return 0;
		}
		return -1;
	}
	if (q->head - q->tail >= len)
		return (long)q->tail;
	return -1;
}

int lq_push(struct lq *q, const void *data, size_t len, uint64_t release_ns)
{
	struct lq_slot *s;
	long off;

	if (!len)
		return -EINVAL;
	if (len > q->max_bytes)
		return -EMSGSIZE;
	if (release_ns < q->last_release_ns)
		return -EDOM;
	if (q->count == q->max_frames)
		return -ENOBUFS;
	off = lq_alloc(q, len);
	if (off < 0)
		return -ENOBUFS;
	s = &q->slots[(q->first + q->count) % q->max_frames];
	s->off = (size_t)off;
	s->len = len;
	s->release_ns = release_ns;
	memcpy(q->buf + s->off, data, len);
	q->tail = s->off + len;
	q->count++;
	q->last_release_ns = release_ns;
	return 0;
}

const struct lq_slot *lq_peek(const struct lq *q)
{
	return q->count ? &q->slots[q->first] : NULL;
}

void lq_pop(struct lq *q)
{
	size_t next;

	if (!q->count)
		return;
	q->first = (q->first + 1) % q->max_frames;
	if (!--q->count) {
		q->first = 0;
		q->head = q->tail = 0;
		q->wrapped = false;
		return;
	}
	next = q->slots[q->first].off;
	if (next < q->head)
		q->wrapped = false; /* the oldest frame is now below head */
	q->head = next;
}
