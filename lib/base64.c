// SPDX-License-Identifier: MIT
#include "base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
	size_t groups = n / 3 + (n % 3 != 0);

	if (groups > SIZE_MAX / 4 - 1) /* keep room for the NUL */
		return 0;
	return groups * 4;
}

char *base64_encode(const void *in, size_t n)
{
	const unsigned char *p = in;
	size_t len = base64_encoded_len(n);
	char *out, *o;

	if (!len && n)
		return NULL;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	for (; n >= 3; n -= 3, p += 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (n) {
		uint32_t v = (uint32_t)p[0] << 16;

		if (n == 2)
			v |= (uint32_t)p[1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = n == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Value of one alphabet character, or -1. */
static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one group of four characters into out; returns the number of
 * bytes (1..3) or -1. Padding is allowed only when last is set. */
static int b64_group(const char *g, bool last, unsigned char *out)
{
	int pad = 0, v[4];
	uint32_t bits = 0;

	if (last)
		pad = (g[3] == '=') + (g[3] == '=' && g[2] == '=');
	for (int i = 0; i < 4 - pad; i++) {
		v[i] = b64_value(g[i]);
		if (v[i] < 0)
			return -1;
		bits = bits << 6 | (uint32_t)v[i];
	}
	bits <<= 6 * pad;
	/* the bits a padded group leaves unused must be zero (canonical) */
	if ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff)))
		return -1;
	out[0] = bits >> 16;
	if (pad < 2)
		out[1] = (bits >> 8) & 0xff;
	if (pad < 1)
		out[2] = bits & 0xff;
	return 3 - pad;
}

int base64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
	unsigned char *buf;
	size_t n = 0;

	if (len % 4)
		return -EINVAL;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int got = b64_group(in + i, i + 4 == len, buf + n);

		if (got < 0) {
			free(buf);
			return -EINVAL;
		}
		n += (size_t)got;
	}
	buf[n] = '\0';
	*out = (char *)buf;
	*outlen = n;
	return 0;
}
