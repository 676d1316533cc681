/* SPDX-License-Identifier: MIT */
/* The nginx configuration of one worker's ingresses (pure: text only).
 *
 * One nginx per worker serves every ingress placed on it: one server per
 * ingress port, one location per path, each proxying to the service's
 * VIP and port (the worker's service proxy then balances the connection
 * over the pods, as for any connection the worker makes). nginx picks an
 * exact match first, then the longest prefix, which is Kubernetes' rule
 * too; a Prefix path /a becomes "location = /a" plus "location /a/" so it
 * matches whole path segments only. Paths are checked again here and
 * written quoted, so no input can end a directive. Everything nginx
 * writes (pid, logs, temporary files) stays under the given prefix. */
#ifndef KNETSIM_NGINX_INGRESS_H
#define KNETSIM_NGINX_INGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "ingress.h"

struct nginx_ingress_conf {
	const char *prefix;        /* absolute directory, no trailing '/' */
	const char *worker;        /* for the header comment */
	unsigned worker_processes; /* 0: 1 */
};

/* A service an ingress path may name. */
struct nginx_ingress_svc {
	const char *ns, *name;
	uint32_t vip;              /* host order */
};

/* Renders the configuration of ings (n of them, all of one worker, no two
 * on one port) into *out (malloc'd). A path whose service is not among
 * svcs answers 503. 0, or -EINVAL (a bad spec, two ingresses on one
 * port) / -ENOMEM with why in err. */
int nginx_ingress_render(const struct nginx_ingress_conf *conf,
			 const struct ingress_spec *const *ings, size_t n,
			 const struct nginx_ingress_svc *svcs, size_t n_svcs,
			 char **out, char *err, size_t errlen);

/* Files under the prefix. */
#define NGINX_INGRESS_CONF    "nginx.conf"
#define NGINX_INGRESS_PID     "nginx.pid"
#define NGINX_INGRESS_LOG_DIR "logs"
#define NGINX_INGRESS_TMP_DIR "tmp"

#endif
