// SPDX-License-Identifier: MIT
/* Link emulator: PRNG, loss and release-time decisions, the delay queue,
 * userspace segmentation of tunnelled GSO frames, argument parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "linkemu.h"
#include "linkemu_gso.h"
#include "linkemu_queue.h"

#define NS_PER_US 1000ull

/* ---- PRNG and decisions ---- */

static void test_rand_deterministic(void **state)
{
	struct lq_rand a, b, c;

	(void)state;
	lq_rand_seed(&a, 42);
	lq_rand_seed(&b, 42);
	lq_rand_seed(&c, 43);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = lq_rand_next(&a);

		assert_true(x == lq_rand_next(&b));
		assert_true(x != lq_rand_next(&c));
	}
}

static void test_rand_below(void **state)
{
	struct lq_rand r;
	unsigned hits[7] = { 0 };

	(void)state;
	lq_rand_seed(&r, 0);
	assert_true(lq_rand_below(&r, 0) == 0);
	assert_true(lq_rand_below(&r, 1) == 0);
	for (int i = 0; i < 70000; i++) {
		uint64_t x = lq_rand_below(&r, 7);

		assert_true(x < 7);
		hits[x]++;
	}
	for (int i = 0; i < 7; i++)   /* 10000 expected each */
		assert_true(hits[i] > 9500 && hits[i] < 10500);
}

static void test_loss_extremes(void **state)
{
	struct lq_params never = { .loss_ppm = 0 };
	struct lq_params always = { .loss_ppm = LQ_PPM };
	struct lq_params beyond = { .loss_ppm = 2 * LQ_PPM };
	struct lq_rand r, before;

	(void)state;
	lq_rand_seed(&r, 7);
	before = r;
	for (int i = 0; i < 1000; i++) {
		assert_false(lq_lose(&never, &r));
		assert_true(lq_lose(&always, &r));
		assert_true(lq_lose(&beyond, &r));
	}
	/* No random numbers drawn for the certain cases. */
	assert_true(r.state == before.state);
}

static void test_loss_rate(void **state)
{
	struct lq_params p = { .loss_ppm = 100000 };   /* 10 % */
	struct lq_rand r;
	const int n = 100000;
	int lost = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		lq_rand_seed(&r, seed);
		lost = 0;
		for (int i = 0; i < n; i++)
			lost += lq_lose(&p, &r);
		/* 10 % +- 1 % (that is +- 10 standard deviations) */
		assert_in_range(lost, 9000, 11000);
	}
	p.loss_ppm = 1;   /* one in a million */
	lq_rand_seed(&r, 1);
	lost = 0;
	for (int i = 0; i < n; i++)
		lost += lq_lose(&p, &r);
	assert_in_range(lost, 0, 5);
}

static void test_release_zero_delay(void **state)
{
	struct lq_params p = { 0 };
	struct lq_rand r, before;

	(void)state;
	lq_rand_seed(&r, 1);
	before = r;
	assert_true(lq_release_time(&p, &r, 5000, 0) == 5000);
	assert_true(lq_release_time(&p, &r, 5000, 4000) == 5000);
	assert_true(r.state == before.state);
}

static void test_release_fixed_delay(void **state)
{
	struct lq_params p = { .delay_us = 20000 };
	struct lq_rand r;

	(void)state;
	lq_rand_seed(&r, 1);
	assert_true(lq_release_time(&p, &r, 1000, 0) ==
		    1000 + 20000 * NS_PER_US);
	/* Never before the previous frame. */
	assert_true(lq_release_time(&p, &r, 1000, 99000000000ull) ==
		    99000000000ull);
}

