// SPDX-License-Identifier: MIT
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "knetsim/ctl.h"
#include "ctl_client.h"
#include "log.h"

#define CTL_IO_TIMEOUT_MS 1000

struct ctl {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler handler;
	void *ctx;
};

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_open(const char *path, ctl_handler handler, void *ctx,
	     struct ctl **out)
{
	struct sockaddr_un sa;
	struct ctl *c;
	int ret = make_addr(path, &sa);

	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->handler = handler;
	c->ctx = ctx;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		ret = -errno;
		free(c);
		return ret;
	}
	unlink(path);
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0600) || listen(c->fd, 16)) {
		ret = -errno;
		close(c->fd);
		unlink(path);
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int ctl_fd(const struct ctl *c)
{
	return c->fd;
}

static void reply(int fd, cJSON *rep)
{
	char *out = cJSON_PrintUnformatted(rep);

	if (out && send(fd, out, strlen(out), MSG_NOSIGNAL) < 0)
		log_warn("control socket: reply: %s", strerror(errno));
	free(out);
}

static cJSON *error_reply(const char *msg)
{
	cJSON *rep = cJSON_CreateObject();

	cJSON_AddFalseToObject(rep, "ok");
	cJSON_AddStringToObject(rep, "error", msg);
	return rep;
}

void ctl_serve(struct ctl *c)
{
	char *buf, err[512] = "";
	cJSON *req = NULL, *rep;
	ssize_t n;
	int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	buf = malloc(KNETSIM_CTL_MSG_MAX + 1);
	if (!buf || ctl_set_timeouts(fd, CTL_IO_TIMEOUT_MS)) {
		free(buf);
		close(fd);
		return;
	}
	n = recv(fd, buf, KNETSIM_CTL_MSG_MAX, 0);
	if (n <= 0) {
		rep = error_reply(n < 0 ? strerror(errno) : "empty request");
	} else {
		buf[n] = '\0';
		req = cJSON_Parse(buf);
		if (!cJSON_IsObject(req)) {
			rep = error_reply("request is not a JSON object");
		} else {
			rep = c->handler(c->ctx, req, err, sizeof(err));
			if (!rep)
				rep = error_reply(*err ? err : "failed");
			else if (!cJSON_HasObjectItem(rep, "ok"))
				cJSON_AddTrueToObject(rep, "ok");
		}
	}
	reply(fd, rep);
	cJSON_Delete(rep);
	cJSON_Delete(req);
	free(buf);
	close(fd);
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}
