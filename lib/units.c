// SPDX-License-Identifier: MIT
#include "units.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DURATION_EXPECTED "expected a number and a unit: 20ms, 1.5ms, 100us, 2s"
#define RATE_EXPECTED "expected e.g. 100mbit, 1gbit, 500kbit or 0 for " \
	"unlimited; bps units are bytes/s as in tc"
#define LOSS_EXPECTED "expected a percentage from 0% to 100%, e.g. 1% or 0.5%"

/* "123.45" then a suffix: digits as one integer, and how many were after
 * the point. */
struct decimal {
	uint64_t digits;
	unsigned frac;
	const char *suffix;
};

static const uint64_t powers_of_ten[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull,
	10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
};

#define MAX_DIGITS 18

static int parse_decimal(const char *s, struct decimal *d)
{
	unsigned ndigits = 0, nint = 0;
	bool point = false;

	d->digits = 0;
	d->frac = 0;
	for (;; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (!point)
			nint++;
		else
			d->frac++;
		/* Leading zeros do not count against the precision. */
		if (!d->digits && *s == '0')
			continue;
		if (++ndigits > MAX_DIGITS)
			return -1;
		d->digits = d->digits * 10 + (uint64_t)(*s - '0');
	}
	/* "5." and ".5" are not numbers anyone writes on purpose. */
	if (!nint || (point && !d->frac) || d->frac > MAX_DIGITS)
		return -1;
	d->suffix = s;
	return 0;
}

enum scale_result { SCALE_OK, SCALE_INEXACT, SCALE_RANGE };

/* digits / 10^frac * mul, exactly, at most max. */
static enum scale_result scale(const struct decimal *d, uint64_t mul,
			       uint64_t max, uint64_t *out)
{
	uint64_t v, den = powers_of_ten[d->frac];

	if (__builtin_mul_overflow(d->digits, mul, &v))
		return SCALE_RANGE;
	if (v % den)
		return SCALE_INEXACT;
	v /= den;
	if (v > max)
		return SCALE_RANGE;
	*out = v;
	return SCALE_OK;
}

static bool is_zero(const struct decimal *d)
{
	return d->digits == 0;
}

struct unit {
	const char *name;
	uint64_t mul;
};

static const struct unit *find_unit(const struct unit *u, const char *name)
{
	for (; u->name; u++)
		if (!strcasecmp(u->name, name))
			return u;
	return NULL;
}

static const struct unit duration_units[] = {
	{ "us", 1 }, { "usec", 1 }, { "usecs", 1 },
	{ "ms", 1000 }, { "msec", 1000 }, { "msecs", 1000 },
	{ "s", 1000000 }, { "sec", 1000000 }, { "secs", 1000000 },
	{ NULL, 0 },
};

int units_parse_duration(const char *s, uint32_t *us, char *err, size_t errlen)
{
	const struct unit *u;
	struct decimal d;
	uint64_t v;

	if (parse_decimal(s, &d)) {
		snprintf(err, errlen, "\"%s\" is not a duration (%s)", s,
			 DURATION_EXPECTED);
		return -1;
	}
	if (!*d.suffix && is_zero(&d)) {
		*us = 0;
		return 0;
	}
	if (!*d.suffix) {
		snprintf(err, errlen, "\"%s\" has no unit (%s)", s,
			 DURATION_EXPECTED);
		return -1;
	}
	u = find_unit(duration_units, d.suffix);
	if (!u) {
		snprintf(err, errlen, "\"%s\" has an unknown unit \"%s\" "
			 "(expected us, ms or s, e.g. 20ms)", s, d.suffix);
		return -1;
	}
	switch (scale(&d, u->mul, UNITS_MAX_DURATION_US, &v)) {
	case SCALE_INEXACT:
		snprintf(err, errlen, "\"%s\" is finer than 1us (expected a "
			 "whole number of microseconds)", s);
		return -1;
	case SCALE_RANGE:
		snprintf(err, errlen, "\"%s\" is too long (expected at most "
			 "%us)", s, UNITS_MAX_DURATION_US / 1000000);
		return -1;
	case SCALE_OK:
		break;
	}
	*us = (uint32_t)v;
	return 0;
}

#define K 1000ull
#define KI 1024ull

static const struct unit rate_units[] = {
	{ "bit", 1 }, { "kbit", K }, { "mbit", K * K }, { "gbit", K * K * K },
	{ "tbit", K * K * K * K },
	{ "kibit", KI }, { "mibit", KI * KI }, { "gibit", KI * KI * KI },
	{ "tibit", KI * KI * KI * KI },
	{ "bps", 8 }, { "kbps", 8 * K }, { "mbps", 8 * K * K },
	{ "gbps", 8 * K * K * K }, { "tbps", 8 * K * K * K * K },
	{ "kibps", 8 * KI }, { "mibps", 8 * KI * KI },
	{ "gibps", 8 * KI * KI * KI }, { "tibps", 8 * KI * KI * KI * KI },
	{ NULL, 0 },
};

