// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define N_MAX 64

static uint32_t *table_new(void)
{
	uint32_t *t = calloc(MAGLEV_SIZE, sizeof(*t));

	assert_non_null(t);
	return t;
}

/* Backends spread over two workers' /20 leases, as pods would be. */
static void backends_fill(uint32_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = IP(11, 0, (i % 2) * 16, 2 + i);
}

static void test_prime(void **state)
{
	(void)state;
	assert_true(maglev_is_prime(MAGLEV_SIZE));
	assert_true(maglev_is_prime(1021));
	assert_true(maglev_is_prime(2));
	assert_false(maglev_is_prime(0));
	assert_false(maglev_is_prime(1));
	assert_false(maglev_is_prime(1024));
	assert_false(maglev_is_prime(16383)); /* 3 * 43 * 127 */
}

static void test_invalid(void **state)
{
	uint32_t b[2] = { IP(11, 0, 0, 2), 0 };
	uint32_t t[7];

	(void)state;
	assert_int_equal(maglev_build(NULL, 1, t, 7), -EINVAL);
	assert_int_equal(maglev_build(b, 1, NULL, 7), -EINVAL);
	assert_int_equal(maglev_build(b, 0, t, 7), -EINVAL);
	assert_int_equal(maglev_build(b, 1, t, 8), -EINVAL);
	assert_int_equal(maglev_build(b, 2, t, 7), -EINVAL); /* address 0 */
	{
		uint32_t many[8];

		backends_fill(many, 8);
		assert_int_equal(maglev_build(many, 8, t, 7), -EINVAL);
	}
}

static void test_single(void **state)
{
	uint32_t b = IP(11, 0, 0, 9), t[1021];

	(void)state;
	assert_int_equal(maglev_build(&b, 1, t, 1021), 0);
	for (size_t i = 0; i < 1021; i++)
		assert_int_equal(t[i], b);
}

/* Same set in any order, with duplicates: the same table. */
static void test_order_independent(void **state)
{
	uint32_t a[N_MAX], r[N_MAX + 2];
	uint32_t *t1 = table_new(), *t2 = table_new();

	(void)state;
	backends_fill(a, N_MAX);
	for (size_t i = 0; i < N_MAX; i++)
		r[i] = a[(i * 37 + 11) % N_MAX];  /* 37 coprime to 64 */
	r[N_MAX] = a[5];
	r[N_MAX + 1] = a[60];
	assert_int_equal(maglev_build(a, N_MAX, t1, MAGLEV_SIZE), 0);
	assert_int_equal(maglev_build(r, N_MAX + 2, t2, MAGLEV_SIZE), 0);
	assert_memory_equal(t1, t2, MAGLEV_SIZE * sizeof(*t1));
	free(t1);
	free(t2);
}

static size_t count_of(const uint32_t *t, uint32_t addr)
{
	size_t c = 0;

	for (size_t i = 0; i < MAGLEV_SIZE; i++)
		c += t[i] == addr;
	return c;
}

/* Every backend holds floor(M/N) or ceil(M/N) slots, nothing else. */
static void test_balance(void **state)
{
	static const size_t ns[] = { 2, 3, 7, 10, 33, N_MAX };
	uint32_t b[N_MAX];
	uint32_t *t = table_new();

	(void)state;
	backends_fill(b, N_MAX);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		size_t n = ns[k], total = 0;

		assert_int_equal(maglev_build(b, n, t, MAGLEV_SIZE), 0);
		for (size_t i = 0; i < n; i++) {
			size_t c = count_of(t, b[i]);

			assert_in_range(c, MAGLEV_SIZE / n,
					(MAGLEV_SIZE + n - 1) / n);
			total += c;
		}
		assert_int_equal(total, MAGLEV_SIZE);
	}
	free(t);
}

/* Removing one of N moves about 1/N of the slots: those of the removed
 * backend, plus a small margin (2 % of the table). */
static void check_disruption(size_t n, size_t gone)
{
	uint32_t b[N_MAX], rest[N_MAX];
	uint32_t *t1 = table_new(), *t2 = table_new();
	size_t moved = 0, m = 0;

	backends_fill(b, n);
	for (size_t i = 0; i < n; i++)
		if (i != gone)
			rest[m++] = b[i];
	assert_int_equal(maglev_build(b, n, t1, MAGLEV_SIZE), 0);
	assert_int_equal(maglev_build(rest, m, t2, MAGLEV_SIZE), 0);
	for (size_t i = 0; i < MAGLEV_SIZE; i++) {
		if (t1[i] == b[gone])
			assert_int_not_equal(t2[i], b[gone]);
		moved += t1[i] != t2[i];
	}
	if ((double)moved / MAGLEV_SIZE > 1.0 / n + 0.02)
		fail_msg("n=%zu: %zu of %u slots moved (> 1/n + 2%%)", n,
			 moved, MAGLEV_SIZE);
	free(t1);
	free(t2);
}

static void test_disruption(void **state)
{
	(void)state;
	check_disruption(3, 1);
	check_disruption(5, 0);
	check_disruption(10, 4);
	check_disruption(20, 19);
	check_disruption(N_MAX, 33);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prime),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_disruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