static void test_release_jitter_bounds(void **state)
{
	struct lq_params p = { .delay_us = 10000, .jitter_us = 2000 };
	const uint64_t lo = 8000 * NS_PER_US, hi = 12000 * NS_PER_US;
	uint64_t min = UINT64_MAX, max = 0, now = 1000000, prev = 0, t;
	struct lq_rand r;

	(void)state;
	lq_rand_seed(&r, 99);
	/* Independent samples: inside [delay - jitter, delay + jitter]. */
	for (int i = 0; i < 100000; i++) {
		t = lq_release_time(&p, &r, now, 0) - now;
		assert_true(t >= lo && t <= hi);
		min = t < min ? t : min;
		max = t > max ? t : max;
	}
	/* ... and spread over nearly all of it. */
	assert_true(min < lo + 50 * NS_PER_US);
	assert_true(max > hi - 50 * NS_PER_US);

	/* A stream, frames 100 us apart: in order, never earlier than
	 * now + delay - jitter, never later than the bound or the
	 * previous frame. */
	for (int i = 0; i < 100000; i++) {
		now += 100 * NS_PER_US;
		t = lq_release_time(&p, &r, now, prev);
		assert_true(t >= prev);
		assert_true(t >= now + lo);
		assert_true(t <= now + hi || t == prev);
		prev = t;
	}
}

static void test_release_jitter_clamped(void **state)
{
	/* Jitter larger than the delay: never before "now". */
	struct lq_params p = { .delay_us = 100, .jitter_us = 1000 };
	struct lq_rand r;
	int zero = 0;

	(void)state;
	lq_rand_seed(&r, 5);
	for (int i = 0; i < 10000; i++) {
		uint64_t t = lq_release_time(&p, &r, 777, 0);

		assert_true(t >= 777 && t <= 777 + 1100 * NS_PER_US);
		zero += t == 777;
	}
	assert_true(zero > 4000);  /* ~45 % of samples clamp at 0 */
}

/* ---- the queue ---- */

static void fill(unsigned char *b, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(tag * 31 + i);
}

static void test_queue_init(void **state)
{
	struct lq q;

	(void)state;
	assert_int_equal(lq_init(&q, 0, 100), -EINVAL);
	assert_int_equal(lq_init(&q, 10, 0), -EINVAL);
	assert_int_equal(lq_init(&q, 4, 100), 0);
	assert_null(lq_peek(&q));
	lq_pop(&q);   /* harmless when empty */
	assert_int_equal(lq_count(&q), 0);
	lq_destroy(&q);
	lq_destroy(&q);   /* twice is harmless */
}

static void test_queue_order(void **state)
{
	unsigned char in[100], want[100];
	const struct lq_slot *s;
	struct lq q;

	(void)state;
	assert_int_equal(lq_init(&q, 64, 64 * 100), 0);
	for (unsigned i = 0; i < 50; i++) {
		fill(in, 1 + i, i);
		assert_int_equal(lq_push(&q, in, 1 + i, 1000 + i), 0);
	}
	assert_int_equal(lq_count(&q), 50);
	assert_true(lq_last_release(&q) == 1049);
	for (unsigned i = 0; i < 50; i++) {
		s = lq_peek(&q);
		assert_non_null(s);
		assert_int_equal(s->len, 1 + i);
		assert_true(s->release_ns == 1000 + i);
		fill(want, 1 + i, i);
		assert_memory_equal(lq_data(&q, s), want, 1 + i);
		lq_pop(&q);
	}
	assert_null(lq_peek(&q));
	lq_destroy(&q);
}

static void test_queue_push_errors(void **state)
{
	unsigned char b[64] = { 0 };
	struct lq q;

	(void)state;
	assert_int_equal(lq_init(&q, 4, 32), 0);
	assert_int_equal(lq_push(&q, b, 0, 1), -EINVAL);
	assert_int_equal(lq_push(&q, b, 33, 1), -EMSGSIZE);
	assert_int_equal(lq_push(&q, b, 8, 100), 0);
	assert_int_equal(lq_push(&q, b, 8, 99), -EDOM);
	assert_int_equal(lq_push(&q, b, 8, 100), 0);  /* equal is fine */
	assert_int_equal(lq_count(&q), 2);
	lq_destroy(&q);
}