int units_parse_rate(const char *s, uint64_t *bps, char *err, size_t errlen)
{
	const struct unit *u = rate_units; /* plain number: bits/s */
	struct decimal d;
	uint64_t v;

	if (!strcasecmp(s, "unlimited")) {
		*bps = 0;
		return 0;
	}
	if (parse_decimal(s, &d)) {
		snprintf(err, errlen, "\"%s\" is not a rate (%s)", s,
			 RATE_EXPECTED);
		return -1;
	}
	if (*d.suffix)
		u = find_unit(rate_units, d.suffix);
	if (!u) {
		snprintf(err, errlen, "\"%s\" has an unknown unit \"%s\" (%s)",
			 s, d.suffix, RATE_EXPECTED);
		return -1;
	}
	switch (scale(&d, u->mul, UINT64_MAX, &v)) {
	case SCALE_INEXACT:
		snprintf(err, errlen, "\"%s\" is not a whole number of bits "
			 "per second (%s)", s, RATE_EXPECTED);
		return -1;
	case SCALE_RANGE:
		snprintf(err, errlen, "\"%s\" is too large (%s)", s,
			 RATE_EXPECTED);
		return -1;
	case SCALE_OK:
		break;
	}
	if (v && v < 8) {
		snprintf(err, errlen, "\"%s\" is below one byte per second "
			 "(expected 0 for unlimited, or at least 8bit)", s);
		return -1;
	}
	*bps = v;
	return 0;
}

int units_parse_loss(const char *s, uint32_t *ppm, char *err, size_t errlen)
{
	struct decimal d;
	uint64_t v;

	if (parse_decimal(s, &d) ||
	    (*d.suffix && strcmp(d.suffix, "%"))) {
		snprintf(err, errlen, "\"%s\" is not a loss rate (%s)", s,
			 LOSS_EXPECTED);
		return -1;
	}
	if (!*d.suffix && !is_zero(&d)) {
		snprintf(err, errlen, "\"%s\" has no %% sign (%s)", s,
			 LOSS_EXPECTED);
		return -1;
	}
	/* 1% is 10000 ppm. */
	switch (scale(&d, 10000, UNITS_MAX_LOSS_PPM, &v)) {
	case SCALE_INEXACT:
		snprintf(err, errlen, "\"%s\" is finer than 0.0001%% (%s)", s,
			 LOSS_EXPECTED);
		return -1;
	case SCALE_RANGE:
		snprintf(err, errlen, "\"%s\" is more than 100%% (%s)", s,
			 LOSS_EXPECTED);
		return -1;
	case SCALE_OK:
		break;
	}
	*ppm = (uint32_t)v;
	return 0;
}

/* v / den with the fraction's trailing zeros dropped: "1.5", "2". */
static char *format_fixed(uint64_t v, uint64_t den, unsigned den_digits,
			  const char *unit, char *buf)
{
	uint64_t frac = v % den;
	unsigned digits = den_digits;

	if (!frac) {
		snprintf(buf, UNITS_STRLEN, "%llu%s",
			 (unsigned long long)(v / den), unit);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, UNITS_STRLEN, "%llu.%0*llu%s",
		 (unsigned long long)(v / den), (int)digits,
		 (unsigned long long)frac, unit);
	return buf;
}

char *units_format_duration(uint32_t us, char *buf)
{
	if (us && us % 1000000 == 0)
		return format_fixed(us, 1000000, 6, "s", buf);
	if (us && us < 1000)
		return format_fixed(us, 1, 0, "us", buf);
	return format_fixed(us, 1000, 3, "ms", buf);
}

char *units_format_rate(uint64_t bps, char *buf)
{
	static const char *const names[] = { "bit", "kbit", "mbit", "gbit",
					     "tbit" };
	unsigned i = 0;

	if (!bps) {
		snprintf(buf, UNITS_STRLEN, "0");
		return buf;
	}
	while (i < 4 && bps % 1000 == 0) {
		bps /= 1000;
		i++;
	}
	snprintf(buf, UNITS_STRLEN, "%llu%s", (unsigned long long)bps,
		 names[i]);
	return buf;
}

char *units_format_loss(uint32_t ppm, char *buf)
{
	return format_fixed(ppm, 10000, 4, "%", buf);
}
