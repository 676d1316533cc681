// SPDX-License-Identifier: MIT
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

int sysctl_write(int nsfd, const char *key, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	int fd, saved = -1, ret = 0;

	if (snprintf(path, sizeof(path), "/proc/sys/%s", key) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* /proc/sys/net answers for the namespace of the opener. */
	if (nsfd >= 0) {
		ret = netns_enter(nsfd, &saved);
		if (ret)
			return ret;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		ret = -errno;
	if (nsfd >= 0) {
		int r = netns_leave(saved);

		if (!ret)
			ret = r;
	}
	if (fd < 0)
		return ret;
	if (!ret && write(fd, val, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}