static void test_queue_full_frames(void **state)
{
	unsigned char b[16] = { 0 };
	struct lq q;

	(void)state;
	assert_int_equal(lq_init(&q, 8, 4096), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(lq_push(&q, b, 16, (uint64_t)i), 0);
	/* Tail drop: the newcomer is refused, the queue is untouched. */
	assert_int_equal(lq_push(&q, b, 16, 100), -ENOBUFS);
	assert_int_equal(lq_count(&q), 8);
	assert_true(lq_peek(&q)->release_ns == 0);
	lq_pop(&q);
	assert_int_equal(lq_push(&q, b, 16, 100), 0);
	assert_int_equal(lq_count(&q), 8);
	lq_destroy(&q);
}

static void test_queue_full_bytes(void **state)
{
	unsigned char b[400];
	const struct lq_slot *s;
	struct lq q;

	(void)state;
	assert_int_equal(lq_init(&q, 100, 1000), 0);
	fill(b, sizeof(b), 1);
	assert_int_equal(lq_push(&q, b, 400, 1), 0);   /* [0, 400) */
	assert_int_equal(lq_push(&q, b, 400, 2), 0);   /* [400, 800) */
	assert_int_equal(lq_push(&q, b, 400, 3), -ENOBUFS);
	assert_int_equal(lq_push(&q, b, 200, 3), 0);   /* [800, 1000) */
	assert_int_equal(lq_push(&q, b, 1, 4), -ENOBUFS);
	lq_pop(&q);                                    /* frees [0, 400) */
	assert_int_equal(lq_push(&q, b, 401, 5), -ENOBUFS);
	assert_int_equal(lq_push(&q, b, 400, 5), 0);   /* wraps to 0 */
	assert_int_equal(lq_push(&q, b, 1, 6), -ENOBUFS);
	for (uint64_t want = 2; (s = lq_peek(&q)); want++) {
		assert_true(s->release_ns == (want == 4 ? 5 : want));
		assert_memory_equal(lq_data(&q, s), b, s->len);
		lq_pop(&q);
		if (want == 4)
			break;
	}
	assert_int_equal(lq_count(&q), 0);
	/* Empty again: the whole buffer is available. */
	assert_int_equal(lq_push(&q, b, 400, 7), 0);
	assert_int_equal(lq_push(&q, b, 400, 7), 0);
	assert_int_equal(lq_push(&q, b, 200, 7), 0);
	lq_destroy(&q);
}

/* Random pushes and pops against a simple model: contents survive
 * wrapping, and byte/frame limits are the only reasons to refuse. */
static void test_queue_stress(void **state)
{
	enum { CAP = 32, BYTES = 3000, MAXLEN = 700 };
	unsigned char b[MAXLEN], want[MAXLEN];
	size_t model_len[CAP], model_bytes = 0;
	unsigned model_tag[CAP], head = 0, count = 0, tag = 0;
	uint64_t t = 0;
	struct lq_rand r;
	struct lq q;

	(void)state;
	lq_rand_seed(&r, 2024);
	assert_int_equal(lq_init(&q, CAP, BYTES), 0);
	for (int step = 0; step < 200000; step++) {
		if (lq_rand_below(&r, 2)) {
			size_t len = 1 + (size_t)lq_rand_below(&r, MAXLEN);
			unsigned slot = (head + count) % CAP;
			int err;

			fill(b, len, tag);
			err = lq_push(&q, b, len, ++t);
			if (err) {
				assert_int_equal(err, -ENOBUFS);
				/* Only refused when really short of room:
				 * frames, or bytes, allowing for the unused
				 * end of the ring (less than one frame). */
				assert_true(count == CAP ||
					    model_bytes + len + MAXLEN > BYTES);
				continue;
			}
			model_len[slot] = len;
			model_tag[slot] = tag++;
			model_bytes += len;
			count++;
		} else if (count) {
			const struct lq_slot *s = lq_peek(&q);

			assert_non_null(s);
			assert_int_equal(s->len, model_len[head]);
			fill(want, s->len, model_tag[head]);
			assert_memory_equal(lq_data(&q, s), want, s->len);
			assert_true(s->off + s->len <= BYTES);
			model_bytes -= s->len;
			lq_pop(&q);
			head = (head + 1) % CAP;
			count--;
		}
		assert_int_equal(lq_count(&q), count);
	}
	lq_destroy(&q);
}

/* ---- tunnelled GSO segmentation ---- */

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Verifies a checksum over data with an optional pseudo header. */
static int csum_ok(const unsigned char *data, size_t len,
		   const unsigned char *ip, int v6, unsigned proto)
{
	uint32_t sum = 0;

	if (ip) {
		sum = v6 ? lg_csum_partial(ip + 8, 32, 0) :
			   lg_csum_partial(ip + 12, 8, 0);
		sum += proto + (uint32_t)len;
	}
	return lg_csum_fold(lg_csum_partial(data, len, sum)) == 0;
}

struct tframe {
	unsigned char *buf;
	size_t len;
	size_t outer_l3, outer_l4, inner_l3, inner_l4, hdr_len;
};

/* vnet hdr + eth + IPv4 + UDP + VXLAN + eth + IPv4/IPv6 + TCP (12 bytes
 * of options) + payload. */
static void build_vxlan(struct tframe *t, int inner_v6, int udp_csum,
			size_t payload, unsigned gso_size)
{
	size_t inner_ip = inner_v6 ? 40 : 20, n;
	unsigned char *f, *tcp;

	t->outer_l3 = 14;
	t->outer_l4 = 34;
	t->inner_l3 = 34 + 8 + 8 + 14;
	t->inner_l4 = t->inner_l3 + inner_ip;
	t->hdr_len = t->inner_l4 + 32;
	n = t->hdr_len + payload;
	t->len = LG_VNET_HDR_LEN + n;
	t->buf = calloc(1, t->len);
	assert_non_null(t->buf);
	/* virtio_net_hdr, little endian */
	t->buf[0] = 1;                              /* NEEDS_CSUM */
	t->buf[1] = inner_v6 ? 4 : 1;               /* TCPV6 / TCPV4 */
	t->buf[2] = (unsigned char)t->hdr_len;
	t->buf[4] = (unsigned char)gso_size;
	t->buf[5] = (unsigned char)(gso_size >> 8);
	t->buf[6] = (unsigned char)t->inner_l4;
	t->buf[8] = 16;
	f = t->buf + LG_VNET_HDR_LEN;
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, (unsigned)(n - 14));
	put16(f + 18, 0x1000);                      /* id */
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	put16(f + 34, 40000);
	put16(f + 36, 8472);
	put16(f + 38, (unsigned)(n - 34));
	put16(f + 40, udp_csum ? 0x1234 : 0);       /* seed, recomputed */
	f[42] = 0x08;                               /* VXLAN, VNI 100 */
	f[48] = 100;
	put16(f + 50 + 12, inner_v6 ? 0x86dd : 0x0800);
	if (inner_v6) {
		unsigned char *ip = f + t->inner_l3;

		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(n - t->inner_l3 - 40));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		unsigned char *ip = f + t->inner_l3;

		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(n - t->inner_l3));
		put16(ip + 4, 0x2000);
		ip[6] = 0x40;                       /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, "\x0a\x01\x00\x02\x0a\x02\x00\x03", 8);
	}
	tcp = f + t->inner_l4;
	put16(tcp, 5201);
	put16(tcp + 2, 40001);
	memcpy(tcp + 4, "\xff\xff\xf0\x00", 4);     /* seq wraps */
	tcp[12] = 8 << 4;                           /* 32-byte header */
	tcp[13] = 0x80 | 0x10 | 0x08 | 0x01;        /* CWR ACK PSH FIN */
	put16(tcp + 14, 512);
	for (size_t i = 0; i < payload; i++)
		f[t->hdr_len + i] = (unsigned char)(i * 7 + 3);
}

