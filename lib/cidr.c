// SPDX-License-Identifier: MIT
#include "cidr.h"

#include <stdio.h>

/* A decimal number of at most maxdigits digits, no sign, no leading zero
 * (so "010" is not mistaken for octal as inet_aton would). Advances *s. */
static int parse_dec(const char **s, unsigned maxdigits, unsigned max,
		     unsigned *out)
{
	const char *p = *s;
	unsigned v = 0, n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > maxdigits)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (!n || (n > 1 && **s == '0') || v > max)
		return -1;
	*s = p;
	*out = v;
	return 0;
}

static int parse_quad(const char **s, uint32_t *out)
{
	uint32_t addr = 0;
	unsigned octet;

	for (int i = 0; i < 4; i++) {
		if (i && *(*s)++ != '.')
			return -1;
		if (parse_dec(s, 3, 255, &octet))
			return -1;
		addr = addr << 8 | octet;
	}
	*out = addr;
	return 0;
}

int ip4_parse(const char *s, uint32_t *out)
{
	uint32_t addr;

	if (!s || parse_quad(&s, &addr) || *s)
		return -1;
	*out = addr;
	return 0;
}

char *ip4_format(uint32_t addr, char *buf)
{
	snprintf(buf, IP4_STRLEN, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 0xff,
		 addr >> 8 & 0xff, addr & 0xff);
	return buf;
}

int cidr_parse(const char *s, struct cidr *out, bool allow_host)
{
	uint32_t addr;
	unsigned len;

	if (!s || parse_quad(&s, &addr) || *s++ != '/' ||
	    parse_dec(&s, 2, 32, &len) || *s)
		return -1;
	if ((addr & ~cidr_mask((uint8_t)len)) && !allow_host)
		return -1;
	out->addr = addr & cidr_mask((uint8_t)len);
	out->len = (uint8_t)len;
	return 0;
}

char *cidr_format(const struct cidr *c, char *buf)
{
	uint32_t a = c->addr;
	unsigned len = c->len > 32 ? 32 : c->len;

	snprintf(buf, CIDR_STRLEN, "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 0xff,
		 a >> 8 & 0xff, a & 0xff, len);
	return buf;
}

uint32_t cidr_mask(uint8_t len)
{
	if (!len)
		return 0;
	if (len >= 32)
		return UINT32_MAX;
	return UINT32_MAX << (32 - len);
}

bool cidr_contains(const struct cidr *c, uint32_t addr)
{
	return ((addr ^ c->addr) & cidr_mask(c->len)) == 0;
}

bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner)
{
	return inner->len >= outer->len && cidr_contains(outer, inner->addr);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains_cidr(a, b) || cidr_contains_cidr(b, a);
}

uint64_t cidr_host_count(const struct cidr *c)
{
	if (c->len >= 32)
		return 1;
	if (c->len == 31)
		return 2;
	return ((uint64_t)1 << (32 - c->len)) - 2;
}

int cidr_host(const struct cidr *c, uint64_t n, uint32_t *out)
{
	if (n < 1 || n > cidr_host_count(c))
		return -1;
	/* /31 and /32 have no network or broadcast address to skip. */
	*out = c->addr + (uint32_t)(c->len >= 31 ? n - 1 : n);
	return 0;
}
