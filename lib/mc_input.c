// SPDX-License-Identifier: MIT
#include "mc_input.h"

#include <stdint.h>
#include <string.h>

#include "cidr.h"

#define NAME_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define HOST_MAX 253

bool mc_name_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len && len <= MC_INPUT_NAME_MAX && strspn(s, NAME_CHARS) == len;
}

bool mc_host_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	uint32_t ip;

	if (!len)
		return false;
	if (!ip4_parse(s, &ip))
		return true;
	return len <= HOST_MAX && strspn(s, NAME_CHARS) == len &&
	       s[0] != '-' && s[0] != '.';
}

bool mc_path_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > MC_INPUT_PATH_MAX || s[0] != '/')
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= ' ' || ch >= 0x7f || strchr("\"'\\;{}#$", ch))
			return false;
	}
	return true;
}
