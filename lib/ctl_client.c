// SPDX-License-Identifier: MIT
#include "ctl_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "knetsim/ctl.h"
#include "knetsim/paths.h"

char *ctl_socket_path(const char *sim, const char *worker, char *buf,
		      size_t len)
{
	int n = snprintf(buf, len, KNETSIM_RUN_DIR "/%s/" KNETSIM_AGENT_DIR "/%s.sock",
			 sim, worker);

	return n < 0 || (size_t)n >= len ? NULL : buf;
}

int ctl_set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

cJSON *ctl_call(const char *path, const cJSON *req, int timeout_ms,
		char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char *out = NULL, *buf = NULL;
	cJSON *rep = NULL;
	ssize_t n;
	int fd = -1, ret;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		ret = -ENAMETOOLONG;
		goto fail;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || ctl_set_timeouts(fd, timeout_ms) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto fail;
	}
	out = cJSON_PrintUnformatted(req);
	buf = malloc(KNETSIM_CTL_MSG_MAX + 1);
	if (!out || !buf) {
		ret = -ENOMEM;
		goto fail;
	}
	if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0 ||
	    (n = recv(fd, buf, KNETSIM_CTL_MSG_MAX, 0)) < 0) {
		ret = -errno;
		goto fail;
	}
	buf[n] = '\0';
	rep = cJSON_Parse(buf);
	if (!cJSON_IsObject(rep)) {
		cJSON_Delete(rep);
		rep = NULL;
		snprintf(err, errlen, "%s: reply is not a JSON object", path);
	}
	goto out;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	errno = -ret; /* callers tell "no agent" (ENOENT, ECONNREFUSED) apart */
out:
	free(out);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rep;
}
