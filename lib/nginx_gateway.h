/* SPDX-License-Identifier: MIT */
/* The multi-cluster gateway built from nginx's stream module, for machines
 * without skupper-router (pure: renders the configuration, no I/O).
 *
 * One gateway per cluster, on its router node. Where a service lives, the
 * gateway accepts TLS on the export's port, requires a client certificate
 * signed by the simulation's CA, and forwards to the service. Where it is
 * consumed, the gateway accepts plain TCP on the same port and forwards
 * over TLS to the exporting gateway, presenting its own certificate and
 * verifying the peer's against the CA and the peer node's name. One
 * listening port per exposed service.
 *
 * Everything the running nginx touches is named in the file (pid, logs)
 * and lives under the gateway's own directory; nginx is started with
 * `-p DIR -c FILE -e ERRLOG`, never reading /etc/nginx. */
#ifndef KNETSIM_NGINX_GATEWAY_H
#define KNETSIM_NGINX_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

/* A service living in this cluster, served over TLS to other gateways. */
struct ngw_export {
	const char *name;
	uint16_t listen;         /* TLS port on this gateway */
	const char *target_host; /* the pod or service VIP */
	uint16_t target_port;
};

/* A service consumed here, fetched from the gateway where it lives. */
struct ngw_import {
	const char *name;
	uint16_t listen;         /* plain TCP port on this gateway */
	const char *remote_host; /* the exporting gateway's address */
	uint16_t remote_port;
	const char *remote_name; /* the name its certificate must carry */
};

struct ngw_config {
	const char *cluster;        /* for the header comment */
	const char *listen_host;    /* address the servers bind */
	const char *pid_file;
	const char *error_log;
	const char *access_log;
	const char *stream_module;  /* load_module path; NULL: built in */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	const struct ngw_export *exports;
	size_t n_exports;
	const struct ngw_import *imports;
	size_t n_imports;
};

/* nginx.conf text (malloc'd); NULL with the reason in err when c is not
 * valid (names, hosts, paths, a port used twice, nothing to serve). */
char *ngw_render(const struct ngw_config *c, char *err, size_t errlen);

#endif
