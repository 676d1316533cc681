// SPDX-License-Identifier: MIT
#include "mac.h"

#include <errno.h>
#include <stdio.h>

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	char sep = s[0] && s[1] ? s[2] : '\0';

	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hex(s[0]), lo = hi < 0 ? -1 : hex(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : sep))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

char *mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
