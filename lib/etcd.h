/* SPDX-License-Identifier: MIT */
/* etcd v3 client over etcd's JSON gateway (libcurl + cJSON). Sockets are
 * opened inside a chosen network namespace, so a process in the host's
 * namespace can talk to etcd in a node without joining the node. Requests
 * fail over across the endpoints in order. Functions return 0 or -errno;
 * etcd_error() tells what went wrong. */
#ifndef KNETSIM_ETCD_H
#define KNETSIM_ETCD_H

#include <stddef.h>
#include <stdint.h>

struct etcd;

/* endpoints: "http://ADDR:PORT"; nsfd -1 means the caller's namespace.
 * timeout_ms bounds every request. */
struct etcd *etcd_open(const char *const *endpoints, size_t n, int nsfd,
		       int timeout_ms);
void etcd_close(struct etcd *e);
const char *etcd_error(const struct etcd *e);

int etcd_put(struct etcd *e, const char *key, const char *val, size_t len,
	     int64_t lease);
/* -ENOENT when the key does not exist; *val is malloc'd and NUL-ended. */
int etcd_get(struct etcd *e, const char *key, char **val, size_t *len,
	     int64_t *mod_revision);
int etcd_delete(struct etcd *e, const char *key);
/* Health of one endpoint (GET /health): 0 when healthy. */
int etcd_health(struct etcd *e, size_t endpoint);

#endif
