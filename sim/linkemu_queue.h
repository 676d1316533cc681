/* SPDX-License-Identifier: MIT */
/* The pure parts of the userspace link emulator (sim/linkemu.c): a seeded
 * PRNG, the loss and release-time decisions, and a bounded FIFO of frames
 * waiting for their release time. No I/O, no clocks: times are passed in
 * (nanoseconds on any monotonic scale), so all of it is unit-testable.
 *
 * Jitter never reorders: a frame's release time is
 *   max(now + delay + U[-jitter, +jitter] (clamped at >= 0), previous release)
 * so frames of one direction leave in the order they arrived, and a frame
 * may wait a little longer than its sample when the one before it drew a
 * larger delay (netem's in-order behaviour). */
#ifndef KNETSIM_LINKEMU_QUEUE_H
#define KNETSIM_LINKEMU_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LQ_PPM 1000000u   /* loss_ppm of LQ_PPM drops everything */

/* splitmix64: tiny, fast, every seed (0 too) gives a good stream. */
struct lq_rand {
	uint64_t state;
};

void lq_rand_seed(struct lq_rand *r, uint64_t seed);
uint64_t lq_rand_next(struct lq_rand *r);
/* Uniform in [0, n) without modulo bias; 0 when n is 0. */
uint64_t lq_rand_below(struct lq_rand *r, uint64_t n);

/* One direction's shaping. */
struct lq_params {
	uint32_t delay_us;
	uint32_t jitter_us;
	uint32_t loss_ppm;  /* 0..LQ_PPM; larger counts as LQ_PPM */
};

/* Whether to drop the next frame. Draws no random number when loss_ppm
 * is 0 or >= LQ_PPM. */
bool lq_lose(const struct lq_params *p, struct lq_rand *r);

/* Release time of a frame arriving at now_ns whose predecessor in the same
 * direction is released at prev_ns (0: none). Never earlier than now_ns
 * or prev_ns; draws one random number only when jitter_us is not 0. */
uint64_t lq_release_time(const struct lq_params *p, struct lq_rand *r,
			 uint64_t now_ns, uint64_t prev_ns);

/* FIFO of frames with release times. Frame bytes live in one preallocated
 * byte ring (each frame contiguous), so pushing and popping never
 * allocate. Bounded both in frames and in bytes; a push that does not fit
 * is refused (the caller tail-drops, like a qdisc limit). */
struct lq_slot {
	uint64_t release_ns;
	size_t off;
	size_t len;
};

struct lq {
	struct lq_slot *slots;
	unsigned char *buf;
	size_t max_frames, max_bytes;
	size_t first, count;    /* slot ring */
	size_t head, tail;      /* byte ring: oldest frame, next free byte */
	bool wrapped;           /* live bytes are [head, end) and [0, tail) */
	uint64_t last_release_ns; /* of the newest frame ever pushed */
};

/* max_frames and max_bytes must be non-zero; -EINVAL, -ENOMEM. */
int lq_init(struct lq *q, size_t max_frames, size_t max_bytes);
void lq_destroy(struct lq *q);

/* Copies len bytes in. 0; -ENOBUFS when full (frames or bytes); -EINVAL
 * for len 0, -EMSGSIZE for len > max_bytes, -EDOM when release_ns is
 * earlier than the previous frame's (the FIFO would lie). */
int lq_push(struct lq *q, const void *data, size_t len, uint64_t release_ns);

/* The oldest frame, or NULL when empty. */
const struct lq_slot *lq_peek(const struct lq *q);
static inline const void *lq_data(const struct lq *q, const struct lq_slot *s)
{
	return q->buf + s->off;
}
void lq_pop(struct lq *q);

static inline size_t lq_count(const struct lq *q)
{
	return q->count;
}

static inline uint64_t lq_last_release(const struct lq *q)
{
	return q->last_release_ns;
}

#endif