static void check_segments(const struct tframe *t, size_t payload,
			   unsigned gso_size, int udp_csum)
{
	const unsigned char *f = t->buf + LG_VNET_HDR_LEN;
	size_t nsegs = (payload + gso_size - 1) / gso_size, off = 0;
	struct lg_layout lo;
	unsigned char *out;

	assert_true(lg_classify(t->buf, t->len, &lo));
	assert_int_equal(lo.nsegs, nsegs);
	assert_int_equal(lo.inner_l3, t->inner_l3);
	assert_int_equal(lo.hdr_len, t->hdr_len);
	out = malloc(lg_seg_max(&lo));
	assert_non_null(out);
	for (size_t i = 0; i < nsegs; i++) {
		size_t len = lg_segment(t->buf, &lo, i, out, lg_seg_max(&lo));
		size_t chunk = payload - off < gso_size ? payload - off :
							  gso_size;
		const unsigned char *o = out + LG_VNET_HDR_LEN;
		const unsigned char *tcp = o + t->inner_l4;
		size_t seglen = t->hdr_len + chunk;

		assert_int_equal(len, LG_VNET_HDR_LEN + seglen);
		for (int k = 0; k < LG_VNET_HDR_LEN; k++)
			assert_int_equal(out[k], 0);
		/* outer IPv4 */
		assert_int_equal(get16(o + 16), seglen - 14);
		assert_int_equal(get16(o + 18), 0x1000 + i);
		assert_true(csum_ok(o + 14, 20, NULL, 0, 0));
		/* outer UDP */
		assert_int_equal(get16(o + 38), seglen - 34);
		if (udp_csum)
			assert_true(csum_ok(o + 34, seglen - 34, o + 14, 0,
					    17));
		else
			assert_int_equal(get16(o + 40), 0);
		/* inner IP */
		if (t->inner_l4 - t->inner_l3 == 40) {
			assert_int_equal(get16(o + t->inner_l3 + 4),
					 seglen - t->inner_l3 - 40);
		} else {
			assert_int_equal(get16(o + t->inner_l3 + 2),
					 seglen - t->inner_l3);
			assert_int_equal(get16(o + t->inner_l3 + 4),
					 0x2000 + i);
			assert_true(csum_ok(o + t->inner_l3, 20, NULL, 0, 0));
		}
		/* inner TCP */
		assert_true(get32(tcp + 4) ==
			    (uint32_t)(0xfffff000u + off));
		assert_int_equal(tcp[13] & 0x80, i == 0 ? 0x80 : 0);
		assert_int_equal(tcp[13] & 0x09, i + 1 == nsegs ? 0x09 : 0);
		assert_int_equal(tcp[13] & 0x10, 0x10);
		assert_true(csum_ok(tcp, seglen - t->inner_l4,
				    o + t->inner_l3,
				    t->inner_l4 - t->inner_l3 == 40, 6));
		/* headers otherwise copied, payload in order */
		assert_memory_equal(o, f, 14);
		assert_memory_equal(o + 42, f + 42, t->inner_l3 - 42);
		assert_memory_equal(o + t->hdr_len, f + t->hdr_len + off,
				    chunk);
		off += chunk;
	}
	assert_int_equal(off, payload);
	assert_int_equal(lg_segment(t->buf, &lo, nsegs, out, lg_seg_max(&lo)),
			 0);
	assert_int_equal(lg_segment(t->buf, &lo, 0, out, 10), 0);
	free(out);
}

