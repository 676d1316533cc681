// SPDX-License-Identifier: MIT
/* The hash index of services by ns/name (agent/svc_index.c), checked
 * against a plain array through thousands of random puts and deletes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_index.h"

#define KEYS 3000

static void test_basics(void **state)
{
	char longname[PROXY_NAME_MAX + 2];
	struct svc_index ix;
	size_t v = 0;

	(void)state;
	svc_index_init(&ix);
	assert_false(svc_index_get(&ix, "default", "web", &v));
	assert_int_equal(svc_index_del(&ix, "default", "web"), -ENOENT);
	assert_int_equal(svc_index_put(&ix, "default", "web", 7), 0);
	assert_true(svc_index_get(&ix, "default", "web", &v));
	assert_int_equal(v, 7);
	assert_true(svc_index_get(&ix, "default", "web", NULL));
	/* the namespace is part of the key */
	assert_false(svc_index_get(&ix, "other", "web", &v));
	assert_int_equal(svc_index_put(&ix, "default", "web", 9), 0);
	assert_int_equal(ix.n, 1);
	assert_true(svc_index_get(&ix, "default", "web", &v));
	assert_int_equal(v, 9);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(svc_index_put(&ix, "default", longname, 1), -EINVAL);
	assert_int_equal(svc_index_del(&ix, "default", "web"), 0);
	assert_int_equal(ix.n, 0);
	assert_false(svc_index_get(&ix, "default", "web", &v));
	svc_index_free(&ix);
	svc_index_free(&ix);
}

static void test_random(void **state)
{
	static bool in[KEYS];
	static size_t val[KEYS];
	struct svc_index ix;
	char name[32];
	unsigned int seed = 12345;
	size_t n = 0, v;

	(void)state;
	svc_index_init(&ix);
	memset(in, 0, sizeof(in));
	for (int step = 0; step < 40000; step++) {
		size_t k = (size_t)rand_r(&seed) % KEYS;

		snprintf(name, sizeof(name), "svc-%zu", k);
		if (rand_r(&seed) % 3) {
			assert_int_equal(svc_index_put(&ix, "default", name, (size_t)step), 0);
			n += !in[k];
			in[k] = true;
			val[k] = (size_t)step;
		} else {
			assert_int_equal(svc_index_del(&ix, "default", name),
					 in[k] ? 0 : -ENOENT);
			n -= in[k];
			in[k] = false;
		}
		assert_int_equal(ix.n, n);
		if (step % 997)
			continue;
		/* now and then, every key */
		for (size_t j = 0; j < KEYS; j++) {
			snprintf(name, sizeof(name), "svc-%zu", j);
			assert_int_equal(svc_index_get(&ix, "default", name, &v), in[j]);
			if (in[j])
				assert_int_equal(v, val[j]);
		}
	}
	assert_true(ix.n * 2 <= ix.cap);
	svc_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("svc_index", tests, NULL, NULL);
}
