/* SPDX-License-Identifier: MIT */
/* The nginx of a worker's ingresses, as a process: started in the agent's
 * namespace (the worker's) with everything under its prefix directory,
 * configuration checks with `nginx -t`, graceful reloads (SIGHUP: new
 * workers take the new configuration, old ones finish the requests they
 * hold), graceful stops (SIGQUIT), and adoption by a restarted agent from
 * the pid file. nginx is looked up in PATH ($KNETSIM_NGINX overrides). */
#ifndef KNETSIM_AGENT_NGINX_PROC_H
#define KNETSIM_AGENT_NGINX_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

struct nginx_proc {
	char dir[PATH_MAX];      /* the prefix */
	struct proc_id id;       /* the master, when started or adopted */
	bool have;
};

/* dir: an absolute directory; created with logs/ and tmp/ in it. */
int nginx_proc_init(struct nginx_proc *n, const char *dir);
/* "<dir>/<file>" into buf (PATH_MAX). */
char *nginx_proc_path(const struct nginx_proc *n, const char *file, char *buf);
/* Takes over an nginx a previous agent started: the pid file names a
 * live nginx master of this prefix in our namespace. */
bool nginx_proc_adopt(struct nginx_proc *n);
bool nginx_proc_alive(const struct nginx_proc *n);
/* `nginx -t` on conf (a path): 0, or -EINVAL with nginx's words in err. */
int nginx_proc_test(const struct nginx_proc *n, const char *conf, char *err,
		    size_t errlen);
/* Starts nginx on <dir>/nginx.conf and waits until it runs (its pid file
 * is written) or has failed (err quotes its error log). */
int nginx_proc_start(struct nginx_proc *n, char *err, size_t errlen);
/* SIGHUP, then a look at what nginx logged: 0, or -EIO when nginx kept
 * its previous configuration (err says why, e.g. a port in use). */
int nginx_proc_reload(struct nginx_proc *n, char *err, size_t errlen);
/* SIGQUIT (requests in flight finish), SIGTERM and SIGKILL after a grace
 * period. */
void nginx_proc_stop(struct nginx_proc *n);

#endif
