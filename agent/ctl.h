/* SPDX-License-Identifier: MIT */
/* The agent's control socket server (protocol in knetsim/ctl.h). One
 * request per connection: accept, read one message, answer, close, so a
 * stuck client can never hold up the agent's loop for long. */
#ifndef KNETSIM_AGENT_CTL_H
#define KNETSIM_AGENT_CTL_H

#include <cjson/cJSON.h>

struct ctl;

/* Answers a request: returns a reply object (the server adds "ok":true
 * unless the handler set "ok"), or NULL with a message in err. */
typedef cJSON *(*ctl_handler)(void *ctx, const cJSON *req, char *err,
			      size_t errlen);

/* Binds path (a stale socket file is replaced), mode 0600. */
int ctl_open(const char *path, ctl_handler handler, void *ctx,
	     struct ctl **out);
/* The listening descriptor, for the agent's poll loop. */
int ctl_fd(const struct ctl *c);
/* Serves one pending connection (call when ctl_fd is readable). */
void ctl_serve(struct ctl *c);
/* Closes and removes the socket file. */
void ctl_close(struct ctl *c);

#endif