static void test_gso_vxlan_v4(void **state)
{
	struct tframe t;

	(void)state;
	build_vxlan(&t, 0, 0, 3001, 1398);
	check_segments(&t, 3001, 1398, 0);
	free(t.buf);
	build_vxlan(&t, 0, 1, 5000, 1000);
	check_segments(&t, 5000, 1000, 1);
	free(t.buf);
}

static void test_gso_vxlan_v6_inner(void **state)
{
	struct tframe t;

	(void)state;
	build_vxlan(&t, 1, 1, 4321, 1378);
	check_segments(&t, 4321, 1378, 1);
	free(t.buf);
}

static void test_gso_not_tunnel(void **state)
{
	struct lg_layout lo;
	struct tframe t;

	(void)state;
	build_vxlan(&t, 0, 0, 3000, 1000);
	t.buf[1] = 0;                   /* not GSO */
	assert_false(lg_classify(t.buf, t.len, &lo));
	t.buf[1] = 1;
	t.buf[0] = 0;                   /* no partial checksum */
	assert_false(lg_classify(t.buf, t.len, &lo));
	t.buf[0] = 1;
	t.buf[4] = t.buf[5] = 0;        /* gso_size 0 */
	assert_false(lg_classify(t.buf, t.len, &lo));
	t.buf[4] = 100;
	/* Plain TCP GSO: csum_start right after the outer IPv4 header. */
	t.buf[LG_VNET_HDR_LEN + 23] = 6;
	t.buf[6] = 34;
	assert_false(lg_classify(t.buf, t.len, &lo));
	/* An inner length that does not cover the frame. */
	t.buf[LG_VNET_HDR_LEN + 23] = 17;
	t.buf[6] = (unsigned char)t.inner_l4;
	assert_true(lg_classify(t.buf, t.len, &lo));
	assert_false(lg_classify(t.buf, t.len - 1, &lo));
	free(t.buf);
}

