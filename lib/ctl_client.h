/* SPDX-License-Identifier: MIT */
/* Client of an agent's control socket (protocol in knetsim/ctl.h), for the
 * CLI and the CNI plugin. */
#ifndef KNETSIM_CTL_CLIENT_H
#define KNETSIM_CTL_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* One request, one reply; NULL with err on failure (errno then tells
 * why). timeout_ms bounds connect, send and receive. */
cJSON *ctl_call(const char *path, const cJSON *req, int timeout_ms,
		char *err, size_t errlen);
/* SO_RCVTIMEO and SO_SNDTIMEO on a socket; 0 or -errno. */
int ctl_set_timeouts(int fd, int ms);
/* The socket path of a worker's agent. Returns buf, or NULL if too long. */
char *ctl_socket_path(const char *sim, const char *worker, char *buf,
		      size_t len);

#endif
