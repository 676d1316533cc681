/* SPDX-License-Identifier: MIT */
/* skupper-router's configuration for one cluster's router (pure: no I/O).
 * The result is the JSON form skrouterd reads from a file ending in .json:
 * a list of [entity type, {attributes}] pairs,
 *
 *   router        mode interior, id
 *   sslProfile    the simulation's CA, this router's certificate and key
 *   listener      role normal (AMQP management, for skmanage/skstat)
 *   listener      role inter-router, TLS, peers authenticated (EXTERNAL)
 *   connector     role inter-router to each linked router, TLS, host verified
 *   tcpConnector  per service living in this cluster: address -> host:port
 *   tcpListener   per service consumed here: host:port -> address
 *   log           DEFAULT info+ (to stderr, the router's log file)
 *
 * skrouterd refuses unknown attributes at start-up; tests check every
 * entity against the reference schema of skupper-router 3.5.1. */
#ifndef KNETSIM_SKROUTER_CONF_H
#define KNETSIM_SKROUTER_CONF_H

#include <stddef.h>
#include <stdint.h>

#define SKR_PORT_AMQP          5672
#define SKR_PORT_INTER_ROUTER  55671
#define SKR_SSL_PROFILE        "inter-router-tls"
#define SKR_NAME_MAX           64

/* Another router this one connects to. */
struct skr_peer {
	const char *name;      /* the connector's name, e.g. "to-C0" */
	const char *host;      /* its address; the certificate must name it */
	uint16_t port;         /* its inter-router listener */
};

/* One TCP bridge: a service's router address and a socket address. */
struct skr_tcp {
	const char *address;   /* the router address (the export's name) */
	const char *host;
	uint16_t port;
};

struct skr_config {
	const char *id;                 /* unique in the router network */
	const char *mgmt_host;          /* normal AMQP listener */
	uint16_t mgmt_port;
	const char *listen_host;        /* inter-router listener; NULL: none */
	uint16_t listen_port;
	const char *ca_file;            /* sslProfile (absolute paths) */
	const char *cert_file;
	const char *key_file;
	unsigned worker_threads;        /* 0: the router's default */
	const struct skr_peer *peers;
	size_t n_peers;
	const struct skr_tcp *connectors;  /* tcpConnector: lives here */
	size_t n_connectors;
	const struct skr_tcp *listeners;   /* tcpListener: consumed here */
	size_t n_listeners;
};

/* The configuration as JSON text (malloc'd); NULL with the reason in err
 * when c is not valid (names, hosts, ports, paths, clashes). */
char *skr_config_render(const struct skr_config *c, char *err, size_t errlen);

#endif
