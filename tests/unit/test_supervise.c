// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "supervise.h"

/* Quick exits: 0.5 s doubling, capped at 10 s. */
static void test_backoff_doubles_to_cap(void **state)
{
	static const long want[] = { 500, 1000, 2000, 4000, 8000, 10000,
				     10000, 10000 };
	struct sv_backoff b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(sv_backoff_next(&b, 100, 0), want[i]);
	assert_int_equal(b.quick, 8);
}

/* A run of 30 s or more starts the sequence over. */
static void test_backoff_resets_after_long_run(void **state)
{
	struct sv_backoff b = { 0 };

	(void)state;
	for (int i = 0; i < 6; i++)
		sv_backoff_next(&b, 0, 0);
	assert_int_equal(sv_backoff_next(&b, SV_RESET_AFTER_MS - 1, 0),
			 SV_BACKOFF_MAX_MS);
	assert_int_equal(sv_backoff_next(&b, SV_RESET_AFTER_MS, 0), 500);
	assert_int_equal(b.quick, 0);
	assert_int_equal(sv_backoff_next(&b, 10, 0), 1000);
	assert_int_equal(sv_backoff_next(&b, 3600000LL * 24, 0), 500);
	/* A negative duration (clock oddity) is a quick run, not a crash. */
	assert_int_equal(sv_backoff_next(&b, -5, 0), 1000);
}

static void test_backoff_gives_up(void **state)
{
	struct sv_backoff b = { 0 };

	(void)state;
	assert_int_equal(sv_backoff_next(&b, 0, 3), 500);
	assert_int_equal(sv_backoff_next(&b, 0, 3), 1000);
	assert_int_equal(sv_backoff_next(&b, 0, 3), -1);
	/* The count is of runs in a row: a long run clears it. */
	b = (struct sv_backoff){ 0 };
	sv_backoff_next(&b, 0, 3);
	sv_backoff_next(&b, 0, 3);
	assert_int_equal(sv_backoff_next(&b, SV_RESET_AFTER_MS, 3), 500);
	assert_int_equal(sv_backoff_next(&b, 0, 3), 1000);
	assert_int_equal(sv_backoff_next(&b, 0, 3), 2000);
	assert_int_equal(sv_backoff_next(&b, 0, 3), -1);
	/* give_up 1: the first quick exit is the last. */
	b = (struct sv_backoff){ 0 };
	assert_int_equal(sv_backoff_next(&b, 0, 1), -1);
}

static void test_args_good(void **state)
{
	char *a1[] = { "__supervise", "--", "nginx", "-c", "x", NULL };
	char *a2[] = { "__supervise", "--log", "/tmp/l", "--give-up", "5",
		       "--", "skrouterd", NULL };
	char *a3[] = { "__supervise", "sleep", "1", NULL };
	struct sv_opts o;
	char err[128];

	(void)state;
	assert_int_equal(sv_parse_args(5, a1, &o, err, sizeof(err)), 0);
	assert_null(o.log);
	assert_int_equal(o.give_up, 0);
	assert_string_equal(o.argv[0], "nginx");
	assert_string_equal(o.argv[2], "x");
	assert_null(o.argv[3]);
	assert_int_equal(sv_parse_args(7, a2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.log, "/tmp/l");
	assert_int_equal(o.give_up, 5);
	assert_string_equal(o.argv[0], "skrouterd");
	/* Options stop at the program: its own options stay its own. */
	assert_int_equal(sv_parse_args(3, a3, &o, err, sizeof(err)), 0);
	assert_string_equal(o.argv[0], "sleep");
}

static void test_args_bad(void **state)
{
	static const struct {
		const char *args[6];
		const char *why;
	} bad[] = {
		{ { "__supervise", NULL }, "PROGRAM" },
		{ { "__supervise", "--", NULL }, "PROGRAM" },
		{ { "__supervise", "--", "", NULL }, "PROGRAM" },
		{ { "__supervise", "--log", NULL }, "expected a value" },
		{ { "__supervise", "--log", "", "--", "x", NULL }, "file name" },
		{ { "__supervise", "--give-up", "-1", "--", "x", NULL }, "count" },
		{ { "__supervise", "--give-up", "2x", "--", "x", NULL }, "count" },
		{ { "__supervise", "--give-up", "99999999999999999999", "--",
		    "x", NULL }, "count" },
		{ { "__supervise", "--bogus", "--", "x", NULL }, "unknown" },
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[6];
		struct sv_opts o;
		int argc = 0;

		while (bad[i].args[argc]) {
			argv[argc] = (char *)bad[i].args[argc];
			argc++;
		}
		argv[argc] = NULL;
		assert_int_equal(sv_parse_args(argc, argv, &o, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
				 bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_cap),
		cmocka_unit_test(test_backoff_resets_after_long_run),
		cmocka_unit_test(test_backoff_gives_up),
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