/* Every truncation and many corruptions of a valid frame: no crash, no
 * read out of bounds (ASan), and segments always fit lg_seg_max(). */
static void test_gso_garbage(void **state)
{
	struct lg_layout lo;
	struct tframe t;
	struct lq_rand r;
	unsigned char *copy, *out;

	(void)state;
	build_vxlan(&t, 0, 1, 2000, 700);
	for (size_t len = 0; len <= t.len; len++) {
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, t.buf, len);
		(void)lg_classify(copy, len, &lo);
		free(copy);
	}
	lq_rand_seed(&r, 11);
	copy = malloc(t.len);
	out = malloc(70000);
	assert_non_null(copy);
	assert_non_null(out);
	for (int i = 0; i < 20000; i++) {
		memcpy(copy, t.buf, t.len);
		for (int k = 0; k < 3; k++)
			copy[lq_rand_below(&r, LG_VNET_HDR_LEN + 100)] =
				(unsigned char)lq_rand_next(&r);
		if (!lg_classify(copy, t.len, &lo))
			continue;
		assert_true(lo.hdr_len < lo.len && lo.len == t.len - 10);
		for (size_t s = 0; s < lo.nsegs; s++)
			assert_true(lg_segment(copy, &lo, s, out, 70000) <=
				    lg_seg_max(&lo));
	}
	free(copy);
	free(out);
	free(t.buf);
}

static void test_csum(void **state)
{
	/* RFC 1071's example words sum to 0xddf2. */
	const unsigned char d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
				    0xf6, 0xf7 };
	const unsigned char odd[] = { 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(lg_csum_fold(lg_csum_partial(d, sizeof(d), 0)),
			 (uint16_t)~0xddf2);
	assert_int_equal(lg_csum_partial(odd, 3, 0), 0x1234 + 0x5600);
}

/* ---- arguments ---- */

static int parse(struct linkemu_opts *o, char *err, ...)
{
	char *argv[32] = { LINKEMU_CMD };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return linkemu_parse_args(argc, argv, o, err, 256);
}

