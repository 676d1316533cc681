// SPDX-License-Identifier: MIT
#include "names.h"

#include <stdio.h>

char *names_netns(const char *sim, const char *node, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s:%s", sim, node);

	return n < 0 || (size_t)n >= len ? NULL : buf;
}

static char *ifname(char *buf, const char *fmt, const char *a)
{
	int n = snprintf(buf, NAMES_IFNAMSIZ, fmt, a);

	return n < 0 || n >= NAMES_IFNAMSIZ ? NULL : buf;
}

char *names_switch(const char *cluster, char *buf)
{
	return ifname(buf, "%ss0", cluster);
}

char *names_uplink_down(const char *cluster, char *buf)
{
	return ifname(buf, "%ss0-" NAMES_TOP_SWITCH, cluster);
}

char *names_uplink_up(const char *cluster, char *buf)
{
	return ifname(buf, NAMES_TOP_SWITCH "-%ss0", cluster);
}

char *names_emu_if(size_t node_idx, char end, char *buf)
{
	int n = snprintf(buf, NAMES_IFNAMSIZ, "ke%zu%c", node_idx, end);

	return n < 0 || n >= NAMES_IFNAMSIZ ? NULL : buf;
}
