// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "units.h"

struct good {
	const char *in;
	uint64_t out;
};

struct bad {
	const char *in;
	const char *why;   /* a phrase the message must contain */
};

static void check_bad(int (*parse)(const char *, void *, char *, size_t),
		      const struct bad *b, size_t n)
{
	uint64_t v = 0;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		if (parse(b[i].in, &v, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", b[i].in);
		if (!strstr(err, b[i].why))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", b[i].in,
				 err, b[i].why);
		if (!strstr(err, "expected"))
			fail_msg("\"%s\": message \"%s\" says nothing of what "
				 "is expected", b[i].in, err);
	}
}

/* Adapters so one table checker serves the three parsers. */
static int parse_duration(const char *s, void *out, char *err, size_t len)
{
	uint32_t v;
	int r = units_parse_duration(s, &v, err, len);

	*(uint64_t *)out = v;
	return r;
}

static int parse_rate(const char *s, void *out, char *err, size_t len)
{
	return units_parse_rate(s, out, err, len);
}

static int parse_loss(const char *s, void *out, char *err, size_t len)
{
	uint32_t v;
	int r = units_parse_loss(s, &v, err, len);

	*(uint64_t *)out = v;
	return r;
}

static void check_good(int (*parse)(const char *, void *, char *, size_t),
		       const struct good *g, size_t n)
{
	char err[256];
	uint64_t v;

	for (size_t i = 0; i < n; i++) {
		v = 12345;
		if (parse(g[i].in, &v, err, sizeof(err)))
			fail_msg("rejected \"%s\": %s", g[i].in, err);
		if (v != g[i].out)
			fail_msg("\"%s\" gave %llu, expected %llu", g[i].in,
				 (unsigned long long)v,
				 (unsigned long long)g[i].out);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_duration(void **state)
{
	static const struct good good[] = {
		{ "0", 0 }, { "0ms", 0 }, { "0s", 0 }, { "0.0ms", 0 },
		{ "20ms", 20000 }, { "1.5ms", 1500 }, { "100us", 100 },
		{ "2s", 2000000 }, { "0.5s", 500000 }, { "1usec", 1 },
		{ "3msec", 3000 }, { "1sec", 1000000 }, { "20MS", 20000 },
		{ "0.001ms", 1 }, { "007ms", 7000 },
		{ "4294s", 4294000000u }, { "4294967295us", 4294967295u },
	};
	static const struct bad bad[] = {
		{ "", "is not a duration" },
		{ "ms", "is not a duration" },
		{ "-5ms", "is not a duration" },
		{ "+5ms", "is not a duration" },
		{ "5.ms", "is not a duration" },
		{ ".5ms", "is not a duration" },
		{ "1.2.3ms", "unknown unit" },
		{ "20", "has no unit" },
		{ "1.5", "has no unit" },
		{ "20xs", "unknown unit \"xs\"" },
		{ "20 ms", "unknown unit \" ms\"" },
		{ "2m", "unknown unit \"m\"" },
		{ "0.5us", "finer than 1us" },
		{ "0.0001ms", "finer than 1us" },
		{ "4295s", "too long" },
		{ "99999999999999999999s", "is not a duration" },
		{ "1e3ms", "unknown unit" },
	};

	(void)state;
	check_good(parse_duration, good, N(good));
	check_bad(parse_duration, bad, N(bad));
}

static void test_rate(void **state)
{
	static const struct good good[] = {
		{ "0", 0 }, { "unlimited", 0 }, { "0mbit", 0 },
		{ "8", 8 }, { "1000", 1000 }, { "8bit", 8 },
		{ "500kbit", 500000 }, { "100mbit", 100000000 },
		{ "1gbit", 1000000000 }, { "2tbit", 2000000000000ull },
		{ "1.5mbit", 1500000 }, { "100Mbit", 100000000 },
		{ "1kibit", 1024 }, { "1mibit", 1048576 },
		/* tc: "bps" is bytes per second. */
		{ "1bps", 8 }, { "10mbps", 80000000 }, { "1kbps", 8000 },
		{ "1kibps", 8192 },
	};
	static const struct bad bad[] = {
		{ "", "is not a rate" },
		{ "fast", "is not a rate" },
		{ "-1mbit", "is not a rate" },
		{ "100mb", "unknown unit \"mb\"" },
		{ "100 mbit", "unknown unit" },
		{ "1.5bit", "whole number of bits" },
		{ "4bit", "below one byte per second" },
		{ "1", "below one byte per second" },
		{ "99999999999999tbit", "too large" },
	};

	(void)state;
	check_good(parse_rate, good, N(good));
	check_bad(parse_rate, bad, N(bad));
}

static void test_loss(void **state)
{
	static const struct good good[] = {
		{ "0", 0 }, { "0%", 0 }, { "0.0%", 0 }, { "1%", 10000 },
		{ "0.5%", 5000 }, { "100%", 1000000 }, { "0.0001%", 1 },
		{ "12.3456%", 123456 }, { "100.0%", 1000000 },
	};
	static const struct bad bad[] = {
		{ "", "is not a loss rate" },
		{ "%", "is not a loss rate" },
		{ "5", "has no % sign" },
		{ "0.5", "has no % sign" },
		{ "101%", "more than 100%" },
		{ "100.0001%", "more than 100%" },
		{ "0.00001%", "finer than 0.0001%" },
		{ "-1%", "is not a loss rate" },
		{ "1 %", "is not a loss rate" },
		{ "1%%", "is not a loss rate" },
		{ "1ppm", "is not a loss rate" },
	};

	(void)state;
	check_good(parse_loss, good, N(good));
	check_bad(parse_loss, bad, N(bad));
}

static void test_format(void **state)
{
	char buf[UNITS_STRLEN];

	(void)state;
	assert_string_equal(units_format_duration(0, buf), "0ms");
	assert_string_equal(units_format_duration(20000, buf), "20ms");
	assert_string_equal(units_format_duration(1500, buf), "1.5ms");
	assert_string_equal(units_format_duration(1001, buf), "1.001ms");
	assert_string_equal(units_format_duration(100, buf), "100us");
	assert_string_equal(units_format_duration(2000000, buf), "2s");
	assert_string_equal(units_format_duration(1500000, buf), "1500ms");
	assert_string_equal(units_format_duration(UINT32_MAX, buf),
			    "4294967.295ms");

	assert_string_equal(units_format_rate(0, buf), "0");
	assert_string_equal(units_format_rate(8, buf), "8bit");
	assert_string_equal(units_format_rate(500000, buf), "500kbit");
	assert_string_equal(units_format_rate(100000000, buf), "100mbit");
	assert_string_equal(units_format_rate(1500000, buf), "1500kbit");
	assert_string_equal(units_format_rate(1000000000, buf), "1gbit");
	assert_string_equal(units_format_rate(1024, buf), "1024bit");
	assert_string_equal(units_format_rate(UINT64_MAX, buf),
			    "18446744073709551615bit");

	assert_string_equal(units_format_loss(0, buf), "0%");
	assert_string_equal(units_format_loss(5000, buf), "0.5%");
	assert_string_equal(units_format_loss(10000, buf), "1%");
	assert_string_equal(units_format_loss(1, buf), "0.0001%");
	assert_string_equal(units_format_loss(123456, buf), "12.3456%");
	assert_string_equal(units_format_loss(1000000, buf), "100%");
}

/* Whatever is formatted parses back to the same value. */
static void test_round_trip(void **state)
{
	char buf[UNITS_STRLEN], err[256];
	uint64_t r;
	uint32_t v;

	(void)state;
	for (uint64_t x = 0; x <= UINT32_MAX; x = x * 3 + 1) {
		assert_int_equal(units_parse_duration(units_format_duration(
			(uint32_t)x, buf), &v, err, sizeof(err)), 0);
		assert_int_equal(v, x);
	}
	for (uint64_t x = 8; x < UINT64_MAX / 7; x = x * 7 + 3) {
		assert_int_equal(units_parse_rate(units_format_rate(x, buf),
						  &r, err, sizeof(err)), 0);
		assert_int_equal(r, x);
	}
	for (uint32_t x = 0; x <= 1000000; x += 997) {
		assert_int_equal(units_parse_loss(units_format_loss(x, buf),
						  &v, err, sizeof(err)), 0);
		assert_int_equal(v, x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