static void test_args_ok(void **state)
{
	struct linkemu_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--a", "C0w1", "--b", "emu1a", NULL),
			 0);
	assert_string_equal(o.a, "C0w1");
	assert_string_equal(o.b, "emu1a");
	assert_int_equal(o.delay_us, 0);
	assert_int_equal(o.seed_set, 0);
	assert_int_equal(o.limit, LINKEMU_DEF_LIMIT);
	assert_int_equal(o.limit_bytes, LINKEMU_DEF_LIMIT_BYTES);
	assert_int_equal(o.ready_fd, -1);
	assert_int_equal(parse(&o, err, "--a=x", "--b", "y", "--delay-us",
			       "20000", "--jitter-us", "5000", "--loss-ppm",
			       "1000000", "--seed", "18446744073709551615",
			       "--limit", "10", "--limit-bytes", "1048576",
			       "--ready-fd", "3", NULL), 0);
	assert_int_equal(o.delay_us, 20000);
	assert_int_equal(o.jitter_us, 5000);
	assert_int_equal(o.loss_ppm, 1000000);
	assert_true(o.seed == UINT64_MAX && o.seed_set);
	assert_int_equal(o.limit, 10);
	assert_int_equal(o.limit_bytes, 1048576);
	assert_int_equal(o.ready_fd, 3);
}

static void expect_bad(const char *needle, ...)
{
	char *argv[32] = { LINKEMU_CMD };
	struct linkemu_opts o;
	char err[256];
	int argc = 1;
	va_list ap;

	va_start(ap, needle);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(linkemu_parse_args(argc, argv, &o, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_args_bad(void **state)
{
	(void)state;
	expect_bad("--b", "--a", "x", NULL);
	expect_bad("different", "--a", "x", "--b", "x", NULL);
	expect_bad("--a", "--a", "0123456789abcdef", "--b", "y", NULL);
	expect_bad("--a", "--a", "", "--b", "y", NULL);
	expect_bad("--b", "--a", "x", "--b", "a/b", NULL);
	expect_bad("--delay-us", "--a", "x", "--b", "y", "--delay-us",
		   "-1", NULL);
	expect_bad("--delay-us", "--a", "x", "--b", "y", "--delay-us",
		   "60000001", NULL);
	expect_bad("--jitter-us", "--a", "x", "--b", "y", "--jitter-us",
		   "12ms", NULL);
	expect_bad("--loss-ppm", "--a", "x", "--b", "y", "--loss-ppm",
		   "1000001", NULL);
	expect_bad("--seed", "--a", "x", "--b", "y", "--seed",
		   "18446744073709551616", NULL);
	expect_bad("--limit", "--a", "x", "--b", "y", "--limit", "0", NULL);
	expect_bad("--limit-bytes", "--a", "x", "--b", "y", "--limit-bytes",
		   "1000", NULL);
	expect_bad("--ready-fd", "--a", "x", "--b", "y", "--ready-fd",
		   "2147483648", NULL);
	expect_bad("--rate", "--a", "x", "--b", "y", "--rate", "1", NULL);
	expect_bad("expected a value", "--a", "x", "--b", NULL);
	expect_bad("unexpected", "--a", "x", "--b", "y", "extra", NULL);
	expect_bad("--a", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rand_deterministic),
		cmocka_unit_test(test_rand_below),
		cmocka_unit_test(test_loss_extremes),
		cmocka_unit_test(test_loss_rate),
		cmocka_unit_test(test_release_zero_delay),
		cmocka_unit_test(test_release_fixed_delay),
		cmocka_unit_test(test_release_jitter_bounds),
		cmocka_unit_test(test_release_jitter_clamped),
		cmocka_unit_test(test_queue_init),
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_queue_push_errors),
		cmocka_unit_test(test_queue_full_frames),
		cmocka_unit_test(test_queue_full_bytes),
		cmocka_unit_test(test_queue_stress),
		cmocka_unit_test(test_gso_vxlan_v4),
		cmocka_unit_test(test_gso_vxlan_v6_inner),
		cmocka_unit_test(test_gso_not_tunnel),
		cmocka_unit_test(test_gso_garbage),
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_args_ok),
		cmocka_unit_test(test_args_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
